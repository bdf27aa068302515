"""Messages name the buttons exactly as they are labelled, in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from tests.helpers import SAME_ORIGIN
from tests.htmlparse import Element, parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CATALOGS = ROOT / "gallery" / "locale"
QUOTES = {"de": re.compile(r"„([^“„]+)“"), "en": re.compile(r"“([^”“]+)”")}
# The verbs (or directions) of the buttons: a quoted phrase with one of these refers to a button.
VERBS = {
    "de": {
        "laden", "abspielen", "widerrufen", "kopieren", "speichern", "anlegen", "zurückziehen",
        "veröffentlichen", "abmelden", "anmelden", "abrufen", "hochladen", "entfernen", "löschen",
        "aktualisieren", "oben", "unten", "suchen",
    },
    "en": {
        "load", "play", "withdraw", "copy", "save", "create", "unpublish", "publish", "sign",
        "refresh", "upload", "remove", "delete", "update", "move", "search",
    },
}  # fmt: skip
BUTTON = re.compile(r"<button\b[^>]*>(.*?)</button>", re.S)
HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)
MSGID = re.compile(r'_\("([^"]+)"')


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def button_labels() -> dict[str, set[str]]:
    """Every button's visible label in the templates, in German and as translated."""
    german = set()
    for path in TEMPLATES.rglob("*.html"):
        for inner in BUTTON.findall(path.read_text(encoding="utf-8")):
            german.update(MSGID.findall(HIDDEN.sub("", inner)))
    english = catalog("en")
    return {"de": german, "en": {english.get(label).string for label in german}}


def messages() -> dict[str, list[str]]:
    """Every text a person may read: the catalog in both languages and the shipped operator texts."""
    english = catalog("en")
    found: dict[str, list[str]] = {"de": [], "en": []}
    for message in english:
        if message.id:
            found["de"].append(str(message.id))
            found["en"].append(str(message.string))
    for kind in ("notice", "accessibility"):
        for lang in found:
            for path in sorted((TEMPLATES / kind / lang).glob("*.html")):
                found[lang].append(path.read_text(encoding="utf-8"))
    return found


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_button_named_in_a_message_is_named_as_it_is_labelled(lang: str) -> None:
    labels = button_labels()[lang]
    for label in labels:
        assert words(label) & VERBS[lang], f"add the verb of {label!r} to VERBS"
    wrong = set()
    for text in messages()[lang]:
        for quoted in QUOTES[lang].findall(text):
            if quoted.startswith("gallery "):
                continue  # a command for the operator, not a button
            if words(quoted) & VERBS[lang] and quoted not in labels:
                wrong.add(quoted)
    assert not wrong, f"quoted like a button, but no button reads so ({lang}): {sorted(wrong)}"


def visible_label(button: Element) -> str:
    """A button's text as seen: without the part only screen readers get."""
    parts = [
        item if isinstance(item, str) else "" if item.has_class("visually-hidden") else visible_label(item)
        for item in button._sequence
    ]
    return " ".join("".join(parts).split())


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_labels_checked_are_those_visitors_see(populated: TestClient, lang: str) -> None:
    labels = button_labels()[lang]
    doc = parse(populated.get(f"/g/videos/v/900000001?lang={lang}").text)
    seen = {visible_label(b) for b in doc.find_all("button")}
    populated.post("/consent", data={"scope": "always", "next": "/"}, headers=SAME_ORIGIN)
    doc = parse(populated.get(f"/?lang={lang}").text)
    seen |= {visible_label(b) for b in doc.find_all("button")}
    assert len(seen) == 5  # load, always, copy link; play, withdraw
    assert seen <= labels
