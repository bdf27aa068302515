"""Two editors at once, hostile text, galleries and their embed snippet and the audit trail,
through the real app (the admin's language: tests/admin/test_language.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from tests.admin_helpers import AdminActions, create_editor, field_error, snapshot, statement_id
from tests.helpers import query
from tests.htmlparse import Element, json_ld, parse, running_scripts

FIRST = sample_videos()[0][0]
EVIL = '<script>alert("x")</script><img src=x onerror=alert(2)>"\'&'
TEXT_FIELDS = ("title_override", "speaker_name", "speaker_role", "quote", "transcript", "alt_text")


def form_values(doc: Element) -> dict[str, str]:
    """What the edit form would submit as it stands."""
    form = next(f for f in doc.find_all("form") if f.find("input", name="revision"))
    values = {
        el.attrs["name"]: el.attrs.get("value", "") for el in form.find_all("input") if "name" in el.attrs
    }
    for area in form.find_all("textarea"):
        values[area.attrs["name"]] = "\n".join(area.text_parts).removeprefix("\n")
    select = form.find("select", name="caption_lang")
    chosen = next((o for o in select.find_all("option") if "selected" in o.attrs), None)
    values["caption_lang"] = chosen.attrs["value"] if chosen else ""
    values.pop("csrf_token", None)
    return values


@pytest.fixture
def second_editor(
    populated_app: Starlette, curated_settings: Settings, editor: AdminActions
) -> Iterator[AdminActions]:
    create_editor(curated_settings, "bert")
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        bert = AdminActions(client)
        assert bert.login("bert").status_code == 303
        yield bert


# --- concurrent edits --------------------------------------------------------------------


def test_two_editors_saving_the_same_statement_never_overwrite_silently(
    editor: AdminActions, second_editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    anna_form = form_values(editor.page(f"/admin/s/{sid}"))
    bert_form = form_values(second_editor.page(f"/admin/s/{sid}"))

    bert_form.update(quote="Berts Zitat", transcript="Berts Abschrift")
    assert second_editor.post(f"/admin/s/{sid}", bert_form).status_code == 303

    anna_form.update(quote="Annas Zitat", speaker_role="Annas Rolle")
    clash = editor.post(f"/admin/s/{sid}", anna_form)
    assert clash.status_code == 409
    doc = parse(clash.text)
    alert = doc.find("section", class_="conflict")
    assert alert is not None and alert.attrs["role"] == "alert"
    assert "bert" in alert.text and "Zitat" in alert.text and "Abschrift" in alert.text
    # Anna's typing is kept; Bert's saved text is shown beside the field; nothing was overwritten.
    assert doc.by_id("f-quote").text == "Annas Zitat"
    saved = doc.by_id("f-quote-saved")
    assert saved is not None and "Berts Zitat" in saved.text
    assert doc.by_id("f-speaker_name-saved") is None, "unchanged fields need no comparison"
    public = editor.client.get("/").text
    assert "Berts Zitat" in public and "Annas Zitat" not in public

    # Saving again from the conflict page is a deliberate choice, and it wins.
    again = form_values(doc)
    assert again["quote"] == "Annas Zitat" and again["transcript"] == anna_form["transcript"]
    again["transcript"] = "Berts Abschrift"  # she keeps Bert's transcript
    assert editor.post(f"/admin/s/{sid}", again).status_code == 303
    public = editor.client.get("/").text
    assert "Annas Zitat" in public and "Berts Abschrift" in public and "Annas Rolle" in public


def test_a_stale_form_after_a_publish_toggle_still_saves(
    editor: AdminActions, curated_settings: Settings
) -> None:
    # Publishing does not touch the texts: only text saves count as conflicting edits.
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    values = form_values(editor.page(f"/admin/s/{sid}"))
    editor.post(f"/admin/s/{sid}/publish", {"published": "0"})
    values["quote"] = "Neu"
    assert editor.post(f"/admin/s/{sid}", values).status_code == 303


# --- hostile text ------------------------------------------------------------------------


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html, where
    assert "&lt;script&gt;" in html, where
    doc = parse(html)
    for script in running_scripts(doc):
        assert script.attrs.get("src", "").startswith("/static/"), where
    json_ld(doc)  # data blocks end where they should: each is whole JSON


def test_editor_text_with_markup_is_escaped_everywhere(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    values = form_values(editor.page(f"/admin/s/{sid}"))
    values.update({name: EVIL for name in TEXT_FIELDS})
    assert editor.post(f"/admin/s/{sid}", values).status_code == 303
    gallery = {"title": EVIL, "intro": EVIL, "lang": "de", "frame_ancestors": ""}
    assert editor.post("/admin/g/videos/settings", gallery).status_code == 303
    for path in (
        f"/admin/s/{sid}",
        f"/admin/s/{sid}/delete",
        "/admin/g/videos",
        "/admin/g/videos/settings",
        "/admin/",
        "/",
        f"/g/videos/v/{FIRST.vimeo_id}",
    ):
        assert_escaped(editor.client.get(path).text, path)
    refreshed = editor.post(f"/admin/s/{sid}/refresh")
    assert_escaped(refreshed.text, "refresh")
    page = editor.page(f"/admin/s/{sid}")
    assert page.by_id("f-speaker_name").attrs["value"] == EVIL, "shown back exactly as typed"


# --- galleries ---------------------------------------------------------------------------


def test_create_a_gallery_and_see_it_in_public(editor: AdminActions) -> None:
    form = {
        "slug": "aktionswoche-2026",
        "title": "Aktionswoche",
        "intro": "Erster Absatz.\n\nZweiter.",
        "lang": "de",
        "frame_ancestors": "https://www.stadt.de\nhttps://www.kreis.de",
    }
    r = editor.post("/admin/galleries/new", form)
    assert r.status_code == 303 and r.headers["location"] == "/admin/g/aktionswoche-2026?done=gallery-created"
    public = parse(editor.client.get("/g/aktionswoche-2026").text)
    assert public.find("h1").text == "Aktionswoche"
    assert "Aktionswoche" in editor.page("/admin/").find("table").text
    embed = editor.page("/admin/g/aktionswoche-2026")
    assert "https://www.stadt.de" in embed.find("section", class_="embed").text


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("slug", "Mit Leerzeichen", "Kleinbuchstaben"),
        ("slug", "videos", "schon vergeben"),
        ("slug", "-rand", "Bindestrich"),
        ("title", "   ", "Titel"),
        ("frame_ancestors", "https://*.stadt.de", "vollständige Adressen"),
        ("frame_ancestors", "https://www.stadt.de/pfad", "vollständige Adressen"),
        ("lang", "fr", "Sprache aus der Liste"),
        ("intro", "x" * 5001, "höchstens 5000 Zeichen"),
    ],
)
def test_gallery_values_are_checked_at_their_fields(
    editor: AdminActions, curated_settings: Settings, field: str, value: str, expected: str
) -> None:
    form = {"slug": "neu", "title": "Neu", "intro": "", "lang": "de", "frame_ancestors": "", field: value}
    before = snapshot(curated_settings)
    r = editor.post("/admin/galleries/new", form)
    assert r.status_code == 400
    assert expected in field_error(parse(r.text), field)
    assert snapshot(curated_settings) == before


MALFORMED_ORIGINS = [
    "https://[not-ipv6]",
    "https://[abc]",
    "https://[1.2.3.4]",
    "http://[::1",
    "https://example.org:99999",
    "https://exa mple.org",
]


@pytest.mark.parametrize("path", ["/admin/galleries/new", "/admin/g/videos/settings"])
@pytest.mark.parametrize("bad", MALFORMED_ORIGINS)
def test_a_malformed_site_is_refused_at_its_field_and_the_form_kept(
    editor: AdminActions, curated_settings: Settings, path: str, bad: str
) -> None:
    listed = f"https://www.stadt.de\n{bad}"
    form = {
        "slug": "neu",
        "title": "Neuer Titel",
        "intro": "Ein Absatz.",
        "lang": "en",
        "frame_ancestors": listed,
    }
    before = snapshot(curated_settings)
    r = editor.post(path, form)
    assert r.status_code == 400
    doc = parse(r.text)
    message = field_error(doc, "frame_ancestors")
    assert "vollständige Adressen" in message
    assert f"„{bad.split()[-1]}“ ist keine" in message  # names the entry to correct
    # Everything the editor typed is still there to correct, not to retype.
    assert doc.by_id("f-title").attrs["value"] == "Neuer Titel"
    assert doc.by_id("f-intro").text == "Ein Absatz."
    assert doc.by_id("f-frame_ancestors").text_parts == [listed]
    assert "selected" in doc.find("option", value="en").attrs
    assert snapshot(curated_settings) == before


def test_rename_and_reconfigure_a_gallery(editor: AdminActions, curated_settings: Settings) -> None:
    form = {
        "title": "Neuer Name",
        "intro": "Neue Einleitung",
        "lang": "de",
        "frame_ancestors": "https://www.stadt.de",
    }
    r = editor.post("/admin/g/videos/settings", {**form, "slug": "versuch"})
    assert r.headers["location"] == "/admin/g/videos?done=gallery-saved"
    public = parse(editor.client.get("/g/videos").text)
    assert public.find("h1").text == "Neuer Name" and "Neue Einleitung" in public.text
    rows = query(curated_settings, "SELECT slug, frame_ancestors FROM galleries WHERE is_default = 1")
    assert rows == [("videos", "https://www.stadt.de")], "the slug never changes: embeds rely on it"
    r = editor.post("/admin/g/videos/settings", form)
    assert "done=unchanged" in r.headers["location"]


def test_embed_snippet_with_a_copy_button_that_needs_no_javascript(
    curated_settings: Settings, populated_app: Starlette, vimeo_transport
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    settings = replace(curated_settings, public_url="https://videos.stadt.de")
    create_editor(settings)
    app = create_app(settings, vimeo_transport=vimeo_transport)
    with TestClient(app, base_url="https://gallery.test") as client:
        editor = AdminActions(client)
        editor.login()
        page = editor.page("/admin/g/videos")
    snippet = page.by_id("snippet")
    assert snippet is not None and "readonly" in snippet.attrs
    code = snippet.text
    assert code.startswith(
        '<iframe data-gallery-embed src="https://videos.stadt.de/g/videos" title="Videostatements"'
    )
    assert 'allow="fullscreen; autoplay; picture-in-picture; encrypted-media"' in code
    assert "sandbox" not in code and "credentialless" not in code
    label = page.find("label", for_="snippet")
    assert label is not None
    button = page.find("button", type="button")
    assert button is not None and "hidden" in button.attrs, "shown only by admin.js"
    script = page.find("script")
    assert script is not None and script.attrs["src"].startswith("/static/admin.js?v=")
    assert "Noch ist keine fremde Website erlaubt" in page.find("section", class_="embed").text


# --- audit trail -------------------------------------------------------------------------


def test_audit_trail_says_who_did_what_when_and_holds_no_texts(
    editor: AdminActions, second_editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    values = form_values(editor.page(f"/admin/s/{sid}"))
    values.update(quote="Geheimes neues Zitat", speaker_name="Geheimer Name")
    editor.post(f"/admin/s/{sid}", values)
    second_editor.post(f"/admin/s/{sid}/publish", {"published": "0"})
    second_editor.post(f"/admin/s/{sid}/move", {"direction": "down"})
    rows = editor.page("/admin/audit").find("tbody").find_all("tr")
    lines = [" | ".join(td.text for td in row.find_all("td")) for row in rows]
    assert "bert | hat die Reihenfolge geändert" in lines[0]
    assert "bert | hat ein Statement zurückgezogen" in lines[1]
    assert (
        lines[2].startswith(lines[2].split(" | ")[0])
        and "anna | hat ein Statement bearbeitet (Name, Zitat)" in lines[2]
    )
    assert str(FIRST.vimeo_id) in lines[2]
    assert any("anna | hat sich angemeldet" in line for line in lines)
    dump = " ".join(map(str, query(curated_settings, "SELECT * FROM audit_log")))
    assert "Geheim" not in dump
    assert "testclient" not in dump, "nothing about where anyone came from"
