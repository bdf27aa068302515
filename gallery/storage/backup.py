"""Consistent copies of the live database, through SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    galleries: int
    statements: int


def backup_database(source: Path, target: Path) -> BackupInfo:
    """A consistent copy of the live database through SQLite's online backup API.

    One backup step copies every page inside one read transaction: a snapshot, while the
    service keeps reading and (in WAL mode) writing. The copy is checked, switched to a plain
    rollback journal (one self-contained file), written under a temporary name and renamed.
    """
    # No folders are made here: a missing one is the caller's to create or refuse.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # backups hold drafts: owner only
    os.close(fd)
    try:
        src = sqlite3.connect(source, timeout=30)  # only read from; the caller checked it exists
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
    return BackupInfo(target, target.stat().st_size, galleries, statements)
