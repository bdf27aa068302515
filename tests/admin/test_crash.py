"""SIGKILL during editors' writes over HTTP, and during `gallery import`.

Every save the server acknowledged (303) is there after the crash, an interrupted import left
all or nothing, and ``PRAGMA integrity_check`` is ok.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gallery.admin.session_cookie import COOKIE_NAME
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from tests.admin.test_editing import form_values
from tests.admin_helpers import PASSWORD, create_editor, statement_id
from tests.cli.test_backup_live import free_port
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.sqlfile import raw_sql

# SQLite: the file must stay whole (PRAGMA integrity_check) through every kill; on PostgreSQL the
# same stream of saves with an instance killed is tests/test_instances_start_and_kill.py.
pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]
SAMPLE_IDS = [v.vimeo_id for v, _ in sample_videos()]


def integrity(path: Path) -> tuple[str, list[object]]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("PRAGMA foreign_key_check").fetchall(),
        )
    finally:
        conn.close()


# --- the server, killed while an editor saves --------------------------------------------


class Server:
    def __init__(self, settings: Settings) -> None:
        self.env = {
            **os.environ,
            "GALLERY_DATA_DIR": str(settings.data_dir),
            "GALLERY_SECRET_KEYS": TEST_KEY,
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gallery", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60  # only a guard against a hang; a start takes a second
        while True:
            assert self.process.poll() is None, f"the server exited with {self.process.returncode}"
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL (the crash under test), and reap it; harmless when it is not running."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=60)


class Editor(threading.Thread):
    """Saves the statements one after another with new texts until the server goes away."""

    def __init__(self, url: str, cookie: dict[str, str], sids: list[int], first: int) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie, self.sids = url, cookie, sids
        self.n = first
        self.acked: list[tuple[int, int]] = []  # (statement, write number) answered with 303
        self.sent: list[tuple[int, int]] = []
        self.unexpected: list[str] = []

    def run(self) -> None:
        headers = {"sec-fetch-site": "same-origin", **self.cookie}
        try:
            with httpx.Client(base_url=self.url, headers=headers, timeout=10) as http:
                while True:
                    sid = self.sids[self.n % len(self.sids)]
                    page = parse(http.get(f"/admin/s/{sid}").text)
                    values = form_values(page)
                    values["speaker_name"] = f"Schreiben {self.n}"
                    token = page.find("input", name="csrf_token").attrs["value"]
                    self.sent.append((sid, self.n))
                    saved = http.post(f"/admin/s/{sid}", data={**values, "csrf_token": token})
                    if saved.status_code != 303:
                        self.unexpected.append(f"{saved.status_code} for write {self.n}")
                        return
                    self.acked.append((sid, self.n))
                    self.n += 1
        except (httpx.TransportError, AttributeError):
            return  # the server was killed (mid-answer, or between the page and the save)


def sign_in(url: str) -> dict[str, str]:
    r = httpx.post(
        f"{url}/admin/login",
        data={"username": "anna", "password": PASSWORD},
        headers={"sec-fetch-site": "same-origin"},
    )
    assert r.status_code == 303
    jar: SimpleCookie = SimpleCookie()
    jar.load(r.headers["set-cookie"])
    return {"cookie": f"{COOKIE_NAME}={jar[COOKIE_NAME].value}"}  # Secure cookie over loopback http


def test_sigkill_during_editors_saves_loses_nothing_acknowledged(
    populated_app: Starlette, curated_settings: Settings
) -> None:
    del populated_app  # it made the data dir
    db_path = curated_settings.database_path
    create_editor(db_path)
    sids = [statement_id(db_path, vimeo_id) for vimeo_id in SAMPLE_IDS]
    server = Server(curated_settings)
    rng = random.Random(11)
    acked: dict[int, int] = {}
    sent: dict[int, set[int]] = {sid: set() for sid in sids}
    n = 0
    editor: Editor | None = None
    try:
        server.start()
        cookie = sign_in(server.url)  # the session is in the database: it outlives every crash
        for _ in range(6):
            editor = Editor(server.url, cookie, sids, n)
            editor.start()
            # Kill once the editor has saved every statement this round, then a random moment
            # later (within a request, between two, mid-commit). Counting saves rather than
            # seconds: on a busy machine a fixed time may not see a single save.
            deadline = time.monotonic() + 120  # a guard against a hang only
            while len(editor.acked) < len(sids) and editor.is_alive():
                assert time.monotonic() < deadline, "the editor saved nothing for two minutes"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.6))
            server.kill()
            editor.join(timeout=60)
            assert not editor.is_alive(), "the editor's requests outlived the server"
            assert not editor.unexpected, editor.unexpected
            for sid, number in editor.acked:
                acked[sid] = max(acked.get(sid, -1), number)
            for sid, number in editor.sent:
                sent[sid].add(number)
            n = editor.n + 1
            assert integrity(db_path) == ("ok", [])
            server.start()
    finally:
        server.kill()
        if editor is not None:
            editor.join(timeout=60)
    assert len(acked) == len(sids) and sum(len(s) for s in sent.values()) > 30, "enough saves happened"
    with raw_sql(db_path) as conn:
        rows = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, speaker_name, revision FROM statements")}
        edits = dict(
            conn.execute(
                "SELECT statement_id, COUNT(*) FROM audit_log WHERE action = 'statement.edit' GROUP BY 1"
            ).fetchall()
        )
    for sid in sids:
        name, revision = rows[sid]
        stored = int(name.removeprefix("Schreiben "))
        # The last acknowledged save is there, or a later one the kill cut off before its answer.
        assert stored >= acked[sid] and stored in sent[sid], (sid, stored, acked[sid])
        # Text, revision and audit entry were one transaction: all three or none.
        assert edits[sid] == revision - 1


# --- `gallery import`, killed mid-transaction --------------------------------------------

STATEMENTS = 600


def big_export(path: Path) -> int:
    """An export of two new galleries with long transcripts: the import's single transaction
    is large enough to spill into the WAL before it commits (visible on disk while it runs)."""
    rng = random.Random(3)
    words = ["Nachbarschaft", "Verein", "zuhören", "widersprechen", "gemeinsam", "Rathaus", "Schule"]
    galleries = []
    for g in range(2):
        statements = []
        for n in range(STATEMENTS // 2):
            vimeo_id = 700_000_000 + g * 10_000 + n
            statements.append(
                {
                    "vimeo_id": vimeo_id,
                    "unlisted_hash": None,
                    "published": True,
                    "title_override": "",
                    "speaker_name": f"Person {vimeo_id}",
                    "speaker_role": "Beispiel",
                    "quote": "Ein Satz.",
                    "transcript": " ".join(rng.choice(words) for _ in range(4000))[:40_000],
                    "alt_text": "",
                    "caption_lang": "de",
                    "poster": None,
                    "video": {
                        "title": f"Video {vimeo_id}",
                        "author_name": "Stadt",
                        "duration": 90,
                        "width": 1920,
                        "height": 1080,
                        "upload_date": "2025-05-21 10:00:00",
                        "thumbnail_url": None,
                        "thumbnail": None,
                        "fetch_status": "ok",
                        "fetch_message": "",
                        "fetched_at": "2025-05-21T10:00:00+00:00",
                        "good_at": "2025-05-21T10:00:00+00:00",
                    },
                }
            )
        galleries.append(
            {
                "slug": f"import-{g}",
                "title": f"Import {g}",
                "intro": "",
                "lang": "de",
                "frame_ancestors": [],
                "default": False,
                "statements": statements,
            }
        )
    data = {"format": "statement-gallery-export", "version": 1, "exported_at": "2025-05-21T10:00:00+00:00"}
    path.write_text(json.dumps({**data, "galleries": galleries}), encoding="utf-8")
    return STATEMENTS


def file_size(path: Path) -> int:
    """Size of a file that may vanish at any moment (SQLite deletes the WAL on its last close)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def imported(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM statements s JOIN galleries g ON g.id = s.gallery_id"
                " WHERE g.slug LIKE 'import-%'"
            ).fetchone()[0]
            + conn.execute("SELECT COUNT(*) FROM galleries WHERE slug LIKE 'import-%'").fetchone()[0]
        )
    finally:
        conn.close()


