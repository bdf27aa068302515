"""Signed values with exactly one spelling: the signer behind every cookie and marker we issue."""

from __future__ import annotations

import hashlib

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes

from ..settings import Secret


class CanonicalSigner(TimestampSigner):
    """A timestamp signer (SHA-256) that accepts only the signature spelling it issues.

    Base64 lets one signature be written several ways: spare padding (``=``), unused low bits in
    the last character, and characters the decoder skips. All of them would verify; only ours
    does here, so a value we signed has one valid form and a changed one is simply not ours.
    """

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        return is_canonical(want_bytes(sig)) and super().verify_signature(value, sig)


def is_canonical(signature: bytes) -> bool:
    """True if ``signature`` is exactly how itsdangerous writes the bytes it decodes to."""
    try:
        return signature.isascii() and base64_encode(base64_decode(signature)) == signature
    except Exception:  # itsdangerous raises BadData, binascii its own errors
        return False


def _secrets(keys: tuple[Secret, ...]) -> list[str]:
    # itsdangerous signs with the *last* key and verifies with all; the settings' first signs.
    assert keys, "at least one key is needed"
    return [k.value for k in reversed(keys)]


def serializer(keys: tuple[Secret, ...], salt: str) -> URLSafeTimedSerializer:
    """Signs JSON with the first key, verifies with all; one salt per purpose."""
    return URLSafeTimedSerializer(
        _secrets(keys),
        salt=salt,
        signer=CanonicalSigner,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def signer(keys: tuple[Secret, ...], salt: str) -> CanonicalSigner:
    """For short strings signed as they are (no JSON), with the same rules as :func:`serializer`."""
    return CanonicalSigner(_secrets(keys), salt=salt, digest_method=hashlib.sha256)
