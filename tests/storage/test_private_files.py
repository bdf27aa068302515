"""Who can read the data dir: only the service's own user, whatever the umask, old installs too."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.curate import Curator
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import FileImages
from gallery.vimeo.client import VimeoClient
from gallery.vimeo.standin import StandIn
from tests.admin.test_curate import jpeg_with_metadata, texts
from tests.admin_helpers import AdminActions, create_editor, statement_id
from tests.cli.test_cli import LiveStandIn, Operator, live_standin, make_operator  # noqa: F401 - fixture
from tests.conftest import sample_link, standin_settings
from tests.processes import free_port, gallery_running

FIRST = sample_videos()[0][0]
LOOSE_WARNING = "Other local users could read the data dir"


# SQLite only: these tests check the modes of the database file and its -wal and -shm in the data
# folder; a PostgreSQL database has no file there.
pytestmark = pytest.mark.engines("sqlite")


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(data_dir: Path) -> dict[str, int]:
    """The permission bits of the data dir and of everything in it, by path relative to it."""
    found = {".": stat.S_IMODE(os.lstat(data_dir).st_mode)}
    for folder, dirs, files in os.walk(data_dir):
        for name in (*dirs, *files):
            path = Path(folder, name)
            found[str(path.relative_to(data_dir))] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def assert_owner_only(data_dir: Path) -> dict[str, int]:
    found = modes(data_dir)
    for name, mode in found.items():
        is_dir = (data_dir / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), f"{name}: {mode:04o}"
    return found


def loosen(data_dir: Path) -> None:
    """Modes as an installation from before had them: 0755 folders, 0644 files."""
    for name in modes(data_dir):
        path = data_dir / name
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def loose_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if LOOSE_WARNING in r.getMessage()]


# --- a fresh start in this process -------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_a_fresh_start_makes_every_file_owner_only_whatever_the_umask(
    tmp_path: Path, standin: StandIn, mask: int, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    with umask(mask):
        # No GALLERY_SECRET_KEYS: the key is generated into the data dir as well.
        settings = standin_settings(
            Settings.from_environ(
                {"GALLERY_DATA_DIR": str(data_dir), "GALLERY_ALLOWED_HOSTS": "gallery.test"}
            )
        )
        db = Storage.sqlite(settings.database_path)
        db.migrate()

        async def seed() -> None:
            async with VimeoClient(settings, standin.transport()) as vimeo:
                curator = Curator(db, FileImages(settings.thumbnail_dir), vimeo)
                for video, values in sample_videos()[:2]:
                    await curator.add(sample_link(video), texts=values)

        asyncio.run(seed())
        create_editor(settings.database_path)
        app = create_app(settings, vimeo_transport=standin.transport())
        with TestClient(app, base_url="https://gallery.test") as client:
            editor = AdminActions(client)
            assert editor.login().status_code == 303
            sid = statement_id(settings.database_path, FIRST.vimeo_id)
            poster = {"poster": ("p.jpg", jpeg_with_metadata((800, 450)), "image/jpeg")}
            assert editor.post(f"/admin/s/{sid}/poster", files=poster).status_code == 303
            assert editor.post(f"/admin/s/{sid}", {"revision": "1", **texts(quote="Neu")}).status_code == 303
            assert client.get("/").status_code == 200
            # While the service runs: the write-ahead log and its index exist and are checked too.
            found = assert_owner_only(data_dir)
        db.close()
    for name in ("gallery.sqlite3", "gallery.sqlite3-wal", "gallery.sqlite3-shm", "secret_key", "thumbnails"):
        assert name in found, name
    # two thumbnails and a poster, each with its copies 320 and 640 wide in WebP and JPEG
    assert len([n for n in found if n.startswith("thumbnails/")]) == 3 * 5
    assert not loose_warnings(caplog), "nothing to tighten on a fresh start"


def test_folders_created_on_the_way_to_the_data_dir_are_owner_only(tmp_path: Path) -> None:
    with umask(0o000):
        Settings.from_environ({"GALLERY_DATA_DIR": str(tmp_path / "srv" / "gallery" / "data")})
    for folder in (tmp_path / "srv", tmp_path / "srv" / "gallery", tmp_path / "srv" / "gallery" / "data"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


# --- an installation from before ---------------------------------------------------------


def test_an_existing_loose_installation_is_tightened_at_start_with_one_warning(
    populated_app: object, curated_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = curated_settings.data_dir
    (data_dir / "notice" / "de").mkdir(parents=True)  # the operator's own texts
    for name in ("short.html", "full.html"):
        (data_dir / "notice" / "de" / name).write_text("<p>Hinweis</p>")
    loosen(data_dir)
    # A process from before still has the database open: its -wal and -shm are loose as well.
    other = sqlite3.connect(curated_settings.database_path, isolation_level=None)
    try:
        other.execute("UPDATE galleries SET updated_at = updated_at")
        before = modes(data_dir)
        assert before["gallery.sqlite3-wal"] == before["gallery.sqlite3-shm"] == 0o644
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="gallery"):
            app = create_app(curated_settings)
            with TestClient(app, base_url="https://gallery.test") as client:
                assert client.get("/").status_code == 200, "tightened, not refused"
                assert_owner_only(data_dir)
    finally:
        other.close()
    (warning,) = loose_warnings(caplog)
    assert f"{data_dir} (was 0755)" in warning
    for name in ("gallery.sqlite3", "gallery.sqlite3-wal", "gallery.sqlite3-shm", "thumbnails"):
        assert f"{data_dir / name} (was {before[name]:04o})" in warning, name
    assert len(before) > 10 and warning.endswith(f" and {len(before) - 10} more."), "counted, not all listed"

    caplog.clear()
    create_app(curated_settings)
    assert not loose_warnings(caplog), "once tightened, the next start says nothing"


def test_a_file_that_cannot_be_tightened_is_named_and_the_service_still_starts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    create_app(settings)
    notice = settings.data_dir / "notice"
    notice.mkdir()
    (notice / "owned-by-root.html").write_text("Hinweis")
    loosen(settings.data_dir)
    chmod = os.chmod

    def refuse(path: str | os.PathLike[str], mode: int) -> None:
        if Path(path).name == "owned-by-root.html":
            raise PermissionError(1, "Operation not permitted")
        chmod(path, mode)

    # The operating system refusing, as for a file owned by root: no test process can make that
    # file for real (as root, every chmod succeeds), and it happens deep inside create_app.
    monkeypatch.setattr(os, "chmod", refuse)
    caplog.clear()
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        assert client.get("/").status_code == 200
    stuck = [r.getMessage() for r in caplog.records if "still read" in r.getMessage()]
    assert len(stuck) == 1 and "owned-by-root.html (0644: Operation not permitted)" in stuck[0]
    assert "chmod go-rwx" in stuck[0]
    assert stat.S_IMODE(settings.database_path.stat().st_mode) == 0o600


# --- the command line, as separate processes ---------------------------------------------


def run(operator: Operator, *args: str, mask: int, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", *args],
        env=env or operator.env,
        cwd=operator.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        umask=mask,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


@contextmanager
def serving(operator: Operator, env: dict[str, str], mask: int) -> Iterator[str]:
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    log = operator.cwd / "serve.log"
    with gallery_running(args, env, port, log, cwd=operator.cwd, umask=mask) as (url, _):
        yield url


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_gallery_add_and_serve_keep_the_data_dir_owner_only(
    tmp_path: Path,
    live_standin: LiveStandIn,  # noqa: F811 - the fixture imported above
    mask: int,
) -> None:
    live_standin.reset()
    operator = make_operator(tmp_path, live_standin)
    run(operator, "add", sample_link(FIRST), "--quote", "Ein Zitat", mask=mask)
    run(operator, "add", sample_link(sample_videos()[1][0]), mask=mask)
    assert_owner_only(operator.data_dir)

    # `gallery serve` without GALLERY_SECRET_KEYS: it generates the key file too.
    env = {k: v for k, v in operator.env.items() if k != "GALLERY_SECRET_KEYS"}
    with serving(operator, env, mask) as url:
        assert httpx.get(f"{url}/").status_code == 200
        found = assert_owner_only(operator.data_dir)
    for name in ("gallery.sqlite3-wal", "gallery.sqlite3-shm", "secret_key"):
        assert name in found, name
    assert len([n for n in found if n.startswith("thumbnails/")]) == 2 * 5  # each with four copies

    # Copies taken out of the data dir keep their owner-only mode too.
    run(operator, "export", str(tmp_path / "export.json"), mask=mask)
    run(operator, "backup", str(tmp_path / "backup.sqlite3"), mask=mask)
    for name in ("export.json", "backup.sqlite3"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_a_command_on_a_loose_installation_tightens_it_and_says_so_once(
    tmp_path: Path,
    live_standin: LiveStandIn,  # noqa: F811 - the fixture imported above
) -> None:
    live_standin.reset()
    operator = make_operator(tmp_path, live_standin)
    run(operator, "add", sample_link(FIRST), mask=0o022)
    loosen(operator.data_dir)
    err = run(operator, "list", mask=0o022)
    warnings = [line for line in err.splitlines() if LOOSE_WARNING in line]
    assert len(warnings) == 1 and f"{operator.data_dir} (was 0755)" in warnings[0], err
    assert f"{operator.data_dir / 'gallery.sqlite3'} (was 0644)" in warnings[0]
    assert_owner_only(operator.data_dir)
    assert LOOSE_WARNING not in run(operator, "list", mask=0o022)
