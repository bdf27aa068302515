"""German and English: the catalogs, choosing a language, and keeping it without a cookie."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.i18n import LANGUAGES, translations
from gallery.public.consent import COOKIE_NAME
from gallery.settings import Settings
from tests.helpers import SAME_ORIGIN, internal_links, query_of, set_default_gallery
from tests.htmlparse import Element, parse

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "gallery" / "locale"
FIRST = sample_videos()[0][0]
STATEMENT = f"/g/videos/v/{FIRST.vimeo_id}"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


# --- the catalogs ----------------------------------------------------------------------------


def extracted_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "de"])
def test_every_german_string_has_a_translation(lang: str) -> None:
    """Fails when a new string is not yet in the catalog: run scripts/i18n and translate it."""
    po = catalog(lang)
    messages = extracted_messages()
    assert len(messages) > 80  # the extraction found the templates and the code
    missing = [m for m in sorted(messages) if not po.get(m) or not po.get(m).string]
    assert not missing, f"untranslated in {lang}: {missing}"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (check and clear the flag) in {lang}: {fuzzy}"
    for message in po:
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), (
                message.id
            )


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "de"])
def test_compiled_catalog_is_up_to_date(lang: str) -> None:
    """The committed .mo says exactly what its .po says (scripts/i18n compile after editing)."""
    folder = LOCALE / lang / "LC_MESSAGES"
    buffer = io.BytesIO()
    write_mo(buffer, catalog(lang))
    fresh = gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
    with open(folder / "messages.mo", "rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert committed._catalog == fresh._catalog  # type: ignore[attr-defined]


def test_english_catalog_is_used() -> None:
    assert translations("en").gettext("Video abspielen") == "Play video"
    assert translations("de").gettext("Video abspielen") == "Video abspielen"


# --- choosing the language -------------------------------------------------------------------


def html_of(client: TestClient, path: str) -> Element:
    r = client.get(path)
    assert r.status_code == 200, path
    return parse(r.text)


def test_german_is_the_default(populated: TestClient) -> None:
    doc = html_of(populated, "/")
    assert doc.find("html").attrs["lang"] == "de"
    assert "Video von Vimeo laden" in doc.text


def test_visitor_switches_to_english_with_the_visible_control(populated: TestClient) -> None:
    doc = html_of(populated, "/")
    nav = doc.find("nav", **{"aria-label": "Sprache"})
    assert nav is not None
    links = {a.attrs["lang"]: a for a in nav.find_all("a")}
    assert set(links) == {"de", "en"}
    assert links["de"].attrs.get("aria-current") == "true" and "aria-current" not in links["en"].attrs
    assert links["en"].text == "English" and links["en"].attrs["hreflang"] == "en"

    english = html_of(populated, links["en"].attrs["href"])
    assert english.find("html").attrs["lang"] == "en"
    assert english.find("nav", **{"aria-label": "Language"}) is not None
    text = english.text
    for phrase in ("Load video from Vimeo", "Always load Vimeo videos", "Read transcript"):
        assert phrase in text
    # the notice next to the buttons is English too, with the same facts
    card = english.with_class("card")[0]
    notice = english.by_id(card.find("button").attrs["aria-describedby"])
    for fact in ("Vimeo.com, Inc.", "USA", "IP address", "device", "withdraw", "transcript"):
        assert fact in notice.text, fact
    assert "Video von Vimeo laden" not in text


def test_the_choice_survives_navigation_without_a_cookie(populated: TestClient) -> None:
    r = populated.get("/?lang=en")
    assert "set-cookie" not in r.headers
    doc = parse(r.text)
    links = internal_links(doc)
    assert links
    for href in links:
        if href.startswith("/?lang=") or "lang=de" in href:
            continue  # the language switcher itself
        assert query_of(href).get("lang") == ["en"], href
    # every form keeps it too: the page after a POST is English
    for form in doc.find_all("form"):
        fields = {i.attrs["name"]: i.attrs.get("value") for i in form.find_all("input")}
        assert fields.get("lang") == "en"
        assert query_of(fields["next"]).get("lang") == ["en"]
    # following a link (no cookie involved) stays English
    statement = next(h for h in links if h.startswith(STATEMENT))
    assert html_of(populated, statement).find("html").attrs["lang"] == "en"
    for path in ("/privacy?lang=en", "/accessibility?lang=en", "/nope?lang=en"):
        r = populated.get(path)
        assert parse(r.text).find("html").attrs["lang"] == "en", path


def test_consent_flows_keep_the_language(populated: TestClient) -> None:
    once = populated.post(
        "/consent",
        data={"scope": "once", "video": str(FIRST.vimeo_id), "gallery": "videos", "lang": "en"},
        headers=SAME_ORIGIN,
    )
    doc = parse(once.text)
    assert doc.find("html").attrs["lang"] == "en"
    assert "Vimeo player" in doc.find("iframe").attrs["title"]
    always = populated.post(
        "/consent",
        data={"scope": "always", "next": f"{STATEMENT}?lang=en"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    location = always.headers["location"]
    assert urlsplit(location).path == STATEMENT and query_of(location)["lang"] == ["en"]
    page = parse(populated.get(location).text)
    assert page.find("html").attrs["lang"] == "en"
    revoke = page.find("form", action="/consent/revoke")
    assert query_of(revoke.find("input", name="next").attrs["value"])["lang"] == ["en"]
    r = populated.post(
        "/consent/revoke",
        data={"next": revoke.find("input", name="next").attrs["value"]},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert query_of(r.headers["location"])["lang"] == ["en"]
    assert COOKIE_NAME not in populated.cookies
    r = populated.get(f"/v/{FIRST.vimeo_id}?lang=en", follow_redirects=False)
    assert r.headers["location"] == f"{STATEMENT}?lang=en"


def test_the_gallery_setting_chooses_the_language(curated_settings: Settings, populated_app) -> None:  # type: ignore[no-untyped-def]
    set_default_gallery(curated_settings, lang="en")
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        doc = html_of(client, "/")
        assert doc.find("html").attrs["lang"] == "en"
        # links carry it, so that pages without a gallery (privacy) follow the gallery's language
        privacy = next(h for h in internal_links(doc) if h.startswith("/privacy"))
        assert html_of(client, privacy).find("html").attrs["lang"] == "en"
        assert html_of(client, STATEMENT).find("html").attrs["lang"] == "en"
        # the visitor can still choose German, and German is then kept
        german = html_of(client, "/?lang=de")
        assert german.find("html").attrs["lang"] == "de"
        statement = next(h for h in internal_links(german) if h.startswith(STATEMENT))
        assert query_of(statement)["lang"] == ["de"]
        assert html_of(client, statement).find("html").attrs["lang"] == "de"


@pytest.mark.parametrize("query", ["?lang=xx", "?lang=", "?lang=EN", "?lang=en&lang=de&x=" + "y" * 50])
def test_unknown_languages_are_ignored(populated: TestClient, query: str) -> None:
    r = populated.get("/" + query)
    assert r.status_code == 200
    assert parse(r.text).find("html").attrs["lang"] in LANGUAGES


def test_english_privacy_page_and_the_same_notice_version(populated: TestClient) -> None:
    german = html_of(populated, "/privacy")
    english = html_of(populated, "/privacy?lang=en")
    version = populated.get("/healthz").json()["notice"]
    for fact in ("Vimeo.com, Inc.", "330 West 34th Street", "2023/1795", "Art. 49", "withdraw", COOKIE_NAME):
        assert fact in english.text, fact
    assert "180 days" in english.text
    assert version in english.text and version in german.text
    assert "binding" in english.text


def test_an_english_notice_from_the_operator_does_not_change_the_version(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        before = client.get("/healthz").json()["notice"]
    custom = settings.data_dir / "notice" / "en"
    custom.mkdir(parents=True)
    (custom / "short.html").write_text("<p>Our own English wording about Vimeo.com, Inc. (USA).</p>")
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        assert client.get("/healthz").json()["notice"] == before
