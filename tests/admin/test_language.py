"""The admin's language: German by default, English on request, kept for that editor's session."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import itsdangerous
import pytest
from babel.messages.pofile import read_po
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from tests.admin_helpers import AdminActions, create_editor, statement_id
from tests.htmlparse import Element, own_language_text, parse

ROOT = Path(__file__).resolve().parents[2]
ENGLISH_PO = ROOT / "gallery" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
ADMIN_SOURCES = ("gallery/admin/", "templates/admin/", "gallery/content/audit.py")
FIRST = sample_videos()[0][0]
RESTRICTED = next(video for video, _ in sample_videos() if video.restricted)


def admin_wording_in_german() -> list[str]:
    """The admin area's German texts that read differently in English: none may show in English."""
    with open(ENGLISH_PO, "rb") as fh:
        catalog = read_po(fh)
    return sorted(
        m.id
        for m in catalog
        if isinstance(m.id, str)
        and m.string != m.id
        and len(m.id) >= 5
        and "%(" not in m.id
        and any(path.startswith(ADMIN_SOURCES) for path, _line in m.locations)
    )


GERMAN = admin_wording_in_german()


def in_english(doc: Element, *expected: str) -> str:
    """Assert the page is English (lang, known wording, no German left); return its text."""
    assert doc.find("html").attrs["lang"] == "en"
    text = own_language_text(doc)
    for phrase in expected:
        assert phrase in text, phrase
    left = [german for german in GERMAN if re.search(rf"(?<!\w){re.escape(german)}(?!\w)", text)]
    assert not left, f"German on an English page: {left}"
    return text


def in_german(doc: Element, *expected: str) -> None:
    assert doc.find("html").attrs["lang"] == "de"
    text = own_language_text(doc)
    for phrase in expected:
        assert phrase in text, phrase


def switch_to(doc: Element, lang: str) -> str:
    """The language switch's link to ``lang``, checked to be named in that language."""
    links = doc.find("ul", class_="lang-switch").find_all("a")
    names = {"de": "Deutsch", "en": "English"}
    assert [(a.attrs["hreflang"], a.attrs["lang"], a.text) for a in links] == [(lang, lang, names[lang])]
    return links[0].attrs["href"]


def test_the_wording_list_covers_the_admin_area() -> None:
    assert {"Speichern", "Abmelden", "Anmelden", "Texte speichern", "Galerien", "Protokoll"} <= set(GERMAN)


def test_german_by_default_english_on_request_and_kept_for_the_editor(
    populated_app: Starlette, curated_settings: Settings
) -> None:
    create_editor(curated_settings)
    create_editor(curated_settings, "bert")
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    edit_path = f"/admin/s/{sid}"
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        anna = AdminActions(client)
        login = parse(client.get(f"/admin/login?next={edit_path}").text)
        in_german(login, "Anmelden", "Passwort")

        # The switch offers English and keeps where signing in leads.
        href = switch_to(login, "en")
        assert urlsplit(href).path == "/admin/login"
        assert parse_qs(urlsplit(href).query) == {"next": [edit_path], "lang": ["en"]}
        english_login = parse(client.get(href).text)
        in_english(english_login, "Sign in", "Password", "Accounts are set up by IT.")
        assert english_login.find("input", name="lang").attrs["value"] == "en"
        assert english_login.find("input", name="next").attrs["value"] == edit_path
        switch_to(english_login, "de")

        wrong = anna.login(password="ein-falsches-passwort", lang="en", next=edit_path)
        assert wrong.status_code == 400
        in_english(parse(wrong.text), "The name or password is incorrect.", "Sign in")

        signed_in = anna.login(lang="en", next=edit_path)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == edit_path

        # Signed in: every page in English without any ?lang, because the session remembers it.
        edit = anna.page(edit_path)
        in_english(edit, "Save texts", "Visibility", "Custom preview image", "Delete statement …", "Sign out")
        preview = edit.find("section", class_="preview").find("ul")
        assert preview.attrs["lang"] == "de", "the visitor's card stays in the gallery's language"
        restricted = anna.page(
            f"/admin/s/{statement_id(curated_settings, RESTRICTED.vimeo_id)}"
        )
        text = in_english(restricted, "Last fetched", "Allow this server in the video's embed settings")
        assert "Eingeschränkt" not in text, "what Vimeo said last time is translated too"
        in_english(anna.page("/admin/"), "Galleries", "Audit trail", "Create a new gallery", "Drafts")
        in_english(anna.page("/admin/g/videos"), "Add statement", "Gallery settings", "Embed code")
        in_english(anna.page("/admin/audit"), "Which editor changed what", "signed in")

        # Another editor in another browser starts in German: the choice belongs to anna's session.
        with TestClient(populated_app, base_url="https://gallery.test") as other:
            bert = AdminActions(other)
            assert bert.login("bert").status_code == 303
            in_german(bert.page("/admin/"), "Galerien", "Abmelden")
        in_english(anna.page("/admin/"), "Galleries")

        # Switching back to German on any page is remembered too.
        back = switch_to(anna.page("/admin/audit"), "de")
        assert back == "/admin/audit?lang=de"
        in_german(anna.page(back), "Protokoll")
        in_german(anna.page(edit_path), "Texte speichern", "Abmelden")
        in_english(anna.page(switch_to(anna.page(edit_path), "en")), "Save texts")
        in_english(anna.page("/admin/"), "Galleries")

        # Signing out says so in her language.
        out = anna.logout()
        assert out.status_code == 303
        in_english(parse(client.get(out.headers["location"]).text), "You have signed out.", "Sign in")


def test_an_expired_session_asks_to_sign_in_again_in_the_editors_language(
    populated_app: Starlette, curated_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_editor(curated_settings)
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        anna = AdminActions(client)
        assert anna.login(lang="en").status_code == 303
        later = time.time() + curated_settings.session_idle_minutes * 60 + 5
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
        r = client.get("/admin/g/videos", follow_redirects=False)
        assert r.status_code == 303
        assert parse_qs(urlsplit(r.headers["location"]).query)["lang"] == ["en"]
        page = parse(client.get(r.headers["location"]).text)
        in_english(page, "Your session has expired. Please sign in again.")


def test_messages_with_values_are_english_for_an_english_editor(
    populated_app: Starlette, curated_settings: Settings
) -> None:
    """A refusal that names a gallery or a video is made in German with its values, then shown in
    the editor's language, values kept: on the page and on an error page alike."""
    create_editor(curated_settings)
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        anna = AdminActions(client)
        assert anna.login(lang="en").status_code == 303
        again = anna.post("/admin/g/videos/add", {"step": "preview", "link": str(FIRST.vimeo_id)})
        assert again.status_code == 400
        text = in_english(parse(again.text), "This video is already in the gallery")
        assert "schon in der Galerie" not in text
        assert "Herz einschalten" in text or "Videostatements" in text, "the gallery's name stays"
