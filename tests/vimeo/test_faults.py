"""Every stand-in fault mode, through the real refresh code and the public pages.

Visitors keep the last good data with 200s and never get a link to Vimeo's CDN; a failed refresh
never erases anything; only a definite answer (404, 403) hides a statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.testclient import TestClient

from gallery.cli.demo.samples import sample_videos
from gallery.content.curate import Curator, Outcome
from gallery.content.status import status_line
from gallery.models import FetchStatus, Video
from gallery.settings import Settings
from gallery.vimeo.client import VimeoClient
from gallery.vimeo.standin import Fault, StandIn
from tests.conftest import STANDIN_URL
from tests.helpers import stored
from tests.htmlparse import json_ld, parse

IDS = [v.vimeo_id for v, _ in sample_videos()]
RESTRICTED = next(v.vimeo_id for v, _ in sample_videos() if v.restricted)
WITH_THUMBNAIL = [i for i in IDS if i != RESTRICTED]

# What editors are told for each failing oEmbed answer.
OEMBED_FAULTS = {
    Fault.SERVER_ERROR: "gestört",
    Fault.RATE_LIMITED: "zu viele Anfragen",
    Fault.TIMEOUT: "nicht rechtzeitig",
    Fault.SLOW_DRIP: "nicht rechtzeitig",
    Fault.REFUSED: "nicht erreichbar",
    Fault.TRUNCATED: "unvollständig oder beschädigt",
    Fault.CAPTCHA: "blockiert",
    Fault.OVERSIZED: "unerwartet groß",
}
THUMBNAIL_FAULTS = {
    Fault.THUMB_NOT_IMAGE: "keine Bilddatei",
    Fault.THUMB_HUGE: "unerwartet groß",
    Fault.THUMB_REDIRECT: "GALLERY_VIMEO_THUMBNAIL_HOSTS",
}


def test_every_fault_mode_is_covered() -> None:
    assert set(Fault) == {Fault.NONE, *OEMBED_FAULTS, *THUMBNAIL_FAULTS}


@dataclass
class Snapshot:
    """What a visitor sees: the gallery's cards, each statement page, each thumbnail's bytes."""

    titles: list[str]
    thumbnails: dict[str, bytes]
    statements: dict[int, str]


def visit(client: TestClient) -> Snapshot:
    r = client.get("/")
    assert r.status_code == 200
    pages = [r.text]
    doc = parse(r.text)
    titles = [card.find("h2").text for card in doc.with_class("card")]
    srcs = sorted({i.attrs["src"] for i in doc.find_all("img") if i.attrs["src"].startswith("/thumbs/")})
    thumbnails = {}
    for src in srcs:
        image = client.get(src)
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
        thumbnails[src] = image.content
    statements = {}
    for vimeo_id in IDS:
        page = client.get(f"/g/videos/v/{vimeo_id}")
        if page.status_code == 200:
            statements[vimeo_id] = parse(page.text).find("h1").text
            pages.append(page.text)
        else:
            assert page.status_code == 404 and "gibt es hier nicht" in page.text
    for html in pages:
        # Stale beats nothing, but never as a link to Vimeo's CDN or to where a picture came from;
        # the one address of the stand-in is its player's, as data for search engines (embedUrl).
        for data in json_ld(parse(html)):
            if "embedUrl" in data:
                assert data["embedUrl"].startswith(f"{STANDIN_URL}/player/video/")
                html = html.replace(data["embedUrl"].replace("&", "\\u0026"), "")
        assert "vimeocdn" not in html and STANDIN_URL not in html
        assert "169.254.169.254" not in html
    return Snapshot(titles, thumbnails, statements)


def videos(settings: Settings) -> dict[int, Video]:
    with stored(settings) as storage, storage.read() as conn:
        return {v.vimeo_id: v for v in conn.videos()}


def refresh_all(client: TestClient, curator: Curator | None = None) -> dict[int, Outcome]:
    """Every sample refreshed, as the background refresher does: through the app's curator."""
    curator = curator or client.app_state["runtime"].curator
    return {vimeo_id: client.portal.call(curator.refresh, vimeo_id) for vimeo_id in IDS}  # type: ignore[union-attr]


