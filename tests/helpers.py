"""Small helpers shared by the tests of the visitor's pages."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg

from gallery.models import FetchStatus, Video
from gallery.settings import Settings
from gallery.storage.store import Storage
from tests.htmlparse import Element

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@contextmanager
def stored(settings: Settings) -> Iterator[Storage]:
    """The storage ``settings`` name, on whichever engine; closed on leaving (a pool's threads too)."""
    storage = Storage.from_settings(settings)
    try:
        yield storage
    finally:
        storage.close()


def stored_bytes(settings: Settings) -> bytes:
    """Everything the database holds, as bytes to search: the SQLite file with its -wal and -shm
    (deleted rows' leftovers included), or every row of every table on PostgreSQL (whose files
    are the server's: see PostgresEngine.erase)."""
    if settings.database_url is None:
        return b"".join(p.read_bytes() for p in sorted(settings.data_dir.glob("gallery.sqlite3*")))
    with psycopg.connect(settings.database_url.value) as pg:
        tables = pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        ).fetchall()
        return repr([pg.execute(f'SELECT * FROM "{name}"').fetchall() for (name,) in tables]).encode()


def query(settings: Settings, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """One SQL statement (``?`` placeholders) on the database ``settings`` name, past the service's
    own code (as an auditor reads, or another program writes); committed; its rows, if any."""
    if settings.database_url is None:
        with closing(sqlite3.connect(settings.database_path)) as conn:
            cursor = conn.execute(statement, params)
            rows = cursor.fetchall()
            conn.commit()
            return rows
    with psycopg.connect(settings.database_url.value) as pg:
        cursor = pg.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def add_gallery(
    settings: Settings,
    slug: str,
    title: str,
    *,
    lang: str = "de",
    frame_ancestors: tuple[str, ...] = (),
    vimeo_ids: tuple[int, ...] = (),
) -> None:
    """A second gallery (the admin area of a later issue makes these), holding existing videos."""
    storage = Storage.from_settings(settings)
    with storage.transaction() as tx:
        gallery = tx.add_gallery(slug, title, lang=lang, frame_ancestors=frame_ancestors)
        for vimeo_id in vimeo_ids:
            tx.add_statement(gallery.id, vimeo_id, published=True, speaker_name="Sprecherin")
    storage.close()


def set_default_gallery(settings: Settings, **fields: object) -> None:
    storage = Storage.from_settings(settings)
    with storage.transaction() as tx:
        tx.update_gallery(tx.default_gallery().id, **fields)
    storage.close()


def csp(header: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")
    }


def internal_links(doc: Element) -> list[str]:
    """Every link to one of our own pages (not anchors, not other sites)."""
    out = []
    for a in doc.find_all("a"):
        href = a.attrs.get("href", "")
        parts = urlsplit(href)
        if href.startswith("/") and not href.startswith("//") and not parts.path.startswith("/static/"):
            out.append(href)
    return out


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def locale_env(env: Mapping[str, str], **locale: str) -> dict[str, str]:
    """``env`` with exactly these locale variables (``LANG="en_US.UTF-8"``, ``LANGUAGE="en:de"``…)."""
    found = {k: v for k, v in env.items() if k not in LOCALE_VARIABLES}
    found.update(locale)
    return found


def bench_samples(count: int) -> list[Any]:
    """The benchmark's sample statements (bench/run.py): German texts of realistic length, each with
    a 1,500-character transcript, the same every run; what the page weight goal is measured with."""
    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).parents[1] / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_run", module)  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    samples: list[Any] = module.sample_statements(count)
    return samples


def seed_statements(settings: Settings, count: int, *, published: bool = True) -> list[int]:
    """``count`` published statements with the benchmark's texts at the end of the default gallery,
    straight through the storage (one transaction, no Vimeo); their Vimeo ids in gallery order."""
    now = "2026-01-01T00:00:00+00:00"
    samples = bench_samples(count)
    with stored(settings) as storage:
        storage.migrate()
        with storage.transaction() as tx:
            gallery = tx.default_gallery()
            for sample in samples:
                tx.save_video(
                    Video(
                        vimeo_id=sample.vimeo_id,
                        unlisted_hash=None,
                        title=sample.title,
                        author_name="Stadt (Beispiel)",
                        duration=sample.duration,
                        width=1920,
                        height=1080,
                        upload_date=now,
                        thumbnail_url=None,
                        thumbnail=None,
                        fetch_status=FetchStatus.OK,
                        fetch_message="",
                        fetched_at=now,
                        good_at=now,
                    )
                )
                tx.add_statement(
                    gallery.id,
                    sample.vimeo_id,
                    published=published,
                    speaker_name=sample.speaker_name,
                    speaker_role=sample.speaker_role,
                    quote=sample.quote,
                    transcript=sample.transcript,
                    alt_text=sample.alt_text,
                )
    return [s.vimeo_id for s in samples]
