"""Access rules for every admin route: sign-in required, CSRF tokens, cross-site refusals, body
limits, and the headers that keep admin pages out of frames and caches."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.curate import MAX_TEXT
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.web.render import Renderer
from tests.admin_helpers import SAME_ORIGIN, AdminActions, snapshot, statement_id
from tests.htmlparse import parse
from tests.sqlfile import FailingSQLite

FIRST = sample_videos()[0][0]


def admin_paths(sid: int) -> list[str]:
    return [
        "/admin/",
        "/admin/audit",
        "/admin/galleries/new",
        "/admin/g/videos",
        "/admin/g/videos/settings",
        "/admin/g/videos/add",
        f"/admin/s/{sid}",
        f"/admin/s/{sid}/delete",
    ]


def state_changing(sid: int) -> list[tuple[str, dict[str, str]]]:
    """Every admin POST with a form that would change something if it were accepted."""
    return [
        ("/admin/logout", {}),
        (
            "/admin/galleries/new",
            {"slug": "neu", "title": "Neu", "intro": "", "lang": "de", "frame_ancestors": ""},
        ),
        (
            "/admin/g/videos/settings",
            {"title": "Umbenannt", "intro": "x", "lang": "de", "frame_ancestors": ""},
        ),
        ("/admin/g/videos/add", {"step": "preview", "link": "https://vimeo.com/900000001"}),
        (f"/admin/s/{sid}", {"revision": "1", "speaker_name": "Geändert", "caption_lang": "de"}),
        (f"/admin/s/{sid}/publish", {"published": "0"}),
        (f"/admin/s/{sid}/move", {"direction": "down"}),
        (f"/admin/s/{sid}/refresh", {}),
        (f"/admin/s/{sid}/poster", {"remove": "1"}),
        (f"/admin/s/{sid}/delete", {"confirm": "1"}),
    ]


def test_every_admin_page_needs_a_signed_in_editor(populated: TestClient, curated_settings) -> None:  # type: ignore[no-untyped-def]
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    for path in admin_paths(sid):
        r = populated.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/admin/login"), path
        assert r.headers["cache-control"] == "no-store", path
    before = snapshot(curated_settings)
    for path, form in state_changing(sid):
        r = populated.post(path, data=form, headers=SAME_ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login"), path
    assert snapshot(curated_settings) == before


def test_admin_pages_are_never_framed_or_cached(editor: AdminActions) -> None:
    sid = statement_id(editor.client.app.services.settings, FIRST.vimeo_id)  # type: ignore[attr-defined]
    for path in [*admin_paths(sid), "/admin/login", "/admin/nirgends", f"/admin/s/{sid + 999}"]:
        r = editor.client.get(path, follow_redirects=False)
        assert r.headers["cache-control"] == "no-store", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert "x-frame-options" not in r.headers
    # Public pages keep the configured framing.
    assert "frame-ancestors 'self'" in editor.client.get("/").headers["content-security-policy"]


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-a-token"])
def test_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(
    editor: AdminActions,
    curated_settings,
    token: str | None,  # type: ignore[no-untyped-def]
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before = snapshot(curated_settings)
    for path, form in state_changing(sid):
        data = dict(form)
        if token is not None:
            data["csrf_token"] = token
        r = editor.client.post(path, data=data, headers=SAME_ORIGIN, follow_redirects=False)
        assert r.status_code == 403, path
        assert "Es wurde nichts geändert" in parse(r.text).find("main").text
    assert snapshot(curated_settings) == before
    assert editor.client.get("/admin/").status_code == 200, "still signed in"


def test_another_editors_token_does_not_fit_this_session(
    editor: AdminActions, populated_app, curated_settings
) -> None:  # type: ignore[no-untyped-def]
    from tests.admin_helpers import create_editor

    create_editor(curated_settings, "bert")
    with TestClient(populated_app, base_url="https://gallery.test") as other:
        bert = AdminActions(other)
        bert.login("bert")
        foreign = bert.csrf()
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    r = editor.post(f"/admin/s/{sid}/publish", {"published": "0"}, token=foreign)
    assert r.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}, {"origin": "https://evil.test"}],
)
def test_cross_site_posts_are_refused_even_with_a_token(
    editor: AdminActions, curated_settings, headers
) -> None:  # type: ignore[no-untyped-def]
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before = snapshot(curated_settings)
    token = editor.csrf()
    r = editor.client.post(
        f"/admin/s/{sid}/publish",
        data={"csrf_token": token, "published": "0"},
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert snapshot(curated_settings) == before


def test_a_post_with_only_the_token_is_accepted(editor: AdminActions, curated_settings) -> None:  # type: ignore[no-untyped-def]
    # Browsers without Sec-Fetch-Site still work: the token alone proves the form is ours.
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    token = editor.csrf()
    r = editor.client.post(
        f"/admin/s/{sid}/publish", data={"csrf_token": token, "published": "0"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_oversized_and_odd_requests_get_a_clear_4xx_and_change_nothing(
    editor: AdminActions, curated_settings
) -> None:  # type: ignore[no-untyped-def]
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before = snapshot(curated_settings)
    token = editor.csrf()
    huge = editor.post(f"/admin/s/{sid}/publish", {"published": "0", "pad": "x" * 100_000})
    assert huge.status_code == 413
    too_long = editor.post(
        f"/admin/s/{sid}", {"revision": "1", "transcript": "x" * (2 * 1024 * 1024), "caption_lang": "de"}
    )
    assert too_long.status_code == 413
    as_json = editor.client.post(
        f"/admin/s/{sid}/publish",
        json={"csrf_token": token, "published": "0"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert as_json.status_code == 403, "a JSON body cannot carry the form's token"
    for path, form in [
        (f"/admin/s/{sid}/publish", {"published": "vielleicht"}),
        (f"/admin/s/{sid}/move", {"direction": "sideways"}),
        (f"/admin/s/{sid}", {"revision": "abc"}),
        (f"/admin/s/{sid}/delete", {}),
        ("/admin/g/videos/add", {"step": "hack"}),
    ]:
        r = editor.post(path, form)
        assert r.status_code == 400, path
    for path in ("/admin/s/0", "/admin/s/99999999999999999999999", "/admin/s/abc", "/admin/g/nirgends"):
        r = editor.client.get(path)
        assert r.status_code == 404, path
        assert parse(r.text).find("h1").text == "Nicht gefunden"
    r = editor.client.put("/admin/")
    assert r.status_code == 405
    assert snapshot(curated_settings) == before
    assert MAX_TEXT["transcript"] < 2 * 1024 * 1024


# SQLite: the storage that breaks on cue is a SQLite engine; the 500 page's headers are the app's.
@pytest.mark.engines("sqlite")
@pytest.mark.parametrize("renderer_too", [False, True], ids=["admin page", "even its page failing"])
def test_a_server_error_in_the_admin_is_never_framed_or_cached(
    editor: AdminActions,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    renderer_too: bool,
) -> None:
    engine = FailingSQLite(curated_settings.database_path)

    def broken() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    class FailingRenderer(Renderer):
        """Renders until the editor has signed in; then, if asked to, fails as a broken disk would."""

        def render(self, template: str, lang: str, **context: Any) -> str:
            if engine.broken and renderer_too:  # then the app's own 500 page answers, with the admin's rules
                broken()
            return super().render(template, lang, **context)

    app = create_app(
        curated_settings, vimeo_transport=vimeo_transport, renderer=FailingRenderer, storage=Storage(engine)
    )
    with TestClient(app, base_url="https://gallery.test", raise_server_exceptions=False) as client:
        assert AdminActions(client).login().status_code == 303
        engine.broken = True  # the admin's own reads fail from here on
        r = client.get("/admin/")
    assert r.status_code == 500
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "no-store" in [d.strip() for d in r.headers["cache-control"].split(",")]
    assert "disk I/O" not in r.text and "Traceback" not in r.text
    if not renderer_too:
        assert r.headers["cache-control"] == "no-store"
        assert "Bitte versuchen Sie es später noch einmal." in parse(r.text).find("main").text
