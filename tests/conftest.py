"""Fixtures: settings on a temporary data dir (and database), the app, and a client speaking https."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import hypothesis
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.cli.demo.standin_note import demo_settings
from gallery.content import variants
from gallery.content.curate import Curator
from gallery.settings import Secret, Settings
from gallery.storage.sqlite import SQLiteEngine
from gallery.storage.store import Storage
from gallery.storage.thumbnails import image_store
from gallery.vimeo.client import VimeoClient
from gallery.vimeo.standin import FakeVideo, StandIn
from tests.admin_helpers import AdminActions, create_editor
from tests.helpers import LOCALE_VARIABLES
from tests.postgres import (
    ENGINES,
    NO_STORAGE,
    REFUSING_DATABASE,
    SERVER_VARIABLE,
    fresh_database,
    throwaway_cluster,
)
from tests.roads import ROADS, ROADS_AND_ENGINES, road  # noqa: F401 - the fixture, for modules marked both_roads

TEST_KEY = "test-key-0123456789abcdef"
# The host name the test clients use (base_url https://gallery.test): configured like a real one.
TEST_HOST = "gallery.test"

# Property-based tests run with a fixed seed (derandomize) unless HYPOTHESIS_PROFILE=explore:
# a CI failure reproduces exactly, and exploring with fresh random cases is one variable away.
hypothesis.settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis.settings.register_profile("explore", deadline=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# The command line speaks the locale's language (gallery.i18n.environ_language). Tests run in a
# German locale, the product's first language, unless they set another one (tests.helpers.locale_env).


@pytest.fixture(autouse=True, scope="session")
def german_locale() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in LOCALE_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("LANG", "de_DE.UTF-8")
        yield


@pytest.fixture(autouse=True, scope="session")
def variants_made_once_per_picture() -> Iterator[None]:
    """The smaller copies of the same bytes are made once per test process.

    ``derive`` is a pure function of the picture's bytes; most tests store the same six sample
    pictures, and encoding their copies was a third of a test's set-up. Every test still stores
    and serves the copies the service makes.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(variants, "derive", functools.lru_cache(maxsize=64)(variants.derive))
        yield


# --- the storage engine --------------------------------------------------------------------


def engines_for(node: pytest.Item | pytest.Function | pytest.FunctionDefinition) -> tuple[str, ...]:
    """The engines a test runs on: both, unless it is marked otherwise (see ``pytest_generate_tests``)."""
    if node.get_closest_marker("storage_free"):
        return (NO_STORAGE,)
    if chosen := node.get_closest_marker("engines"):
        assert chosen.args and set(chosen.args) <= set(ENGINES), chosen.args
        return tuple(chosen.args)
    return ENGINES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test whose storage comes from the ``settings`` fixture (the app, the clients, the
    curator … all build on it) runs on both engines: ``test_x[sqlite]`` and ``test_x[postgres]``.

    ``@pytest.mark.engines("sqlite")`` keeps a test on the engine it names (with its reason: the
    SQLite file itself is what it looks at); ``@pytest.mark.storage_free`` says a test never
    touches storage, and its settings name a database that refuses every connection, so the
    mark cannot hide a test that does.
    """
    if "road" in metafunc.fixturenames and "engine_name" not in metafunc.fixturenames:
        metafunc.parametrize("road", ROADS, indirect=True)
    elif "road" in metafunc.fixturenames:  # tests/roads.py: which roads, on which engines
        engines = engines_for(metafunc.definition)
        pairs = [pair for pair in ROADS_AND_ENGINES if pair[0] in engines]
        pairs += [(engines[0], road) for road in ROADS if road not in {r for _, r in pairs}]
        ids = [f"{engine}-{road}" for engine, road in pairs]
        metafunc.parametrize(("engine_name", "road"), pairs, indirect=True, ids=ids)
    elif "engine_name" in metafunc.fixturenames and len(engines := engines_for(metafunc.definition)) > 1:
        metafunc.parametrize("engine_name", engines, indirect=True)


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    """The engine a test's storage runs on (see ``pytest_generate_tests``)."""
    param = getattr(request, "param", None)
    return str(param) if param is not None else engines_for(request.node)[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One PostgreSQL server for the whole session: GALLERY_TEST_DATABASE_URL's, or a throwaway
    cluster started on first use and removed at the end."""
    given = os.environ.get(SERVER_VARIABLE)
    if given:
        yield given
        return
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite (the file in the data folder); for PostgreSQL a fresh, empty database."""
    if engine_name == "sqlite":
        yield None
        return
    if engine_name == NO_STORAGE:
        yield REFUSING_DATABASE
        return
    assert engine_name == "postgres", engine_name
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_keys=(Secret(TEST_KEY),),
        allowed_hosts=(TEST_HOST,),
        database_url=Secret(database_url) if database_url else None,
    ).checked()


