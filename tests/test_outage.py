"""The database going away while the service runs, and coming back.

On PostgreSQL (a cluster of this module's own, stopped with ``pg_ctl -m fast`` and started again
on the same folder): visitors keep the pages already made, an uncached page is our 503 page with
``Retry-After``, an editor's save is refused plainly and changes nothing, and everything works
again without restarting the service. On SQLite, a write lock held too long by another process
is the same kind of failure for an editor.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.schedule import RefreshPolicy
from gallery.settings import Settings
from gallery.storage.sqlite import SQLiteEngine, _Connection
from gallery.storage.store import Storage
from gallery.vimeo.standin import StandIn
from tests.admin.test_editing import form_values
from tests.admin_helpers import AdminActions, statement_id
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.postgres import Cluster, cluster, fresh_database, raw_postgres
from tests.processes import free_port, gallery_running
from tests.sqlfile import raw_sql

pytestmark = pytest.mark.slow
on_postgres = pytest.mark.engines("postgres")

FIRST, SECOND, THIRD = (video for video, _ in sample_videos()[:3])
# The most a request may wait to learn that the database is gone: the pool gives up after 5 s;
# the rest is room for a busy machine. A hang (the old 30 s pool timeout, a TCP timeout) fails.
BOUNDED_WAIT = 15.0
RECOVERY = 30.0  # the service tries again every second; generous for a busy machine


@pytest.fixture(scope="module")
def server() -> Iterator[Cluster]:
    """A PostgreSQL cluster for this module only: its tests stop it, the others' keeps running."""
    with cluster() as running:
        yield running


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    if engine_name == "sqlite":
        yield None
        return
    server: Cluster = request.getfixturevalue("server")
    with fresh_database(server.url) as url:
        yield url


def quote_of(settings: Settings, vimeo_id: int) -> str:
    db = Storage.from_settings(settings)
    try:
        gallery = db.gallery_by_slug("videos")
        assert gallery is not None
        found = db.statement(gallery.id, vimeo_id)
        assert found is not None
        return found.quote
    finally:
        db.close()


def eventually_ok(get: Callable[[], int], what: str) -> None:
    deadline = time.monotonic() + RECOVERY
    while (status := get()) != 200:
        assert time.monotonic() < deadline, f"{what}: still {status} {RECOVERY} s after the database returned"
        time.sleep(0.2)


@on_postgres
def test_while_postgresql_is_down_visitors_keep_cached_pages_and_editors_lose_nothing(
    server: Cluster, editor: AdminActions, curated_settings: Settings
) -> None:
    client = editor.client
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    home = client.get("/")
    assert home.status_code == 200 and FIRST.title in home.text
    values = form_values(editor.page(f"/admin/s/{sid}"))
    token = editor.csrf()
    original = values["quote"]
    values["quote"] = "Geschrieben, während die Datenbank fehlte"
    uncached = f"/g/videos/v/{SECOND.vimeo_id}"

    server.stop("fast")
    try:
        again = client.get("/")
        assert again.status_code == 200 and again.text == home.text, "the cached gallery page"

        started = time.monotonic()
        page = client.get(uncached)
        waited = time.monotonic() - started
        assert page.status_code == 503
        assert waited < BOUNDED_WAIT, waited
        assert page.headers["retry-after"] == "10"
        assert "'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in page.headers["cache-control"]
        doc = parse(page.text)
        assert doc.find("h1").text == "Vorübergehend nicht erreichbar"
        assert "Bitte versuchen Sie es in einer Minute noch einmal." in doc.find("main").text
        assert doc.find("link", rel="stylesheet") is not None, "our page, in the site's look"
        for leak in ("Traceback", "psycopg", "127.0.0.1", "PostgreSQL"):
            assert leak not in page.text, leak
        english = parse(client.get(uncached + "?lang=en").text)
        assert english.find("h1").text == "Temporarily unavailable"
        assert "Please try again in a minute." in english.find("main").text

        save = editor.post(f"/admin/s/{sid}", values, token=token)
        assert save.status_code == 503
        assert save.headers["retry-after"] == "10"
        assert save.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in save.headers["content-security-policy"]
        told = parse(save.text).find("main").text
        assert "Die Datenbank ist gerade nicht erreichbar, daher wurde nichts gespeichert." in told
        assert "Traceback" not in save.text

        admin_page = client.get("/admin/")
        assert admin_page.status_code == 503
        assert "Bitte versuchen Sie es in Kürze noch einmal." in parse(admin_page.text).find("main").text
        assert client.get("/healthz").status_code == 503
    finally:
        server.start()

    # Back without restarting the service: pages, the editor's session, saving.
    eventually_ok(lambda: client.get(uncached).status_code, "the statement page")
    assert client.get("/healthz").status_code == 200
    assert quote_of(curated_settings, FIRST.vimeo_id) == original, "a refused save changed nothing"
    saved = editor.post(f"/admin/s/{sid}", values, token=token)
    assert saved.status_code == 303
    assert quote_of(curated_settings, FIRST.vimeo_id) == values["quote"]
    assert values["quote"] in client.get(f"/g/videos/v/{FIRST.vimeo_id}").text


