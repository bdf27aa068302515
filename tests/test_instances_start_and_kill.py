"""Two ``gallery serve`` processes on one PostgreSQL database: starting together, and one killed.

Started at the same moment on an empty database, both come up and the schema is made once.
SIGKILL of one while an editor saves through both loses no save that was answered with 303,
and the other answers every request meanwhile.
"""

from __future__ import annotations

import random
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from gallery.admin.session_cookie import COOKIE_NAME as SESSION_COOKIE
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from gallery.storage.engine import migration_files
from tests.admin.test_editing import form_values
from tests.admin_helpers import PASSWORD, create_editor, statement_id
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.postgres import raw_postgres
from tests.processes import clean_env, free_port, gallery_running, launch, stop, wait_up
from tests.public.test_public import statement_path

# Every test here is about instances sharing one PostgreSQL database.
pytestmark = [pytest.mark.slow, pytest.mark.engines("postgres")]
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}
GUARD = 120.0  # only a guard against a hang: a busy machine may be slow, never this slow


def environment(settings: Settings, data_dir: Path) -> dict[str, str]:
    """One instance's environment: the shared database and keys, a data folder of its own."""
    assert settings.database_url is not None
    return clean_env(
        GALLERY_DATABASE_URL=settings.database_url.value,
        GALLERY_SECRET_KEYS=TEST_KEY,
        GALLERY_DATA_DIR=str(data_dir),
        # Vimeo is never needed: its addresses lead nowhere (nothing is due for a day).
        GALLERY_VIMEO_OEMBED_URL=settings.vimeo_oembed_url,
        GALLERY_VIMEO_PLAYER_URL=settings.vimeo_player_url,
        GALLERY_VIMEO_THUMBNAIL_HOSTS=",".join(settings.vimeo_thumbnail_hosts),
    )


# --- started at once on an empty database -----------------------------------------------------


