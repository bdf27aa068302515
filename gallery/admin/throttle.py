"""Slowing down and then refusing repeated failed sign-ins, in memory only.

Counted per account name (whether or not it exists, so the answer reveals nothing) and per client
address. A browser with a device cookie for the account is counted per cookie instead of per
account: strangers' failures lock the account only for strangers (see :mod:`gallery.devices`).
Keys are HMACs under a key that lives only in this process: not even memory holds the address,
the typed name or the cookie's nonce in clear, and nothing is ever logged or written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    """After ``free`` failures each further one blocks the key for ``unit`` seconds, doubling up
    to ``longest``; a key is forgotten ``forget_after`` seconds after its last failure."""

    account_free: int = 3
    address_free: int = 10  # an office behind one NAT address shares it
    device_free: int = 5  # a browser that signed in before: some room for typos, yet a limit
    unit: float = 1.0
    longest: float = 15 * 60.0
    forget_after: float = 60 * 60.0
    max_keys: int = 10_000


@dataclass(slots=True)
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """``begin`` before checking a password, then ``failed`` or ``succeeded``."""

    def __init__(self, policy: Policy = Policy(), clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._records: OrderedDict[bytes, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def keys(
        self, account: str, address: str | None, device: str | None = None
    ) -> tuple[tuple[bytes, int], ...]:
        """(key, free failures): first the account's, or the device cookie's (its nonce) when the
        browser presented a valid one for this account; then, when known, the client address."""
        if device is None:
            found = [(self._hmac(b"account|", account), self.policy.account_free)]
        else:
            found = [(self._hmac(b"device|", device), self.policy.device_free)]
        if address:
            found.append((self._hmac(b"address|", address), self.policy.address_free))
        return tuple(found)

    def _hmac(self, kind: bytes, value: str) -> bytes:
        return hmac.new(self._key, kind + value.encode(), hashlib.sha256).digest()

    def begin(self, keys: tuple[tuple[bytes, int], ...]) -> float:
        """Seconds to wait (> 0: refuse now), or 0 and the attempt is counted as failed until
        :meth:`succeeded` says otherwise, so parallel guesses cannot slip past the count."""
        now = self.clock()
        with self._lock:
            self._sweep(now)
            wait = max(
                (self._records[k].blocked_until - now for k, _ in keys if k in self._records), default=0.0
            )
            if wait > 0:
                return wait
            for key, free in keys:
                record = self._records.get(key) or _Record()
                record.failures += 1
                record.last = now
                if record.failures > free:
                    delay = self.policy.unit * 2 ** (record.failures - free - 1)
                    record.blocked_until = now + min(delay, self.policy.longest)
                self._records[key] = record
                self._records.move_to_end(key)
            return 0.0

    def succeeded(self, keys: tuple[tuple[bytes, int], ...]) -> None:
        """The first key's count (the account's, or the device cookie's) starts over; the
        address keeps its count (one valid account must not reset the limit for guessing
        others). A known browser's success leaves the account's count alone, so strangers
        get no fresh guesses from it."""
        with self._lock:
            self._records.pop(keys[0][0], None)
            for key, free in keys[1:]:
                record = self._records.get(key)
                if record is not None and record.failures > 0:
                    record.failures -= 1  # the success was counted by begin()
                    if record.failures <= free:
                        record.blocked_until = 0.0

    def _sweep(self, now: float) -> None:
        horizon = now - self.policy.forget_after
        while self._records:
            key, record = next(iter(self._records.items()))
            if record.last > horizon and len(self._records) <= self.policy.max_keys:
                break
            del self._records[key]
