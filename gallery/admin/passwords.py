"""Editors' passwords: salted scrypt hashes, constant-time checks, and the length rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable

from ..i18n import gettext_noop as N_
from .accounts import AccountError

# OWASP's scrypt option "N=2^15, r=8, p=3": 32 MiB and about 0.3 s per hash on this class of
# machine. The parameters travel inside each stored hash, so raising them later is seamless.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 3
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD, MAX_PASSWORD = 12, 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The key derivation every stored hash names."""
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 1024 * 1024, dklen=KEY_BYTES
    )


Kdf = Callable[[str, bytes, int, int, int], bytes]


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash with its parameters: ``scrypt$N$r$p$salt$key`` (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(scrypt(password, salt, n, r, p))}"


def verify_password(stored: str, password: str, kdf: Kdf = scrypt) -> bool:
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
    return hmac.compare_digest(kdf(password, salt, n, r, p), key)


class PasswordChecker:
    """What sign-in checks passwords with: the key derivation, and a hash nobody's password fits."""

    def __init__(self, kdf: Kdf = scrypt) -> None:
        self.kdf = kdf
        self._lock = threading.Lock()
        self._nobody: str | None = None

    def verify(self, stored: str, password: str) -> bool:
        return verify_password(stored, password, self.kdf)

    def verify_nobody(self, password: str) -> bool:
        """Spend the same time as a real check, for names that have no account (never matches)."""
        with self._lock:
            if self._nobody is None:
                self._nobody = hash_password(secrets.token_urlsafe(24))
        self.verify(self._nobody, password)
        return False


def check_new_password(name: str, password: str) -> None:
    """Length rules only (NIST SP 800-63B): long passphrases beat composition rules."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("Das Passwort muss mindestens 12 Zeichen lang sein."))
    if len(password) > MAX_PASSWORD:
        raise AccountError(N_("Das Passwort ist zu lang (höchstens 1024 Zeichen)."))
    if password.strip().casefold() == name.casefold():
        raise AccountError(N_("Das Passwort darf nicht der Name sein."))
