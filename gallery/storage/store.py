"""The one way into the data: :class:`Storage`, its reads, and its transactions.

Callers ask by name (``storage.statements(gallery.id)``) and get frozen models back, never rows.
Reads may run on their own (each its own short connection) or together (``with storage.read()``);
writes run only inside ``with storage.transaction() as tx:``, all or nothing. The SQL is written
once in the query groups below, for any engine; an engine (:class:`~.sqlite.SQLiteEngine`, or
:class:`~.postgres.PostgresEngine` when ``GALLERY_DATABASE_URL`` names PostgreSQL) runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

from ..i18n import gettext_noop as N_
from ..models import DEFAULT_TOWN_ID
from ..settings import Settings, SettingsError
from .accounts import AccountReads, AccountWrites
from .audit import AuditReads, AuditWrites
from .engine import Connection, Engine, Params, Row
from .galleries import GalleryReads, GalleryWrites
from .images import ImageReads, ImageWrites
from .notices import NoticeWrites
from .schedule import ScheduleReads, ScheduleWrites
from .signins import SignInReads, SignInWrites
from .sqlite import SQLiteEngine
from .statements import StatementReads, StatementWrites
from .tables import TableReads, TableWrites
from .towns import TownReads, TownWrites
from .variants import VariantReads, VariantWrites


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    galleries: int
    statements: int


class Reads(
    GalleryReads,
    StatementReads,
    AccountReads,
    AuditReads,
    ScheduleReads,
    ImageReads,
    VariantReads,
    SignInReads,
    TableReads,
    TownReads,
):
    """Every question the data answers, grouped by what it serves."""


class Writes(
    Reads,
    GalleryWrites,
    StatementWrites,
    NoticeWrites,
    AccountWrites,
    AuditWrites,
    ScheduleWrites,
    ImageWrites,
    VariantWrites,
    SignInWrites,
    TableWrites,
    TownWrites,
):
    """Every change, for use inside one transaction."""


class Reader(Reads):
    """Reads on one connection (inside :meth:`Storage.read`: one consistent state)."""

    def __init__(self, engine: Engine, conn: Connection, town: int = DEFAULT_TOWN_ID) -> None:
        self._engine = engine
        self._conn = conn
        self._town = town

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._conn.execute(sql, params).fetchall())

    def for_town(self, town_id: int) -> Self:
        """The same connection (and transaction), seen as another town's."""
        return type(self)(self._engine, self._conn, town_id)

    def table_columns(self) -> dict[str, list[str]]:
        """Every table of the schema with its columns, in order."""
        return self._engine.table_columns(self._conn)


class Transaction(Writes, Reader):
    """Reads and writes inside one all-or-nothing transaction (:meth:`Storage.transaction`)."""

    def _run(self, sql: str, params: Params = ()) -> int:
        return int(self._conn.execute(sql, params).rowcount)

    def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        self._conn.executemany(sql, params)

    def _insert(self, sql: str, params: Params) -> int:
        return self._engine.inserted_id(self._conn, sql, params)

    def _erase_after_commit(self) -> None:
        self._engine.erase_after_commit(self._conn)

    def after_copy(self, table: str) -> None:
        """Rows came in with their own ids: the next new id follows the largest."""
        self._engine.after_copy(self._conn, table)

    def images_in_use(self, grace: float = 60.0) -> set[str]:
        """Every stored image some row uses (:meth:`referenced_thumbnails`), once the records of
        variants no picture in use needs are dropped (those older than ``grace`` seconds)."""
        before = (datetime.now(UTC) - timedelta(seconds=grace)).replace(microsecond=0).isoformat()
        self.forget_unused_variants(before)
        return self.referenced_thumbnails()

    def delete_for_good(self) -> None:
        """Rows deleted from here on are overwritten, not only unlinked; freed pages are erased on commit."""
        self._engine.delete_for_good(self._conn)
        self._erase_after_commit()


class Storage(Reads):
    """The data of one installation. Reads asked of it directly each use a connection of their own."""

    def __init__(self, engine: Engine, town: int = DEFAULT_TOWN_ID) -> None:
        self.engine = engine
        self._town = town

    @property
    def town_id(self) -> int:
        """The town whose data this object reads and writes."""
        return self._town

    def for_town(self, town_id: int) -> Storage:
        """The same database, seen as one town's (its galleries, editors, audit trail, notices)."""
        return Storage(self.engine, town_id)

    @classmethod
    def sqlite(cls, path: Path) -> Storage:
        """The embedded default: one SQLite file (nothing is opened until first used)."""
        return cls(SQLiteEngine(path))

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        """The engine the settings name: PostgreSQL for a ``GALLERY_DATABASE_URL``, else the SQLite file."""
        if settings.database_url is None:
            return cls.sqlite(settings.database_path)
        try:
            # psycopg is an optional extra: loaded only when PostgreSQL is asked for.
            from .postgres import PostgresEngine
        except ImportError as exc:
            if exc.name not in {"psycopg", "psycopg_pool", "psycopg_binary"}:
                raise
            raise SettingsError(
                N_(
                    "GALLERY_DATABASE_URL nennt PostgreSQL, dafür fehlt aber der Treiber: "
                    "pip install 'statement-gallery[postgres]'."
                )
            ) from None
        return cls(PostgresEngine(settings.database_url.value, settings.database_place))

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(sql, params).fetchall())

    @contextmanager
    def read(self) -> Iterator[Reader]:
        """Several reads on one connection."""
        with self.engine.connect() as conn:
            yield Reader(self.engine, conn, self._town)

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        """Several reads that all see one consistent state (an export)."""
        with self.engine.snapshot() as conn:
            yield Reader(self.engine, conn, self._town)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All-or-nothing writes: committed when the block ends, rolled back if it raises."""
        with self.engine.transaction() as conn:
            yield Transaction(self.engine, conn, self._town)

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        """What the engine raises when the database fails (locked, gone, corrupt)."""
        return self.engine.errors

    @property
    def keeps_images(self) -> bool:
        """True when images belong in the database (PostgreSQL: every instance serves the same)."""
        return self.engine.keeps_images

    @property
    def writes(self) -> int:
        """Transactions committed through this object: a cache sees them at once."""
        return self.engine.writes

    def data_version(self) -> int:
        """Moves whenever anyone else (another process too) commits a write: the change probe."""
        return self.engine.data_version()

    def migrate(self) -> int:
        """Apply the migrations not yet applied (and make the default gallery); the schema version."""
        def then(conn: Connection) -> None:
            tx = Transaction(self.engine, conn)
            tx.ensure_default_gallery()
            tx.fill_search_texts()  # statements stored before the search existed (or copied in)

        return self.engine.migrate(then)

    def schema_version(self) -> int:
        return self.engine.schema_version()

    def check_reachable(self) -> None:
        """Raise :class:`~.engine.DatabaseUnavailable` when the database server cannot be reached."""
        self.engine.check_reachable()

    def erase(self, patience: float | None = None) -> bool:
        """Leave no replaced or deleted text anywhere on disk; True when nothing is owed."""
        return self.engine.erase(patience)

    def backup(self, target: Path) -> BackupInfo:
        """A consistent, checked copy of the live data at ``target`` (written whole, then renamed)."""
        galleries, statements = self.engine.backup(target)
        return BackupInfo(target, target.stat().st_size, galleries, statements)

    def close(self) -> None:
        self.engine.close()
