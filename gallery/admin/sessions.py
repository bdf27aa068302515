"""Signed-in sessions: random tokens stored only as hashes, an absolute lifetime, and their CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from ..models import Editor
from ..storage.store import Reads, Transaction


def _token_hash(token: str) -> str:
    return hashlib.sha256(b"gallery.admin.session|" + token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """Tied to the session; only someone holding the (HttpOnly) session token can know it."""
    return hashlib.sha256(b"gallery.admin.csrf|" + token.encode()).hexdigest()


def open_session(tx: Transaction, editor_id: int, max_age: int) -> str:
    """A new random token (never reused: no session fixation); expired sessions are swept here."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    cutoff = datetime.fromtimestamp(now.timestamp() - max_age, UTC).replace(microsecond=0).isoformat()
    tx.open_session(_token_hash(token), editor_id, cutoff)
    return token


def session_editor(reads: Reads, token: str, max_age: int) -> Editor | None:
    """The editor of a live session: it exists, and is younger than the absolute lifetime."""
    found = reads.session(_token_hash(token))
    if found is None:
        return None
    editor, created = found
    if (datetime.now(UTC) - datetime.fromisoformat(created)).total_seconds() > max_age:
        return None
    return editor


def close_session(tx: Transaction, token: str) -> None:
    tx.close_session(_token_hash(token))
