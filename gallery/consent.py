"""The signed consent record: what it holds, how it is checked, how its cookie looks."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from .settings import Secret

COOKIE_NAME = "__Host-gallery-consent"
PROVIDER = "vimeo"
SALT = "gallery.consent"  # one salt per purpose: an admin session can never pass as consent
MAX_COOKIE_LENGTH = 512  # a real record is ~150 characters; anything huge is not ours
CLOCK_SKEW = 300  # seconds an issued-at may lie in the future (clock drift between hosts)


class ConsentSigner:
    """Issues and checks ``{notice version, provider, issued-at}``; nothing about the visitor."""

    def __init__(self, keys: tuple[Secret, ...], notice_version: str, max_age: int) -> None:
        assert keys, "at least one key is needed"
        # itsdangerous signs with the *last* key and verifies with all; ours signs with the first.
        self._serializer = URLSafeTimedSerializer(
            [k.value for k in reversed(keys)],
            salt=SALT,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        self.notice_version = notice_version
        self.max_age = max_age

    def issue(self, now: float | None = None) -> str:
        issued_at = int(time.time() if now is None else now)
        record = {"v": self.notice_version, "p": PROVIDER, "iat": issued_at}
        return str(self._serializer.dumps(record))

    def is_valid(self, value: str | None, now: float | None = None) -> bool:
        """True only for an intact, current, unexpired record; anything else is "no consent"."""
        if not value or len(value) > MAX_COOKIE_LENGTH or not _canonical_signature(value):
            return False
        current = time.time() if now is None else now
        try:
            record: Any = self._serializer.loads(value, max_age=self.max_age)
        except Exception:
            return False
        if not isinstance(record, dict) or set(record) != {"v", "p", "iat"}:
            return False
        issued_at = record["iat"]
        return (
            record["v"] == self.notice_version
            and record["p"] == PROVIDER
            and isinstance(issued_at, int)
            and not isinstance(issued_at, bool)
            and current - self.max_age <= issued_at <= current + CLOCK_SKEW
        )


def _canonical_signature(value: str) -> bool:
    """Only the exact signature we issue: base64 allows spare padding ("=") and unused low bits
    in the last character, so one signature has several spellings; we accept just ours."""
    signature = value.rsplit(".", 1)[-1]
    try:
        return signature.isascii() and base64_encode(base64_decode(signature)).decode() == signature
    except Exception:
        return False


def set_cookie_header(value: str, max_age: int) -> tuple[bytes, bytes]:
    """``__Host-`` demands Secure, Path=/ and no Domain; HttpOnly because no script needs it."""
    cookie = f"{COOKIE_NAME}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"
    return b"set-cookie", cookie.encode("latin-1")


def delete_cookie_header() -> tuple[bytes, bytes]:
    """The same attributes as when set, so that every browser matches and drops it."""
    return set_cookie_header("", 0)
