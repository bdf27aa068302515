"""The PostgreSQL engine: psycopg 3 and a connection pool; what only PostgreSQL understands is here.

The queries' ``?`` placeholders become psycopg's ``%s`` in one place (:mod:`.pgsql`). Write
transactions queue behind one row, as SQLite's ``BEGIN IMMEDIATE`` makes them queue behind its
write lock: every one starts by bumping the ``data_changes`` counter, which also is the change
probe that every instance reads. Migrations are the same numbers as SQLite's, in PostgreSQL's
spelling (``migrations/postgres/``), applied under an advisory lock so that instances starting
together migrate once. The schema version is a one-row ``schema_version`` table.

When the server goes away while serving, a request waits at most :data:`POOL_TIMEOUT` to find
out, then :class:`DatabaseUnavailable` is raised; for the next :data:`RETRY_INTERVAL` seconds
further requests are told at once, then one of them tries a single connection, and when that
works the pool starts afresh: the service recovers by itself, without a restart.

One module although past 300 lines: it is one engine, the counterpart of :mod:`.sqlite`, and
keeping its pool, outage handling, migrations and copying together shows what differs there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from ..i18n import gettext_noop as N_
from .engine import Connection as AnyConnection
from .engine import DatabaseUnavailable, Params, migration_files
from .pgsql import PgConnection, PgRow, pg_row

# Any constant shared by every instance; it only has to differ from other applications' locks
# taken in the same database (this one spells "gallery" in ASCII).
MIGRATION_LOCK = 0x67616C6C657279
log = logging.getLogger("gallery")

# How long a start waits for the server (it may be starting too).
CONNECT_TIMEOUT = 10
# While serving, short: a request that cannot get a connection says so within seconds rather than
# keeping a visitor or an editor waiting (a refused connection fails at once; a silent network
# takes SERVING_CONNECT_TIMEOUT; a free pooled connection is waited for up to POOL_TIMEOUT).
SERVING_CONNECT_TIMEOUT = 3
POOL_TIMEOUT = 5.0
# Once the server is found gone, how long requests are told so at once before one tries again.
RETRY_INTERVAL = 1.0

# The engine's own bookkeeping, made before the numbered migrations (which both engines share):
# SQLite keeps the same in its file header (PRAGMA user_version, data_version).
ENGINE_TABLES = """
CREATE TABLE IF NOT EXISTS schema_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS data_changes (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO data_changes (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
"""
# First in every write transaction: the row lock queues writers (each then sees the one before
# it), and the new number tells every instance's page cache that the data moved.
BUMP = "UPDATE data_changes SET version = version + 1"


def _first_line(exc: Exception, secret: str | None) -> str:
    """libpq's reason in one line (it names hosts and users, never passwords; masked all the same)."""
    line = next((part.strip() for part in str(exc).splitlines() if part.strip()), type(exc).__name__)
    return line.replace(secret, "***") if secret else line


class PostgresEngine:
    """One PostgreSQL database through a pool of connections (opened on first use)."""

    errors: tuple[type[Exception], ...] = (psycopg.Error, PoolTimeout, DatabaseUnavailable)
    # Several instances share nothing but the database: images live there too.
    keeps_images = True

    def __init__(
        self, url: str, place: str, *, max_size: int = 10, pool_timeout: float = POOL_TIMEOUT
    ) -> None:
        self.url = url
        self.place = place  # host:port/database for messages: never the password
        self.writes = 0  # committed transactions through this object: seen at once by caches
        self._max_size = max_size
        self._pool_timeout = pool_timeout
        self._pool: ConnectionPool[psycopg.Connection[PgRow]] | None = None
        self._pool_lock = threading.Lock()
        # Set while the server is gone: (when to try again, why it failed).
        self._gone: tuple[float, str] | None = None
        self._retry_lock = threading.Lock()
        # The change probe's own connection: asked from the event loop, it must never wait for the pool.
        self._probe: psycopg.Connection[tuple[Any, ...]] | None = None
        self._probe_lock = threading.Lock()
        self._closed = False  # after close(), a late probe from another thread opens nothing to leak

    def __repr__(self) -> str:
        return f"PostgresEngine({self.place!r})"

    def _connections(self) -> ConnectionPool[psycopg.Connection[PgRow]]:
        with self._pool_lock:
            if self._pool is None:
                pool: ConnectionPool[psycopg.Connection[PgRow]] = ConnectionPool(
                    self.url,
                    connection_class=psycopg.Connection[PgRow],
                    # Autocommit: a read holds no transaction open; writes say BEGIN themselves.
                    kwargs={
                        "autocommit": True,
                        "row_factory": pg_row,
                        "connect_timeout": SERVING_CONNECT_TIMEOUT,
                    },
                    min_size=1,
                    max_size=self._max_size,
                    timeout=self._pool_timeout,
                    # A connection the server dropped (a restart) is found and replaced when taken
                    # from the pool, not by the request that would use it.
                    check=ConnectionPool.check_connection,
                    name="gallery",
                    open=False,
                )
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def _raw(self) -> Iterator[psycopg.Connection[PgRow]]:
        """A pooled connection; :class:`DatabaseUnavailable` when the server cannot be reached."""
        self._wait_for_server()
        try:
            with self._connections().connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError as exc:
                    if not conn.broken and not conn.closed:
                        raise  # the server answered (a deadlock, a cancelled query): not an outage
                    raise self._went_away(exc) from None
        except (PoolTimeout, PoolClosed) as exc:  # closed: by a request that found the server gone
            raise self._went_away(exc) from None

    def _unavailable(self, reason: str) -> DatabaseUnavailable:
        return DatabaseUnavailable(
            N_("Die PostgreSQL-Datenbank %(place)s ist nicht erreichbar: %(reason)s."),
            place=self.place,
            reason=reason,
        )

    def _went_away(self, exc: Exception) -> DatabaseUnavailable:
        """Note that the server is gone; the pool and its dead connections go with it."""
        reason = _first_line(exc, self._password())
        with self._pool_lock:
            if self._gone is None:
                log.warning("The database %s cannot be reached: %s", self.place, reason)
            self._gone = (time.monotonic() + RETRY_INTERVAL, reason)
            pool, self._pool = self._pool, None
        if pool is not None:
            # In the background: its workers may be in a connection attempt; this request should
            # not wait for them. Connections still lent out are closed when they come back.
            threading.Thread(target=pool.close, name="gallery-pool-close", daemon=True).start()
        return self._unavailable(reason)

    def _wait_for_server(self) -> None:
        """While the server is gone: fail at once, except one request a second that tries again."""
        gone = self._gone
        if gone is None:
            return
        retry_at, reason = gone
        if time.monotonic() < retry_at or not self._retry_lock.acquire(blocking=False):
            raise self._unavailable(reason)
        try:
            try:
                with psycopg.connect(self.url, connect_timeout=SERVING_CONNECT_TIMEOUT):
                    pass
            except psycopg.Error as exc:
                raise self._went_away(exc) from None
            with self._pool_lock:
                self._gone = None
            log.warning("The database %s can be reached again.", self.place)
        finally:
            self._retry_lock.release()

    def _password(self) -> str | None:
        password = psycopg.conninfo.conninfo_to_dict(self.url).get("password")
        return str(password) if password else None

    @contextmanager
    def connect(self) -> Iterator[PgConnection]:
        """A connection in autocommit mode; use :meth:`transaction` to group writes."""
        with self._raw() as raw:
            yield PgConnection(raw)

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """All-or-nothing writes, one writer at a time (behind the ``data_changes`` row)."""
        with self._raw() as raw:
            with raw.transaction():
                raw.execute(BUMP)
                yield PgConnection(raw)
            self.writes += 1

    @contextmanager
    def snapshot(self) -> Iterator[PgConnection]:
        """Reads that all see one state: a read-only, repeatable-read transaction."""
        with self._raw() as raw, raw.transaction():
            raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PgConnection(raw)

    def inserted_id(self, conn: AnyConnection, sql: str, params: Params) -> int:
        row = conn.execute(f"{sql.rstrip()} RETURNING id", params).fetchone()
        return int(row[0])

    def erase_after_commit(self, conn: AnyConnection) -> None:
        """Nothing beyond the UPDATE or DELETE itself: see :meth:`erase`."""

    def delete_for_good(self, conn: AnyConnection) -> None:
        """Nothing beyond the DELETE itself: see :meth:`erase`."""

    def erase(self, patience: float | None = None) -> bool:
        """Nothing to do here: a replaced text's bytes are the database server's to overwrite.

        PostgreSQL keeps an old row version until (auto)vacuum frees its space for reuse, and in
        its write-ahead log until a checkpoint recycles it; no SQL a client may run zeroes either
        (``VACUUM FULL`` rewrites a table but locks out every reader meanwhile, and leaves the old
        file's blocks to the file system). Visitors and editors never see a replaced text again;
        keeping it off the disk is the operator's part: an encrypted volume and short WAL archives.
        """
        return True

    def migrate(self, then: Callable[[AnyConnection], None]) -> int:
        """Apply the migrations not yet applied, then ``then``, in one transaction; the version.

        An instance that starts while another is migrating waits for the advisory lock, then
        finds the new version and applies nothing.
        """
        self.check_reachable()
        with self._raw() as raw:
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                raw.execute(ENGINE_TABLES)
                row = raw.execute("SELECT version FROM schema_version").fetchone()
                assert row is not None
                current = int(row[0])
                for number, _, sql in migration_files("postgres"):
                    if number > current:
                        # No parameters: psycopg sends the script as it is, several statements at once.
                        raw.execute(sql.encode())
                        raw.execute("UPDATE schema_version SET version = %s", (number,))
                        current = number
                raw.execute(BUMP)
                then(PgConnection(raw))
            self.writes += 1
        return current

    def check_reachable(self) -> None:
        """One plain connection: an unreachable server is one sentence, not a pool's retries."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT):
                pass
        except psycopg.Error as exc:
            raise self._unavailable(_first_line(exc, self._password())) from None

    def schema_version(self) -> int:
        """0 for a database never migrated (as SQLite's user_version of a new file)."""
        with self._raw() as raw:
            if raw.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:  # type: ignore[index]
                return 0
            row = raw.execute("SELECT version FROM schema_version").fetchone()
            return int(row[0]) if row else 0

    def data_version(self) -> int:
        """The ``data_changes`` counter: every committed write through any instance or the CLI moves it.

        One indexed row read; a page cache asks for it a few times a second at most.
        """
        self._wait_for_server()
        with self._probe_lock:
            # A connection kept from before a server restart fails on first use: one fresh try
            # then, before the server is taken for gone.
            for fresh in (self._probe is None or self._probe.closed, True):
                try:
                    if self._closed:
                        with psycopg.connect(
                            self.url, autocommit=True, connect_timeout=SERVING_CONNECT_TIMEOUT
                        ) as once:
                            row = once.execute("SELECT version FROM data_changes").fetchone()
                            return int(row[0]) if row else 0
                    if self._probe is None or self._probe.closed:
                        self._probe = psycopg.connect(
                            self.url, autocommit=True, connect_timeout=SERVING_CONNECT_TIMEOUT
                        )
                    row = self._probe.execute("SELECT version FROM data_changes").fetchone()
                    return int(row[0]) if row else 0
                except psycopg.OperationalError as exc:
                    if self._probe is not None:
                        self._probe.close()
                        self._probe = None
                    if fresh:
                        raise self._went_away(exc) from None
        raise AssertionError("unreachable: the second try is always fresh")

    def backup(self, target: Path) -> tuple[int, int]:
        """Not through the service: ``pg_dump`` makes PostgreSQL's consistent copies."""
        raise NotImplementedError("back up a PostgreSQL database with pg_dump")

    def table_columns(self, conn: AnyConnection) -> dict[str, list[str]]:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(str(row[0]), []).append(str(row[1]))
        return found

    def after_copy(self, conn: AnyConnection, table: str) -> None:
        """An identity column's sequence moves past the largest id copied."""
        sequence = conn.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
        if sequence is not None and sequence[0] is not None:
            conn.execute(
                f"SELECT setval(?, MAX(id)) FROM {table} HAVING MAX(id) IS NOT NULL",  # noqa: S608
                (sequence[0],),
            )

    def __del__(self) -> None:
        # An engine dropped without close() (a storage a caller forgot) takes its probe's
        # connection with it, rather than leaving the server a session nobody will end.
        probe = getattr(self, "_probe", None)
        if probe is not None and not probe.closed:
            probe.close()

    def close(self) -> None:
        with self._probe_lock:
            self._closed = True
            if self._probe is not None:
                self._probe.close()
                self._probe = None
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
