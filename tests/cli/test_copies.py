"""`gallery export`, `gallery import` and `gallery backup` as the IT person runs them."""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import shutil
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gallery.cli.demo.samples import sample_videos
from gallery.cli.main import main
from gallery.settings import Secret, Settings
from tests.admin.test_curate import blob, jpeg_with_metadata, new_gallery, preview, texts
from tests.admin_helpers import AdminActions, snapshot, statement_id, stored_images
from tests.conftest import TEST_KEY
from tests.content.test_looks import png_logo
from tests.helpers import query
from tests.postgres import fresh_database

SAMPLES = [video for video, _ in sample_videos()]
FIRST, SECOND, RESTRICTED = SAMPLES[0], SAMPLES[1], SAMPLES[5]
LOOK_ACCENT = "#1d5e8c"


class Operator:
    """Runs `gallery ...` in this process against one data dir, as a shell would."""

    def __init__(
        self,
        data_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        database_url: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.database_url = database_url  # None: the SQLite file in data_dir

    def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setenv("GALLERY_DATA_DIR", str(self.data_dir))
        self.monkeypatch.setenv("GALLERY_SECRET_KEYS", TEST_KEY)
        if self.database_url is None:
            self.monkeypatch.delenv("GALLERY_DATABASE_URL", raising=False)
        else:
            self.monkeypatch.setenv("GALLERY_DATABASE_URL", self.database_url)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def export(self) -> dict[str, Any]:
        code, out, _ = self.run("export")
        assert code == 0
        data: dict[str, Any] = json.loads(out)
        return data

    @property
    def database(self) -> Path:
        return self.data_dir / "gallery.sqlite3"

    @property
    def stored(self) -> Settings:
        """Settings naming where its data is (the SQLite file in its folder, or its database)."""
        url = Secret(self.database_url) if self.database_url else None
        return Settings(data_dir=self.data_dir, secret_keys=(Secret(TEST_KEY),), database_url=url)


@pytest.fixture
def source(editor: AdminActions, curated_settings: Settings, monkeypatch, capsys) -> Operator:  # type: ignore[no-untyped-def]
    """An instance with everything an export must carry: drafts, overrides, posters, galleries."""
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    values = texts(title_override="Eigener Titel", speaker_name="Name „mit“ Zeichen", caption_lang="")
    editor.post(f"/admin/s/{sid}", {"revision": "1", **values})
    editor.post(f"/admin/s/{sid}/poster", files={"poster": ("p.jpg", jpeg_with_metadata(), "image/jpeg")})
    editor.post(
        f"/admin/s/{statement_id(curated_settings, SECOND.vimeo_id)}/publish",
        {"published": "0"},
    )
    new_gallery(editor)
    editor.post(
        "/admin/g/probe/settings",
        {
            "title": "Probe",
            "intro": "Zwei\n\nAbsätze",
            "lang": "de",
            "frame_ancestors": "https://www.stadt.de",
            "accent": LOOK_ACCENT,
            "logo_alt": "Stadt Probe",
        },
    )
    editor.post("/admin/g/probe/logo", files={"logo": ("logo.png", png_logo(), "image/png")})
    _, doc = preview(editor, f"https://vimeo.com/{RESTRICTED.vimeo_id}")
    editor.post(
        "/admin/g/probe/add", {"step": "draft", "link": "x", "preview": blob(doc), **texts(quote="Q")}
    )
    url = curated_settings.database_url
    return Operator(curated_settings.data_dir, monkeypatch, capsys, url.value if url else None)


@pytest.fixture
def target(tmp_path: Path, engine_name: str, request, monkeypatch, capsys) -> Iterator[Operator]:  # type: ignore[no-untyped-def]
    """A new installation on the source's engine: its data folder exists (install -d -m 700), nothing
    is in it yet (nor in its database)."""
    (tmp_path / "restored").mkdir(mode=0o700)
    if engine_name == "sqlite":
        yield Operator(tmp_path / "restored", monkeypatch, capsys)
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield Operator(tmp_path / "restored", monkeypatch, capsys, url)


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data.pop("exported_at")
    return data


# --- export ------------------------------------------------------------------------------


def test_export_writes_every_gallery_and_statement(source: Operator, tmp_path: Path) -> None:
    data = source.export()
    assert data["format"] == "statement-gallery-export" and data["version"] == 1
    galleries = {g["slug"]: g for g in data["galleries"]}
    assert set(galleries) == {"videos", "probe"}
    assert [s["vimeo_id"] for s in galleries["videos"]["statements"]] == [v.vimeo_id for v in SAMPLES]
    first = galleries["videos"]["statements"][0]
    assert first["title_override"] == "Eigener Titel" and first["caption_lang"] == ""
    assert first["poster"] and first["video"]["title"] == FIRST.title
    assert galleries["videos"]["statements"][1]["published"] is False
    assert galleries["probe"]["frame_ancestors"] == ["https://www.stadt.de"]
    # the gallery's own look travels with it: colour, logo (inline, it exists nowhere else), its text
    assert galleries["probe"]["accent"] == LOOK_ACCENT and galleries["probe"]["logo_alt"] == "Stadt Probe"
    assert base64.b64decode(galleries["probe"]["logo"]).startswith(b"\x89PNG")
    assert galleries["videos"]["accent"] == "" and galleries["videos"]["logo"] is None
    code, _, err = source.run("export", str(tmp_path / "export.json"))
    assert code == 0 and "2 Galerien, 7 Statements" in err
    assert stat.S_IMODE(os.stat(tmp_path / "export.json").st_mode) == 0o600
    assert without_time(json.loads((tmp_path / "export.json").read_text())) == without_time(data)


# --- import ------------------------------------------------------------------------------


def test_export_import_round_trip_is_exact(source: Operator, target: Operator, tmp_path: Path) -> None:
    original = source.export()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(original), encoding="utf-8")
    code, out, err = target.run("import", str(path))
    assert code == 0, err
    assert "Galerien 1 neu, 0 geändert; Statements 7 neu" in out
    assert "gallery refresh --all" in err, "Vimeo thumbnails are named, not carried"
    assert without_time(target.export()) == without_time(original)
    # Twice changes nothing, on either engine (on SQLite row for row: the test below).
    code, out, _ = target.run("import", str(path))
    assert code == 0 and "0 neu, 0 geändert, 7 unverändert" in out
    assert without_time(target.export()) == without_time(original)


