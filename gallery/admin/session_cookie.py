"""The session cookie: a signed session token and the editor's language, only for /admin."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData

from ..settings import Secret
from ..web import signing

COOKIE_NAME = "__Secure-gallery-admin"  # __Host- would demand Path=/; ours is Path=/admin
COOKIE_PATH = "/admin"
SESSION_SALT = "gallery.admin-session"  # never the consent salt: neither can pass as the other
MAX_COOKIE_LENGTH = 512


@dataclass(frozen=True, slots=True)
class CookieContent:
    token: str
    lang: str


class SessionCookie:
    """The signed cookie: a session token and the editor's language. Its signature's timestamp
    is the last activity: it is re-signed on every admin answer, and older than the idle limit
    counts as signed out."""

    def __init__(self, keys: tuple[Secret, ...], idle_seconds: int) -> None:
        self._serializer = signing.serializer(keys, SESSION_SALT)  # one spelling only
        self.idle_seconds = idle_seconds

    def issue(self, content: CookieContent) -> str:
        return str(self._serializer.dumps({"t": content.token, "l": content.lang}))

    def read(self, value: str | None, *, max_age: int | None = None) -> CookieContent | None:
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.idle_seconds if max_age is None else max_age)
        except BadData:
            return None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("t"), str)
            or not isinstance(data.get("l"), str)
        ):
            return None
        return CookieContent(data["t"], data["l"])

    def header(self, content: CookieContent | None) -> tuple[bytes, bytes]:
        """Set (or, for None, delete) the cookie: HttpOnly, Secure, SameSite=Strict, only /admin.
        No Max-Age: closing the browser ends it too, which suits shared office computers."""
        if content is None:
            cookie = f"{COOKIE_NAME}=; Max-Age=0; Path={COOKIE_PATH}; Secure; HttpOnly; SameSite=Strict"
        else:
            cookie = (
                f"{COOKIE_NAME}={self.issue(content)}; Path={COOKIE_PATH}; Secure; HttpOnly; SameSite=Strict"
            )
        return b"set-cookie", cookie.encode("latin-1")
