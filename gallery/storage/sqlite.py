"""The SQLite engine: every statement only SQLite understands (PRAGMA, VACUUM, the backup API) is here.

One file in WAL mode with a short-lived connection per unit of work; numbered migrations kept in
``PRAGMA user_version``; a probe connection whose ``data_version`` shows writes by any process;
erasing replaced texts from free pages and the write-ahead log after commit; online backups.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from .. import private
from ..i18n import gettext_noop as N_
from .engine import Connection as AnyConnection
from .engine import DatabaseUnavailable, Params, migration_files

log = logging.getLogger("gallery")

# How long an erase waits for a reader still on an older snapshot before leaving the rest to the
# next write: an editor's save waits this long at most (a page view holds one for milliseconds).
ERASE_PATIENCE = 30.0
# Another process held the write lock for longer than the busy timeout: worth trying again.
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def migrations() -> list[tuple[int, str]]:
    """The numbered migrations, in order: (number, SQL script)."""
    return [(number, sql) for number, _, sql in migration_files()]


def split_sql(script: str) -> list[str]:
    """A migration script as single statements (``executescript`` would commit our transaction)."""
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


class _Connection(sqlite3.Connection):
    """A connection that remembers whether its work replaced or deleted texts."""

    erase_requested = False


class SQLiteEngine:
    """One SQLite file in WAL mode; a short-lived connection per unit of work."""

    errors: tuple[type[Exception], ...] = (sqlite3.Error, DatabaseUnavailable)
    # One instance on one disk: images stay files. In the database every erase (VACUUM) would
    # rewrite all of them, and backups would grow by every picture ever shown.
    keeps_images = False

    def __init__(self, path: Path, *, erase_patience: float = ERASE_PATIENCE) -> None:
        self.path = path
        self.erase_patience = erase_patience  # how long an erase waits for an older reader
        self._probe: sqlite3.Connection | None = None
        self.writes = 0  # committed transactions through this object: seen at once by caches
        self._probe_lock = threading.Lock()
        self._erase_lock = threading.Lock()
        self._unerased = ""  # "", or the step an erase still owes: "vacuum" or "checkpoint"

    def _open(self) -> _Connection:
        conn = sqlite3.connect(
            self.path, timeout=15, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 15000")
        # NORMAL in WAL mode survives a killed process; only power loss may drop the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def connect(self) -> Iterator[_Connection]:
        """A connection in autocommit mode; use :meth:`transaction` to group writes."""
        conn = self._open()
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _BUSY:
                raise
            raise DatabaseUnavailable(
                N_("Die Datenbank %(place)s ist zu lange gesperrt: %(reason)s."), place=self.path, reason=exc
            ) from None
        finally:
            conn.close()
        # Only after success: a rolled-back transaction changed nothing that needs erasing.
        if conn.erase_requested:
            self.erase()

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
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

    @contextmanager
    def snapshot(self) -> Iterator[_Connection]:
        """Reads that all see one state: a deferred transaction takes no lock until it reads."""
        with self.connect() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def inserted_id(self, conn: AnyConnection, sql: str, params: Params) -> int:
        cursor = conn.execute(sql, params)
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def erase_after_commit(self, conn: AnyConnection) -> None:
        """Texts were replaced, cleared or deleted: erase the old ones from disk once this commits."""
        if not isinstance(conn, _Connection):
            raise TypeError("texts are changed inside a transaction only")
        conn.erase_requested = True

    def delete_for_good(self, conn: AnyConnection) -> None:
        """Deleted cells are zeroed, not merely unlinked."""
        conn.execute("PRAGMA secure_delete = ON")

    def erase(self, patience: float | None = None) -> bool:
        """Leave no replaced or deleted text on disk: rebuild the file, then empty the log.

        Old wordings may sit in free space of any page, not only in the rows just changed, so
        ``VACUUM`` writes the live rows into fresh pages; the ``TRUNCATE`` checkpoint copies those
        over the old pages and empties the write-ahead log, which held the old pages too. A reader
        still on an older snapshot blocks the checkpoint (it may need those pages): wait for it up
        to ``patience`` seconds (default: the engine's ``erase_patience``), else warn and finish after the
        next write through this object. True when nothing is owed.
        """
        with self._erase_lock:
            self._unerased = "vacuum"
            problem = self._finish(self.erase_patience if patience is None else patience)
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

    def migrate(self, then: Callable[[AnyConnection], None]) -> int:
        """Apply numbered migrations not yet applied, then ``then`` in the same transaction; the version."""
        private.make_dir(self.path.parent)
        # Created owner-only before SQLite opens it: its -wal and -shm get the database's mode.
        private.touch(self.path)
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            # SQLite changes a constraint only by rebuilding the table: with foreign keys on,
            # dropping the old table would delete what refers to it. Checked before the commit.
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                for number, sql in migrations():
                    if number > current:
                        for statement in split_sql(sql):
                            conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {number:d}")
                        current = number
                then(conn)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"migration left rows pointing nowhere: {broken[:3]}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.writes += 1
        return int(current)

    def check_reachable(self) -> None:
        """A file is always there to be opened (or made)."""

    def schema_version(self) -> int:
        with self.connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def data_version(self) -> int:
        """Changes whenever any *other* connection (or process) commits a write.

        The probe connection never writes, so every write anywhere is seen. This is a read of
        SQLite's shared-memory WAL index: cheap enough to ask on every request.
        """
        with self._probe_lock:
            if self._probe is None:
                self._probe = self._open()
            return int(self._probe.execute("PRAGMA data_version").fetchone()[0])

    def backup(self, target: Path) -> tuple[int, int]:
        """A consistent copy of the live database through SQLite's online backup API.

        One backup step copies every page inside one read transaction: a snapshot, while the
        service keeps reading and (in WAL mode) writing. The copy is checked, switched to a plain
        rollback journal (one self-contained file), written under a temporary name and renamed.
        Returns how many galleries and statements the copy holds.
        """
        # No folders are made here: a missing one is the caller's to create or refuse.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # backups hold drafts: owner only
        os.close(fd)
        try:
            src = sqlite3.connect(self.path, timeout=30)  # only read from; the caller checked it exists
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.execute("PRAGMA busy_timeout = 30000")
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
                problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if problem != "ok":
                    raise sqlite3.DatabaseError(f"the copy failed its integrity check: {problem}")
                galleries = dst.execute("SELECT COUNT(*) FROM galleries").fetchone()[0]
                statements = dst.execute("SELECT COUNT(*) FROM statements").fetchone()[0]
            finally:
                dst.close()
                src.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return int(galleries), int(statements)

    def table_columns(self, conn: AnyConnection) -> dict[str, list[str]]:
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return {
            str(t[0]): [str(c[1]) for c in conn.execute(f'PRAGMA table_info("{t[0]}")').fetchall()]
            for t in tables
        }

    def after_copy(self, conn: AnyConnection, table: str) -> None:
        """Nothing: SQLite gives a new row the largest id plus one."""

    def close(self) -> None:
        with self._probe_lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
