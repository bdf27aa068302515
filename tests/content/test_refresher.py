"""Background refresh: schedule, backoff, the global pause, the lease, missing thumbnails, start-up."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.curate import Curator
from gallery.content.refresher import Refresher
from gallery.content.schedule import RefreshPolicy
from gallery.models import RefreshState
from gallery.settings import Settings
from gallery.storage.sqlite import migrations as _migrations
from gallery.storage.sqlite import split_sql as _split_sql
from gallery.storage.store import Storage
from gallery.storage.thumbnails import image_store
from gallery.vimeo.client import VimeoClient
from gallery.vimeo.standin import Fault, StandIn
from gallery.web.render import Renderer
from tests.conftest import sample_link
from tests.helpers import query, stored
from tests.htmlparse import parse

pytestmark = pytest.mark.anyio
POLICY = RefreshPolicy(interval=3600.0, restricted_ttl=900.0, negative_ttl=600.0, retry_base=60.0)
IDS = [v.vimeo_id for v, _ in sample_videos()]
PLAIN = IDS[0]


@asynccontextmanager
async def refresher(
    settings: Settings, transport: httpx.AsyncBaseTransport, policy: RefreshPolicy = POLICY
) -> AsyncIterator[Refresher]:
    db = Storage.from_settings(settings)
    db.migrate()
    try:
        async with VimeoClient(settings, transport) as vimeo:
            yield Refresher(Curator(db, image_store(db, settings), vimeo, policy))
    finally:
        db.close()


async def seed(refresher: Refresher, ids: list[int] | None = None) -> None:
    for video, texts in sample_videos():
        if ids is None or video.vimeo_id in ids:
            await refresher.curator.add(sample_link(video), texts=texts)


def rows(settings: Settings) -> dict[int, tuple[float, int]]:
    return {r[0]: (r[1], r[2]) for r in query(settings, "SELECT * FROM refresh_schedule")}


def make_due(settings: Settings, *ids: int) -> None:
    for vimeo_id in ids or IDS:
        query(settings, "UPDATE refresh_schedule SET next_check = 0 WHERE vimeo_id = ?", (vimeo_id,))


def global_state(settings: Settings) -> RefreshState:
    with stored(settings) as storage:
        return storage.refresh_state()


def oembed_requests(standin: StandIn) -> list[int]:
    asked = [r for r in standin.requests if r.url.path.endswith(".json")]
    return [int(r.query_params["url"].split("/")[3]) for r in asked]


# --- schema ------------------------------------------------------------------------------


def test_migrations_skip_the_colleagues_number_and_apply_in_order(tmp_path: Path) -> None:
    numbers = [n for n, _ in _migrations()]
    assert numbers == sorted(numbers) and 4 in numbers
    # A database made before this change (schema 2) gains the new tables and keeps its data.
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, sql in _migrations():
        if number <= 2:
            for statement in _split_sql(sql):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO galleries (slug, title, is_default, created_at, updated_at)"
        " VALUES ('alt', 'Alt', 1, 'x', 'x')"
    )
    conn.close()
    db = Storage.sqlite(path)
    assert db.migrate() == max(numbers)
    with db.read() as reads:
        assert reads.default_gallery().slug == "alt"
        assert reads.refresh_state().paused_until == 0
    assert db.migrate() == max(numbers)  # idempotent


# --- the schedule ------------------------------------------------------------------------


async def test_each_outcome_sets_its_own_next_check(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        started = time.time()
        await seed(r)
        added = rows(curated_settings)
        for vimeo_id, (next_check, failures) in added.items():
            expected = POLICY.restricted_ttl if vimeo_id == IDS[5] else POLICY.interval
            assert 0.89 * expected <= next_check - started <= 1.11 * expected + 5, vimeo_id
            assert failures == 0
        standin.videos.pop(IDS[1])  # gone: negative answers are cached only briefly
        standin.videos[IDS[2]].embeddable = False
        await r.curator.refresh(IDS[1])
        await r.curator.refresh(IDS[2])
    after = rows(curated_settings)
    for vimeo_id in IDS[1:3]:
        assert 0.89 * POLICY.negative_ttl <= after[vimeo_id][0] - started <= 1.11 * POLICY.negative_ttl + 5
        assert after[vimeo_id][1] == 0
    assert global_state(curated_settings).paused_until == 0  # a definite answer is no trouble


async def test_failures_back_off_exponentially_and_pause_everyone(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r, [PLAIN])
        standin.fault = Fault.SERVER_ERROR
        delays = []
        for attempt in range(1, 8):
            now = time.time()
            await r.curator.refresh(PLAIN)
            next_check, failures = rows(curated_settings)[PLAIN]
            assert failures == attempt
            delays.append(next_check - now)
            state = global_state(curated_settings)
            assert state.failures == attempt and state.paused_until > now
            assert "gestört" in state.reason
        for attempt, delay in enumerate(delays, start=1):
            expected = min(POLICY.interval, POLICY.retry_base * 2 ** (attempt - 1))
            assert 0.89 * expected <= delay <= 1.11 * expected + 2, (attempt, delays)
        standin.fault = Fault.NONE
        await r.curator.refresh(PLAIN)
    assert rows(curated_settings)[PLAIN][1] == 0
    assert global_state(curated_settings).paused_until == 0  # recovered: the pause is lifted


async def test_retry_after_is_respected(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r, [PLAIN])
        standin.fault, standin.retry_after = Fault.RATE_LIMITED, 7200
        now = time.time()
        outcome = await r.curator.refresh(PLAIN)
    assert outcome.error is not None and outcome.error.retry_after == 7200
    assert rows(curated_settings)[PLAIN][0] >= now + 7200
    assert global_state(curated_settings).paused_until >= now + 7200


# --- passes ------------------------------------------------------------------------------


async def test_a_pass_refreshes_only_what_is_due(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r)
        standin.requests.clear()
        assert (await r.run_once()).skipped == "nothing due"
        assert standin.requests == []
        make_due(curated_settings, IDS[0], IDS[3])
        standin.videos[IDS[3]].title = "Neu"
        report = await r.run_once()
    assert sorted(report.refreshed) == sorted([IDS[0], IDS[3]])
    assert sorted(oembed_requests(standin)) == sorted([IDS[0], IDS[3]])
    with stored(curated_settings) as storage, storage.read() as conn:
        assert conn.video(IDS[3]).title == "Neu"  # type: ignore[union-attr]
    assert all(next_check > time.time() for next_check, _ in rows(curated_settings).values())


async def test_trouble_ends_the_pass_and_the_pause_holds_everyone_off(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r)
        make_due(curated_settings)
        standin.requests.clear()
        standin.fault = Fault.CAPTCHA
        report = await r.run_once()
        # Two workers: at most one request each before they see the trouble.
        assert 1 <= len(report.failed) <= POLICY.concurrency and report.refreshed == ()
        asked = len(standin.requests)
        assert asked == len(report.failed)
        make_due(curated_settings)
        assert (await r.run_once()).skipped == "paused"
        assert len(standin.requests) == asked
        query(curated_settings, "UPDATE refresh_state SET paused_until = 0")  # the pause is over
        standin.fault = Fault.NONE
        report = await r.run_once()
    assert sorted(report.refreshed) == sorted(IDS)


async def test_refreshes_at_once_stay_within_the_cap(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    in_flight = peak = 0

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.02)
                return await vimeo_transport.handle_async_request(request)
            finally:
                in_flight -= 1

    async with refresher(curated_settings, Counting()) as r:
        await seed(r)
        make_due(curated_settings)
        peak = 0
        report = await r.run_once()
    assert len(report.refreshed) == len(IDS)
    assert peak == POLICY.concurrency


async def test_one_process_refreshes_at_a_time(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as first:
        await seed(first)
        async with refresher(curated_settings, vimeo_transport) as second:
            make_due(curated_settings)
            standin.requests.clear()
            a, b = await asyncio.gather(first.run_once(), second.run_once())
            assert sorted(oembed_requests(standin)) == sorted(IDS)  # each video asked once
            assert {a.skipped, b.skipped} == {"", "lease held elsewhere"}
            holder, other = (first, second) if a.skipped == "" else (second, first)
            make_due(curated_settings)
            assert (await other.run_once()).skipped == "lease held elsewhere"  # kept between passes
            assert sorted((await holder.run_once()).refreshed) == sorted(IDS)
            await holder.stop()  # given back when the app stops...
            assert global_state(curated_settings).holder == ""
            make_due(curated_settings)
            assert sorted((await other.run_once()).refreshed) == sorted(IDS)  # ...for others to take
            # A holder that died without giving it back blocks nobody once its lease ran out.
            query(
                curated_settings,
                "UPDATE refresh_state SET holder = 'dead:1:x', lease_until = ?",
                (time.time() + 60,),
            )
            other._lease_until = 0.0  # (it would notice at its next renewal)
            make_due(curated_settings)
            assert (await other.run_once()).skipped == "lease held elsewhere"
            query(curated_settings, "UPDATE refresh_state SET lease_until = 1")
            assert sorted((await other.run_once()).refreshed) == sorted(IDS)


async def test_an_editor_refresh_counts_for_the_schedule(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r, [PLAIN])
        make_due(curated_settings, PLAIN)
        await r.curator.refresh(PLAIN)  # as `gallery refresh` or the admin area would
        standin.requests.clear()
        assert (await r.run_once()).skipped == "nothing due"
    assert standin.requests == []


async def test_thumbnail_trouble_retries_that_video_alone(
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    async with refresher(curated_settings, vimeo_transport) as r:
        await seed(r)
        make_due(curated_settings)
        standin.fault = Fault.THUMB_NOT_IMAGE
        report = await r.run_once()
    assert sorted(report.failed) == sorted(IDS[:5])  # the restricted sample has no thumbnail
    assert report.refreshed == (IDS[5],)
    schedule_rows = rows(curated_settings)
    assert all(schedule_rows[i][1] == 1 for i in IDS[:5])
    assert global_state(curated_settings).paused_until == 0  # oEmbed itself was fine


# --- missing thumbnail files -------------------------------------------------------------


def thumbnail_src(client: TestClient) -> str:
    """The address of the stored thumbnail itself (pages link its smaller copies)."""
    video = client.app.services.storage.video(PLAIN)  # type: ignore[attr-defined]
    return f"/thumbs/{video.thumbnail}"


# SQLite: the picture goes missing from the data folder; PostgreSQL keeps pictures in its database.
@pytest.mark.engines("sqlite")
def test_a_missing_thumbnail_is_fetched_again_by_the_next_pass_not_by_the_visitor(
    populated: TestClient, curated_settings: Settings, standin: StandIn
) -> None:
    src = thumbnail_src(populated)
    path = curated_settings.thumbnail_dir / src.rsplit("/", 1)[1]
    original = path.read_bytes()
    path.unlink()  # never served yet, so not in memory either
    refresher = populated.app_state["runtime"].refresher
    standin.requests.clear()
    probe = Storage.sqlite(curated_settings.database_path)  # SQLite only: see the mark
    before = probe.data_version()
    for _ in range(3):
        r = populated.get(src)
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert standin.requests == []  # the visitor caused nothing at Vimeo...
    assert probe.data_version() == before  # ...nor a write
    report = populated.portal.call(refresher.run_once)
    assert report.refreshed == (PLAIN,)
    assert probe.data_version() != before  # (the probe does see writes)
    assert [r.url.path.split("/")[1] for r in standin.requests] == ["api", "video"]
    assert path.read_bytes() == original
    r = populated.get(src)
    assert r.status_code == 200 and r.content == original
    standin.requests.clear()
    assert populated.portal.call(refresher.run_once).skipped == "nothing due"


# --- in the app's lifespan ---------------------------------------------------------------


@pytest.fixture
def hanging(standin: StandIn) -> Iterator[StandIn]:
    standin.fault = Fault.TIMEOUT
    yield standin
    standin.fault = Fault.NONE  # lets a held request end


def test_start_up_never_waits_for_vimeo_and_pages_stay_up(
    populated_app: object,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    hanging: StandIn,
) -> None:
    make_due(curated_settings)
    fast = RefreshPolicy(first_delay=0, tick=0.05, interval=3600)
    app = create_app(curated_settings, vimeo_transport=vimeo_transport, refresh_policy=fast)
    started = time.monotonic()
    with TestClient(app, base_url="https://gallery.test") as client:
        assert time.monotonic() - started < 2
        deadline = time.monotonic() + 5
        while not hanging.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hanging.requests, "the refresher runs in the background"
        page = client.get("/")  # while the refresher hangs on Vimeo
        assert page.status_code == 200
        assert len(parse(page.text).find_all("article")) == len(IDS)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2  # shutting down does not wait for Vimeo either


def test_the_background_task_refreshes_on_its_own(
    populated_app: object,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    standin: StandIn,
) -> None:
    fast = RefreshPolicy(first_delay=0, tick=0.05, interval=3600)
    app = create_app(curated_settings, vimeo_transport=vimeo_transport, refresh_policy=fast)
    standin.videos[PLAIN].title = "Im Hintergrund aktualisiert"
    make_due(curated_settings, PLAIN)
    with TestClient(app, base_url="https://gallery.test") as client:
        deadline = time.monotonic() + 5
        while "Im Hintergrund aktualisiert" not in client.get("/").text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Im Hintergrund aktualisiert" in client.get("/").text


def test_settings_hours_become_the_interval(settings: Settings) -> None:
    assert RefreshPolicy.from_settings(settings).interval == 24 * 3600
    assert RefreshPolicy.from_settings(replace(settings, refresh_hours=6)).interval == 6 * 3600
    assert resources.files("gallery.storage").joinpath("migrations/0004_refresh_schedule.sql").is_file()


class SlowCountingRenderer(Renderer):
    """Counts its renders, each slow enough that visitors arriving together really overlap."""

    renders = 0

    def render(self, template: str, lang: str, **context: Any) -> str:
        self.renders += 1
        time.sleep(0.05)
        return super().render(template, lang, **context)


async def test_after_a_write_concurrent_visitors_share_one_render(
    populated_app: Starlette, curated_settings: Settings
) -> None:
    # Each refresh is a write, and a write drops every cached page: without sharing, 64 visitors
    # arriving together would render the same page 64 times (see bench/load.py).
    app = create_app(curated_settings, renderer=SlowCountingRenderer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://gallery.test") as client:
        pages = await asyncio.gather(*(client.get("/") for _ in range(20)))
    app.services.storage.close()  # no lifespan ran to close it
    assert {r.status_code for r in pages} == {200} and len({r.content for r in pages}) == 1
    assert app.services.renderer.renders == 1  # type: ignore[attr-defined]