@on_postgres
def test_the_background_refresher_waits_out_the_outage_quietly_and_refreshes_after_it(
    server: Cluster,
    populated_app: Starlette,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    standin: StandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    del populated_app  # it filled the database
    assert curated_settings.database_url is not None
    fast = RefreshPolicy(first_delay=0, tick=0.05, interval=3600)
    app = create_app(curated_settings, vimeo_transport=vimeo_transport, refresh_policy=fast)
    with TestClient(app, base_url="https://gallery.test") as client:
        assert client.get("/").status_code == 200
        server.stop("fast")
        try:
            time.sleep(1.5)  # some thirty passes of the refresher meet the database gone
        finally:
            server.start()
        standin.videos[FIRST.vimeo_id].title = "Nach der Pause aktualisiert"
        with raw_postgres(curated_settings.database_url.value) as conn:
            conn.execute("UPDATE refresh_schedule SET next_check = 0 WHERE vimeo_id = %s", (FIRST.vimeo_id,))
        deadline = time.monotonic() + RECOVERY
        while "Nach der Pause aktualisiert" not in client.get("/").text:
            assert time.monotonic() < deadline, "the refresher works again after the outage"
            time.sleep(0.1)
    failed = [r for r in caplog.records if "refresh pass failed" in r.getMessage()]
    assert not failed, "the outage is logged once by the storage, not as a traceback every pass"
    assert [r.getMessage() for r in caplog.records].count(
        f"The database {curated_settings.database_place} cannot be reached: "
        "terminating connection due to administrator command"
    ) <= 1


class ImpatientSQLite(SQLiteEngine):
    """Gives up on another process's write lock after 0.2 s instead of 15 (to keep the test short)."""

    def _open(self) -> _Connection:
        conn = super()._open()
        conn.execute("PRAGMA busy_timeout = 200")
        return conn


@pytest.fixture
def storage_engine() -> Callable[[Path], SQLiteEngine]:
    return ImpatientSQLite


@pytest.mark.engines("sqlite")
def test_on_sqlite_a_save_held_up_by_another_process_s_lock_is_refused_plainly(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    values = form_values(editor.page(f"/admin/s/{sid}"))
    token = editor.csrf()
    original = values["quote"]
    values["quote"] = "Geschrieben, während die Datei gesperrt war"
    with raw_sql(curated_settings.database_path):  # another process writing, for too long
        save = editor.post(f"/admin/s/{sid}", values, token=token)
        assert editor.client.get("/").status_code == 200, "visitors read past a writer"
    assert save.status_code == 503
    assert save.headers["retry-after"] == "10"
    assert "daher wurde nichts gespeichert" in parse(save.text).find("main").text
    assert quote_of(curated_settings, FIRST.vimeo_id) == original
    assert editor.post(f"/admin/s/{sid}", values, token=token).status_code == 303
    assert quote_of(curated_settings, FIRST.vimeo_id) == values["quote"]


class Visitors(threading.Thread):
    """A visitor after another, on pages the service has already made, as fast as it answers."""

    def __init__(self, base: str, paths: list[str]) -> None:
        super().__init__(daemon=True)
        self.base, self.paths = base, paths
        self.answers: list[tuple[float, int | str]] = []  # (when, status or the transport error)
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, trust_env=False, timeout=BOUNDED_WAIT) as http:
            while not self.stop.is_set():
                for path in self.paths:
                    try:
                        status: int | str = http.get(path).status_code
                    except httpx.TransportError as exc:
                        status = type(exc).__name__
                    self.answers.append((time.monotonic(), status))


@on_postgres
def test_stopping_and_restarting_postgresql_under_load_gives_no_5xx_and_recovers_by_itself(
    server: Cluster, populated_app: Starlette, curated_settings: Settings, tmp_path: Path
) -> None:
    del populated_app  # it filled the database and the data folder
    assert curated_settings.database_url is not None
    port = free_port()
    env = {
        **os.environ,
        "GALLERY_DATA_DIR": str(curated_settings.data_dir),
        "GALLERY_SECRET_KEYS": TEST_KEY,
        "GALLERY_DATABASE_URL": curated_settings.database_url.value,
    }
    cached = ["/", *(f"/g/videos/v/{v.vimeo_id}" for v in (FIRST, SECOND)), "/privacy"]
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = tmp_path / "serve.log"
    with (
        gallery_running(args, env, port, log_path) as (base, _),
        httpx.Client(base_url=base, trust_env=False, timeout=BOUNDED_WAIT) as http,
    ):
        for path in cached:
            assert http.get(path).status_code == 200, path
        visitors = Visitors(base, cached)
        visitors.start()
        try:
            time.sleep(2)
            stopped = time.monotonic()
            server.stop("fast")
            try:
                time.sleep(5)
                assert http.get("/healthz").status_code == 503
                assert http.get(f"/g/videos/v/{THIRD.vimeo_id}").status_code == 503
            finally:
                server.start()
            started = time.monotonic()
            eventually_ok(lambda: http.get("/healthz").status_code, "/healthz")
            eventually_ok(lambda: http.get(f"/g/videos/v/{THIRD.vimeo_id}").status_code, "a new page")
            time.sleep(2)
        finally:
            visitors.stop.set()
            visitors.join(timeout=2 * BOUNDED_WAIT)
    statuses = [status for _, status in visitors.answers]
    while_down = [status for when, status in visitors.answers if stopped < when < started]
    assert len(while_down) >= 20, f"visitors were served while the database was down: {len(while_down)}"
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    log = log_path.read_text()
    # The operator reads it once each way, not once per request.
    assert log.count("cannot be reached") == 1 and log.count("can be reached again") == 1, log[-3000:]