def waiting_for_a_lock(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """Other sessions on this database that wait for a lock (of any kind) right now."""
    row = conn.execute(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
    ).fetchone()
    assert row is not None
    return int(row[0])  # type: ignore[call-overload]


@contextmanager
def both_held_at_the_first_table(url: str, processes: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """Hold every start back at the first table a migration makes, until all of them are waiting.

    Python's start-up takes a second or more and varies by more than a migration lasts: started
    "at once", two processes would seldom migrate at the same time. A table of the same name,
    created in a transaction left open, stops the first ``CREATE TABLE`` of each (or whatever
    keeps them apart stops one of them); rolling it back lets both go on an empty database.
    """
    with psycopg.connect(url) as gate, psycopg.connect(url, autocommit=True) as watch:
        gate.execute("CREATE TABLE schema_version (id INTEGER)")
        try:
            deadline = time.monotonic() + GUARD
            while waiting_for_a_lock(watch) < len(processes):
                for p in processes:
                    assert p.poll() is None, f"an instance exited with {p.returncode} before migrating"
                assert time.monotonic() < deadline, "the instances never reached the database"
                time.sleep(0.05)
            yield
        finally:
            gate.rollback()


def test_two_instances_started_at_once_on_an_empty_database_migrate_once(
    curated_settings: Settings, tmp_path: Path
) -> None:
    assert curated_settings.database_url is not None
    url = curated_settings.database_url.value
    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, port, log in zip("ab", ports, logs, strict=True):
            processes.append(
                launch(["serve", "--port", str(port)], environment(curated_settings, tmp_path / name), log)
            )
        with both_held_at_the_first_table(url, processes):
            pass
        bases = [wait_up(p, port, log) for p, port, log in zip(processes, ports, logs, strict=True)]
        latest = migration_files("postgres")[-1][0]
        for base in bases:
            health = httpx.get(f"{base}/healthz", timeout=30)
            assert health.status_code == 200 and health.json()["schema"] == latest
            home = httpx.get(f"{base}/", timeout=30, follow_redirects=True)
            assert home.status_code == 200 and parse(home.text).find("h1") is not None
    finally:
        for p in processes:
            stop(p)
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text and "ERROR" not in text, text
    with raw_postgres(url) as conn:
        assert conn.execute("SELECT id, version FROM schema_version").fetchall() == [(1, latest)]
        assert conn.execute("SELECT slug FROM galleries").fetchall() == [("videos",)], "one default gallery"
        assert conn.execute("SELECT COUNT(*) FROM refresh_state").fetchone() == (1,)
        assert conn.execute("SELECT COUNT(*) FROM notice_versions").fetchone() == (1,)


# --- SIGKILL of one instance while an editor saves through both --------------------------------

MAX_SAVES = 200
SAVES_BEFORE_KILL = 12  # two rounds through A
SAVES_AFTER_KILL = 12
TOKEN = re.compile(r"Sicherung-(\d+)")


class Editor(threading.Thread):
    """Saves the statements in turn, each round through A, then through B, each save adding
    ``Sicherung-N`` (N counting every save) to a transcript; through B only once A has gone away."""

    def __init__(self, urls: dict[str, str], cookie: dict[str, str], sids: list[int]) -> None:
        super().__init__(daemon=True)
        self.urls, self.cookie, self.sids = urls, cookie, sids
        self.finish = threading.Event()
        self.posting_to_a = threading.Event()  # set just before each save sent to A
        self.a_gone = False
        self.sent: list[tuple[int, int]] = []  # (statement, save number) sent
        self.acked: list[tuple[str, int, int]] = []  # (instance, statement, save number) answered 303
        self.unexpected: list[str] = []

    def acked_through(self, name: str) -> int:
        return sum(1 for instance, _, _ in self.acked if instance == name)

    def run(self) -> None:
        headers = {**SAME_ORIGIN, **self.cookie}
        clients = {
            name: httpx.Client(base_url=url, headers=headers, timeout=30) for name, url in self.urls.items()
        }
        try:
            for n in range(MAX_SAVES):
                if self.finish.is_set():
                    return
                name = "a" if (n // len(self.sids)) % 2 == 0 and not self.a_gone else "b"
                sid = self.sids[n % len(self.sids)]
                try:
                    self.save(clients[name], name, sid, n)
                except httpx.TransportError as exc:
                    if name == "b":
                        self.unexpected.append(f"B: {exc!r} for save {n}")
                        return
                    self.a_gone = True  # killed: mid-answer, or between the form and the save
        finally:
            for client in clients.values():
                client.close()

    def save(self, http: httpx.Client, name: str, sid: int, n: int) -> None:
        form = http.get(f"/admin/s/{sid}")
        if form.status_code != 200:
            self.unexpected.append(f"{name.upper()}: {form.status_code} for the form of save {n}")
            self.finish.set()
            return
        page = parse(form.text)
        values = form_values(page)
        values["transcript"] = f"{values['transcript'].rstrip()} Sicherung-{n}"
        token = page.find("input", name="csrf_token").attrs["value"]
        self.sent.append((sid, n))
        if name == "a":
            self.posting_to_a.set()
        saved = http.post(f"/admin/s/{sid}", data={**values, "csrf_token": token})
        if saved.status_code != 303:
            self.unexpected.append(f"{name.upper()}: {saved.status_code} for save {n}")
            self.finish.set()
            return
        self.acked.append((name, sid, n))


class Visitor(threading.Thread):
    """Reads B's gallery and a statement page over and over; every answer should be a 200."""

    def __init__(self, url: str, path: str) -> None:
        super().__init__(daemon=True)
        self.url, self.path = url, path
        self.finish = threading.Event()
        self.answers = 0
        self.problems: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30, follow_redirects=True) as http:
            while not self.finish.is_set():
                for path in ("/", self.path):
                    try:
                        status = http.get(path).status_code
                    except httpx.TransportError as exc:
                        self.problems.append(f"{path}: {exc!r}")
                        return
                    if status != 200:
                        self.problems.append(f"{path}: {status}")
                    self.answers += 1
                time.sleep(0.05)


def sign_in(base: str) -> dict[str, str]:
    """The session cookie as a header: it is Secure, and these servers are plain http on loopback."""
    login = {"username": "anna", "password": PASSWORD}
    r = httpx.post(f"{base}/admin/login", data=login, headers=SAME_ORIGIN, timeout=30)
    assert r.status_code == 303
    jar: SimpleCookie = SimpleCookie()
    jar.load(r.headers["set-cookie"])
    return {"cookie": f"{SESSION_COOKIE}={jar[SESSION_COOKIE].value}"}


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def shown_saves(http: httpx.Client, vimeo_id: int) -> list[int]:
    """The save numbers in the transcript on the public statement page, in their order."""
    page = http.get(statement_path(vimeo_id))
    assert page.status_code == 200
    section = parse(page.text).find("section", **{"class": "transcript-full"})
    return [int(n) for n in TOKEN.findall(section.text if section else "")]


def test_sigkill_of_one_instance_during_saves_loses_no_acknowledged_save_and_the_other_serves_on(
    populated_app: Starlette, curated_settings: Settings, tmp_path: Path
) -> None:
    del populated_app  # it put the six samples in the database
    assert curated_settings.database_url is not None
    create_editor(curated_settings)
    vimeo_ids = {statement_id(curated_settings, v.vimeo_id): v.vimeo_id for v, _ in sample_videos()}
    sids = sorted(vimeo_ids)
    ports = free_port(), free_port()
    editor: Editor | None = None
    visitor: Visitor | None = None
    shown: dict[int, list[int]] = {}
    try:
        with (
            gallery_running(
                ["serve", "--port", str(ports[0])],
                environment(curated_settings, tmp_path / "a"),
                ports[0],
                tmp_path / "a.log",
            ) as (url_a, process_a),
            gallery_running(
                ["serve", "--port", str(ports[1])],
                environment(curated_settings, tmp_path / "b"),
                ports[1],
                tmp_path / "b.log",
            ) as (url_b, _),
        ):
            # Signed in through B, saving through both: the session is in the shared database.
            editor = Editor({"a": url_a, "b": url_b}, sign_in(url_b), sids)
            visitor = Visitor(url_b, statement_path(vimeo_ids[sids[0]]))
            visitor.start()
            editor.start()
            wait_for(
                lambda: editor.acked_through("a") >= SAVES_BEFORE_KILL or not editor.is_alive(),
                "no saves through A",
            )
            # Kill while a save is on its way to A: within its request, its commit or its answer.
            editor.posting_to_a.clear()
            wait_for(lambda: editor.posting_to_a.is_set() or not editor.is_alive(), "no save sent to A")
            time.sleep(random.Random(11).uniform(0.0, 0.05))
            process_a.kill()
            process_a.wait(timeout=60)
            after_kill = editor.acked_through("b")
            wait_for(
                lambda: editor.acked_through("b") >= after_kill + SAVES_AFTER_KILL or not editor.is_alive(),
                "no saves through B after A was killed",
            )
            editor.finish.set()
            editor.join(timeout=GUARD)
            visitor.finish.set()
            visitor.join(timeout=GUARD)
            assert not editor.is_alive() and not visitor.is_alive()
            assert not editor.unexpected, editor.unexpected
            assert editor.a_gone, "the editor went on saving through a killed instance"
            assert editor.acked_through("b") >= after_kill + SAVES_AFTER_KILL, "the editor stopped early"
            assert not visitor.problems and visitor.answers > 0, visitor.problems

            # Every save answered 303, through A or B, is on B's public pages, once and in order;
            # a save the kill cut off before its answer may be there too, nothing else.
            sent = set(editor.sent)
            acked = {(sid, n) for _, sid, n in editor.acked}
            with httpx.Client(base_url=url_b, timeout=30) as b:
                for sid in sids:
                    shown[sid] = shown_saves(b, vimeo_ids[sid])
            for sid in sids:
                assert shown[sid] == sorted(set(shown[sid])), (sid, shown[sid])
                assert {(sid, n) for n in shown[sid]} <= sent, (sid, shown[sid])
                missing = sorted(n for s, n in acked if s == sid and n not in shown[sid])
                assert not missing, f"acknowledged saves lost on statement {sid}: {missing}"
    finally:
        for thread in (editor, visitor):
            if thread is not None:
                thread.finish.set()
                thread.join(timeout=GUARD)
    # Consistent: every save that landed moved the revision once and wrote one audit entry.
    with raw_postgres(curated_settings.database_url.value) as conn:
        revisions = dict(conn.execute("SELECT id, revision FROM statements").fetchall())
        edits = dict(
            conn.execute(
                "SELECT statement_id, COUNT(*) FROM audit_log WHERE action = 'statement.edit' GROUP BY 1"
            ).fetchall()
        )
    for sid in sids:
        assert revisions[sid] - 1 == edits.get(sid, 0) == len(shown[sid]), (sid, revisions[sid], shown[sid])
