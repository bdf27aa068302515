"""The wheel: it carries templates, static files, stand-in media and migrations, and the
installed ``gallery`` command works outside the source checkout."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [
    "gallery/_templates/base.html",
    "gallery/_templates/notice/de/short.html",
    "gallery/_static/gallery.css",
    "gallery/vimeo/standin_media/sample1.jpg",
    "gallery/storage/migrations/0001_initial.sql",
    "gallery/storage/migrations/postgres/0001_initial.sql",
    "gallery/cli/demo/media/logo.png",
]


def run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def build_wheel(out: Path) -> Path:
    """``pip wheel`` of the checkout. With hatchling at hand no network is needed at all."""
    args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        args.append("--no-build-isolation")
    out.mkdir(parents=True, exist_ok=True)
    run([*args, str(REPO)], cwd=out)
    wheels = list(out.glob("statement_gallery-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for path in SHIPPED:
            assert path in names, path
        assert archive.read("gallery/_templates/base.html").startswith(b"<!doctype html>")
        assert archive.read("gallery/vimeo/standin_media/sample1.jpg").startswith(b"\xff\xd8\xff")
        entry_points = archive.read(
            next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        ).decode()
    assert "gallery = gallery.cli.main:main" in entry_points
    assert not any(n.startswith(("tests/", "bench/")) for n in names)

    # A fresh venv; the dependencies come from the test environment's site-packages, added
    # as plain directories (its .pth files, among them the editable install, stay unread).
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path
    ).stdout.strip()
    here = sysconfig.get_paths()
    (Path(purelib) / "test_dependencies.pth").write_text(
        "\n".join(dict.fromkeys([here["purelib"], here["platlib"]])) + "\n"
    )
    run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], cwd=tmp_path)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GALLERY_", "PYTHON"))}
    env["GALLERY_DATA_DIR"] = str(tmp_path / "data")
    (tmp_path / "data").mkdir(mode=0o700)  # README: only serve and demo create the data folder
    listed = run([str(env_dir / "bin" / "gallery"), "list", "--json"], cwd=tmp_path, env=env)
    assert json.loads(listed.stdout) == []
    assert "Traceback" not in listed.stderr
    assert (tmp_path / "data" / "gallery.sqlite3").is_file()
    # The catalogs came along: argparse's texts in German, ours in English.
    for lang, usage in (("de_DE.UTF-8", "Aufruf: gallery"), ("en_US.UTF-8", "usage: gallery")):
        shown = run([str(env_dir / "bin" / "gallery"), "--help"], cwd=tmp_path, env={**env, "LANG": lang})
        assert shown.stdout.startswith(usage), shown.stdout
    assert "show this help message" in shown.stdout and "start the service" in shown.stdout

    where = run(
        [
            str(python),
            "-c",
            "import gallery, gallery.web.paths as p; print(gallery.__file__); "
            "print(p.TEMPLATES_DIR); print(p.STATIC_DIR)",
        ],
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    package, templates, static = (Path(line) for line in where)
    site = Path(purelib).resolve()
    for path in (package, templates, static):
        assert path.is_relative_to(site), path
        assert not path.is_relative_to(REPO), path
    assert templates == site / "gallery" / "_templates"
    assert (templates / "notice" / "de" / "short.html").is_file()
    assert (static / "gallery.css").is_file()
