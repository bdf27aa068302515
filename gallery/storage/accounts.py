"""Editors' accounts and their signed-in sessions (only a hash of each session token is kept)."""

from __future__ import annotations

from ..models import Editor
from .engine import Queries, Row, Writing, utcnow


def editor_of(row: Row) -> Editor:
    """The account of an ``editors`` row (its password hash stays behind)."""
    return Editor(
        row["id"], row["name"], row["created_at"], row["password_changed_at"], row["town_id"] is None
    )


# The town's own editors and the operators, who work in every town.
_MINE = "(e.town_id = ? OR e.town_id IS NULL)"


class AccountReads(Queries):
    def editor_by_key(self, key: str) -> tuple[Editor, str] | None:
        """The account with this lookup key, and its password hash."""
        if "\x00" in key:  # typed into the sign-in form: no name holds it (PostgreSQL's text cannot)
            return None
        row = self._row(
            f"SELECT e.* FROM editors e WHERE e.name_key = ? AND {_MINE} ORDER BY e.town_id IS NULL LIMIT 1",  # noqa: S608
            (key, self._town),
        )
        return (editor_of(row), row["password_hash"]) if row else None

    def editors(self) -> list[tuple[Editor, int]]:
        """Every editor with the number of sessions they have open."""
        rows = self._rows(
            "SELECT e.*, (SELECT COUNT(*) FROM editor_sessions s WHERE s.editor_id = e.id) AS sessions"  # noqa: S608
            f" FROM editors e WHERE {_MINE} ORDER BY e.name_key",
            (self._town,),
        )
        return [(editor_of(r), int(r["sessions"])) for r in rows]

    def session(self, token_hash: str) -> tuple[Editor, str] | None:
        """The editor of a stored session, and when it began."""
        row = self._row(
            "SELECT e.*, s.created_at AS session_created FROM editor_sessions s"  # noqa: S608
            f" JOIN editors e ON e.id = s.editor_id WHERE s.token_hash = ? AND s.town_id = ? AND {_MINE}",
            (token_hash, self._town, self._town),
        )
        return (editor_of(row), row["session_created"]) if row else None


    def name_taken(self, key: str, *, operator: bool = False) -> bool:
        """Whether an account of this name would be ambiguous: in this town or among operators
        (a new operator: in any town)."""
        if operator:
            return self._row("SELECT 1 FROM editors WHERE name_key = ?", (key,)) is not None
        return self.editor_by_key(key) is not None


class AccountWrites(AccountReads, Writing):
    def add_editor(self, name: str, key: str, password_hash: str, *, operator: bool = False) -> Editor:
        """An editor of this town, or (``operator``) of every town."""
        now = utcnow()
        editor_id = self._insert(
            "INSERT INTO editors (name, name_key, password_hash, created_at, password_changed_at, town_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (name, key, password_hash, now, now, None if operator else self._town),
        )
        return Editor(editor_id, name, now, now, operator)

    def remove_editor(self, editor_id: int) -> None:
        """The account and its sessions."""
        self.end_sessions(editor_id)
        self._run(
            "DELETE FROM editors WHERE id = ? AND (town_id = ? OR town_id IS NULL)", (editor_id, self._town)
        )

    def set_password_hash(self, editor_id: int, password_hash: str) -> None:
        self._run(
            "UPDATE editors SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (password_hash, utcnow(), editor_id),
        )

    def end_sessions(self, editor_id: int) -> None:
        """Every session of one editor."""
        self._run("DELETE FROM editor_sessions WHERE editor_id = ?", (editor_id,))

    def open_session(self, token_hash: str, editor_id: int, expired_before: str) -> None:
        """Store a new session; sessions begun before ``expired_before`` are swept here."""
        self._run("DELETE FROM editor_sessions WHERE created_at < ?", (expired_before,))
        self._run(
            "INSERT INTO editor_sessions (token_hash, editor_id, created_at, town_id) VALUES (?, ?, ?, ?)",
            (token_hash, editor_id, utcnow(), self._town),
        )

    def close_session(self, token_hash: str) -> None:
        self._run("DELETE FROM editor_sessions WHERE token_hash = ?", (token_hash,))
