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
import pytest
from psycopg import sql

from tests.processes import free_port

SERVER_VARIABLE = "GALLERY_TEST_DATABASE_URL"
ENGINES = ("sqlite", "postgres")
# A test that should hold on both engines: its ``settings`` (and all built on them) name each in turn.
both_engines = pytest.mark.parametrize("engine_name", ENGINES, indirect=True)
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


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A cluster of our own on 127.0.0.1; yields the URL of its ``postgres`` database."""
    programs = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="gallery-pg-"))
    # The server's own environment: a test session's locale (German) may not be installed.
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    data, log = folder / "data", folder / "log"
    port = free_port()
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        subprocess.run(
            _as_server_user(
                [
                    str(programs / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    USER,
                    "-E",
                    "UTF8",
                    "--no-locale",
                ]
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = True  # from here on, stop it whatever happens
        subprocess.run(
            _as_server_user(
                [
                    str(programs / "pg_ctl"),
                    "-D",
                    str(data),
                    "-w",
                    "-t",
                    "120",
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                env=env,
            )
        shutil.rmtree(folder, ignore_errors=True)


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
