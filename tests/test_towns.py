"""Several towns on one installation: the command line, each town's own texts and links, moving one out."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.cli.main import main
from gallery.content.towns import add_town, edit_town
from gallery.settings import Settings
from gallery.storage.store import Storage
from tests.admin_helpers import CSRF_RE, SAME_ORIGIN, snapshot
from tests.conftest import TEST_KEY
from tests.town_helpers import A_HOST, A_MARK, B_HOST, B_PASSWORD, TwoTowns, make_two_towns, two_towns_app


@pytest.fixture
def towns(curated_settings: Settings, vimeo_transport: httpx.AsyncBaseTransport) -> TwoTowns:
    return make_two_towns(curated_settings, vimeo_transport)


@pytest.fixture
def app(towns: TwoTowns, vimeo_transport: httpx.AsyncBaseTransport) -> Starlette:
    return two_towns_app(towns, vimeo_transport)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings.data_dir.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("GALLERY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GALLERY_SECRET_KEYS", TEST_KEY)
    if settings.database_url is not None:
        monkeypatch.setenv("GALLERY_DATABASE_URL", settings.database_url.value)
    return settings


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_town_add_list_edit_remove_on_the_command_line(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "town", "list")
    assert code == 0 and out.split()[:2] == ["*", "default"]
    code, out, err = run(
        monkeypatch,
        capsys,
        "town",
        "add",
        "moelln",
        "--name",
        "Mölln",
        "--host",
        "videos.moelln.de",
        "--imprint-url",
        "https://www.moelln.de/impressum",
    )
    assert (code, err) == (0, "")
    assert "moelln" in out
    code, out, _ = run(monkeypatch, capsys, "town", "list", "--json")
    listed = {t["key"]: t for t in json.loads(out)}
    assert listed["moelln"]["hosts"] == ["videos.moelln.de"] and listed["moelln"]["name"] == "Mölln"
    assert run(monkeypatch, capsys, "town", "edit", "moelln", "--name", "Stadt Mölln")[0] == 0
    code, out, _ = run(monkeypatch, capsys, "town", "list", "--json")
    assert {t["key"]: t for t in json.loads(out)}["moelln"]["name"] == "Stadt Mölln"
    # Several towns: a content command without --town is refused in one line, exit 2.
    code, out, err = run(monkeypatch, capsys, "list")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--town" in err
    assert run(monkeypatch, capsys, "list", "--town", "moelln")[0] == 0
    code, _, err = run(monkeypatch, capsys, "list", "--town", "nirgendwo")
    assert code == 2 and len(err.strip().splitlines()) == 1
    # Removing asks for --yes; the first town cannot be removed.
    assert run(monkeypatch, capsys, "town", "remove", "moelln")[0] == 2
    assert run(monkeypatch, capsys, "town", "remove", "default", "--yes")[0] == 2
    assert run(monkeypatch, capsys, "town", "remove", "moelln", "--yes")[0] == 0
    code, out, _ = run(monkeypatch, capsys, "town", "list", "--json")
    assert [t["key"] for t in json.loads(out)] == ["default"]
    assert run(monkeypatch, capsys, "list")[0] == 0  # one town again: no --town needed


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["town", "add", "Not A Key!", "--host", "x.de"], "Kurzname"),
        (["town", "add", "neu"], "Hostnamen"),
        (["town", "add", "neu", "--host", "*.stadt.de"], "Hostnamen"),
        (["town", "add", "neu", "--host", "n.de", "--imprint-url", "javascript:alert(1)"], "imprint_url"),
        (["town", "add", "neu", "--host", "n.de", "--accessibility-created", "2099-01-01"], "Zukunft"),
        (["town", "add", "neu", "--host", "n.de", "--accent", "#ffff00"], "Kontrast"),
        (["town", "add", "neu", "--host", "n.de", "--text", "notice/xx/short=/etc/hostname"], "xx/short"),
        (["town", "add", "neu", "--host", "n.de", "--text", "notice/de/short=/nirgends"], "/nirgends"),
        (["town", "edit", "default"], "Nichts zu ändern"),
        (["town", "edit", "nirgendwo", "--name", "x"], "nirgendwo"),
    ],
)
def test_bad_town_input_is_one_line_exit_2_and_stores_nothing(
    cli_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    run(monkeypatch, capsys, "town", "list")  # the database exists
    before = snapshot(cli_env)
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and says in err, err
    assert snapshot(cli_env) == before


def test_a_host_belongs_to_one_town(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, capsys, "town", "add", "a", "--host", "videos.a.de")[0] == 0
    code, _, err = run(monkeypatch, capsys, "town", "add", "b", "--host", "VIDEOS.A.DE:8443")
    assert code == 2 and "videos.a.de" in err


def test_export_and_import_of_one_town_only(
    towns: TwoTowns,
    app: Starlette,
    cli_env: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(monkeypatch, capsys, "export", "--town", "moelln")
    assert code == 0 and A_MARK not in out and towns.a_only_slug not in out
    assert [g["slug"] for g in json.loads(out)["galleries"]] == ["videos"]
    code, out, _ = run(monkeypatch, capsys, "export", "--town", "ratzeburg")
    assert A_MARK in out and "Mölln" not in out
    exported = tmp_path / "ratzeburg.json"
    exported.write_text(out, encoding="utf-8")
    # Moving Ratzeburg's galleries into a third town touches neither Ratzeburg nor Mölln.
    assert run(monkeypatch, capsys, "town", "add", "dritte", "--host", "dritte.test")[0] == 0
    before = {t: rows for t, rows in snapshot(cli_env) if t not in {"galleries", "statements", "audit_log"}}
    storage = Storage.from_settings(cli_env)
    a_before = storage.for_town(1).statements()
    code, out, err = run(monkeypatch, capsys, "import", str(exported), "--town", "dritte")
    assert code == 0, err
    third = next(t for t in storage.towns() if t.key == "dritte")
    moved = storage.for_town(third.id).statements()
    assert {s.quote for s in moved} == {s.quote for s in a_before}
    assert storage.for_town(1).statements() == a_before
    assert all(A_MARK not in s.quote for s in storage.for_town(2).statements())
    storage.close()
    after = {t: rows for t, rows in snapshot(cli_env) if t not in {"galleries", "statements", "audit_log"}}
    assert after == before
    # The CLI's content commands on the wrong town find nothing of the other's.
    code, _, err = run(monkeypatch, capsys, "remove", str(towns.a_only_vimeo_id), "--town", "moelln")
    assert code != 0 and len(err.strip().splitlines()) == 1


def test_a_towns_editors_change_its_legal_texts_and_notice_for_that_town_only(
    app: Starlette, towns: TwoTowns
) -> None:
    with TestClient(app) as client:
        r = client.post(
            f"https://{B_HOST}/admin/login",
            data={"username": "anna", "password": B_PASSWORD},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = client.get(f"https://{B_HOST}/admin/town")
        assert page.status_code == 200
        match = CSRF_RE.search(page.text)
        assert match
        consent_a = client.post(
            f"https://{A_HOST}/consent", data={"scope": "always"}, headers=SAME_ORIGIN, follow_redirects=False
        ).cookies["__Host-gallery-consent"]
        consent_b = client.post(
            f"https://{B_HOST}/consent", data={"scope": "always"}, headers=SAME_ORIGIN, follow_redirects=False
        ).cookies["__Host-gallery-consent"]
        form = {
            "csrf_token": match.group(1),
            "imprint_url": "https://www.moelln.de/impressum",
            "operator_name": "Stadt Mölln",
            "notice_short_de": "Mölln fragt <b>vorher</b>: Vimeo-Videos erst nach Ihrer Einwilligung.",
        }
        for name in (
            "privacy_policy_url",
            "accessibility_contact",
            "accessibility_created",
            "accessibility_reviewed",
        ):
            form[name] = ""
        r = client.post(
            f"https://{B_HOST}/admin/town", data=form, headers=SAME_ORIGIN, follow_redirects=False
        )
        assert r.status_code == 303, r.text
        b_home = client.get(f"https://{B_HOST}/").text
        a_home = client.get(f"https://{A_HOST}/").text
        assert "https://www.moelln.de/impressum" in b_home and "https://www.moelln.de/impressum" not in a_home
        # Escaped: the editors' text is text, never markup.
        assert "Mölln fragt &lt;b&gt;vorher&lt;/b&gt;" in b_home and "Mölln fragt" not in a_home
        # A new notice version for Mölln only: its old consent is asked again, Ratzeburg's stays.
        revoke = 'action="/consent/revoke"'
        assert (
            revoke
            not in client.get(
                f"https://{B_HOST}/", headers={"cookie": f"__Host-gallery-consent={consent_b}"}
            ).text
        )
        assert (
            revoke
            in client.get(
                f"https://{A_HOST}/", headers={"cookie": f"__Host-gallery-consent={consent_a}"}
            ).text
        )
        storage = Storage.from_settings(towns.settings)
        try:
            assert len(storage.for_town(2).audit_entries()) >= 1
            assert next(e.action for e in storage.for_town(2).audit_entries()) == "town.edit"
            assert all(e.action != "town.edit" for e in storage.for_town(1).audit_entries())
        finally:
            storage.close()
        # A bad address is refused with the field named, and nothing is stored.
        before = snapshot(towns.settings)
        bad = {**form, "imprint_url": "javascript:alert(1)"}
        r = client.post(f"https://{B_HOST}/admin/town", data=bad, headers=SAME_ORIGIN, follow_redirects=False)
        assert r.status_code == 400 and 'href="#f-imprint_url"' in r.text
        assert snapshot(towns.settings) == before


def test_a_town_added_or_changed_while_serving_is_served_at_once(
    app: Starlette, towns: TwoTowns, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    with TestClient(app) as client:
        assert client.get(f"https://{B_HOST}/").status_code == 200
        storage = Storage.from_settings(towns.settings)
        try:
            moelln = next(t for t in storage.towns() if t.key == "moelln")
            edit_town(storage, towns.settings, moelln, {"hosts": "videos.moelln.test", "name": "Mölln"})
            add_town(storage, towns.settings, "dritte", {"hosts": "dritte.test"})
        finally:
            storage.close()
        # Another process's write is seen within the change probe's interval.
        deadline = time.monotonic() + 30
        while client.get("https://dritte.test/").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert client.get(f"https://{B_HOST}/").status_code == 404
        assert "Mölln 0" in client.get("https://videos.moelln.test/").text


def test_a_towns_language_is_that_of_its_pages_of_no_gallery(app: Starlette, towns: TwoTowns) -> None:
    storage = Storage.from_settings(towns.settings)
    try:
        add_town(storage, towns.settings, "englisch", {"hosts": "english.test", "lang": "en"})
    finally:
        storage.close()
    with TestClient(app) as client:
        for path in ("/privacy", "/accessibility", "/nirgends", "/"):
            r = client.get(f"https://english.test{path}")
            assert '<html lang="en"' in r.text, path
        assert '<html lang="de"' in client.get(f"https://{B_HOST}/privacy").text


def test_a_towns_editors_are_sent_to_its_page_for_what_it_must_still_publish(
    app: Starlette, towns: TwoTowns
) -> None:
    with TestClient(app) as client:
        r = client.post(
            f"https://{B_HOST}/admin/login",
            data={"username": "anna", "password": B_PASSWORD},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303
        overview = client.get(f"https://{B_HOST}/admin/").text
        assert 'href="/admin/town"' in overview and "Angaben der Stadt“ ein" in overview
        assert "GALLERY_IMPRINT_URL" not in overview
