"""SQLite connections, numbered migrations, and a cheap "did anything change?" probe."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from . import private

DEFAULT_GALLERY_SLUG = "videos"
DEFAULT_GALLERY_TITLE = "Videostatements"


def utcnow() -> str:
    """Timestamps are stored as ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("gallery") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One SQLite file in WAL mode; a short-lived connection per unit of work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._probe: sqlite3.Connection | None = None
        self.writes = 0  # committed transactions through this object: seen at once by caches
        self._probe_lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 15000")
        # NORMAL in WAL mode survives a killed process; only power loss may drop the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode; use :meth:`transaction` to group writes."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing writes; ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.writes += 1

    def migrate(self) -> int:
        """Apply numbered migrations not yet applied; return the schema version."""
        private.make_dir(self.path.parent)
        # Created owner-only before SQLite opens it: its -wal and -shm get the database's mode.
        private.touch(self.path)
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as conn:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, sql in _migrations():
                if number > current:
                    # executescript would commit our transaction; run statement by statement.
                    for statement in _split_sql(sql):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number:d}")
                    current = number
            if conn.execute("SELECT 1 FROM galleries WHERE is_default = 1").fetchone() is None:
                now = utcnow()
                conn.execute(
                    "INSERT INTO galleries (slug, title, is_default, created_at, updated_at)"
                    " VALUES (?, ?, 1, ?, ?)",
                    (_free_slug(conn, DEFAULT_GALLERY_SLUG), DEFAULT_GALLERY_TITLE, now, now),
                )
        return int(current)

    def data_version(self) -> int:
        """Changes whenever any *other* connection (or process) commits a write.

        The probe connection never writes, so every write anywhere is seen. This is a read of
        SQLite's shared-memory WAL index: cheap enough to ask on every request.
        """
        with self._probe_lock:
            if self._probe is None:
                self._probe = self._open()
            return int(self._probe.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._probe_lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None


def _free_slug(conn: sqlite3.Connection, slug: str) -> str:
    candidate, n = slug, 1
    while conn.execute("SELECT 1 FROM galleries WHERE slug = ?", (candidate,)).fetchone():
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def _split_sql(script: str) -> list[str]:
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
