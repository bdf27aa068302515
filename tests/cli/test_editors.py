"""`gallery editor add|list|remove|passwd` as the IT person runs them, and what that does to
sign-ins and sessions in the running app."""

from __future__ import annotations

import io
import json
import sys

import psycopg
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.cli.main import main
from gallery.settings import Settings
from tests.admin_helpers import AdminActions
from tests.conftest import TEST_KEY
from tests.helpers import query, stored_bytes

PASSWORD = "ein-langes-passwort-fuer-anna"


@pytest.fixture
def operator_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings.data_dir.mkdir(mode=0o700, exist_ok=True)  # an installation's folder, as serve makes it
    monkeypatch.setenv("GALLERY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GALLERY_SECRET_KEYS", TEST_KEY)
    if settings.database_url is not None:
        monkeypatch.setenv("GALLERY_DATABASE_URL", settings.database_url.value)
    return settings


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def editors(settings: Settings) -> list[str]:
    if settings.database_url is None and not settings.database_path.exists():
        return []
    try:
        return [r[0] for r in query(settings, "SELECT name FROM editors ORDER BY name")]
    except psycopg.errors.UndefinedTable:  # no command has made the schema yet
        return []


def test_add_an_editor_who_can_then_sign_in(
    operator_env: Settings,
    app: Starlette,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        monkeypatch, capsys, "editor", "add", "anna", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0 and "Konto angelegt: anna" in out
    [(stored,)] = query(operator_env, "SELECT password_hash FROM editors")
    assert stored.startswith("scrypt$32768$8$3$") and PASSWORD not in stored
    with TestClient(app, base_url="https://gallery.test") as client:
        assert AdminActions(client).login("anna", PASSWORD).status_code == 303
    code, out, _ = run(monkeypatch, capsys, "editor", "list", "--json")
    (item,) = json.loads(out)
    assert item["name"] == "anna" and item["sessions"] == 1
    assert "password" not in json.dumps(item).replace("password_changed_at", "")


@pytest.mark.parametrize(
    ("name", "password", "reason"),
    [
        ("anna", "zu-kurz", "mindestens 12 Zeichen"),
        ("anna", "anna", "mindestens 12 Zeichen"),
        ("annaannaanna", "AnnaAnnaAnna", "nicht der Name"),
        ("an na", PASSWORD, "keine Leerzeichen"),
        ("", PASSWORD, "1 bis 64 Zeichen"),
        ("x" * 65, PASSWORD, "1 bis 64 Zeichen"),
    ],
)
def test_bad_names_and_weak_passwords_are_refused(
    operator_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    password: str,
    reason: str,
) -> None:
    code, _, err = run(
        monkeypatch, capsys, "editor", "add", name, "--password-stdin", stdin=password + "\n"
    )
    assert code == 1 and reason in err and len(err.strip().splitlines()) == 1
    assert editors(operator_env) == []


def test_names_are_unique_regardless_of_case(
    operator_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, capsys, "editor", "add", "Anna", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, _, err = run(monkeypatch, capsys, "editor", "add", "anna", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "gibt es schon" in err
    assert editors(operator_env) == ["Anna"]


def test_interactive_password_must_be_typed_twice_alike(
    operator_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(monkeypatch, capsys, "editor", "add", "anna")
    assert code == 1 and "stimmen nicht überein" in err
    assert editors(operator_env) == []


@pytest.mark.parametrize("command", ["passwd", "remove"])
def test_passwd_and_remove_end_the_running_sessions(
    operator_env: Settings,
    app: Starlette,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    run(monkeypatch, capsys, "editor", "add", "anna", "--password-stdin", stdin=PASSWORD)
    with TestClient(app, base_url="https://gallery.test") as client:
        browser = AdminActions(client)
        assert browser.login("anna", PASSWORD).status_code == 303
        assert client.get("/admin/").status_code == 200
        args = ["editor", command, "ANNA"] + (["--password-stdin"] if command == "passwd" else [])
        code, out, _ = run(monkeypatch, capsys, *args, stdin="das-neue-lange-passwort")
        assert code == 0 and "beendet" in out
        assert client.get("/admin/", follow_redirects=False).status_code == 303
        new_sign_in = browser.login("anna", "das-neue-lange-passwort").status_code
        assert new_sign_in == (303 if command == "passwd" else 400)
        assert browser.login("anna", PASSWORD).status_code == 400
    code, out, _ = run(monkeypatch, capsys, "editor", "list")
    assert ("anna" in out) == (command == "passwd")


def test_unknown_accounts_fail_with_one_line(
    operator_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["editor", "remove", "niemand"], ["editor", "passwd", "niemand", "--password-stdin"]):
        code, _, err = run(monkeypatch, capsys, *args, stdin=PASSWORD)
        assert code == 1 and "gibt es nicht" in err and len(err.strip().splitlines()) == 1


def test_account_changes_are_in_the_audit_trail_without_secrets(
    operator_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(monkeypatch, capsys, "editor", "add", "anna", "--password-stdin", stdin=PASSWORD)
    run(monkeypatch, capsys, "editor", "passwd", "anna", "--password-stdin", stdin="das-neue-lange-passwort")
    run(monkeypatch, capsys, "editor", "remove", "anna")
    rows = query(operator_env, "SELECT actor, action, subject FROM audit_log ORDER BY id")
    assert rows == [
        ("Kommandozeile", "editor.add", "anna"),
        ("Kommandozeile", "editor.passwd", "anna"),
        ("Kommandozeile", "editor.remove", "anna"),
    ]
    raw = stored_bytes(operator_env)
    assert PASSWORD.encode() not in raw and b"das-neue-lange-passwort" not in raw
