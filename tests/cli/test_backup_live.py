"""`gallery backup` while the service runs as its own process, serving pages and saving edits."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.processes import free_port, gallery_running

# SQLite: `gallery backup` copies the SQLite file; PostgreSQL is backed up with pg_dump
# (tests/test_postgres_backup.py).
pytestmark = pytest.mark.engines("sqlite")
FIRST = sample_videos()[0][0]


@pytest.fixture
def server(populated_app: Starlette, curated_settings: Settings) -> Iterator[str]:
    """`gallery serve` on a loopback port, on the populated data dir, with editor anna."""
    del populated_app  # it made the data dir
    create_editor(curated_settings)
    port = free_port()
    env = {**os.environ, "GALLERY_DATA_DIR": str(curated_settings.data_dir), "GALLERY_SECRET_KEYS": TEST_KEY}
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with gallery_running(args, env, port, curated_settings.data_dir.parent / "serve.log") as (url, _):
        yield url


class Writer(threading.Thread):
    """An editor saving the same statement over and over, and a visitor reading the gallery."""

    def __init__(self, url: str, sid: int) -> None:
        super().__init__(daemon=True)
        self.url, self.sid = url, sid
        self.saves = 0
        self.failures: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers={"sec-fetch-site": "same-origin"}) as http:
            r = http.post("/admin/login", data={"username": "anna", "password": PASSWORD})
            jar: SimpleCookie = SimpleCookie()
            jar.load(r.headers["set-cookie"])
            # The cookie is Secure and this is plain loopback http: send it by hand.
            cookie = {"cookie": f"{COOKIE_NAME}={jar[COOKIE_NAME].value}"}
            while not self.stop.is_set():
                page = http.get(f"/admin/s/{self.sid}", headers=cookie)
                values = form_values(parse(page.text))
                values["quote"] = f"Version {self.saves + 1}"
                token = parse(page.text).find("input", name="csrf_token").attrs["value"]
                saved = http.post(
                    f"/admin/s/{self.sid}", data={**values, "csrf_token": token}, headers=cookie
                )
                if saved.status_code != 303:
                    self.failures.append(f"save {saved.status_code}")
                    return
                self.saves += 1
                if http.get("/").status_code != 200:
                    self.failures.append("gallery page")


@pytest.mark.slow
def test_backup_while_serving_and_writing_is_a_consistent_snapshot(
    server: str, curated_settings: Settings, tmp_path: Path
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    writer = Writer(server, sid)
    writer.start()
    env = {**os.environ, "GALLERY_DATA_DIR": str(curated_settings.data_dir), "GALLERY_SECRET_KEYS": TEST_KEY}
    copies, saves_during = [], []
    try:
        while writer.saves < 5 and not writer.failures:
            time.sleep(0.05)
        for n in range(3):
            before = writer.saves
            target = tmp_path / f"copy{n}.sqlite3"
            done = subprocess.run(
                [sys.executable, "-m", "gallery", "backup", str(target)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            copies.append(target)
            saves_during.append(writer.saves - before)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert not writer.failures, writer.failures
    assert sum(saves_during) > 0, "the service kept saving while the backups ran"
    revisions = []
    for path in copies:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0] == len(sample_videos())
        quote, revision = conn.execute(
            "SELECT quote, revision FROM statements WHERE id = ?", (sid,)
        ).fetchone()
        edits = conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE statement_id = ? AND action = 'statement.edit'", (sid,)
        ).fetchone()[0]
        conn.close()
        # Text, revision and audit trail are written in one transaction: a snapshot shows all
        # three at the same save, never a mix.
        assert quote == f"Version {revision - 1}"
        assert edits == revision - 1
        revisions.append(revision)
    assert revisions == sorted(revisions) and revisions[-1] > revisions[0]
