"""Backing up PostgreSQL as docs/operations.md says: ``pg_dump --format=custom``, then ``pg_restore``
into an empty database, and the service on the copy shows the same gallery."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Secret, Settings
from tests.htmlparse import parse
from tests.postgres import fresh_database, postgres_bin

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def shown(client: TestClient) -> dict[str, str]:
    """What visitors see: the gallery page and every statement's page, as text."""
    pages = ["/", *(f"/g/videos/v/{video.vimeo_id}" for video, _ in sample_videos())]
    found = {}
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        found[path] = parse(r.text).find("main").text
    return found


def documented(program: str) -> list[str]:
    """The options docs/operations.md gives ``program`` (``pg_dump`` or ``pg_restore``)."""
    line = re.search(rf"^{program} (.*)$", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    assert line, f"docs/operations.md shows the {program} command"
    return line.group(1).split()


def run(program: str, args: list[str], where: Path) -> None:
    result = subprocess.run(
        [str(postgres_bin() / program), *args],
        capture_output=True,
        text=True,
        cwd=where,
        env={**os.environ, "LANG": "C"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.engines("postgres")
def test_pg_dump_and_pg_restore_give_back_the_same_gallery(
    populated: TestClient,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    postgres_server: str,
    tmp_path: Path,
) -> None:
    assert curated_settings.database_url is not None
    before = shown(populated)
    assert sample_videos()[0][0].title in before["/"]
    dump = documented("pg_dump")
    assert dump[0] == "--format=custom" and dump[-1] == '"$GALLERY_DATABASE_URL"', dump
    run("pg_dump", [*dump[:-1], curated_settings.database_url.value], tmp_path)
    with fresh_database(postgres_server) as empty:
        restore = documented("pg_restore")
        assert restore[-1] == "gallery.dump" and '--dbname="$GALLERY_DATABASE_URL"' in restore, restore
        options = [a for a in restore if not a.startswith("--dbname=")]
        run("pg_restore", [*options[:-1], f"--dbname={empty}", options[-1]], tmp_path)
        copy = replace(curated_settings, database_url=Secret(empty))
        app = create_app(copy, vimeo_transport=vimeo_transport)
        with TestClient(app, base_url="https://gallery.test") as restored:
            assert shown(restored) == before
