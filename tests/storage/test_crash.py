"""Crashes: SIGKILL during a stream of writes, and a thumbnail write interrupted halfway.

Every write acknowledged before the kill must be there afterwards, the database must pass
``PRAGMA integrity_check``, and no file under a thumbnail name may hold anything but the bytes
its name (a content hash) promises. Editors' writes over HTTP and ``gallery import`` follow with
the admin area.
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.standin_note import demo_settings
from gallery.models import Image
from gallery.settings import Secret, Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import NAME_RE, FileImages
from tests.conftest import TEST_HOST
from tests.htmlparse import parse
from tests.sqlfile import raw_sql

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = WRITER.parent.parent
# SQLite only: a killed process must leave the SQLite file whole (PRAGMA integrity_check); a
# PostgreSQL server's own crash safety is not the service's to test.
pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]


def run_and_kill(data_dir: Path, first: int, mode: str, after: float, acks: int = 0) -> list[str]:
    """Start the writer, SIGKILL it ``after`` seconds past its first ``acks`` writes (or its start),
    return what it acknowledged."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(data_dir), str(first), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        # Count from READY, not from the start: on a busy machine Python's start-up alone can
        # take longer than ``after``, and the kill would land before the first write.
        head = read_until(proc, b"READY\n")
        head = read_until(proc, b"ACK ", acks, head)  # progress in writes, not in seconds
        time.sleep(after)
    finally:
        proc.kill()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    lines = (head + out).decode().splitlines()
    return [line.removeprefix("ACK ") for line in lines if line.startswith("ACK ")]


def read_until(
    proc: subprocess.Popen[bytes], marker: bytes, count: int = 1, seen: bytes = b"", patience: float = 120.0
) -> bytes:
    """``seen`` and what the child wrote to stdout until ``marker`` is in it ``count`` times.

    Reads the pipe's descriptor directly: the buffered reader would keep bytes that
    ``communicate()`` then never sees. ``patience`` only guards against a hang.
    """
    assert proc.stdout is not None
    end = time.monotonic() + patience
    while seen.count(marker) < count:
        assert time.monotonic() < end, f"no {marker!r} from the writer after {patience:g} s"
        ready, _, _ = select.select([proc.stdout.fileno()], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the writer ended before {marker!r} (exit {proc.wait()})"
            seen += chunk
    return seen


def integrity(path: Path) -> tuple[str, list[tuple[object, ...]]]:
    with raw_sql(path) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        dangling = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
    return check, dangling


def assert_every_named_file_is_whole(folder: Path) -> int:
    named = [p for p in folder.iterdir() if NAME_RE.match(p.name)]
    for path in named:
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:32] == path.name.split(".")[0], path.name
    return len(named)


def test_sigkill_during_a_stream_of_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(5)
    adds: dict[int, None] = {}
    refreshes: set[int] = set()
    for run in range(6):
        acked = run_and_kill(data_dir, 10_000 * (run + 1), "adds", rng.uniform(0.0, 0.7), acks=4)
        for line in acked:
            kind, vimeo_id = line.split()
            (refreshes.add if kind == "refresh" else adds.setdefault)(int(vimeo_id))  # type: ignore[operator]
        check, dangling = integrity(data_dir / "gallery.sqlite3")
        assert check == "ok" and dangling == [], run
    assert len(adds) >= 20, "the writer should get some work done between kills"
    db = Storage.sqlite(data_dir / "gallery.sqlite3")
    with db.read() as conn:
        statements = {s.vimeo_id: s for s in conn.statements()}
    thumbs = FileImages(data_dir / "thumbnails")
    for vimeo_id in adds:
        s = statements[vimeo_id]  # every acknowledged add is there, complete
        assert s.speaker_name == f"Person {vimeo_id}" and s.video.thumbnail is not None
        assert thumbs.load(s.video.thumbnail) is not None
        expected = f"Video {vimeo_id} v2" if vimeo_id in refreshes else None
        assert expected is None or s.title == expected
    assert_every_named_file_is_whole(data_dir / "thumbnails")
    # The service starts on what is left and shows every acknowledged statement.
    settings = demo_settings(
        Settings(
            data_dir=data_dir, secret_keys=(Secret("crash-test-key-0123456789"),), allowed_hosts=(TEST_HOST,)
        ).checked(),
        "http://127.0.0.1:9",
    )
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        cards: list[str] = []
        path: str | None = "/"
        while path is not None:  # the gallery's pages, one after the other
            page = client.get(path)
            assert page.status_code == 200
            doc = parse(page.text)
            cards += [card.attrs["id"] for card in doc.with_class("card")]
            following = [a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("rel") == "next"]
            path = following[0] if following else None
        assert len(cards) == len(set(cards)) == len(statements)


def test_sigkill_while_writing_thumbnails_leaves_no_half_file_under_a_name(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(7)
    acked: list[str] = []
    interrupted = 0
    for run in range(12):
        acked += run_and_kill(data_dir, 100 * run, "thumbnails", rng.uniform(0.3, 1.5))
        assert_every_named_file_is_whole(data_dir / "thumbnails")
        interrupted = len(list((data_dir / "thumbnails").glob(".*.tmp")))
        if run >= 3 and interrupted:
            break
    assert interrupted, "no kill landed in the middle of a write; the test proved nothing"
    whole = assert_every_named_file_is_whole(data_dir / "thumbnails")
    assert set(acked) <= {p.name for p in (data_dir / "thumbnails").iterdir()} and whole >= len(acked)
    store = FileImages(data_dir / "thumbnails")
    for leftover in (data_dir / "thumbnails").glob(".*.tmp"):
        assert store.load(leftover.name) is None  # a half file is never served
    store.prune(set(acked), grace=0)
    assert not list((data_dir / "thumbnails").glob(".*.tmp"))  # and is cleaned up


def test_a_failure_between_write_and_rename_leaves_nothing_served(
    populated: TestClient, curated_settings: Settings
) -> None:
    services = populated.app.services  # type: ignore[attr-defined]
    image = Image(b"\xff\xd8\xff\xe0" + os.urandom(200_000), "image/jpeg", "jpg")
    name = hashlib.sha256(image.data).hexdigest()[:32] + ".jpg"

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):  # the app's folder, written by a store whose rename fails
        FileImages(curated_settings.thumbnail_dir, replace=crash).save(image)
    assert not (curated_settings.thumbnail_dir / name).exists()
    r = populated.get(f"/thumbs/{name}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"  # the placeholder
    assert services.thumbnails.save(image) == name  # the next attempt writes it whole
    assert populated.get(f"/thumbs/{name}").content == image.data