@pytest.fixture
def quick_refresh(
    populated: TestClient, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> Iterator[Callable[[], dict[int, Outcome]]]:
    """``refresh_all`` through a curator whose Vimeo client gives up after tenths of a second
    rather than Vimeo's 30 s, on the app's data; the stand-in lets go afterwards."""
    services = populated.app.services  # type: ignore[attr-defined]
    standin.drip_interval = 0.05

    async def quick_client() -> VimeoClient:
        return VimeoClient(services.settings, vimeo_transport, deadline=0.3)

    vimeo = populated.portal.call(quick_client)
    curator = Curator(services.storage, services.thumbnails, vimeo, services.refresh_policy)
    try:
        yield lambda: refresh_all(populated, curator)
    finally:
        standin.fault = Fault.NONE
        populated.portal.call(vimeo.aclose)


@pytest.mark.parametrize("fault", list(OEMBED_FAULTS))
def test_oembed_faults_keep_the_last_good_data(
    populated: TestClient,
    curated_settings: Settings,
    standin: StandIn,
    quick_refresh: Callable[[], dict[int, Outcome]],
    fault: Fault,
) -> None:
    before, stored = visit(populated), videos(curated_settings)
    standin.fault = fault
    outcomes = quick_refresh()
    for vimeo_id, outcome in outcomes.items():
        assert outcome.error is not None and not outcome.error.definite, vimeo_id
        assert OEMBED_FAULTS[fault] in outcome.error.message
    after = videos(curated_settings)
    for vimeo_id, video in after.items():
        old = stored[vimeo_id]
        assert video.fetch_status is FetchStatus.ERROR
        assert OEMBED_FAULTS[fault] in video.fetch_message
        assert (video.title, video.thumbnail, video.thumbnail_url, video.good_at, video.duration) == (
            old.title,
            old.thumbnail,
            old.thumbnail_url,
            old.good_at,
            old.duration,
        )
        line = status_line(video)
        assert line.startswith("Letzte Aktualisierung fehlgeschlagen:") and "Angezeigt werden" in line
    assert visit(populated) == before  # visitors see exactly what they saw before

    standin.fault = Fault.NONE  # Vimeo recovers: the next refresh brings everything back to ok
    quick_refresh()
    assert {v.fetch_status for v in videos(curated_settings).values()} == {
        FetchStatus.OK,
        FetchStatus.RESTRICTED,
    }
    assert visit(populated) == before


@pytest.mark.parametrize("fault", list(THUMBNAIL_FAULTS))
def test_thumbnail_faults_keep_the_old_picture(
    populated: TestClient, curated_settings: Settings, standin: StandIn, fault: Fault
) -> None:
    before, stored = visit(populated), videos(curated_settings)
    standin.videos[IDS[0]].title = "Neuer Titel"
    standin.fault = fault
    standin.requests.clear()
    outcomes = refresh_all(populated)
    after = videos(curated_settings)
    for vimeo_id in WITH_THUMBNAIL:
        outcome = outcomes[vimeo_id]
        assert outcome.error is None and outcome.thumbnail_error is not None
        assert THUMBNAIL_FAULTS[fault] in outcome.thumbnail_error.message
        video = after[vimeo_id]
        assert video.fetch_status is FetchStatus.OK  # the metadata itself came through
        assert THUMBNAIL_FAULTS[fault] in video.fetch_message
        # The stored picture stays, and so does its source: the next refresh tries the new one again.
        assert video.thumbnail == stored[vimeo_id].thumbnail
        assert video.thumbnail_url == stored[vimeo_id].thumbnail_url
    assert after[IDS[0]].title == "Neuer Titel"
    # Only the stand-in was asked: a redirect to another host is never followed.
    assert {r.url.netloc for r in standin.requests} == {STANDIN_URL.split("//")[1]}
    now = visit(populated)
    assert now.thumbnails == before.thumbnails
    assert now.titles == [("Neuer Titel" if t == before.titles[0] else t) for t in before.titles]
    assert not list(curated_settings.thumbnail_dir.glob(".*.tmp"))  # nothing half-written left


def test_definite_answers_hide_only_the_statements_concerned(
    populated: TestClient, curated_settings: Settings, standin: StandIn
) -> None:
    before = visit(populated)
    gone, blocked = IDS[0], IDS[1]
    standin.videos.pop(gone)
    standin.videos[blocked].embeddable = False
    outcomes = refresh_all(populated)
    assert outcomes[gone].error is not None and outcomes[gone].error.definite
    now = visit(populated)
    assert set(now.statements) == set(before.statements) - {gone, blocked}
    assert len(now.titles) == len(before.titles) - 2
    after = videos(curated_settings)
    assert after[gone].fetch_status is FetchStatus.NOT_FOUND
    assert after[blocked].fetch_status is FetchStatus.FORBIDDEN
    assert status_line(after[gone]).startswith("Für Besucher ausgeblendet: Nicht gefunden")
    assert "Einbetten ist deaktiviert" in status_line(after[blocked])
    assert after[gone].title == before.statements[gone]  # kept for editors, not erased
    # A transient failure later does not bring a hidden statement back...
    standin.fault = Fault.SERVER_ERROR
    refresh_all(populated)
    assert videos(curated_settings)[gone].fetch_status is FetchStatus.NOT_FOUND
    assert gone not in visit(populated).statements
    # ...but the video coming back does.
    standin.fault = Fault.NONE
    standin.add(next(v for v, _ in sample_videos() if v.vimeo_id == gone))
    standin.videos[blocked].embeddable = True
    refresh_all(populated)
    assert visit(populated) == before
