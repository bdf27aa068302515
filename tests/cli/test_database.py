"""``GALLERY_DATABASE_URL`` as an operator meets it: PostgreSQL for real, and every way it can be wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli.test_cli import (
    COMMANDS_READING_SETTINGS,
    Operator,
    Result,
    assert_one_line_failure,
    base_env,
    closed_port,
)
from tests.processes import free_port, gallery_running

PASSWORD = "Geheim-Passwort-42"
STANDIN = "http://127.0.0.1:9"  # never asked: these commands do not reach Vimeo


@pytest.fixture
def operator(tmp_path: Path) -> Operator:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "export.json").write_text('{"format": "statement-gallery-export"}', encoding="utf-8")
    return Operator(data_dir, base_env(data_dir, STANDIN, 9), cwd)


def assert_nothing_shown(result: Result) -> None:
    assert PASSWORD not in result.err and PASSWORD not in result.out


# What a public body must publish: set, so that `serve` says nothing but what went wrong.
PUBLISHED = {
    "GALLERY_IMPRINT_URL": "https://www.stadt.de/impressum",
    "GALLERY_PRIVACY_POLICY_URL": "https://www.stadt.de/datenschutz",
    "GALLERY_ACCESSIBILITY_CREATED": "2026-01-01",
    "GALLERY_ACCESSIBILITY_REVIEWED": "2026-01-02",
}
BAD_URLS = {
    "another scheme": f"mysql://gallery:{PASSWORD}@db.example:3306/gallery",
    "a malformed port": f"postgresql://gallery:{PASSWORD}@db.example:5432x/gallery",
}


@pytest.mark.parametrize(
    "args", COMMANDS_READING_SETTINGS, ids=[" ".join(a[:2]) for a in COMMANDS_READING_SETTINGS]
)
@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_a_database_url_that_is_not_postgresql_stops_every_command(
    operator: Operator, args: tuple[str, ...], url: str
) -> None:
    result = operator.run(*args, extra_env={"GALLERY_DATABASE_URL": url}, stdin="richtig-langes-passwort\n")
    line = assert_one_line_failure(result, code=2)
    assert line.startswith("Fehler in der Konfiguration: GALLERY_DATABASE_URL ") and line.endswith(".")
    assert_nothing_shown(result)
    assert list(operator.data_dir.iterdir()) == [], "nothing was created or started"


@pytest.mark.parametrize("args", [("list", "--json"), ("serve", "--port", "0")], ids=["list", "serve"])
def test_an_unreachable_server_is_one_sentence_naming_where(
    operator: Operator, args: tuple[str, ...]
) -> None:
    port = closed_port()
    url = f"postgresql://gallery:{PASSWORD}@127.0.0.1:{port}/gallery"
    result = operator.run(*args, extra_env={**PUBLISHED, "GALLERY_DATABASE_URL": url})
    line = assert_one_line_failure(result, code=1)
    assert f"127.0.0.1:{port}/gallery" in line and "nicht erreichbar" in line
    assert_nothing_shown(result)
    english = operator.run(*args, extra_env={**PUBLISHED, "GALLERY_DATABASE_URL": url, "LANGUAGE": "en"})
    assert "cannot be reached" in assert_one_line_failure(english, code=1)


def test_postgresql_without_the_secret_keys_does_not_start(operator: Operator) -> None:
    env = {k: v for k, v in operator.env.items() if k != "GALLERY_SECRET_KEYS"}
    url = f"postgresql://gallery:{PASSWORD}@127.0.0.1:{closed_port()}/gallery"
    bare = Operator(operator.data_dir, {**env, "GALLERY_DATABASE_URL": url}, operator.cwd)
    for args in (("serve", "--port", "0"), ("list",)):
        result = bare.run(*args)
        line = assert_one_line_failure(result, code=2)
        assert "GALLERY_SECRET_KEYS" in line and "Cookies" in line
        assert_nothing_shown(result)
    assert list(operator.data_dir.iterdir()) == [], "no key file of its own"


def test_without_the_postgres_extra_the_operator_is_told_what_to_install(operator: Operator) -> None:
    url = f"postgresql://gallery:{PASSWORD}@127.0.0.1:{closed_port()}/gallery"
    # This interpreter has psycopg; the run below behaves as one without it.
    script = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None\n"
        "from gallery.cli.main import main; sys.exit(main(['list']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**operator.env, "GALLERY_DATABASE_URL": url},
        cwd=operator.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = assert_one_line_failure(Result(proc.returncode, proc.stdout, proc.stderr), code=2)
    assert "pip install 'statement-gallery[postgres]'" in line
    assert PASSWORD not in proc.stderr


# --- on a real server ----------------------------------------------------------------------


@pytest.fixture
def on_postgres(operator: Operator, engine_name: str, database_url: str | None) -> Operator:
    assert database_url is not None
    return Operator(operator.data_dir, {**operator.env, "GALLERY_DATABASE_URL": database_url}, operator.cwd)


@pytest.mark.engines("postgres")
def test_commands_and_the_service_share_the_postgresql_database(
    on_postgres: Operator, tmp_path: Path
) -> None:
    added = on_postgres.run("editor", "add", "anna", "--password-stdin", stdin="richtig-langes-passwort\n")
    assert added.code == 0, added.err
    listed = on_postgres.run("editor", "list")
    assert listed.code == 0 and "anna" in listed.out
    assert not (on_postgres.data_dir / "gallery.sqlite3").exists(), "nothing went to SQLite"
    backup = on_postgres.run("backup", str(tmp_path / "copy.sqlite3"))
    assert "pg_dump" in assert_one_line_failure(backup, code=2)
    port = free_port()
    with gallery_running(["serve", "--port", str(port)], on_postgres.env, port, tmp_path / "serve.log") as (
        base,
        _,
    ):
        page = httpx.get(base + "/", trust_env=False, timeout=30)
        assert page.status_code == 200 and "Videostatements" in page.text
    again = on_postgres.run("export")
    assert again.code == 0 and '"videos"' in again.out
