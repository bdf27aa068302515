"""Where the ``gallery`` command reads and writes: the data folder, backups, exports, a closed pipe,
and the demo's folder (whose Vimeo is the demo's stand-in).

Every command runs as a real process (``python -m gallery``), as an operator runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gallery.cli.common import vimeo_settings
from gallery.cli.demo.samples import sample_videos
from gallery.cli.demo.standin_note import FILE_NAME, record_standin
from gallery.models import FetchStatus, Video
from gallery.settings import DEFAULT_OEMBED_URL, Settings
from gallery.storage.engine import utcnow
from gallery.storage.store import Storage
from tests.cli.test_cli import (  # noqa: F401 - fixtures
    CLI_KEY,
    PLAIN,
    LiveStandIn,
    Operator,
    Result,
    assert_one_line_failure,
    closed_port,
    live_standin,
    make_operator,
    standin,
)
from tests.processes import clean_env, free_port, gallery_running

SAMPLE_TITLES = {video.vimeo_id: video.title for video, _ in sample_videos()}
START_TIMEOUT = 30.0
LISTING = 20_000  # statements: about 2 MB of `gallery list`


@pytest.fixture
def operator(tmp_path: Path, standin: LiveStandIn) -> Operator:  # noqa: F811 - fixture above
    return make_operator(tmp_path, standin)


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# --- the data folder ---------------------------------------------------------------------

COMMANDS = {
    "list": ("list",),
    "list --json": ("list", "--json"),
    "add": ("add", str(PLAIN)),
    "remove": ("remove", str(PLAIN)),
    "refresh": ("refresh", "--all"),
    "editor add": ("editor", "add", "anna", "--password-stdin"),
    "editor list": ("editor", "list"),
    "editor remove": ("editor", "remove", "anna"),
    "editor passwd": ("editor", "passwd", "anna", "--password-stdin"),
    "export": ("export",),
    "export to a file": ("export", "export.json"),
    "import": ("import", "import.json"),
    "backup": ("backup", "backups/"),
}


@pytest.mark.parametrize("how", ["variable", "option before", "option after", "default ./data"])
@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_missing_data_folder_is_refused_and_nothing_is_created(
    operator: Operator, args: tuple[str, ...], how: str
) -> None:
    missing = operator.cwd / "gone" if how != "default ./data" else operator.cwd / "data"
    (operator.cwd / "import.json").write_text('{"format": "statement-gallery-export"}', encoding="utf-8")
    before = tree(operator.cwd)
    env = {k: v for k, v in operator.env.items() if k != "GALLERY_DATA_DIR"}
    if how == "variable":
        env["GALLERY_DATA_DIR"] = str(missing)
    elif how == "option before":
        args = ("--data-dir", str(missing), *args)
    elif how == "option after":
        args = (*args, "--data-dir", str(missing))
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", *args],
        env=env,
        cwd=operator.cwd,
        input="ein-langes-passwort-fuer-anna\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = assert_one_line_failure(Result(proc.returncode, proc.stdout, proc.stderr), code=2)
    assert f"Den Datenordner {missing} gibt es nicht." in line
    assert "--data-dir" in line and "GALLERY_DATA_DIR" in line and f"mkdir -m 700 {missing}" in line
    assert proc.stdout == ""
    assert not missing.exists()
    assert tree(operator.cwd) == before, "no folder, key or database was made"


def test_the_option_wins_over_the_variable_before_or_after_the_command(
    operator: Operator, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    result = operator.run("--data-dir", str(other), "add", str(PLAIN))
    assert result.code == 0, result.err
    for args in (("--data-dir", str(other), "list", "--json"), ("list", "--json", "--data-dir", str(other))):
        result = operator.run(*args)
        assert result.code == 0, result.err
        assert [item["vimeo_id"] for item in json.loads(result.out)] == [PLAIN]
    assert operator.items() == [], "GALLERY_DATA_DIR's gallery was not touched"
    # after the command it wins over one before it; nested commands take it as well
    result = operator.run("--data-dir", str(operator.data_dir), "list", "--json", "--data-dir", str(other))
    assert [item["vimeo_id"] for item in json.loads(result.out)] == [PLAIN]
    result = operator.run(
        "editor", "--data-dir", str(other), "add", "anna", "--password-stdin", stdin="x" * 20
    )
    assert result.code == 0, result.err
    assert "anna" in operator.run("editor", "list", "--data-dir", str(other)).out
    assert "anna" not in operator.run("editor", "list").out


# --- backup and export -------------------------------------------------------------------


def wait_for_the_next_second() -> None:
    """Backups are named by the second; the next night's must get another name."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


