"""Copying every table of one installation's database into another's, and checking the copy.

Written for moving between engines (SQLite to PostgreSQL and back): rows are read and written as
they are, ids included, in one transaction. Each table is then compared by its row count and a
hash of its rows, read back from both sides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .store import Reader, Storage

# In the order rows may be inserted (what a row refers to first).
TABLES = (
    "towns",
    "town_texts",
    "galleries",
    "videos",
    "statements",
    "notice_versions",
    "editors",
    "editor_sessions",
    "audit_log",
    "refresh_schedule",
    "refresh_state",
    "image_variants",
)
# Not copied: the engines' own bookkeeping; images (they move through the image stores, being
# files with SQLite); sign-in counts (short-lived, and keyed with the secret key).
NOT_COPIED = frozenset({"schema_version", "data_changes", "images", "signin_attempts"})
# What a database holds before anyone used it: the default gallery, the refresh state, notices shown.
MADE_AT_START = frozenset({"towns", "galleries", "refresh_state", "notice_versions"})


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table as read back: how many rows, and a hash of them all."""

    table: str
    rows: int
    digest: str


def _columns(reads: Reader) -> dict[str, list[str]]:
    found = reads.table_columns()
    unknown = set(found) - set(TABLES) - NOT_COPIED
    if unknown:  # a new table is placed in TABLES or NOT_COPIED before anything is copied
        raise RuntimeError(f"tables the copy does not know: {', '.join(sorted(unknown))}")
    return found


def used_tables(storage: Storage) -> list[str]:
    """The tables holding more than a database has before first use: none for an unused one."""
    if storage.schema_version() == 0:
        return []
    with storage.read() as reads:
        return [
            table
            for table in _columns(reads)
            if table not in NOT_COPIED - {"images"}
            and table not in MADE_AT_START - {"galleries", "towns"}
            and reads.row_count(table) > (1 if table in {"galleries", "towns"} else 0)
        ]


def copy_tables(source: Storage, target: Storage) -> None:
    """Every row of the source's tables into the migrated, unused target, all or nothing."""
    with source.snapshot() as reads, target.transaction() as tx:
        columns = _columns(reads)
        for table in reversed(TABLES):
            if table in MADE_AT_START:
                tx.clear_table(table)
        for table in TABLES:
            tx.insert_rows(table, columns[table], reads.table_rows(table, columns[table]))
            if "id" in columns[table]:
                tx.after_copy(table)


def checks(storage: Storage) -> list[TableCheck]:
    """Each copied table's row count and a hash of its rows: equal rows hash alike on either engine."""
    found = []
    with storage.snapshot() as reads:
        columns = _columns(reads)
        for table in TABLES:
            digest = hashlib.sha256()
            rows = sorted(repr(row) for row in reads.table_rows(table, columns[table]))
            for line in rows:
                digest.update(line.encode() + b"\n")
            found.append(TableCheck(table, len(rows), digest.hexdigest()))
    return found