@pytest.fixture
def other_settings(
    settings: Settings, engine_name: str, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """A second installation beside ``settings``: a data folder and, on PostgreSQL, a database of its own."""
    elsewhere = replace(settings, data_dir=settings.data_dir.parent / "elsewhere")
    if engine_name != "postgres":
        yield elsewhere
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield replace(elsewhere, database_url=Secret(url))


@pytest.fixture
def app(settings: Settings) -> Iterator[Starlette]:
    app = create_app(settings)
    yield app
    # A test that never ran the app's lifespan leaves no connection pool (and its threads) behind.
    app.services.storage.close()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    # https: the consent cookie is __Host- prefixed and Secure.
    with TestClient(app, base_url="https://gallery.test") as client:
        yield client


# --- the Vimeo stand-in ------------------------------------------------------------------

STANDIN_URL = "http://127.0.0.1:9"  # never dialled: requests go through an in-process transport


def standin_settings(settings: Settings, standin_url: str = STANDIN_URL) -> Settings:
    return demo_settings(settings, standin_url)


@pytest.fixture
def standin() -> StandIn:
    """A stand-in Vimeo with the demo's sample videos, reached in-process (no sockets)."""
    fake = StandIn(base_url=STANDIN_URL)
    for video, _ in sample_videos():
        fake.add(video)
    return fake


@pytest.fixture
def vimeo_transport(standin: StandIn) -> httpx.AsyncBaseTransport:
    return standin.transport()  # in-process; can also refuse connections (Fault.REFUSED)


@pytest.fixture
def curated_settings(settings: Settings) -> Settings:
    """Settings whose Vimeo endpoints are the stand-in's."""
    return standin_settings(settings)


@pytest.fixture
def curator_factory(
    curated_settings: Settings, vimeo_transport: httpx.AsyncBaseTransport
) -> Callable[[], AbstractAsyncContextManager[Curator]]:
    """``async with curator_factory() as curator``: the real curating code against the stand-in."""

    @asynccontextmanager
    async def make() -> AsyncIterator[Curator]:
        db = Storage.from_settings(curated_settings)
        db.migrate()
        try:
            async with VimeoClient(curated_settings, vimeo_transport) as vimeo:
                yield Curator(db, image_store(db, curated_settings), vimeo)
        finally:
            db.close()

    return make


@pytest.fixture
def open_storage() -> Iterator[Callable[[Settings], Storage]]:
    """``open_storage(settings)``: the storage they name, on either engine, closed after the test."""
    opened: list[Storage] = []

    def open_(settings: Settings) -> Storage:
        opened.append(Storage.from_settings(settings))
        return opened[-1]

    yield open_
    for storage in opened:
        storage.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sample_link(video: FakeVideo) -> str:
    suffix = f"/{video.unlisted_hash}" if video.unlisted_hash else ""
    return f"https://vimeo.com/{video.vimeo_id}{suffix}"


@pytest.fixture
def storage_engine() -> Callable[[Path], SQLiteEngine]:
    """What the test app keeps its data in: the service's own engine, unless a test module or
    test hands it another (one that behaves like other SQLite builds, or waits less to erase)."""
    return SQLiteEngine


@pytest.fixture
def populated_app(
    curated_settings: Settings,
    storage_engine: Callable[[Path], SQLiteEngine],
    curator_factory: Callable[[], AbstractAsyncContextManager[Curator]],
    vimeo_transport: httpx.AsyncBaseTransport,
) -> Iterator[Starlette]:
    """The app with the six sample statements added through the real curating code."""

    async def seed() -> None:
        async with curator_factory() as curator:
            for video, texts in sample_videos():
                await curator.add(sample_link(video), texts=texts)

    asyncio.run(seed())
    if curated_settings.database_url is not None:
        storage = Storage.from_settings(curated_settings)
    else:
        storage = Storage(storage_engine(curated_settings.database_path))
    yield create_app(curated_settings, vimeo_transport=vimeo_transport, storage=storage)
    storage.close()  # as ``app``: closed even when no test client ran the lifespan


@pytest.fixture
def populated(populated_app: Starlette) -> Iterator[TestClient]:
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        yield client


# --- editors ----------------------------------------------------------------------------


@pytest.fixture
def editor(curated_settings: Settings, populated_app: Starlette) -> Iterator[AdminActions]:
    """The populated app with editor "anna", signed in; ``editor.client`` is her browser."""
    create_editor(curated_settings)
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        actions = AdminActions(client)
        assert actions.login().status_code == 303
        yield actions
