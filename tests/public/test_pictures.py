"""Right-sized pictures: copies made when a picture is stored, offered by pages in <picture>, never
made on a visitor's request; installations from before get theirs in the background."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.schedule import RefreshPolicy
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import ImageStore
from gallery.vimeo.standin import StandIn
from gallery.web.render import CARD_SIZES, STAGE_SIZES
from tests.admin_helpers import AdminActions, statement_id
from tests.conftest import STANDIN_URL
from tests.htmlparse import Element, parse
from tests.photos import photo, photo_jpeg

SAMPLES = [video for video, _ in sample_videos()]
SHOWN = [v for v in SAMPLES if not v.restricted]  # a restricted video comes without a picture
MEDIA_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}


@pytest.fixture
def standin() -> StandIn:
    """The demo's sample videos, each with a photo-like 1280×720 thumbnail instead of flat art."""
    fake = StandIn(base_url=STANDIN_URL)
    for n, video in enumerate(SAMPLES):
        fake.add(video)
        fake.media[video.picture] = photo_jpeg(n)
    return fake


def services_of(client: TestClient) -> tuple[Storage, ImageStore]:
    services = client.app.services  # type: ignore[attr-defined]
    return services.storage, services.thumbnails


def pictures(doc: Element) -> list[Element]:
    return [p for p in doc.find_all("picture") if p.parent is not None and p.parent.has_class("media")]


def srcset(value: str) -> list[tuple[str, int]]:
    """``url 640w, …`` as (url, width) pairs."""
    found = []
    for entry in value.split(",") if value else []:
        url, descriptor = entry.split()
        assert descriptor.endswith("w"), entry
        found.append((url, int(descriptor[:-1])))
    return found


