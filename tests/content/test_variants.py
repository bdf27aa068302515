"""Smaller copies of thumbnails, posters and logos: made when the picture is stored, on both engines."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from PIL import Image

from gallery.content import audit
from gallery.content.curate import Curator
from gallery.content.transfer import export_data, import_text
from gallery.content.variants import derive, ensure_variants, widths_for
from gallery.models import Variant
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import image_store, stored_name
from gallery.vimeo.standin import FakeVideo, StandIn
from tests.photos import photo, photo_jpeg

pytestmark = pytest.mark.anyio
Factory = Callable[[], AbstractAsyncContextManager[Curator]]
PHOTO = FakeVideo(vimeo_id=77, title="Ein Foto", picture="photo.jpg")


def check_copies(curator: Curator, source: str, size: tuple[int, int]) -> tuple[Variant, ...]:
    """Every copy is stored under the hash of its bytes, and is what its record says."""
    copies = curator.storage.variants([source])[source]
    widths = widths_for(size[0])
    assert sorted((v.format, v.width) for v in copies) == sorted(
        (kind, w) for kind in ("jpg", "webp") for w in widths
    )
    for v in copies:
        data = curator.thumbnails.load(v.name)
        assert data is not None and v.name == stored_name_of(data, v.format)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == {"jpg": "JPEG", "webp": "WEBP"}[v.format]
            assert image.size == (v.width, v.height) == (v.width, round(size[1] * v.width / size[0]))
            assert not image.info.get("exif") and not image.info.get("icc_profile")
    return copies


def stored_name_of(data: bytes, kind: str) -> str:
    from gallery.models import Image as StoredImage

    return stored_name(StoredImage(data, f"image/{'jpeg' if kind == 'jpg' else kind}", kind))


async def test_a_thumbnail_gets_webp_and_jpeg_copies_when_it_is_stored(
    curator_factory: Factory, standin: StandIn
) -> None:
    standin.media["photo.jpg"] = photo_jpeg(7)
    standin.add(PHOTO)
    async with curator_factory() as curator:
        outcome = await curator.add(str(PHOTO.vimeo_id))
        assert outcome.video.thumbnail is not None
        copies = check_copies(curator, outcome.video.thumbnail, (1280, 720))
        assert {v.width for v in copies} == {320, 640, 960}
        [webp640] = [v for v in copies if (v.format, v.width) == ("webp", 640)]
        data = curator.thumbnails.load(webp640.name)
        assert data is not None and len(data) <= 35_000  # the goal for a typical photo's 640 WebP
        # Every copy is smaller than the picture Vimeo sent.
        original = curator.thumbnails.load(outcome.video.thumbnail)
        assert original is not None
        assert all(len(curator.thumbnails.load(v.name) or b"") < len(original) for v in copies)


async def test_no_copy_is_wider_than_the_picture(curator_factory: Factory) -> None:
    async with curator_factory() as curator:
        outcome = await curator.add("900000001")  # the stand-in's sample picture: 640 wide
        assert outcome.video.thumbnail is not None
        copies = check_copies(curator, outcome.video.thumbnail, (640, 360))
        assert {v.width for v in copies} == {320, 640}
    assert widths_for(1920) == (320, 640, 960) and widths_for(700) == (320, 640)
    small = io.BytesIO()
    photo(3, (300, 169)).save(small, "PNG")
    assert [(kind, w, h) for _, kind, w, h in derive(small.getvalue())] == [
        ("webp", 300, 169),
        ("jpg", 300, 169),
    ]


async def test_a_refresh_makes_the_copies_of_a_thumbnail_stored_before(
    curator_factory: Factory,
) -> None:
    async with curator_factory() as curator:
        outcome = await curator.add("900000001")
        source = outcome.video.thumbnail
        assert source is not None
        made = curator.storage.variants([source])[source]
        with curator.storage.transaction() as tx:
            tx.forget_variants([source])
        for v in made:
            curator.thumbnails.discard(v.name)
        assert curator.storage.variants([source]) == {}
        refreshed = await curator.refresh(900000001)  # as `gallery refresh` does
        assert refreshed.video.thumbnail == source
        assert curator.storage.variants([source])[source] == made  # the same copies, same names
        assert all(curator.thumbnails.exists(v.name) for v in made)


async def test_import_makes_the_copies_of_posters_and_logos(
    curator_factory: Factory, settings: Settings
) -> None:
    poster = io.BytesIO()
    photo(11, (1280, 720)).save(poster, "JPEG", quality=90)
    logo = io.BytesIO()
    Image.new("RGBA", (400, 100), (20, 120, 80, 255)).save(logo, "PNG")
    async with curator_factory() as curator:
        await curator.add("900000001")
        data = export_data(curator.storage, curator.thumbnails)
    data["galleries"][0]["statements"][0]["poster"] = base64.b64encode(poster.getvalue()).decode()
    data["galleries"][0]["logo"] = base64.b64encode(logo.getvalue()).decode()
    # Into another, empty installation: the copies follow from the pictures, not from the file.
    other = Settings(data_dir=settings.data_dir.parent / "other", secret_keys=settings.secret_keys).checked()
    storage = Storage.from_settings(other)
    storage.migrate()
    try:
        images = image_store(storage, other)
        import_text(json.dumps(data), storage, images, audit.CLI_ACTOR)
        [statement] = storage.statements()
        gallery = storage.default_gallery()
        assert statement.poster and gallery.logo
        copies = storage.variants([statement.poster, gallery.logo])
        assert sorted((v.format, v.width) for v in copies[statement.poster]) == [
            ("jpg", 320),
            ("jpg", 640),
            ("jpg", 960),
            ("webp", 320),
            ("webp", 640),
            ("webp", 960),
        ]
        [logo_copy] = copies[gallery.logo]
        copy_bytes = images.load(logo_copy.name)
        assert copy_bytes is not None
        with Image.open(io.BytesIO(copy_bytes)) as copy, Image.open(logo) as first:
            assert copy.format == "WEBP" and copy.size == first.size == (400, 100)
            assert copy.convert("RGBA").tobytes() == first.convert("RGBA").tobytes()  # lossless
        assert ensure_variants(storage, images, statement.poster) == copies[statement.poster]
    finally:
        storage.close()


@pytest.mark.parametrize("kind", ["PNG", "GIF"])
def test_an_unreadable_or_odd_picture_gets_no_copies_and_no_error(kind: str) -> None:
    from gallery.content.posters import PosterError

    with pytest.raises(PosterError):
        derive(b"\x89PNG\r\n\x1a\n not really")
    odd = io.BytesIO()
    Image.new("P" if kind == "GIF" else "LA", (400, 300)).save(odd, kind)
    assert [w for _, kind_, w, _ in derive(odd.getvalue()) if kind_ == "webp"] == [320]
