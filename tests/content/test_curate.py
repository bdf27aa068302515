"""Adding, refreshing and removing statements through the real Vimeo door and the stand-in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from importlib import resources

import httpx
import pytest

from gallery.content.curate import CurateError, Curator
from gallery.models import FetchStatus
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.vimeo.standin import FakeVideo, StandIn
from tests.admin_helpers import age_image, load_image, stored_images
from tests.helpers import query, stored

pytestmark = pytest.mark.anyio
Factory = Callable[[], AbstractAsyncContextManager[Curator]]


def rows(settings: Settings) -> list[tuple[object, ...]]:
    return query(settings, "SELECT * FROM statements ORDER BY id")


async def test_add_stores_metadata_texts_and_a_local_thumbnail(
    curator_factory: Factory, curated_settings: Settings
) -> None:
    async with curator_factory() as curator:
        outcome = await curator.add(
            "https://vimeo.com/900000001?share=copy", texts={"speaker_name": "A", "quote": "Q"}
        )
    video = outcome.video
    assert video.title == "Beispiel-Statement 1: Hinsehen statt wegsehen"
    assert video.duration == 84 and video.fetch_status is FetchStatus.OK
    assert outcome.warnings == ()
    assert video.thumbnail is not None
    stored = load_image(curated_settings, video.thumbnail)
    original = (resources.files("gallery.vimeo") / "standin_media" / "sample1.jpg").read_bytes()
    assert stored == original
    assert video.thumbnail == hashlib.sha256(original).hexdigest()[:32] + ".jpg"
    db = Storage.from_settings(curated_settings)
    with db.read() as conn:
        (statement,) = conn.statements()
    db.close()
    assert statement.speaker_name == "A" and statement.quote == "Q" and statement.published


async def test_truncated_answer_is_stored_and_flagged(curator_factory: Factory) -> None:
    async with curator_factory() as curator:
        outcome = await curator.add("900000006")
    assert outcome.video.fetch_status is FetchStatus.RESTRICTED
    assert outcome.video.thumbnail is None and outcome.video.title == ""
    assert any("GALLERY_VIMEO_REFERER" in w for w in outcome.warnings)
    assert any("Platzhalter" in w for w in outcome.warnings)


async def test_referer_setting_unlocks_a_domain_restricted_video(
    open_storage: Callable[[Settings], Storage],
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    from gallery.storage.thumbnails import image_store
    from gallery.vimeo.client import VimeoClient

    standin.videos[900000006].allowed_referers = ("https://www.ratzeburg.de/",)
    settings = replace(curated_settings, vimeo_referer="https://www.ratzeburg.de/")
    db = open_storage(settings)
    db.migrate()
    async with VimeoClient(settings, vimeo_transport) as vimeo:
        outcome = await Curator(db, image_store(db, settings), vimeo).add("900000006")
    assert outcome.video.fetch_status is FetchStatus.OK and outcome.video.title
    assert standin.requests[0].headers["referer"] == "https://www.ratzeburg.de/"


async def test_same_video_twice_in_one_gallery_is_refused(
    curator_factory: Factory, curated_settings: Settings
) -> None:
    async with curator_factory() as curator:
        await curator.add("900000001")
        before = rows(curated_settings)
        with pytest.raises(CurateError, match="schon in der Galerie"):
            await curator.add("https://vimeo.com/900000001")
    assert rows(curated_settings) == before


async def test_a_video_may_appear_in_several_galleries(
    open_storage: Callable[[Settings], Storage],
    curator_factory: Factory, curated_settings: Settings
) -> None:
    db = open_storage(curated_settings)
    db.migrate()
    with db.transaction() as tx:
        tx.add_gallery("schule", "Schule")
    async with curator_factory() as curator:
        await curator.add("900000001")
        await curator.add("900000001", "schule")
        with pytest.raises(CurateError, match="gibt es nicht"):
            await curator.add("900000002", "nope")
    with db.read() as conn:
        assert [g.slug for g in conn.galleries_holding(900000001)] == ["videos", "schule"]


@pytest.mark.parametrize(
    ("link", "phrase"),
    [
        ("https://vimeo.com/1", "Hash"),  # unknown: 404
        ("https://vimeo.com/900000003", "Hash"),  # unlisted without its hash: 404
        ("https://vimeo.com/900000003/0000000000", "Hash"),  # wrong hash
        ("https://vimeo.com/event/12345", "Live-Events"),
        ("https://vimeo.example/900000001", "vimeo.com"),
        ("", "Vimeo-Link"),
    ],
)
async def test_refused_links_store_nothing(
    curator_factory: Factory, curated_settings: Settings, link: str, phrase: str
) -> None:
    async with curator_factory() as curator:
        with pytest.raises(CurateError, match=phrase):
            await curator.add(link)
    assert rows(curated_settings) == []
    assert stored_images(curated_settings) == set()


async def test_embedding_disabled_is_refused(
    curator_factory: Factory, standin: StandIn, curated_settings: Settings
) -> None:
    standin.add(FakeVideo(vimeo_id=42, title="Kein Einbetten", embeddable=False))
    async with curator_factory() as curator:
        with pytest.raises(CurateError, match="Einbetten ist deaktiviert"):
            await curator.add("42")
    assert rows(curated_settings) == []


async def test_thumbnail_from_a_foreign_host_is_not_fetched(
    open_storage: Callable[[Settings], Storage],
    curated_settings: Settings, standin: StandIn, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    from gallery.storage.thumbnails import image_store
    from gallery.vimeo.client import VimeoClient

    settings = replace(curated_settings, vimeo_thumbnail_hosts=("i.vimeocdn.com",))
    db = open_storage(settings)
    db.migrate()
    async with VimeoClient(settings, vimeo_transport) as vimeo:
        outcome = await Curator(db, image_store(db, settings), vimeo).add("900000001")
    assert outcome.video.thumbnail is None
    assert any("GALLERY_VIMEO_THUMBNAIL_HOSTS" in w for w in outcome.warnings)
    assert [r.url.path for r in standin.requests] == ["/api/oembed.json"]


async def test_same_image_is_stored_once(
    curator_factory: Factory, standin: StandIn, curated_settings: Settings
) -> None:
    standin.add(FakeVideo(vimeo_id=43, title="Gleiches Bild", picture="sample1.jpg"))
    async with curator_factory() as curator:
        a = await curator.add("900000001")
        b = await curator.add("43")
    assert a.video.thumbnail == b.video.thumbnail
    db = Storage.from_settings(curated_settings)
    try:
        copies = db.variants([a.video.thumbnail])[a.video.thumbnail]
    finally:
        db.close()
    assert len(copies) == 4  # 320 and 640 wide (the picture is 640 wide), WebP and JPEG
    assert stored_images(curated_settings) == {a.video.thumbnail, *(v.name for v in copies)}


async def test_refresh_picks_up_changes(curator_factory: Factory, standin: StandIn) -> None:
    async with curator_factory() as curator:
        first = await curator.add("900000002")
        standin.videos[900000002].title = "Neuer Titel"
        standin.videos[900000002].picture = "sample5.jpg"
        outcome = await curator.refresh(900000002)
    assert outcome.video.title == "Neuer Titel"
    assert outcome.video.thumbnail != first.video.thumbnail
    assert {"title", "thumbnail"} <= set(outcome.changed)


async def test_refresh_definite_answers_hide_network_errors_keep(
    curator_factory: Factory, standin: StandIn, curated_settings: Settings
) -> None:
    async with curator_factory() as curator:
        await curator.add("900000001")
        await curator.add("900000002")
        standin.videos.pop(900000001)  # gone or made private
        standin.videos[900000002].embeddable = False
        gone = await curator.refresh(900000001)
        blocked = await curator.refresh(900000002)
    assert gone.video.fetch_status is FetchStatus.NOT_FOUND
    assert blocked.video.fetch_status is FetchStatus.FORBIDDEN
    assert gone.video.title  # the good data stays for editors
    with stored(curated_settings) as storage, storage.read() as conn:
        assert conn.statements(visible_only=True) == []


async def test_refresh_after_network_error_keeps_the_last_good_data(
    curator_factory: Factory, curated_settings: Settings, open_storage: Callable[[Settings], Storage]
) -> None:
    from gallery.storage.thumbnails import image_store
    from gallery.vimeo.client import VimeoClient

    async with curator_factory() as curator:
        added = await curator.add("900000001")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    db = open_storage(curated_settings)
    async with VimeoClient(curated_settings, httpx.MockTransport(refuse)) as vimeo:
        outcome = await Curator(db, image_store(db, curated_settings), vimeo).refresh(
            900000001
        )
    video = outcome.video
    assert video.fetch_status is FetchStatus.ERROR
    assert "nicht erreichbar" in video.fetch_message
    assert video.title == added.video.title and video.thumbnail == added.video.thumbnail
    assert video.good_at == added.video.good_at
    with db.read() as conn:
        assert len(conn.statements(visible_only=True)) == 1


async def test_remove_deletes_statement_and_unused_thumbnail(
    curator_factory: Factory, standin: StandIn, curated_settings: Settings
) -> None:
    standin.add(FakeVideo(vimeo_id=43, title="Gleiches Bild", picture="sample1.jpg"))
    async with curator_factory() as curator:
        added = await curator.add("900000001")
        await curator.add("43")
        name = str(added.video.thumbnail)
        age_image(curated_settings, name)  # older than the grace period that protects fresh saves
        assert await curator.remove(900000001) == 1
        assert name in stored_images(curated_settings), "still used by video 43"
        assert await curator.remove(43) == 1
        assert name not in stored_images(curated_settings)
        with pytest.raises(CurateError, match="in keiner Galerie"):
            await curator.remove(900000001)
        assert curator.storage.videos() == [] and curator.storage.statements() == []
