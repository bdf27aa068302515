"""Slowing down and then refusing repeated failed sign-ins, counted in the database.

Counted per account name (whether or not it exists, so the answer reveals nothing) and per client
address. A browser with a device cookie for the account is counted per cookie instead of per
account: strangers' failures lock the account only for strangers (see :mod:`gallery.devices`).
The counts are rows of the database, so every instance on it counts the same attempts. Their keys
are HMACs under a key derived from the first secret key: the address, the typed name or the
cookie's nonce is never stored in clear (nor logged), and without the secret key a stored key
cannot be matched to an address by trying them all. A row goes once its window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..storage.store import Storage, Transaction

Keys = tuple[tuple[str, int], ...]


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


def throttle_key(secret: str) -> bytes:
    """The HMAC key of the counts, derived from a secret key (one purpose, one key)."""
    return hmac.new(secret.encode(), b"gallery.signin-throttle", hashlib.sha256).digest()


class LoginThrottle:
    """``begin`` before checking a password (counted as failed), ``succeeded`` after a right one.

    Made with a policy and a clock (wall-clock seconds: every instance must read the same time);
    :meth:`counting_in` gives the throttle that keeps its counts in a database.
    """

    def __init__(
        self,
        policy: Policy = Policy(),
        clock: Callable[[], float] = time.time,
        *,
        storage: Storage | None = None,
        key: bytes = b"",
    ) -> None:
        self.policy = policy
        self.clock = clock
        self._storage = storage
        self._key = key

    def counting_in(self, storage: Storage, secret: str) -> LoginThrottle:
        """This policy and clock, counting in ``storage`` under keys made with ``secret``."""
        return LoginThrottle(self.policy, self.clock, storage=storage, key=throttle_key(secret))

    def keys(self, account: str, address: str | None, device: str | None = None) -> Keys:
        """(key, free failures): first the account's, or the device cookie's (its nonce) when the
        browser presented a valid one for this account; then, when known, the client address."""
        if device is None:
            found = [(self._hmac(b"account|", account), self.policy.account_free)]
        else:
            found = [(self._hmac(b"device|", device), self.policy.device_free)]
        if address:
            found.append((self._hmac(b"address|", address), self.policy.address_free))
        return tuple(found)

    def _hmac(self, kind: bytes, value: str) -> str:
        return hmac.new(self._key, kind + value.encode(), hashlib.sha256).hexdigest()

    def _db(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("the throttle counts in a database: make it with counting_in()")
        return self._storage

    def begin(self, keys: Keys) -> float:
        """Seconds to wait (> 0: refuse now), or 0 and the attempt is counted as failed until
        :meth:`succeeded` says otherwise, so parallel guesses cannot slip past the count.

        Blocking (a database write): call it from a thread. One transaction, so attempts through
        several instances at once are all counted.
        """
        now = self.clock()
        with self._db().transaction() as tx:
            tx.forget_signin_records(now - self.policy.forget_after, self.policy.max_keys)
            records = tx.signin_records(k for k, _ in keys)
            wait = max((records[k][1] - now for k, _ in keys if k in records), default=0.0)
            if wait > 0:
                return wait
            for key, free in keys:
                failures, blocked_until, _ = records.get(key, (0, 0.0, 0.0))
                failures += 1
                if failures > free:
                    delay = self.policy.unit * 2 ** (failures - free - 1)
                    blocked_until = now + min(delay, self.policy.longest)
                tx.put_signin_record(key, failures, blocked_until, now)
            return 0.0

    def succeeded(self, keys: Keys) -> None:
        """The first key's count (the account's, or the device cookie's) starts over; the
        address keeps its count (one valid account must not reset the limit for guessing
        others). A known browser's success leaves the account's count alone, so strangers
        get no fresh guesses from it. Blocking: call it from a thread."""
        with self._db().transaction() as tx:
            tx.drop_signin_record(keys[0][0])
            self._take_back(tx, keys[1:])

    def _take_back(self, tx: Transaction, keys: Keys) -> None:
        records = tx.signin_records(k for k, _ in keys)
        for key, free in keys:
            if key in records and records[key][0] > 0:
                failures, blocked_until, last = records[key]
                failures -= 1  # the success was counted by begin()
                tx.put_signin_record(key, failures, 0.0 if failures <= free else blocked_until, last)
