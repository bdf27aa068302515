"""The image store on both engines: content-hash names, stored once, bounded in memory, cleaned up."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from PIL import Image as Picture

from gallery.models import Image
from gallery.settings import Settings
from gallery.storage.postgres import PostgresEngine
from gallery.storage.store import Storage
from gallery.storage.thumbnails import DatabaseImages, FileImages, ImageStore, image_store, stored_name
from tests.admin_helpers import age_image
from tests.processes import free_port


@pytest.fixture
def storage(settings: Settings) -> Iterator[Storage]:
    found = Storage.from_settings(settings)
    found.migrate()
    try:
        yield found
    finally:
        found.close()


def picture(shade: int) -> Image:
    out = io.BytesIO()
    Picture.new("RGB", (64, 64), (shade, 0, 0)).save(out, "PNG")
    return Image(out.getvalue(), "image/png", "png")


def test_postgresql_keeps_images_in_the_database_and_sqlite_in_the_data_folder(
    storage: Storage, settings: Settings
) -> None:
    images = image_store(storage, settings)
    name = images.save(picture(1))
    if settings.database_url is None:
        assert isinstance(images, FileImages) and (settings.thumbnail_dir / name).is_file()
    else:
        assert isinstance(images, DatabaseImages) and storage.image(name) == ("image/png", picture(1).data)
        assert not settings.thumbnail_dir.exists(), "nothing on this instance's disk"


def test_a_name_is_the_hash_of_the_bytes_and_saving_twice_stores_once(
    storage: Storage, settings: Settings
) -> None:
    images = image_store(storage, settings)
    first = images.save(picture(1))
    assert first == stored_name(picture(1)) and images.save(picture(1)) == first
    second = images.save(picture(2))
    assert images.names() == {first, second}
    assert images.load(first) == picture(1).data and images.exists(second)
    assert images.load("0" * 32 + ".png") is None and not images.exists("../gallery.sqlite3")


def test_memory_holds_at_most_its_budget_and_every_image_stays_served(
    storage: Storage, settings: Settings
) -> None:
    size = len(picture(1).data)
    budget = size * 5 // 2  # two pictures, not three
    images: ImageStore
    if storage.keeps_images:
        images = DatabaseImages(storage, budget)
    else:
        images = FileImages(settings.thumbnail_dir, budget)
    names = [images.save(picture(shade)) for shade in (1, 2, 3)]
    for name in names:
        assert images.load(name) is not None
    assert images.memory.size <= budget  # type: ignore[attr-defined]
    assert images.cached(names[0]) is None, "the least recently served went first"
    assert images.cached(names[2]) is not None
    assert [images.load(name) for name in names] == [picture(shade).data for shade in (1, 2, 3)]


def test_by_default_files_are_held_sparingly_and_database_images_more_generously(
    storage: Storage, settings: Settings
) -> None:
    """Files sit in the operating system's cache anyway; every miss from PostgreSQL is a query."""
    images = image_store(storage, settings)
    megabyte = 1024 * 1024
    png = picture(1).data  # a real PNG, padded to a megabyte with noise after its end
    names = [
        images.save(Image(png + os.urandom(megabyte - len(png)), "image/png", "png")) for _ in range(12)
    ]
    for name in names:
        assert images.load(name) is not None
    held = images.memory.size  # type: ignore[attr-defined]
    if storage.keeps_images:
        assert held == 12 * megabyte, "all twelve held: within the 32 MB for database images"
    else:
        assert 7 * megabyte <= held <= 8 * megabyte, "files: at most 8 MB held"
    assert all(images.load(name) is not None for name in names), "every image still served"


def test_while_the_database_is_unreachable_held_images_are_still_served() -> None:
    url = f"postgresql://gallery@127.0.0.1:{free_port()}/gallery"  # nobody listens there
    gone = Storage(PostgresEngine(url, "127.0.0.1/gallery", pool_timeout=0.5))
    try:
        images = DatabaseImages(gone)
        held = stored_name(picture(1))
        images.memory.put(held, picture(1).data)  # served before the database went away
        assert images.load(held) == picture(1).data
        assert images.load(stored_name(picture(2))) is None  # the endpoint shows the placeholder
    finally:
        gone.close()


def test_discard_and_prune_remove_unused_images_but_spare_new_ones(
    storage: Storage, settings: Settings
) -> None:
    images = image_store(storage, settings)
    kept, old, fresh, gone = (images.save(picture(shade)) for shade in (1, 2, 3, 4))
    for name in (kept, old):
        age_image(settings, name)
    images.discard(gone)
    assert images.load(gone) is None and gone not in images.names()
    assert images.prune({kept}) == [old]
    assert images.names() == {kept, fresh}, "an image saved a moment ago may still get its row"
