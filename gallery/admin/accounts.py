"""Editors' accounts: scrypt password hashes, the accounts table and signed-in sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadData

from ..i18n import gettext_noop as N_
from ..models import Editor
from ..settings import Secret
from ..storage.database import utcnow
from ..web import signing

# OWASP's scrypt option "N=2^15, r=8, p=3": 32 MiB and about 0.3 s per hash on this class of
# machine. The parameters travel inside each stored hash, so raising them later is seamless.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 3
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
MAX_NAME = 64
NAME_PUNCTUATION = frozenset("._-@")

COOKIE_NAME = "__Secure-gallery-admin"  # __Host- would demand Path=/; ours is Path=/admin
COOKIE_PATH = "/admin"
SESSION_SALT = "gallery.admin-session"  # never the consent salt: neither can pass as the other
MAX_COOKIE_LENGTH = 512


class AccountError(ValueError):
    """A name or password cannot be used; ``message`` (German msgid) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- passwords ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 1024 * 1024, dklen=KEY_BYTES
    )


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash with its parameters: ``scrypt$N$r$p$salt$key`` (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(stored: str, password: str) -> bool:
    """Constant-time check of ``password`` against a stored hash; a damaged hash never matches."""
    try:
        scheme, n_raw, r_raw, p_raw, salt_raw, key_raw = stored.split("$")
        n, r, p = int(n_raw), int(r_raw), int(p_raw)
        salt, key = base64.b64decode(salt_raw, validate=True), base64.b64decode(key_raw, validate=True)
    except ValueError:
        return False
    # Bounds keep a tampered row from making us allocate gigabytes.
    if scheme != "scrypt" or not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), key)


_dummy_lock = threading.Lock()
_dummy_hash: str | None = None


def verify_nobody(password: str) -> bool:
    """Spend the same time as a real check, for names that have no account (never matches)."""
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = hash_password(secrets.token_urlsafe(24))
    verify_password(_dummy_hash, password)
    return False


# --- names and password rules ------------------------------------------------------------


def normalize_name(raw: str) -> tuple[str, str]:
    """(display name, lookup key) for an editor name; raises :class:`AccountError`."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if not name or len(name) > MAX_NAME:
        raise AccountError(N_("Der Name muss 1 bis 64 Zeichen lang sein."))
    if not all(c.isalnum() or c in NAME_PUNCTUATION for c in name):
        raise AccountError(
            N_("Der Name darf nur Buchstaben, Ziffern und die Zeichen . _ - @ enthalten (keine Leerzeichen).")
        )
    return name, name.casefold()


def lookup_key(raw: str) -> str:
    """The key a sign-in form's name is looked up by (no validation: any text simply finds nothing)."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def check_new_password(name: str, password: str) -> None:
    """Length rules only (NIST SP 800-63B): long passphrases beat composition rules."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("Das Passwort muss mindestens 12 Zeichen lang sein."))
    if len(password) > MAX_PASSWORD:
        raise AccountError(N_("Das Passwort ist zu lang (höchstens 1024 Zeichen)."))
    if password.strip().casefold() == name.casefold():
        raise AccountError(N_("Das Passwort darf nicht der Name sein."))


# --- accounts ----------------------------------------------------------------------------


def _editor(row: sqlite3.Row) -> Editor:
    return Editor(row["id"], row["name"], row["created_at"], row["password_changed_at"])


def add_editor(conn: sqlite3.Connection, raw_name: str, password_hash: str) -> Editor:
    name, key = normalize_name(raw_name)
    if conn.execute("SELECT 1 FROM editors WHERE name_key = ?", (key,)).fetchone():
        raise AccountError(N_("Diesen Namen gibt es schon."))
    now = utcnow()
    cursor = conn.execute(
        "INSERT INTO editors (name, name_key, password_hash, created_at, password_changed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (name, key, password_hash, now, now),
    )
    assert cursor.lastrowid is not None
    return Editor(cursor.lastrowid, name, now, now)


def editor_for_sign_in(conn: sqlite3.Connection, raw_name: str) -> tuple[Editor, str] | None:
    row = conn.execute("SELECT * FROM editors WHERE name_key = ?", (lookup_key(raw_name),)).fetchone()
    return (_editor(row), row["password_hash"]) if row else None


def editors(conn: sqlite3.Connection) -> list[tuple[Editor, int]]:
    """Every editor with the number of sessions they have open."""
    rows = conn.execute(
        "SELECT e.*, (SELECT COUNT(*) FROM editor_sessions s WHERE s.editor_id = e.id) AS sessions"
        " FROM editors e ORDER BY e.name_key"
    )
    return [(_editor(r), int(r["sessions"])) for r in rows]


def remove_editor(conn: sqlite3.Connection, raw_name: str) -> Editor | None:
    """Delete an account; its sessions go with it (ON DELETE CASCADE)."""
    found = editor_for_sign_in(conn, raw_name)
    if found is None:
        return None
    conn.execute("DELETE FROM editor_sessions WHERE editor_id = ?", (found[0].id,))
    conn.execute("DELETE FROM editors WHERE id = ?", (found[0].id,))
    return found[0]


def set_password(conn: sqlite3.Connection, raw_name: str, password_hash: str) -> Editor | None:
    """Replace the hash and end every session of that editor."""
    found = editor_for_sign_in(conn, raw_name)
    if found is None:
        return None
    conn.execute(
        "UPDATE editors SET password_hash = ?, password_changed_at = ? WHERE id = ?",
        (password_hash, utcnow(), found[0].id),
    )
    conn.execute("DELETE FROM editor_sessions WHERE editor_id = ?", (found[0].id,))
    return found[0]


# --- sessions ----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(b"gallery.admin.session|" + token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """Tied to the session; only someone holding the (HttpOnly) session token can know it."""
    return hashlib.sha256(b"gallery.admin.csrf|" + token.encode()).hexdigest()


def open_session(conn: sqlite3.Connection, editor_id: int, max_age: int) -> str:
    """A new random token (never reused: no session fixation); expired sessions are swept here."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    cutoff = datetime.fromtimestamp(now.timestamp() - max_age, UTC).replace(microsecond=0).isoformat()
    conn.execute("DELETE FROM editor_sessions WHERE created_at < ?", (cutoff,))
    conn.execute(
        "INSERT INTO editor_sessions (token_hash, editor_id, created_at) VALUES (?, ?, ?)",
        (_token_hash(token), editor_id, utcnow()),
    )
    return token


def session_editor(conn: sqlite3.Connection, token: str, max_age: int) -> Editor | None:
    """The editor of a live session: it exists, and is younger than the absolute lifetime."""
    row = conn.execute(
        "SELECT e.*, s.created_at AS session_created FROM editor_sessions s"
        " JOIN editors e ON e.id = s.editor_id WHERE s.token_hash = ?",
        (_token_hash(token),),
    ).fetchone()
    if row is None:
        return None
    started = datetime.fromisoformat(row["session_created"])
    if (datetime.now(UTC) - started).total_seconds() > max_age:
        return None
    return _editor(row)


def close_session(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM editor_sessions WHERE token_hash = ?", (_token_hash(token),))


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
