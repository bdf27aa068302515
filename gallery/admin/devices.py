"""The device cookie: "this browser signed in to this account before" (OWASP's device cookies).

A browser that presents one for the account it signs in to is not held back by the account's
lock-out, which only strangers' attempts fill; it has a failure limit of its own instead. So
guessing an editor's password still gets no further than before, but no longer locks the editor
out. The cookie names the account only by a tag that needs the stored password hash to compute,
so it holds nothing personal, and a new password or a re-created account turns every earlier
cookie into a stranger's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadData

from ..settings import Secret
from ..web import signing

COOKIE_NAME = "__Secure-gallery-device"  # beside the session cookie, never inside it
COOKIE_PATH = "/admin"
SALT = "gallery.admin-device"  # neither a session nor consent can pass as one
MAX_AGE = 180 * 24 * 3600
MAX_COOKIE_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Device:
    """A device cookie with an intact signature: the account it claims and its own nonce."""

    account: str
    nonce: str

    def belongs_to(self, lookup_key: str, password_hash: str) -> bool:
        return hmac.compare_digest(self.account, account_tag(lookup_key, password_hash))


def account_tag(lookup_key: str, password_hash: str) -> str:
    """Names an account without its name; keyed by its stored hash (random salt), so it changes
    with every new password and differs for a removed and re-created account."""
    digest = hmac.new(
        password_hash.encode(), b"gallery.device|" + lookup_key.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


class DeviceCookies:
    """Issues and reads device cookies, signed like every cookie of ours (one spelling only)."""

    def __init__(self, keys: tuple[Secret, ...], max_age: int = MAX_AGE) -> None:
        self._serializer = signing.serializer(keys, SALT)
        self.max_age = max_age

    def read(self, value: str | None) -> Device | None:
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except BadData:
            return None
        if not isinstance(data, dict) or set(data) != {"a", "n"}:
            return None
        account, nonce = data["a"], data["n"]
        if not isinstance(account, str) or not isinstance(nonce, str) or not account or not nonce:
            return None
        return Device(account, nonce)

    def header(self, lookup_key: str, password_hash: str) -> tuple[bytes, bytes]:
        """A new cookie (fresh nonce) after a successful sign-in: HttpOnly, Secure,
        SameSite=Strict, only /admin. Signing out keeps it: it is not a session."""
        value = self._serializer.dumps(
            {"a": account_tag(lookup_key, password_hash), "n": secrets.token_urlsafe(16)}
        )
        cookie = (
            f"{COOKIE_NAME}={value}; Max-Age={self.max_age}; Path={COOKIE_PATH};"
            " Secure; HttpOnly; SameSite=Strict"
        )
        return b"set-cookie", cookie.encode("latin-1")