def test_import_twice_changes_nothing(source: Operator, target: Operator, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(source.export()), encoding="utf-8")
    assert target.run("import", str(path))[0] == 0
    once = snapshot(target.stored)
    code, out, _ = target.run("import", str(path))
    assert code == 0 and "0 neu, 0 geändert, 7 unverändert" in out
    assert snapshot(target.stored) == once
    # Into the instance it came from: nothing to do either.
    before = snapshot(source.stored)
    assert source.run("import", str(path))[0] == 0
    assert snapshot(source.stored) == before


def test_import_overwrites_texts_and_deletes_nothing(source: Operator, tmp_path: Path) -> None:
    data = source.export()
    videos = data["galleries"][0]
    videos["statements"][2]["quote"] = "Zitat aus der Sicherung"
    removed = videos["statements"].pop(3)
    data["galleries"].append(
        {
            "slug": "neu",
            "title": "Neu",
            "intro": "",
            "lang": "de",
            "frame_ancestors": [],
            "default": False,
            "statements": [],
        }
    )
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = source.run("import", str(path))
    assert code == 0 and "Galerien 1 neu" in out and "1 geändert" in out
    after = {g["slug"]: g for g in source.export()["galleries"]}
    assert after["videos"]["statements"][2]["quote"] == "Zitat aus der Sicherung"
    assert removed["vimeo_id"] in [s["vimeo_id"] for s in after["videos"]["statements"]]
    assert "neu" in after
    rows = query(source.stored, "SELECT vimeo_id, fields FROM audit_log WHERE action = 'statement.import'")
    assert rows == [(SAMPLES[2].vimeo_id, "quote")]


def test_an_export_from_before_galleries_had_their_own_look_still_imports(
    source: Operator, target: Operator, tmp_path: Path
) -> None:
    data = source.export()
    for g in data["galleries"]:
        for name in ("accent", "logo", "logo_alt"):
            del g[name]
    path = tmp_path / "older.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(source.stored)
    assert source.run("import", str(path))[0] == 0
    assert snapshot(source.stored) == before, "missing fields change nothing"
    assert target.run("import", str(path))[0] == 0
    probe = {g["slug"]: g for g in target.export()["galleries"]}["probe"]
    assert (probe["accent"], probe["logo"], probe["logo_alt"]) == ("", None, "")


