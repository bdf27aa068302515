"""What only the PostgreSQL engine does: its spelling of the migrations, placeholders, migrating once."""

from __future__ import annotations

import threading

import pytest

from gallery.settings import Settings
from gallery.storage.engine import migration_files
from gallery.storage.pgsql import pg_sql
from gallery.storage.store import Storage

# PostgreSQL only: SQLite has none of these.
pytestmark = pytest.mark.engines("postgres")


def test_both_engines_have_the_same_numbered_migrations() -> None:
    sqlite = [(number, name) for number, name, _ in migration_files()]
    postgres = [(number, name) for number, name, _ in migration_files("postgres")]
    assert sqlite == postgres
    assert [number for number, _ in sqlite] == list(range(1, len(sqlite) + 1)), "no gaps, no repeats"


@pytest.mark.parametrize(
    ("written", "run"),
    [
        (
            "SELECT * FROM galleries WHERE slug = ? AND id < ?",
            "SELECT * FROM galleries WHERE slug = %s AND id < %s",
        ),
        ("SELECT ? LIKE '10%'", "SELECT %s LIKE '10%%'"),
        (
            "SELECT 'wer?', \"was?\" -- warum?\nFROM t WHERE a = ?",
            "SELECT 'wer?', \"was?\" -- warum?\nFROM t WHERE a = %s",
        ),
        ("SELECT 'it''s?' || ?", "SELECT 'it''s?' || %s"),
    ],
)
def test_placeholders_are_translated_in_one_place(written: str, run: str) -> None:
    assert pg_sql(written) == run


def test_a_query_with_percent_and_a_quoted_question_mark_runs(settings: Settings) -> None:
    storage = Storage.from_settings(settings)
    try:
        storage.migrate()
        with storage.engine.connect() as conn:
            row = conn.execute(
                "SELECT slug, 'wer?' AS asked FROM galleries WHERE slug LIKE '%eo%' AND title = ?",
                ("Videostatements",),
            ).fetchone()
        assert (row["slug"], row["asked"], row[1]) == ("videos", "wer?", "wer?")
    finally:
        storage.close()


def test_instances_starting_at_once_on_an_empty_database_migrate_exactly_once(settings: Settings) -> None:
    instances = [Storage.from_settings(settings) for _ in range(4)]
    start = threading.Barrier(len(instances))
    versions: list[int] = []
    failures: list[BaseException] = []

    def migrate(storage: Storage) -> None:
        start.wait()
        try:
            versions.append(storage.migrate())
        except BaseException as exc:  # collected, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in instances]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        latest = migration_files("postgres")[-1][0]
        assert versions == [latest] * len(instances)
        assert [g.slug for g in instances[0].galleries()] == ["videos"], "one default gallery"
        with instances[0].engine.connect() as conn:
            assert conn.execute("SELECT COUNT(*) FROM refresh_state").fetchone()[0] == 1
            assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    finally:
        for storage in instances:
            storage.close()


def test_a_database_never_migrated_is_at_version_0(settings: Settings) -> None:
    storage = Storage.from_settings(settings)
    try:
        assert storage.schema_version() == 0
        assert storage.migrate() == storage.schema_version() > 0
    finally:
        storage.close()