def test_sigkill_during_import_leaves_all_or_nothing(
    populated_app: Starlette, curated_settings: Settings, tmp_path: Path
) -> None:
    del populated_app
    export = tmp_path / "export.json"
    count = big_export(export)
    base = curated_settings.data_dir
    with closing(sqlite3.connect(base / "gallery.sqlite3")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty WAL: growth means the import
    env = {**os.environ, "GALLERY_SECRET_KEYS": TEST_KEY}
    command = [sys.executable, "-m", "gallery", "import", str(export)]
    # Run to its end, the import brings everything; how long that takes sets the kill times.
    complete = tmp_path / "complete"
    shutil.copytree(base, complete)
    started = time.monotonic()
    done = subprocess.run(
        command, env={**env, "GALLERY_DATA_DIR": str(complete)}, capture_output=True, timeout=600
    )
    full = time.monotonic() - started
    assert done.returncode == 0, done.stderr.decode()
    assert imported(complete / "gallery.sqlite3") == count + 2
    rng = random.Random(5)
    outcomes: list[tuple[str, int]] = []
    for attempt in range(8):
        data_dir = tmp_path / f"run{attempt}"
        shutil.copytree(base, data_dir)
        db_path, wal = data_dir / "gallery.sqlite3", data_dir / "gallery.sqlite3-wal"
        process = subprocess.Popen(
            command,
            env={**env, "GALLERY_DATA_DIR": str(data_dir)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            # Kill at a random moment of a run (start-up, checking the file, the transaction), or,
            # on every other attempt, once the transaction has written a few MB to the WAL:
            # certainly under way, and not yet committed.
            deadline = time.monotonic() + rng.uniform(0.1, full)
            mid_transaction = attempt % 2 == 0
            while process.poll() is None:
                if (mid_transaction and file_size(wal) > 4 * 1024 * 1024) or (
                    not mid_transaction and time.monotonic() > deadline
                ):
                    break
                time.sleep(0.002)
            finished = process.poll() is not None
        finally:
            process.kill()
            _, err = process.communicate(timeout=60)
        assert integrity(db_path) == ("ok", []), attempt
        found = imported(db_path)
        assert found in {0, count + 2}, (attempt, found)  # every statement and both galleries, or none
        outcomes.append(("finished" if finished else "killed", found))
        if finished:
            assert process.returncode == 0, err.decode()
    assert ("killed", 0) in outcomes, outcomes  # some kill landed before the commit: nothing left
