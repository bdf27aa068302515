"""The storage interface: reads by name return models, writes are all or nothing, and the SQL
written once for every engine keeps what the SQLite-only spelling did (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gallery.models import FetchStatus, Gallery, Video
from gallery.settings import Settings
from gallery.storage.engine import Connection
from gallery.storage.postgres import PostgresEngine
from gallery.storage.store import Storage


@pytest.fixture
def storage(settings: Settings) -> Iterator[Storage]:
    found = Storage.from_settings(settings)
    found.migrate()
    try:
        yield found
    finally:
        found.close()


@contextmanager
def behind_its_back(settings: Settings) -> Iterator[Connection]:
    """A transaction of another instance (its own engine and connections) on the same database."""
    other = Storage.from_settings(settings)
    try:
        with other.engine.transaction() as conn:
            yield conn
    finally:
        other.close()


def video(vimeo_id: int) -> Video:
    return Video(
        vimeo_id=vimeo_id,
        unlisted_hash=None,
        title=f"Video {vimeo_id}",
        author_name="Stadt",
        duration=60,
        width=640,
        height=360,
        upload_date=None,
        thumbnail_url=None,
        thumbnail=None,
        fetch_status=FetchStatus.OK,
        fetch_message="",
        fetched_at="2026-01-01T00:00:00+00:00",
        good_at="2026-01-01T00:00:00+00:00",
    )


def test_a_new_installation_has_its_default_gallery_once(storage: Storage) -> None:
    assert storage.migrate() == storage.schema_version()  # a second start changes nothing
    assert [g.slug for g in storage.galleries()] == ["videos"]
    gallery = storage.default_gallery()
    assert isinstance(gallery, Gallery) and gallery.is_default
    with pytest.raises(dataclasses.FrozenInstanceError):
        gallery.title = "anders"  # type: ignore[misc]


def test_the_default_gallery_takes_the_first_free_slug(storage: Storage, settings: Settings) -> None:
    with behind_its_back(settings) as conn:
        conn.execute("UPDATE galleries SET is_default = 0")
    storage.migrate()
    assert storage.default_gallery().slug == "videos-2"


def test_a_transaction_that_fails_leaves_nothing_and_counts_no_write(storage: Storage) -> None:
    before = storage.writes
    with pytest.raises(RuntimeError), storage.transaction() as tx:
        gallery = tx.add_gallery("schule", "Schule")
        tx.save_video(video(1))
        tx.add_statement(gallery.id, 1, published=True, quote="Ein Satz.")
        raise RuntimeError("an editor's request went wrong half-way")
    assert storage.gallery_by_slug("schule") is None
    assert storage.videos() == [] and storage.statements() == []
    assert storage.writes == before


def test_a_committed_transaction_is_seen_by_the_next_read(storage: Storage) -> None:
    before = storage.writes
    with storage.transaction() as tx:
        gallery = tx.add_gallery("schule", "Schule", frame_ancestors=("https://schule.example",))
        tx.save_video(video(1))
        first = tx.add_statement(gallery.id, 1, published=True, quote="Ein Satz.")
        tx.save_video(video(2))
        second = tx.add_statement(gallery.id, 2, published=False)
    assert storage.writes == before + 1
    found = storage.gallery_by_slug("schule")
    assert found is not None and found.frame_ancestors == ("https://schule.example",)
    shown = storage.statements(found.id, visible_only=True)
    assert [(s.id, s.position, s.quote, s.video.title) for s in shown] == [(first, 1, "Ein Satz.", "Video 1")]
    assert [s.position for s in storage.statements(found.id)] == [1, 2]
    by_id = storage.statement_by_id(second)
    assert by_id is not None and by_id.gallery_slug == "schule" and not by_id.published
    assert storage.statement_ids() == {first, second}


def test_an_edit_bumps_the_revision_only_when_asked(storage: Storage) -> None:
    gallery = storage.default_gallery()
    with storage.transaction() as tx:
        tx.save_video(video(1))
        sid = tx.add_statement(gallery.id, 1, published=False)
    current = storage.statement_by_id(sid)
    assert current is not None and current.revision == 1
    with storage.transaction() as tx:
        tx.update_statement(current, {"quote": "Neu."}, bump=True)
        tx.update_statement(current, {"published": True}, bump=False)
    saved = storage.statement_by_id(sid)
    assert saved is not None and (saved.revision, saved.quote, saved.published) == (2, "Neu.", True)


def test_a_notice_version_keeps_the_moment_it_was_first_shown(storage: Storage, settings: Settings) -> None:
    with storage.transaction() as tx:
        first = tx.record_notice_version("v1", "kurz", "lang")
    with behind_its_back(settings) as conn:
        conn.execute("UPDATE notice_versions SET first_shown = '2020-01-01T00:00:00+00:00'")
    with storage.transaction() as tx:
        again = tx.record_notice_version("v1", "kurz", "lang")  # shown again later: no new row
    assert first != again == "2020-01-01T00:00:00+00:00"


def test_bringing_a_check_forward_never_puts_it_back(storage: Storage) -> None:
    gallery = storage.default_gallery()
    with storage.transaction() as tx:
        for vimeo_id in (1, 2):
            tx.save_video(video(vimeo_id))
            tx.add_statement(gallery.id, vimeo_id, published=True)
        tx.schedule_refresh(1, 100.0, 0)
        tx.schedule_refresh(2, 900.0, 3)
        tx.bring_forward([1, 2], 500.0)
    checks = {v.vimeo_id: (v.next_check, v.failures) for v in storage.scheduled_videos()}
    assert checks == {1: (100.0, 0), 2: (500.0, 3)}


def test_a_longer_pause_already_set_stays(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.pause_refresh(1000.0, 1, "Vimeo antwortet nicht")
        tx.pause_refresh(500.0, 2, "wieder nicht")
    state = storage.refresh_state()
    assert (state.paused_until, state.failures, state.reason) == (1000.0, 2, "wieder nicht")
    with storage.transaction() as tx:
        tx.pause_refresh(2000.0, 3, "noch immer nicht")
    assert storage.refresh_state().paused_until == 2000.0
    with storage.transaction() as tx:
        tx.end_refresh_pause()
    assert storage.refresh_state().paused_until == 0


def test_one_lease_at_a_time_until_it_expires(storage: Storage) -> None:
    with storage.transaction() as tx:
        assert tx.take_lease("a", now=10.0, seconds=60.0)
        assert not tx.take_lease("b", now=40.0, seconds=60.0)
        assert tx.take_lease("a", now=40.0, seconds=60.0)  # renewed by its holder: until 100
        assert not tx.take_lease("b", now=99.0, seconds=60.0)
        assert tx.take_lease("b", now=101.0, seconds=60.0)  # expired: another process takes over
        tx.release_lease("a")  # no longer its holder: changes nothing
    assert storage.refresh_state().holder == "b"


def test_a_failing_database_raises_what_errors_names(settings: Settings, tmp_path: Path) -> None:
    if settings.database_url is None:
        folder = tmp_path / "not-a-file.sqlite3"
        folder.mkdir()
        storage = Storage.sqlite(folder)
    else:  # a database nobody created
        missing = settings.database_url.value.rpartition("/")[0] + "/no_such_database"
        storage = Storage(PostgresEngine(missing, "no_such_database", pool_timeout=2.0))
    try:
        with pytest.raises(storage.errors):
            storage.galleries()
    finally:
        storage.close()


def test_the_change_probe_moves_when_another_instance_writes_and_not_on_reads(
    storage: Storage, settings: Settings
) -> None:
    before = storage.data_version()
    storage.galleries()
    with storage.read() as reads:
        reads.default_gallery()
    other = Storage.from_settings(settings)  # another instance, or the command line
    try:
        other.statements()
        assert storage.data_version() == before, "reads are no change"
        with other.transaction() as tx:
            tx.add_gallery("schule", "Schule")
    finally:
        other.close()
    after = storage.data_version()
    assert after != before
    assert storage.data_version() == after


def test_texts_sort_alike_on_every_engine(storage: Storage) -> None:
    titles = ["b", "B", "a", "Ä", "z", "ä", "10", "9"]
    with storage.transaction() as tx:
        for n, title in enumerate(titles):
            tx.add_gallery(f"g{n}", title)
    shown = [g.title for g in storage.galleries() if not g.is_default]
    assert shown == sorted(titles), "byte order (SQLite's), whatever the server's locale"
