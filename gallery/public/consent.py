"""The signed consent record: what it holds, how it is checked, how its cookie looks."""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import BadSignature

from ..settings import Secret
from ..web import signing

COOKIE_NAME = "__Host-gallery-consent"
PROVIDER = "vimeo"
SALT = "gallery.consent"  # one salt per purpose: an admin session can never pass as consent
MAX_COOKIE_LENGTH = 512  # a real record is ~150 characters; anything huge is not ours
CLOCK_SKEW = 300  # seconds an issued-at may lie in the future (clock drift between hosts)
MAX_REMEMBERED_RECORDS = 4096  # valid records kept checked (a visitor's cookie each)
CHECK_SALT = "gallery.consent-check"
CHECK_MAX_AGE = 300  # the "did the cookie arrive?" marker is read right after the redirect


class ConsentSigner:
    """Issues and checks ``{notice version, provider, issued-at}``; nothing about the visitor.

    With ``town`` (every town but an installation's first) the record names the town too, and
    a record naming another town, or none, is no consent here.
    """

    def __init__(
        self, keys: tuple[Secret, ...], notice_version: str, max_age: int, town: str | None = None
    ) -> None:
        self._serializer = signing.serializer(keys, SALT)
        self.notice_version = notice_version
        self.max_age = max_age
        self.town = town
        self._fields = {"v", "p", "iat"} if town is None else {"v", "p", "iat", "t"}
        # The marker after a choice is one town's too: it says nothing on another's pages.
        self._check = signing.signer(keys, CHECK_SALT if town is None else f"{CHECK_SALT}.{town}")
        # Records found valid, with the moment they stop being so: a visitor sends the same
        # cookie with every page, and checking its signature costs more than sending the page.
        # Only records that passed every check are kept, so nothing sent can fill it with junk
        # that was never ours; its size is bounded all the same.
        self._valid_until: dict[str, float] = {}

    def issue(self, now: float | None = None) -> str:
        issued_at = int(time.time() if now is None else now)
        record: dict[str, object] = {"v": self.notice_version, "p": PROVIDER, "iat": issued_at}
        if self.town is not None:
            record["t"] = self.town
        return str(self._serializer.dumps(record))

    def is_valid(self, value: str | None, now: float | None = None) -> bool:
        """True only for an intact, current, unexpired record; anything else is "no consent"."""
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return False
        current = time.time() if now is None else now
        until = self._valid_until.get(value)
        if until is not None and now is None:
            if current <= until:
                return True
            self._valid_until.pop(value, None)
        try:
            record: Any
            record, signed_at = self._serializer.loads(value, max_age=self.max_age, return_timestamp=True)
        except Exception:
            return False
        if not isinstance(record, dict) or set(record) != self._fields:
            return False
        if self.town is not None and record["t"] != self.town:
            return False
        issued_at = record["iat"]
        valid = (
            record["v"] == self.notice_version
            and record["p"] == PROVIDER
            and isinstance(issued_at, int)
            and not isinstance(issued_at, bool)
            and current - self.max_age <= issued_at <= current + CLOCK_SKEW
        )
        if valid and now is None:
            if len(self._valid_until) >= MAX_REMEMBERED_RECORDS:
                self._valid_until.clear()
            # Both ages count: the signature's (itsdangerous' max_age) and the record's own.
            self._valid_until[value] = min(issued_at, signed_at.timestamp()) + self.max_age
        return valid


    def issue_check(self, purpose: str) -> str:
        """A marker for the page after a choice: lets it say what happened, e.g. whether the
        browser kept the cookie after "always" (inside another site's iframe it may not).

        It grants nothing (it is not a play token). Signed and short-lived, so that a shared
        link does not show the message to someone else.
        """
        return self._check.sign(purpose.encode("ascii")).decode("ascii")

    def check_is_valid(self, value: str | None, purpose: str) -> bool:
        if not value or len(value) > 100:
            return False
        try:
            signed = self._check.unsign(value, max_age=CHECK_MAX_AGE)
        except (BadSignature, ValueError):
            return False
        return signed == purpose.encode("ascii")


COOKIE_MODES = ("same-site", "cross-site")


def _cookie(value: str, max_age: int, mode: str) -> tuple[bytes, bytes]:
    # ``__Host-`` demands Secure, Path=/ and no Domain; HttpOnly because no script needs it.
    attributes = "SameSite=Lax"
    if mode == "cross-site":
        # Inside another site's iframe only a partitioned (CHIPS) cookie is kept, and only with
        # SameSite=None. Written by hand: Starlette's set_cookie(partitioned=True) raises on
        # Python < 3.14.
        attributes = "SameSite=None; Partitioned"
    cookie = f"{COOKIE_NAME}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; {attributes}"
    return b"set-cookie", cookie.encode("latin-1")


def set_cookie_header(value: str, max_age: int, mode: str = "same-site") -> tuple[bytes, bytes]:
    """The consent cookie for ``mode`` (GALLERY_COOKIE_MODE)."""
    return _cookie(value, max_age, mode)


def delete_cookie_headers(mode: str = "same-site") -> list[tuple[bytes, bytes]]:
    """Deletions with the same attributes as when set, for both modes.

    A partitioned cookie is only matched by a deletion that says Partitioned, and an
    unpartitioned one only by one that does not. Sending both means withdrawal still works for
    a choice remembered before the operator switched GALLERY_COOKIE_MODE; the current mode's
    deletion comes first.
    """
    other = COOKIE_MODES[1] if mode == COOKIE_MODES[0] else COOKIE_MODES[0]
    return [_cookie("", 0, mode), _cookie("", 0, other)]
