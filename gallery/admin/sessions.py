"""Signed-in sessions: random tokens stored only as hashes, an absolute lifetime, and their CSRF token."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import UTC, datetime

from ..models import Editor
from ..storage.database import utcnow
from .accounts import editor_of


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
    return editor_of(row)


def close_session(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM editor_sessions WHERE token_hash = ?", (_token_hash(token),))