def test_backup_to_a_new_folder_creates_it_and_the_nightly_recipe_works_twice(
    operator: Operator, tmp_path: Path
) -> None:
    operator.add(str(PLAIN))
    folder = tmp_path / "sicherungen"
    result = operator.run("backup", f"{folder}/")
    assert result.code == 0, result.err
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    (first,) = folder.iterdir()
    assert first.name.startswith("gallery-") and first.suffix == ".sqlite3"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert str(first) in result.out
    wait_for_the_next_second()
    # The next night: the same command, into the folder that exists now (with or without the "/").
    for path in (f"{folder}/", str(folder)):
        result = operator.run("backup", path)
        assert result.code == 0, result.err
        wait_for_the_next_second()
    assert len(list(folder.iterdir())) == 3
    assert all(p.name.startswith("gallery-") for p in folder.iterdir())


@pytest.mark.parametrize(
    "target", ["neu/sicherungen/", "neu/sicherung.sqlite3", "neu/tief/sicherung.sqlite3"]
)
def test_backup_never_creates_parent_folders(operator: Operator, tmp_path: Path, target: str) -> None:
    operator.add(str(PLAIN))
    before = tree(tmp_path)
    line = assert_one_line_failure(operator.run("backup", str(tmp_path / target)), code=2)
    assert str(tmp_path / "neu") in line
    assert not (tmp_path / "neu").exists()
    assert tree(tmp_path) == before


def test_backup_to_a_file_with_a_slash_is_refused(operator: Operator, tmp_path: Path) -> None:
    operator.add(str(PLAIN))
    (tmp_path / "datei").write_text("kein Ordner")
    line = assert_one_line_failure(operator.run("backup", f"{tmp_path / 'datei'}/"), code=2)
    assert "kein Ordner" in line
    assert (tmp_path / "datei").read_text() == "kein Ordner"


def test_export_refuses_to_overwrite_without_force(operator: Operator, tmp_path: Path) -> None:
    operator.add(str(PLAIN))
    target = tmp_path / "export.json"
    target.write_text("wichtig", encoding="utf-8")
    line = assert_one_line_failure(operator.run("export", str(target)), code=2)
    assert str(target) in line and "--force" in line
    assert target.read_text(encoding="utf-8") == "wichtig"
    result = operator.run("export", str(target), "--force")
    assert result.code == 0, result.err
    assert (
        json.loads(target.read_text(encoding="utf-8"))["galleries"][0]["statements"][0]["vimeo_id"] == PLAIN
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # A folder, or a file in a folder that is not there, is refused; nothing is made.
    assert_one_line_failure(operator.run("export", str(tmp_path)), code=2)
    assert_one_line_failure(operator.run("export", str(tmp_path / "fehlt" / "export.json")), code=2)
    assert not (tmp_path / "fehlt").exists()


# --- a reader that leaves early ----------------------------------------------------------


def many_statements(data_dir: Path, count: int) -> None:
    """Far more listing than a pipe holds (64 KiB, at most 1 MiB): still writing when the reader leaves."""
    db = Storage.sqlite(data_dir / "gallery.sqlite3")
    db.migrate()
    now = utcnow()
    with db.transaction() as conn:
        gallery = conn.default_gallery()
        for n in range(count):
            vimeo_id = 100_000_000 + n
            video = Video(
                vimeo_id=vimeo_id,
                unlisted_hash=None,
                title=f"Video {n} " + "x" * 40,
                author_name="",
                duration=60,
                width=640,
                height=360,
                upload_date=None,
                thumbnail_url=None,
                thumbnail=None,
                fetch_status=FetchStatus.OK,
                fetch_message="",
                fetched_at=now,
                good_at=now,
            )
            conn.save_video(video)
            conn.add_statement(gallery.id, vimeo_id, published=True)
    db.close()


def test_a_closed_pipe_ends_the_listing_quietly(operator: Operator) -> None:
    many_statements(operator.data_dir, LISTING)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gallery", "list"],
        env=operator.env,
        cwd=operator.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().split()[0] == b"100000000"  # `| head -n 1`: one line, then go
        proc.stdout.close()
        code = proc.wait(timeout=120)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    assert err == "", err  # no traceback, no "Exception ignored"
    assert code == 128 + signal.SIGPIPE  # what the shell shows for `seq 1000000 | head -n 1`


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("seq") is None, reason="needs bash and seq")
def test_in_a_shell_pipe_it_ends_like_seq_does(operator: Operator) -> None:
    many_statements(operator.data_dir, LISTING)
    script = (
        f"set -o pipefail; {sys.executable} -m gallery list | head -n 1 >/dev/null; echo $?; "
        "seq 1000000 | head -n 1 >/dev/null; echo $?"
    )
    proc = subprocess.run(
        ["bash", "-c", script], env=operator.env, cwd=operator.cwd, capture_output=True, text=True, timeout=60
    )
    ours, seqs = proc.stdout.split()
    assert ours == seqs == "141"
    assert proc.stderr == ""


