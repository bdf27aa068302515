"""Editors' accounts: their names, and the accounts table (created, listed, removed, new password)."""

from __future__ import annotations

import sqlite3
import unicodedata

from ..errors import UserError
from ..i18n import gettext_noop as N_
from ..models import Editor
from ..storage.database import utcnow

MAX_NAME = 64
NAME_PUNCTUATION = frozenset("._-@")


class AccountError(UserError, ValueError):
    """A name or password cannot be used; ``message`` (German msgid) says why."""


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


def editor_of(row: sqlite3.Row) -> Editor:
    """The account of an ``editors`` row (its password hash stays behind)."""
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
    return (editor_of(row), row["password_hash"]) if row else None


def editors(conn: sqlite3.Connection) -> list[tuple[Editor, int]]:
    """Every editor with the number of sessions they have open."""
    rows = conn.execute(
        "SELECT e.*, (SELECT COUNT(*) FROM editor_sessions s WHERE s.editor_id = e.id) AS sessions"
        " FROM editors e ORDER BY e.name_key"
    )
    return [(editor_of(r), int(r["sessions"])) for r in rows]


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
