"""A throwaway PostgreSQL cluster for the test session, and a fresh database for each test.

``initdb`` into a temporary folder, ``pg_ctl`` on 127.0.0.1 and a free port, run as the
``postgres`` system user when the tests run as root (PostgreSQL refuses to run as root); stopped
and removed when the session ends, failed or not. ``GALLERY_TEST_DATABASE_URL`` names a server to
use instead (its user must be allowed to create databases).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.processes import free_port

SERVER_VARIABLE = "GALLERY_TEST_DATABASE_URL"
ENGINES = ("sqlite", "postgres")
# A test marked ``storage_free`` gets settings naming this database: nothing listens on port 1, so
# any attempt to read or write storage fails the test at once.
NO_STORAGE = "none"
REFUSING_DATABASE = "postgresql://gallery@127.0.0.1:1/none?connect_timeout=1"
USER = "gallery"
_numbers = itertools.count(1)


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL is not installed (no initdb): scripts/test installs Debian's postgresql, "
        f"or set {SERVER_VARIABLE} to a server the tests may create databases on."
    )


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A throwaway cluster in ``folder``, on 127.0.0.1:``port``; stopped and started again at will
    (``pg_ctl -m fast stop``, then ``start`` on the same folder: the server going away and back)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.programs = postgres_bin()
        # The server's own environment: a test session's locale (German) may not be installed.
        self.env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
        self.data = folder / "data"
        self.log = folder / "log"

    @property
    def url(self) -> str:
        """The URL of its ``postgres`` database."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        command = [str(self.programs / "pg_ctl"), "-D", str(self.data), "-w", "-t", "120", *args]
        subprocess.run(_as_server_user(command), check=check, capture_output=True, env=self.env)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        command = [str(self.programs / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER]
        subprocess.run(
            _as_server_user([*command, "-E", "UTF8", "--no-locale"]),
            check=True,
            capture_output=True,
            env=self.env,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.log), "-o", options, "start")

    def stop(self, mode: str = "fast", *, check: bool = True) -> None:
        self._pg_ctl("-m", mode, "stop", check=check)

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        """One of the server's programs (``pg_dump``, ``pg_restore`` …), run as this user."""
        return subprocess.run(
            [str(self.programs / program), *args], check=True, capture_output=True, env=self.env
        )


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A cluster of our own on 127.0.0.1 and a free port; stopped and removed at the end, failed or not."""
    server = Cluster(Path(tempfile.mkdtemp(prefix="gallery-pg-")), free_port())
    started = False
    try:
        server.init()
        started = True  # from here on, stop it whatever happens
        server.start()
        yield server
    finally:
        if started:
            server.stop("immediate", check=False)
        shutil.rmtree(server.folder, ignore_errors=True)


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A cluster of our own on 127.0.0.1; yields the URL of its ``postgres`` database."""
    with cluster() as server:
        yield server.url


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards (connections still open are ended)."""
    name = f"gallery_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        # German rules for sorting text, as a town's server may well have: the service must not
        # depend on the server's collation (its migrations sort the texts it lists byte by byte).
        admin.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
                " LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'"
            ).format(sql.Identifier(name))
        )
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def raw_postgres(url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """One transaction on the database, as another process would write it (committed on leaving)."""
    with psycopg.connect(url) as conn:
        yield conn