def mutate(data: dict[str, Any], change: str) -> Any:
    data = copy.deepcopy(data)
    s = data["galleries"][0]["statements"][0]
    if change == "format":
        data["format"] = "something-else"
    elif change == "slug":
        data["galleries"][1]["slug"] = "Ungültig!"
    elif change == "long":
        s["quote"] = "x" * 1001
    elif change == "type":
        s["published"] = "ja"
    elif change == "id":
        s["vimeo_id"] = -5
    elif change == "duplicate":
        data["galleries"][0]["statements"].append(copy.deepcopy(s))
    elif change == "poster":
        s["poster"] = "bm9jaCBrZWluIEJpbGQ="  # base64 of text
    elif change == "origin":
        data["galleries"][0]["frame_ancestors"] = ["https://*.stadt.de"]
    elif change == "malformed-origin":  # urllib's and ipaddress's own errors: not a traceback
        data["galleries"][0]["frame_ancestors"] = ["https://[abc]", "http://[::1", "https://x.de:99999"]
    elif change == "caption":
        s["caption_lang"] = "de&autoplay=1"
    elif change == "hash":
        s["unlisted_hash"] = "../../etc"
    elif change == "thumbnail-newline":
        s["video"]["thumbnail"] += "\n"  # "$" in a pattern would let this through
    elif change == "poster-newline":
        s["poster"] += "\n"
    elif change == "accent":
        data["galleries"][1]["accent"] = "#e07b00"
    elif change == "accent-format":
        data["galleries"][1]["accent"] = "red; }"
    elif change == "logo":
        data["galleries"][1]["logo"] = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    elif change == "late-error":
        data["galleries"][-1]["statements"][-1]["video"]["fetch_status"] = "kaputt"
    return data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("format", "keine Export-Datei"),
        ("slug", "galleries[1].slug"),
        ("long", "statements[0].quote: zu lang"),
        ("type", "statements[0].published"),
        ("id", "statements[0].vimeo_id"),
        ("duplicate", "zweimal in derselben Galerie"),
        ("poster", "statements[0].poster"),
        ("origin", "frame_ancestors"),
        ("malformed-origin", "ungültige Adresse 'https://[abc]'"),
        ("caption", "caption_lang"),
        ("hash", "unlisted_hash"),
        ("thumbnail-newline", "statements[0].video.thumbnail: ungültiger Dateiname"),
        ("poster-newline", "statements[0].poster"),
        ("accent", "galleries[1].accent: Kontrast 2,7:1 – mindestens 4,5:1 nötig"),
        ("accent-format", "galleries[1].accent"),
        ("logo", "galleries[1].logo"),
        ("late-error", "video.fetch_status"),
    ],
)
def test_a_malformed_file_is_refused_with_a_reason_before_anything_changes(
    source: Operator, tmp_path: Path, change: str, reason: str
) -> None:
    data = source.export()
    data["galleries"][0]["statements"][0]["quote"] = "Das würde sonst importiert"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(mutate(data, change)), encoding="utf-8")
    before = snapshot(source.stored)
    images = stored_images(source.stored)
    code, out, err = source.run("import", str(path))
    assert code == 2 and out == ""
    assert reason in err and "nichts wurde geändert" in err and len(err.strip().splitlines()) == 1
    assert snapshot(source.stored) == before
    assert stored_images(source.stored) == images


@pytest.mark.parametrize("content", ["", "{", "[]", "null", '{"format": "statement-gallery-export"}'])
def test_not_an_export_at_all(source: Operator, tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(source.stored)
    code, _, err = source.run("import", str(path))
    assert code == 2 and err.startswith("Fehler: Die Datei wird nicht importiert")
    assert snapshot(source.stored) == before
    code, _, err = source.run("import", str(tmp_path / "fehlt.json"))
    assert code == 1 and "kann nicht gelesen werden" in err


# --- backup ------------------------------------------------------------------------------


# `gallery backup` copies the SQLite file; PostgreSQL's backups are pg_dump's (test_postgres_backup.py).
@pytest.mark.engines("sqlite")
def test_backup_makes_a_self_contained_private_copy(source: Operator, tmp_path: Path) -> None:
    target = tmp_path / "sicherung.sqlite3"
    code, out, _ = source.run("backup", str(target))
    assert code == 0 and "Gesichert" in out and "7 Statements" in out
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert snapshot(target) == snapshot(source.stored)
    code, _, err = source.run("backup", str(target))
    assert code == 2 and "--force" in err
    assert source.run("backup", str(target), "--force")[0] == 0
    folder = tmp_path / "sicherungen"
    folder.mkdir()
    assert source.run("backup", str(folder))[0] == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("gallery-") and made.suffix == ".sqlite3"


@pytest.mark.engines("sqlite")
def test_restoring_a_backup_gives_back_the_same_gallery(
    source: Operator, target: Operator, tmp_path: Path
) -> None:
    copy_path = tmp_path / "sicherung.sqlite3"
    source.run("backup", str(copy_path))
    copy_path.rename(target.database)  # docs/operations.md: stop the service, put the copy in place, start
    shutil.copytree(source.data_dir / "thumbnails", target.data_dir / "thumbnails")
    assert without_time(target.export())["galleries"] == without_time(source.export())["galleries"]


def test_backup_of_postgresql_points_to_pg_dump(source: Operator, tmp_path: Path) -> None:
    source.database_url = "postgresql://gallery:geheim-1234@db.example:5432/gallery"  # never dialled
    code, out, err = source.run("backup", str(tmp_path / "x.sqlite3"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pg_dump" in err and "geheim" not in err
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.engines("sqlite")
def test_backup_without_a_database_says_so(target: Operator, tmp_path: Path) -> None:
    code, _, err = target.run("backup", str(tmp_path / "x.sqlite3"))
    assert code == 1 and "keine Datenbank" in err
    assert not (tmp_path / "x.sqlite3").exists()
