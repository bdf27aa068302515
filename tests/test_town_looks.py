"""A town's look set by the operator on the command line: accent colour and logo, on that town's
galleries only (the first one at once, a new one from the start), checked like an editor's upload."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.settings import Settings
from tests.admin.test_curate import huge_png_header
from tests.admin_helpers import AdminActions, snapshot, stored_images
from tests.conftest import TEST_KEY
from tests.content.test_looks import GREEN, SVG, header_logo, png_logo, style_link
from tests.helpers import query
from tests.htmlparse import parse
from tests.test_towns import run
from tests.town_helpers import A_HOST, B_HOST, B_PASSWORD, TwoTowns, make_two_towns, two_towns_app

C_HOST = "dritte.test"
BLUE = "#1d5e8c"


def logo_file(tmp_path: Path, name: str = "logo.png", data: bytes | None = None) -> str:
    path = tmp_path / name
    path.write_bytes(png_logo() if data is None else data)
    return str(path)


def listed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _ = run(monkeypatch, capsys, "town", "list", "--json")
    assert code == 0
    return {t["key"]: t for t in json.loads(out)}


def shown_logo(client: TestClient, host: str, path: str = "/") -> tuple[str, str] | None:
    """(src, alt) of the logo in the header of a page on ``host``, or None."""
    r = client.get(f"https://{host}{path}")
    assert r.status_code == 200, (host, path, r.status_code)
    img = header_logo(parse(r.text))
    return None if img is None else (img.attrs["src"], img.attrs["alt"])


def audit_of(settings: Settings, town_key: str) -> list[tuple[str, str, str, str]]:
    rows = query(
        settings,
        "SELECT a.actor, a.action, a.gallery_slug, a.fields FROM audit_log a"
        " JOIN towns t ON t.id = a.town_id WHERE t.key = ? ORDER BY a.id",
        (town_key,),
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def towns(curated_settings: Settings, vimeo_transport: httpx.AsyncBaseTransport) -> TwoTowns:
    return make_two_towns(curated_settings, vimeo_transport)


@pytest.fixture
def cli_env(towns: TwoTowns, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line, on the two towns' installation."""
    settings.data_dir.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("GALLERY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GALLERY_SECRET_KEYS", TEST_KEY)
    if settings.database_url is not None:
        monkeypatch.setenv("GALLERY_DATABASE_URL", settings.database_url.value)
    return settings


@pytest.fixture
def make_app(towns: TwoTowns, vimeo_transport: httpx.AsyncBaseTransport) -> Callable[[], Starlette]:
    """The app as it starts after the command line's changes."""
    return lambda: two_towns_app(towns, vimeo_transport)


