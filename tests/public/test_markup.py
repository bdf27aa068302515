"""Accessibility facts a parser can check on every public page, in both languages."""

from __future__ import annotations

import itertools

import pytest
from starlette.testclient import TestClient

from tests.helpers import SAME_ORIGIN
from tests.htmlparse import Element, parse

PAGES = [
    "/",
    "/g/videos/v/900000001",
    "/g/videos/v/900000006",  # the restricted sample, without a Vimeo title
    "/privacy",
    "/accessibility",
    "/g/videos/embed",
    "/nope",
]


def heading_levels(doc: Element) -> list[int]:
    return [int(el.tag[1]) for el in doc.find_all() if el.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}]


def check_page(doc: Element, lang: str, path: str) -> None:
    assert doc.find("html").attrs["lang"] == lang, path
    levels = heading_levels(doc)
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{path}: one h1 first, got {levels}"
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"{path}: heading level jumps from h{before} to h{after}"
    assert doc.find("main") is not None and doc.find("title").text
    # landmarks around everything visible, a skip link to the main content
    assert doc.find("a", href="#main") is not None
    for frame in doc.find_all("iframe"):
        assert frame.attrs.get("title"), f"{path}: untitled frame"
    for button in doc.find_all("button"):
        assert button.text.strip(), f"{path}: button without a name"
        assert button.attrs.get("type") in {"submit", "button"}
    for img in doc.find_all("img"):
        assert img.attrs.get("alt"), f"{path}: image without alt text"
    for ref in [el.attrs["aria-describedby"] for el in doc.find_all() if "aria-describedby" in el.attrs]:
        assert doc.by_id(ref) is not None, f"{path}: aria-describedby points nowhere ({ref})"
    ids = [el.attrs["id"] for el in doc.find_all() if "id" in el.attrs]
    assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
    for link in doc.find("nav").find_all("a"):
        assert link.attrs["lang"] in {"de", "en"}  # each language named in itself, and spoken so


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("consent", [False, True])
def test_structure_of_every_page(populated: TestClient, lang: str, consent: bool) -> None:
    if consent:
        populated.post("/consent", data={"scope": "always", "next": "/"}, headers=SAME_ORIGIN)
    for path in PAGES:
        r = populated.get(f"{path}?lang={lang}")
        check_page(parse(r.text), lang, path)
    r = populated.post(
        "/consent",
        data={"scope": "once", "video": "900000003", "gallery": "videos", "lang": lang},
        headers=SAME_ORIGIN,
    )
    check_page(parse(r.text), lang, "POST /consent")