def check_served(client: TestClient, url: str, kind: str, width: int) -> None:
    """The copy is ours, of the format and width its srcset entry promises, cached for good."""
    r = client.get(url)
    assert r.status_code == 200, url
    assert r.headers["content-type"] == MEDIA_TYPES[kind]
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    with Image.open(io.BytesIO(r.content)) as image:
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[kind] and image.width == width
    again = client.get(url, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_pages_offer_webp_and_jpeg_copies_that_are_served_as_promised(populated: TestClient) -> None:
    doc = parse(populated.get("/").text)
    found = pictures(doc)
    assert len(found) == len(SAMPLES)
    placeholder = [p for p in found if not p.find_all("source")]
    assert [p.parent.attrs["id"] for p in placeholder if p.parent] == [
        f"m-{v.vimeo_id}" for v in SAMPLES if v.restricted
    ]
    for picture in (p for p in found if p not in placeholder):
        [source] = picture.find_all("source")
        img = picture.find("img")
        assert img is not None and source.attrs["type"] == "image/webp"
        assert source.attrs["sizes"] == img.attrs["sizes"] == CARD_SIZES
        webp, jpeg = srcset(source.attrs["srcset"]), srcset(img.attrs["srcset"])
        assert [w for _, w in webp] == [w for _, w in jpeg] == [320, 640, 960]
        assert all(u.endswith(".webp") for u, _ in webp) and all(u.endswith(".jpg") for u, _ in jpeg)
        # Browsers that read no srcset get the 640-wide JPEG; the box keeps the ratio (no shift).
        assert img.attrs["src"] == dict((w, u) for u, w in jpeg)[640]
        assert (img.attrs["width"], img.attrs["height"]) == ("640", "360")
        for url, width in webp:
            check_served(populated, url, "webp", width)
        for url, width in jpeg:
            check_served(populated, url, "jpg", width)
    statement = parse(populated.get(f"/g/videos/v/{SHOWN[0].vimeo_id}").text)
    [picture] = pictures(statement)
    img, [source] = picture.find("img"), picture.find_all("source")
    assert img is not None and source.attrs["sizes"] == img.attrs["sizes"] == STAGE_SIZES
    for url, width in srcset(source.attrs["srcset"]):
        check_served(populated, url, "webp", width)


def test_the_first_picture_is_fetched_first_and_the_others_when_near(populated: TestClient) -> None:
    imgs = [p.find("img") for p in pictures(parse(populated.get("/").text))]
    first, rest = imgs[0], imgs[1:]
    assert first is not None and first.attrs.get("fetchpriority") == "high" and "loading" not in first.attrs
    assert rest and all(i is not None and i.attrs.get("loading") == "lazy" for i in rest)
    assert not [i for i in rest if i is not None and "fetchpriority" in i.attrs]
    [picture] = pictures(parse(populated.get(f"/g/videos/v/{SHOWN[2].vimeo_id}").text))
    img = picture.find("img")
    assert img is not None and img.attrs.get("fetchpriority") == "high" and "loading" not in img.attrs


def test_the_640_webp_of_a_photo_like_thumbnail_is_at_most_35_kb(populated: TestClient) -> None:
    storage, images = services_of(populated)
    for video in SHOWN:
        thumbnail = storage.video(video.vimeo_id)
        assert thumbnail is not None and thumbnail.thumbnail is not None
        copies = storage.variants([thumbnail.thumbnail])[thumbnail.thumbnail]
        [webp] = [v for v in copies if v.format == "webp" and v.width == 640]
        data = images.load(webp.name)
        assert data is not None and len(data) <= 35_000, (video.vimeo_id, len(data or b""))


def test_serving_pages_and_pictures_makes_and_stores_nothing(populated: TestClient) -> None:
    storage, images = services_of(populated)
    # Every image in the store, and the database's change counter: any copy made and stored (file,
    # row or record) would change one of them.
    names, version = images.names(), storage.data_version()
    urls = set()
    for path in ["/", "/?lang=en", *(f"/g/videos/v/{v.vimeo_id}" for v in SHOWN)]:
        doc = parse(populated.get(path).text)
        for picture in pictures(doc):
            for el in [*picture.find_all("source"), *picture.find_all("img")]:
                urls.update(url for url, _ in srcset(el.attrs.get("srcset", "")))
    assert len(urls) == 6 * len(SHOWN)
    for url in sorted(urls):
        assert populated.get(url).status_code == 200
    assert images.names() == names and storage.data_version() == version


def strip_copies(storage: Storage, images: ImageStore) -> set[str]:
    """Make the data look as before copies were made: no records, no files; the pictures' names."""
    with storage.read() as reads:
        sources = reads.referenced_thumbnails() - {
            v.name for copies in reads.variants(reads.referenced_thumbnails()).values() for v in copies
        }
        made = reads.variants(sources)
    with storage.transaction() as tx:
        tx.forget_variants(sources)
    for copies in made.values():
        for v in copies:
            images.discard(v.name)
    return sources


def test_an_installation_from_before_gets_its_copies_in_the_background_not_from_visitors(
    populated: TestClient,
) -> None:
    storage, images = services_of(populated)
    sources = strip_copies(storage, images)
    assert len(sources) == len(SHOWN) and storage.pictures_without_variants() == sorted(sources)
    version = storage.data_version()
    # Until then pages show the pictures themselves, and visitors cause nothing.
    doc = parse(populated.get("/").text)
    for picture in pictures(doc):
        img = picture.find("img")
        assert img is not None and not picture.find_all("source") and "srcset" not in img.attrs
        if not img.attrs["src"].startswith("/thumbs/"):
            continue  # the placeholder of the video without a picture
        assert img.attrs["src"].removeprefix("/thumbs/") in sources
        assert populated.get(img.attrs["src"]).status_code == 200
    assert storage.data_version() == version and storage.pictures_without_variants() == sorted(sources)
    refresher = populated.app_state["runtime"].refresher  # type: ignore[attr-defined]
    report = populated.portal.call(refresher.run_once)  # type: ignore[union-attr]
    assert sorted(report.derived) == sorted(sources) and not report.refreshed
    assert storage.pictures_without_variants() == []
    with_copies = [p for p in pictures(parse(populated.get("/").text)) if p.find_all("source")]
    assert len(with_copies) == len(SHOWN)
    for picture in with_copies:
        [source] = picture.find_all("source")
        assert [w for _, w in srcset(source.attrs["srcset"])] == [320, 640, 960]
    assert populated.portal.call(refresher.run_once).derived == ()  # type: ignore[union-attr]


def test_the_background_pass_after_start_makes_the_missing_copies(
    populated_app: Starlette, curated_settings: Settings
) -> None:
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        sources = strip_copies(*services_of(client))
    # A restart of the service, with the refresher's first pass soon after start.
    policy = RefreshPolicy(first_delay=0.0, tick=0.2)
    app = create_app(curated_settings, refresh_policy=policy)
    with TestClient(app, base_url="https://gallery.test") as client:
        storage, _ = services_of(client)
        deadline = time.monotonic() + 60  # generous: the machine may be busy
        while storage.pictures_without_variants() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert storage.pictures_without_variants() == []
        assert set(storage.variants(sources)) == sources
        assert len([p for p in pictures(parse(client.get("/").text)) if p.find_all("source")]) == len(SHOWN)



def test_a_poster_gets_copies_on_upload_and_they_go_with_the_statement(
    editor: AdminActions, curated_settings: Settings
) -> None:
    storage, images = services_of(editor.client)
    sid = statement_id(curated_settings, SHOWN[1].vimeo_id)
    upload = io.BytesIO()
    photo(21, (1600, 900)).save(upload, "JPEG", quality=92)
    r = editor.post(f"/admin/s/{sid}/poster", files={"poster": ("bild.jpg", upload.getvalue(), "image/jpeg")})
    assert r.status_code == 303
    poster = next(s.poster for s in storage.statements() if s.id == sid)
    assert poster is not None
    copies = storage.variants([poster])[poster]
    assert sorted((v.format, v.width) for v in copies) == [
        (kind, w) for kind in ("jpg", "webp") for w in (320, 640, 960)
    ]
    card = parse(editor.client.get("/").text).by_id(f"m-{SHOWN[1].vimeo_id}")
    assert card is not None
    [source] = card.find_all("source")
    assert {u.removeprefix("/thumbs/") for u, _ in srcset(source.attrs["srcset"])} == {
        v.name for v in copies if v.format == "webp"
    }
    # A speaker withdraws the statement: the poster and every copy are gone at once.
    assert editor.post(f"/admin/s/{sid}/delete", {"confirm": "1"}).status_code == 303
    assert not [name for name in [poster, *(v.name for v in copies)] if images.exists(name)]
    assert storage.variants([poster]) == {}
