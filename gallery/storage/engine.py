"""What a database engine gives the queries: connections, transactions, and its own special cases.

The queries in this package are written once, in SQL meant for SQLite and PostgreSQL alike, with
``?`` placeholders (an engine that spells them otherwise translates them as it runs them). An
engine (:mod:`.sqlite`, :mod:`.postgres`) opens connections, runs transactions, applies the
migrations, and owns everything its dialect does differently: the change probe, erasing freed
pages, online backups, integrity checks and how a new row's id is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ..errors import UserError
from ..i18n import fill
from ..models import DEFAULT_TOWN_ID

Params = Sequence[object]


class DatabaseUnavailable(UserError):
    """The database cannot be used now (a server gone, a file locked too long): worth trying again.

    Raised at start and while serving; the message names where, never a password.
    """

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, **params))


def migration_files(folder: str = "") -> list[tuple[int, str, str]]:
    """The numbered migrations in ``migrations/<folder>``, in order: (number, file name, SQL script)."""
    place = resources.files("gallery.storage") / "migrations"
    if folder:
        place = place / folder
    found = []
    for entry in place.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def utcnow() -> str:
    """Timestamps are stored as ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Row(Protocol):
    """One result row, read by column name (or position)."""

    def __getitem__(self, key: Any, /) -> Any: ...


class Connection(Protocol):
    """What the queries use of an engine's connection (both sqlite3 and psycopg have it)."""

    def execute(self, sql: str, parameters: Params = (), /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params], /) -> Any: ...


class Engine(Protocol):
    """One database, as :class:`~gallery.storage.store.Storage` drives it."""

    errors: tuple[type[Exception], ...]  # what a failing database raises
    writes: int  # transactions committed through this object: a cache sees them at once
    keeps_images: bool  # images in the database (shared by instances), not files in the data folder

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reads, each statement on its own."""

    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection inside one all-or-nothing transaction, committed on leaving."""

    def snapshot(self) -> AbstractContextManager[Connection]:
        """A connection whose reads all see one consistent state."""

    def inserted_id(self, conn: Connection, sql: str, params: Params) -> int:
        """Insert one row and return its new id."""

    def erase_after_commit(self, conn: Connection) -> None:
        """Texts were replaced or deleted in this transaction: leave none of them on disk."""

    def delete_for_good(self, conn: Connection) -> None:
        """Rows deleted in this transaction are overwritten, not only unlinked."""

    def migrate(self, then: Callable[[Connection], None]) -> int:
        """Bring the schema up to date, then run ``then`` in the same transaction; the version."""

    def schema_version(self) -> int: ...

    def check_reachable(self) -> None:
        """Raise :class:`DatabaseUnavailable` (one sentence) when the database cannot be reached."""

    def data_version(self) -> int:
        """A number that moves whenever anyone (another process too) commits a write."""

    def erase(self, patience: float | None = None) -> bool: ...

    def backup(self, target: Path) -> tuple[int, int]:
        """A checked, consistent copy of the live database at ``target``: (galleries, statements)."""

    def table_columns(self, conn: Connection) -> dict[str, list[str]]:
        """Every table of the schema with its columns in order (for copying between engines)."""

    def after_copy(self, conn: Connection, table: str) -> None:
        """Rows were inserted with their ids as they were: new ids must continue after them."""

    def close(self) -> None: ...


class Queries:
    """The base of every group of queries: run SQL, get rows; the connection comes from below.

    ``_town`` is the town whose galleries, editors, sessions, audit trail and notices the queries
    see (and write); what all towns share (videos, images, the refresh schedule) is not scoped.
    """

    _town: int = DEFAULT_TOWN_ID

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    def _row(self, sql: str, params: Params = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None


class Writing(Queries):
    """Queries that change data: only ever run inside a transaction."""

    def _run(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        raise NotImplementedError

    def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        raise NotImplementedError

    def _insert(self, sql: str, params: Params) -> int:
        """Insert one row; return its id."""
        raise NotImplementedError

    def _erase_after_commit(self) -> None:
        raise NotImplementedError
