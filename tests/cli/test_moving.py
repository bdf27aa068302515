"""`gallery copy-db`: an installation from SQLite to PostgreSQL and back, checked, never into used data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery.admin.session_cookie import COOKIE_NAME as SESSION_COOKIE
from gallery.app import create_app
from gallery.settings import Secret, Settings
from gallery.storage.store import Storage
from tests.admin_helpers import AdminActions, snapshot, stored_images
from tests.cli.test_copies import FIRST, Operator, source, without_time  # noqa: F401 - the fixture
from tests.htmlparse import parse
from tests.postgres import fresh_database
from tests.processes import free_port

__all__ = ["source"]
# The source is a SQLite installation (the data folder a town has today), moved to a PostgreSQL
# database of the test's own and back; the other direction's checks are in the same tests.
pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture
def empty_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database (as the IT creates one for the gallery)."""
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir(mode=0o700)
    return path


def test_sqlite_to_postgresql_and_back_copies_everything_and_checks_it(
    source: Operator,
    editor: AdminActions,
    curated_settings: Settings,
    empty_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    original_export = source.export()
    original_rows = dict(snapshot(source.database))
    original_images = stored_images(curated_settings)
    assert original_images and original_rows["editor_sessions"] and original_rows["audit_log"]
    # The pictures' smaller copies: records in the database, images beside the pictures.
    assert {row[4] for row in original_rows["image_variants"]} < original_images

    code, out, err = source.run("copy-db", "--to", empty_postgres)
    assert code == 0, err
    assert "Zeile für Zeile geprüft" in out and "statements 7" in out and "editor_sessions 1" in out
    assert f"Bilder {len(original_images)}" in out

    # An instance on PostgreSQL (a data folder of its own, empty) serves the same gallery and
    # images, and the editor's session goes on there.
    on_postgres = replace(
        curated_settings, data_dir=folder(tmp_path, "instance"), database_url=Secret(empty_postgres)
    )
    assert stored_images(on_postgres) == original_images
    with TestClient(create_app(on_postgres), base_url="https://gallery.test") as client:
        assert parse(client.get("/").text).text == parse(editor.client.get("/").text).text
        for name in original_images:
            assert client.get(f"/thumbs/{name}").content == editor.client.get(f"/thumbs/{name}").content
        sources = parse(client.get("/").text).find_all("source", type="image/webp")
        before = parse(editor.client.get("/").text).find_all("source", type="image/webp")
        assert sources and [s.attrs for s in sources] == [s.attrs for s in before]
        for source_el in sources:
            for entry in source_el.attrs["srcset"].split(","):
                r = client.get(entry.split()[0])
                assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
        client.cookies.set(
            SESSION_COOKIE,
            editor.client.cookies.get(SESSION_COOKIE, path="/admin") or "",
            domain="gallery.test",
            path="/admin",
        )
        assert client.get("/admin/", follow_redirects=False).status_code == 200
    pg = Operator(folder(tmp_path, "pg"), monkeypatch, capsys, empty_postgres)
    assert without_time(pg.export()) == without_time(original_export)

    # And back into a new SQLite data folder: the same rows, the same image files.
    back = folder(tmp_path, "back")
    code, out, err = pg.run("copy-db", "--to", str(back))
    assert code == 0, err
    assert "Zeile für Zeile geprüft" in out
    returned = Operator(back, monkeypatch, capsys)
    rows = dict(snapshot(returned.database))
    # (notice versions are recorded by every start, and sign-in counts are not copied)
    for table in set(original_rows) - {"signin_attempts"}:
        assert rows[table] == original_rows[table], table
    assert {p.name for p in (back / "thumbnails").iterdir()} == original_images
    for name in original_images:
        assert (back / "thumbnails" / name).read_bytes() == (
            curated_settings.thumbnail_dir / name
        ).read_bytes()
    assert without_time(returned.export()) == without_time(original_export)
    # New rows on PostgreSQL get ids after the copied ones.
    db = Storage.from_settings(on_postgres)
    try:
        with db.transaction() as tx:
            added = tx.add_gallery("neu", "Neu")
        assert added.id > max(row[0] for row in original_rows["galleries"])
    finally:
        db.close()


def test_a_target_in_use_is_refused_and_nothing_is_written(
    source: Operator,
    curated_settings: Settings,
    empty_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert source.run("copy-db", "--to", empty_postgres)[0] == 0
    used = replace(curated_settings, database_url=Secret(empty_postgres))
    before = snapshot(used)
    code, out, err = source.run("copy-db", "--to", empty_postgres)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "ist nicht leer" in err and "Nichts wurde geschrieben" in err
    assert "statements" in err
    assert snapshot(used) == before
    # The same for a SQLite data folder that holds a gallery already.
    back = folder(tmp_path, "back")
    pg = Operator(folder(tmp_path, "pg"), monkeypatch, capsys, empty_postgres)
    assert pg.run("copy-db", "--to", str(back))[0] == 0
    files = sorted(p.name for p in back.rglob("*"))
    rows = snapshot(back / "gallery.sqlite3")
    code, out, err = pg.run("copy-db", "--to", str(back))
    assert code == 2 and "ist nicht leer" in err and err.count("\n") == 1
    assert sorted(p.name for p in back.rglob("*")) == files and snapshot(back / "gallery.sqlite3") == rows


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("mysql://user:geheim@db/gallery", "postgresql://-Adresse oder einen Datenordner"),
        ("/nirgends/ordner", "gibt es nicht"),
        ("postgresql://user:geheim@[::1/x", "GALLERY_DATABASE_URL"),
    ],
)
def test_a_bad_target_is_one_sentence_and_exit_2(source: Operator, to: str, message: str) -> None:
    code, out, err = source.run("copy-db", "--to", to)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert message in err and "geheim" not in err


def test_an_unreachable_target_is_one_sentence(source: Operator) -> None:
    code, out, err = source.run(
        "copy-db", "--to", f"postgresql://gallery:geheim@127.0.0.1:{free_port()}/gallery"
    )
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert "nicht erreichbar" in err and "geheim" not in err


def test_the_source_itself_is_no_target(source: Operator) -> None:
    code, _, err = source.run("copy-db", "--to", str(source.data_dir))
    assert code == 2 and "dieselbe Datenbank" in err
