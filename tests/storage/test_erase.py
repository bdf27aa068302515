"""Texts an editor replaces or clears leave the disk: the database file, its -wal and its -shm.

The raw bytes of the three files are searched for the old wording after saves through the admin
area and through `gallery import`, also while another connection reads an older snapshot.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import pytest

from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from gallery.storage.sqlite import SQLiteEngine
from tests.admin.test_editing import form_values
from tests.admin_helpers import AdminActions, statement_id
from tests.cli.test_copies import Operator
from tests.htmlparse import parse
from tests.sqlfile import PlainSQLite

FIRST = sample_videos()[0][0]
FILES = ("gallery.sqlite3", "gallery.sqlite3-wal", "gallery.sqlite3-shm")


# SQLite only: these tests search the raw bytes of the database file, its -wal and its -shm.
# PostgreSQL's files belong to its server; what it keeps of replaced texts, and why the service leaves
# that to the operator, is said at PostgresEngine.erase.
pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture
def storage_engine() -> Callable[[Path], SQLiteEngine]:
    """Connections as on SQLite builds that do not zero deleted content (Debian's does): what the
    service itself erases, not what the platform happens to add."""
    return PlainSQLite


def on_disk(settings: Settings) -> dict[str, bytes]:
    """The raw bytes of the database file, its write-ahead log and its index."""
    return {name: (p.read_bytes() if (p := settings.data_dir / name).exists() else b"") for name in FILES}


def found(settings: Settings, words: list[str]) -> dict[str, list[str]]:
    """Which of ``words`` each file still holds."""
    return {
        name: hits
        for name, raw in on_disk(settings).items()
        if (hits := [w for w in words if w.encode() in raw])
    }


def markers(label: str) -> dict[str, str]:
    """A unique wording for every text field; the transcript long enough for overflow pages."""
    tag = uuid.uuid4().hex[:10]
    values = {
        "title_override": f"Titel-{label}-{tag}",
        "speaker_name": f"Name-{label}-{tag}",
        "speaker_role": f"Rolle-{label}-{tag}",
        "quote": f"Zitat-{label}-{tag}",
        "transcript": " ".join([f"Abschrift-{label}-{tag}"] * 600),
        "alt_text": f"Bild-{label}-{tag}",
    }
    return values


def words(values: dict[str, str]) -> list[str]:
    return [v.split(" ")[0] for v in values.values() if v]


def save(editor: AdminActions, sid: int, values: dict[str, str]) -> httpx.Response:
    form = form_values(editor.page(f"/admin/s/{sid}"))
    return editor.post(f"/admin/s/{sid}", {**form, **values})


def written(editor: AdminActions, settings: Settings, label: str) -> tuple[int, dict[str, str]]:
    """The first statement with unique texts, saved by an editor; checked to be on disk."""
    # A visitor's page first: the service's change probe then keeps the database open, as in
    # production (otherwise the last connection to close checkpoints the log by itself).
    assert editor.client.get("/").status_code == 200
    sid = statement_id(settings.database_path, FIRST.vimeo_id)
    old = markers(label)
    assert save(editor, sid, old).status_code == 303
    assert found(settings, words(old)), "the control: saved texts are on disk"
    return sid, old


# --- the admin area ----------------------------------------------------------------------


def test_texts_an_editor_replaces_or_clears_are_gone_from_every_database_file(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid, old = written(editor, curated_settings, "alt")
    new = {**markers("neu"), "speaker_role": "", "alt_text": ""}  # two replaced by nothing
    assert save(editor, sid, new).status_code == 303

    assert found(curated_settings, words(old)) == {}
    assert found(curated_settings, words(new)), "the new wording is saved"
    page = parse(editor.client.get(f"/g/videos/v/{FIRST.vimeo_id}").text)
    assert new["quote"] in page.text and old["quote"] not in page.text


def test_a_replaced_gallery_title_and_intro_are_gone_too(
    editor: AdminActions, curated_settings: Settings
) -> None:
    form = {"lang": "de", "frame_ancestors": ""}
    old = {"title": f"Alter-Titel-{uuid.uuid4().hex[:8]}", "intro": f"Alte-Einleitung-{uuid.uuid4().hex[:8]}"}
    assert editor.post("/admin/g/videos/settings", {**form, **old}).status_code == 303
    assert found(curated_settings, list(old.values()))
    assert editor.post("/admin/g/videos/settings", {**form, "title": "Neu", "intro": ""}).status_code == 303
    assert found(curated_settings, list(old.values())) == {}


# --- gallery import ----------------------------------------------------------------------


def test_texts_an_import_replaces_are_gone_too(
    editor: AdminActions,
    curated_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, old = written(editor, curated_settings, "vor-import")
    intro = f"Einleitung-vor-Import-{uuid.uuid4().hex[:8]}"
    gallery_form = {"title": "Galerie", "intro": intro, "lang": "de", "frame_ancestors": ""}
    assert editor.post("/admin/g/videos/settings", gallery_form).status_code == 303
    operator = Operator(curated_settings.data_dir, monkeypatch, capsys)
    data = operator.export()
    new = {**markers("aus-der-export-datei"), "alt_text": ""}
    data["galleries"][0]["intro"] = "Die Einleitung aus der Datei."
    data["galleries"][0]["statements"][0].update(new)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    code, out, err = operator.run("import", str(path))
    assert code == 0, err
    assert "Galerien 0 neu, 1 geändert; Statements 0 neu, 1 geändert" in out
    assert found(curated_settings, [*words(old), intro]) == {}
    assert found(curated_settings, words(new)), "the file's wording is saved"


# --- a reader on an older snapshot -------------------------------------------------------


class Saving(threading.Thread):
    """An editor's save, in the background, so the test can hold a reader meanwhile."""

    def __init__(self, editor: AdminActions, sid: int, values: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.editor, self.sid, self.values = editor, sid, values
        self.response: httpx.Response | None = None

    def run(self) -> None:
        self.response = save(self.editor, self.sid, self.values)


def reader_on(settings: Settings) -> sqlite3.Connection:
    """Another process's read transaction, started now: it keeps seeing this snapshot."""
    reader = sqlite3.connect(settings.database_path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM statements").fetchone()
    return reader


def test_a_save_waits_for_a_reader_on_an_older_snapshot_then_erases(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid, old = written(editor, curated_settings, "gelesen")
    form = form_values(editor.page(f"/admin/s/{sid}"))  # fetched before the reader starts
    reader = reader_on(curated_settings)
    try:
        saving = Saving(editor, sid, {**form, **markers("neu")})
        saving.start()
        saving.join(timeout=3)
        # The reader may still need pages holding the old wording: the save waits for it ...
        assert saving.is_alive(), "the save answered while a reader held the old pages"
        quote = reader.execute("SELECT quote FROM statements WHERE id = ?", (sid,)).fetchone()[0]
        assert quote == old["quote"], "the reader still sees its snapshot"
    finally:
        reader.execute("COMMIT")
        reader.close()
    # ... and finishes as soon as the reader is done.
    saving.join(timeout=60)
    assert saving.response is not None and saving.response.status_code == 303
    assert found(curated_settings, words(old)) == {}


@pytest.mark.parametrize("storage_engine", [partial(PlainSQLite, erase_patience=0.5)], ids=["half a second"])
def test_a_reader_holding_on_past_the_patience_delays_the_erase_to_the_next_write(
    editor: AdminActions,
    curated_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid, old = written(editor, curated_settings, "festgehalten")
    form = form_values(editor.page(f"/admin/s/{sid}"))
    reader = reader_on(curated_settings)
    try:
        with caplog.at_level(logging.WARNING, logger="gallery"):
            assert save(editor, sid, {**form, **markers("neu")}).status_code == 303, "the save is kept"
        assert any("not yet erased" in r.getMessage() for r in caplog.records)
        assert found(curated_settings, words(old)), "held up: still on disk"
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert found(curated_settings, words(old)), "nothing happens without a write"
    # The next write of the service (here: unpublishing another statement) finishes the erase.
    other = statement_id(curated_settings.database_path, sample_videos()[1][0].vimeo_id)
    assert editor.post(f"/admin/s/{other}/publish", {"published": "0"}).status_code == 303
    assert found(curated_settings, words(old)) == {}