# --- the demo's folder -------------------------------------------------------------------


@contextmanager
def demo_running(data_dir: Path, log: Path) -> Iterator[str]:
    """``gallery --data-dir DIR demo`` on a free loopback port; stopped with Ctrl+C, then killed."""
    port = free_port()
    args = ["--data-dir", str(data_dir), "demo", "--port", str(port)]
    with gallery_running(args, clean_env(), port, log) as (base, _):
        yield base


def test_commands_on_the_demo_folder_reach_the_demo_standin(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}

    def gallery(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gallery", "--data-dir", str(data_dir), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    with demo_running(data_dir, tmp_path / "demo.log"):
        note = data_dir / FILE_NAME
        assert stat.S_IMODE(note.stat().st_mode) == 0o600
        # The demo hosts two towns: a command names the one it works on.
        removed = gallery("remove", str(PLAIN), "--town", "ratzeburg")
        assert removed.returncode == 0, removed.stderr
        added = gallery("add", str(PLAIN), "--quote", "Wieder da", "--town", "ratzeburg")
        assert added.returncode == 0, added.stderr
        assert SAMPLE_TITLES[PLAIN] in added.stdout  # the stand-in's answer, not vimeo.com's
        standin_url = note.read_text().strip()
        notes = [line for line in added.stderr.splitlines() if standin_url in line]
        assert len(notes) == 1 and "Vimeo-Ersatz" in notes[0], added.stderr  # said once
        refreshed = gallery("refresh", "--all", "--town", "ratzeburg")
        assert refreshed.returncode == 0, refreshed.stderr
        assert refreshed.stdout.count("in Ordnung") == len(sample_videos()) - 1  # one is restricted
        # A variable set by the operator wins: then the note is not used (and not mentioned).
        env["GALLERY_VIMEO_OEMBED_URL"] = f"http://127.0.0.1:{closed_port()}/api/oembed.json"
        refused = gallery("refresh", str(PLAIN), "--town", "ratzeburg")
        assert refused.returncode == 1 and "nicht erreichbar" in refused.stdout
        assert standin_url not in refused.stderr and "Vimeo-Ersatz" not in refused.stderr


def namespace(data_dir: Path) -> argparse.Namespace:
    return argparse.Namespace(data_dir=str(data_dir))


def test_a_folder_without_the_note_keeps_vimeo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [k for k in os.environ if k.startswith("GALLERY_")]:
        monkeypatch.delenv(name)
    plain = Settings.from_environ({"GALLERY_DATA_DIR": str(tmp_path), "GALLERY_SECRET_KEYS": CLI_KEY})
    assert vimeo_settings(plain, namespace(tmp_path)) == plain
    assert plain.vimeo_oembed_url == DEFAULT_OEMBED_URL
    # A note that does not name plain http on loopback is ignored: it cannot send requests elsewhere.
    for url in ("https://vimeo.example.org", "http://10.0.0.1:8000", "http://127.0.0.1:8000/x", "nonsense"):
        (tmp_path / FILE_NAME).write_text(url + "\n")
        assert vimeo_settings(plain, namespace(tmp_path)) == plain, url
    assert capsys.readouterr().err == ""
    record_standin(tmp_path, "http://127.0.0.1:8123")
    demo = vimeo_settings(plain, namespace(tmp_path))
    assert demo.vimeo_oembed_url == "http://127.0.0.1:8123/api/oembed.json"
    assert demo.vimeo_thumbnail_hosts == ("127.0.0.1:8123",)
    assert capsys.readouterr().err.count("http://127.0.0.1:8123") == 1
    # The service itself never reads the note: only the command line does.
    served = Settings.from_environ({"GALLERY_DATA_DIR": str(tmp_path), "GALLERY_SECRET_KEYS": CLI_KEY})
    assert served.vimeo_oembed_url == DEFAULT_OEMBED_URL