def test_a_town_added_with_a_look_shows_it_on_its_own_host_only(
    cli_env: Settings,
    make_app: Callable[[], Starlette],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("--host", C_HOST, "--accent", GREEN, "--logo", logo_file(tmp_path), "--logo-alt", "Stadt Dritte")
    code, _, err = run(monkeypatch, capsys, "town", "add", "dritte", *args)
    assert (code, err) == (0, "")
    shown = listed(monkeypatch, capsys)
    name = shown["dritte"]["logo"]
    assert name and name.endswith(".png") and shown["dritte"]["logo_alt"] == "Stadt Dritte"
    assert shown["moelln"]["logo"] is None and shown["moelln"]["logo_alt"] == ""
    app = make_app()
    with TestClient(app) as client:
        for path in ("/", "/g/videos"):
            assert shown_logo(client, C_HOST, path) == (f"/thumbs/{name}", "Stadt Dritte")
        page = parse(client.get(f"https://{C_HOST}/").text)
        href = style_link(page)
        assert href is not None and GREEN in client.get(f"https://{C_HOST}{href}").text
        r = client.get(f"https://{C_HOST}/thumbs/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert b"Mustermann" not in r.content, "re-encoded: the file's text chunks are gone"
        # The other towns neither show it nor hand it out.
        for host in (A_HOST, B_HOST):
            assert shown_logo(client, host) is None
            assert name not in client.get(f"https://{host}/g/videos").text
            assert client.get(f"https://{host}/thumbs/{name}").status_code == 404


def test_editing_a_towns_look_changes_its_first_gallery_and_discards_the_old_logo(
    cli_env: Settings,
    make_app: Callable[[], Starlette],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = logo_file(tmp_path, "erstes.png", png_logo(text="eins"))
    second = logo_file(tmp_path, "zweites.png", png_logo((200, 200)))
    code, _, err = run(monkeypatch, capsys, "town", "edit", "moelln", "--logo", first, "--logo-alt", "Mölln")
    assert (code, err) == (0, "")
    old = listed(monkeypatch, capsys)["moelln"]["logo"]
    app = make_app()
    with TestClient(app) as client:
        assert shown_logo(client, B_HOST) == (f"/thumbs/{old}", "Mölln")
        assert old in stored_images(cli_env)
        code, _, err = run(monkeypatch, capsys, "town", "edit", "moelln", "--logo", second, "--accent", BLUE)
        assert (code, err) == (0, "")
        new = listed(monkeypatch, capsys)["moelln"]["logo"]
        assert new != old
        assert shown_logo(client, B_HOST, "/g/videos") == (f"/thumbs/{new}", "Mölln")
        href = style_link(parse(client.get(f"https://{B_HOST}/").text))
        assert href is not None and BLUE in client.get(f"https://{B_HOST}{href}").text
        assert shown_logo(client, A_HOST) is None
    images = stored_images(cli_env)
    assert new in images and old not in images, "the replaced logo nothing uses is gone"
    cli = "Kommandozeile"
    assert audit_of(cli_env, "moelln")[-4:] == [
        (cli, "gallery.edit", "videos", "logo_alt"),
        (cli, "gallery.logo", "videos", "logo"),
        (cli, "gallery.edit", "videos", "accent"),
        (cli, "gallery.logo", "videos", "logo"),
    ]
    assert not [row for row in audit_of(cli_env, "ratzeburg") if row[0] == cli]


def test_no_logo_removes_it_and_a_logo_another_town_uses_stays(
    cli_env: Settings,
    make_app: Callable[[], Starlette],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    same = logo_file(tmp_path)
    for key in ("ratzeburg", "moelln"):
        assert run(monkeypatch, capsys, "town", "edit", key, "--logo", same)[0] == 0
    name = listed(monkeypatch, capsys)["moelln"]["logo"]
    assert listed(monkeypatch, capsys)["ratzeburg"]["logo"] == name
    code, _, err = run(monkeypatch, capsys, "town", "edit", "moelln", "--no-logo", "--logo", same)
    assert code == 2 and "--no-logo" in err and len(err.strip().splitlines()) == 1
    assert listed(monkeypatch, capsys)["moelln"]["logo"] == name
    code, _, err = run(monkeypatch, capsys, "town", "edit", "moelln", "--no-logo")
    assert (code, err) == (0, "")
    assert listed(monkeypatch, capsys)["moelln"]["logo"] is None
    assert name in stored_images(cli_env), "Ratzeburg still shows it"
    app = make_app()
    with TestClient(app) as client:
        assert shown_logo(client, B_HOST) is None
        assert shown_logo(client, A_HOST) is not None
    assert run(monkeypatch, capsys, "town", "edit", "ratzeburg", "--no-logo")[0] == 0
    assert name not in stored_images(cli_env)
    assert audit_of(cli_env, "moelln")[-1] == ("Kommandozeile", "gallery.logo_remove", "videos", "logo")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (SVG, "SVG-Dateien werden nicht angenommen"),
        (b"kein Bild", "kein lesbares Bild"),
        (png_logo((20, 20)), "zu klein"),
        (huge_png_header(9_000, 5_000), "zu viele Pixel"),
        (None, "kann nicht gelesen werden"),  # no such file
    ],
)
def test_an_unusable_logo_file_is_refused_in_one_line_and_nothing_changes(
    cli_env: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: bytes | None,
    says: str,
) -> None:
    file = str(tmp_path / "fehlt.png") if data is None else logo_file(tmp_path, "logo.svg", data)
    before, images = snapshot(cli_env), stored_images(cli_env)
    for args in (
        ("add", "dritte", "--host", C_HOST, "--logo", file),
        ("edit", "moelln", "--logo", file, "--accent", GREEN),
    ):
        code, out, err = run(monkeypatch, capsys, "town", *args)
        assert code != 0 and out == "", args
        assert says in err and len(err.strip().splitlines()) == 1, err
        assert snapshot(cli_env) == before
        assert stored_images(cli_env) == images


def test_a_logo_stored_for_a_town_that_cannot_be_added_goes_again(
    cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before, images = snapshot(cli_env), stored_images(cli_env)
    args = ("town", "add", "moelln", "--host", C_HOST, "--logo", logo_file(tmp_path))
    code, _, err = run(monkeypatch, capsys, *args)
    assert code != 0 and "gibt es schon" in err
    assert stored_images(cli_env) == images
    assert snapshot(cli_env) == before


def test_a_new_gallery_in_the_admin_starts_with_its_towns_look(
    cli_env: Settings,
    make_app: Callable[[], Starlette],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("--accent", GREEN, "--logo", logo_file(tmp_path), "--logo-alt", "Stadt Mölln")
    assert run(monkeypatch, capsys, "town", "edit", "moelln", *args)[0] == 0
    name = listed(monkeypatch, capsys)["moelln"]["logo"]
    app = make_app()
    with TestClient(app, base_url=f"https://{B_HOST}") as client:
        editor = AdminActions(client)
        assert editor.login("anna", B_PASSWORD).status_code == 303
        form = editor.page("/admin/galleries/new")
        accent, alt = form.by_id("f-accent"), form.by_id("f-logo_alt")
        assert accent is not None and accent.attrs["value"] == GREEN
        assert alt is not None and alt.attrs["value"] == "Stadt Mölln"
        fields = {"slug": "neu", "title": "Neue Galerie", "intro": "", "lang": "de", "frame_ancestors": ""}
        r = editor.post("/admin/galleries/new", {**fields, "accent": GREEN, "logo_alt": "Stadt Mölln"})
        assert r.status_code == 303
        assert shown_logo(client, B_HOST, "/g/neu") == (f"/thumbs/{name}", "Stadt Mölln")
        preview = editor.page("/admin/g/neu/settings").find("p", class_="logo-preview")
        assert preview is not None
        img = preview.find("img")
        assert img is not None and img.attrs["src"] == f"/thumbs/{name}"
        assert img.attrs["alt"] == "Stadt Mölln"
    [row] = query(cli_env, "SELECT accent, logo FROM galleries WHERE slug = 'neu'")
    assert tuple(row) == (GREEN, name)
    # Ratzeburg's new galleries know nothing of Mölln's look.
    with TestClient(app, base_url=f"https://{A_HOST}") as client:
        editor = AdminActions(client)
        assert editor.login("anna").status_code == 303
        form = editor.page("/admin/galleries/new")
        accent = form.by_id("f-accent")
        assert accent is not None and accent.attrs.get("value", "") == ""
        assert name not in client.get("/admin/galleries/new").text
