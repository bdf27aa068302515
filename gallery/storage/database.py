"""SQLite connections, numbered migrations, erasing old texts, and a "did anything change?" probe."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from .. import private

log = logging.getLogger("gallery")

DEFAULT_GALLERY_SLUG = "videos"
DEFAULT_GALLERY_TITLE = "Videostatements"
# How long an erase waits for a reader still on an older snapshot before leaving the rest to the
# next write: an editor's save waits this long at most (a page view holds one for milliseconds).
ERASE_PATIENCE = 30.0


def utcnow() -> str:
    """Timestamps are stored as ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("gallery.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Connection(sqlite3.Connection):
    """A connection that remembers whether its work replaced or deleted texts."""

    erase_requested = False


def erase_after_commit(conn: sqlite3.Connection) -> None:
    """Texts were replaced, cleared or deleted: erase the old ones from disk once this commits."""
    if not isinstance(conn, Connection):
        raise TypeError("texts are changed through Database.connect() or .transaction() only")
    conn.erase_requested = True


class Database:
    """One SQLite file in WAL mode; a short-lived connection per unit of work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._probe: sqlite3.Connection | None = None
        self.writes = 0  # committed transactions through this object: seen at once by caches
        self._probe_lock = threading.Lock()
        self._erase_lock = threading.Lock()
        self._unerased = ""  # "", or the step an erase still owes: "vacuum" or "checkpoint"

    def _open(self) -> Connection:
        conn = sqlite3.connect(
            self.path, timeout=15, isolation_level=None, check_same_thread=False, factory=Connection
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 15000")
        # NORMAL in WAL mode survives a killed process; only power loss may drop the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection in autocommit mode; use :meth:`transaction` to group writes."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()
        # Only after success: a rolled-back transaction changed nothing that needs erasing.
        if conn.erase_requested:
            self.erase()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
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
        if self._unerased and not conn.erase_requested:  # an earlier erase was held up: try again
            with self._erase_lock:
                if self._unerased and self._finish(0.0) is None:
                    log.info("Replaced or deleted texts are now erased from %s.", self.path)

    def erase(self, patience: float | None = None) -> bool:
        """Leave no replaced or deleted text on disk: rebuild the file, then empty the log.

        Old wordings may sit in free space of any page, not only in the rows just changed, so
        ``VACUUM`` writes the live rows into fresh pages; the ``TRUNCATE`` checkpoint copies those
        over the old pages and empties the write-ahead log, which held the old pages too. A reader
        still on an older snapshot blocks the checkpoint (it may need those pages): wait for it up
        to ``patience`` seconds (default :data:`ERASE_PATIENCE`), else warn and finish after the
        next write through this object. True when nothing is owed.
        """
        with self._erase_lock:
            self._unerased = "vacuum"
            problem = self._finish(ERASE_PATIENCE if patience is None else patience)
        if problem is None:
            return True
        log.warning(
            "Replaced or deleted texts are not yet erased from %s and its -wal file (%s); "
            "trying again after the next write.",
            self.path,
            problem,
        )
        return False

    def _finish(self, patience: float) -> str | None:
        """Do the steps an erase still owes; None when done, else what held it up."""
        deadline = time.monotonic() + patience
        try:
            with closing(self._open()) as conn:
                if self._unerased == "vacuum":
                    conn.execute("PRAGMA temp_store = MEMORY")  # VACUUM's copy of the texts: no temp file
                    conn.execute("VACUUM")
                    self._unerased = "checkpoint"
                # The checkpoint holds the write lock while it waits for readers: short tries, so
                # that other writers get in between them.
                conn.execute("PRAGMA busy_timeout = 100")
                while conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                    if time.monotonic() >= deadline:
                        return "a reader holds an older snapshot"
                    time.sleep(0.05)
        except sqlite3.OperationalError as exc:  # the write lock was not free in time
            return str(exc)
        self._unerased = ""
        return None

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
