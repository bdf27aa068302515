"""The database file itself, for tests that check or break what lies beneath the storage interface."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gallery.storage.sqlite import SQLiteEngine, _Connection


@contextmanager
def raw_sql(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the SQLite file, as another process would write it (committed on leaving)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=15)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


class PlainSQLite(SQLiteEngine):
    """SQLite builds differ: Debian's zeroes deleted content by default, others do not. This engine
    opens every connection like the latter, so a test shows what the service itself erases."""

    def _open(self) -> _Connection:
        conn = super()._open()
        conn.execute("PRAGMA secure_delete = OFF")
        return conn


class FailingSQLite(SQLiteEngine):
    """Opens connections until ``broken`` is set, then fails as a broken disk would."""

    broken = False

    def _open(self) -> _Connection:
        if self.broken:
            raise sqlite3.OperationalError("disk I/O error")
        return super()._open()
