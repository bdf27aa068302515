"""A gallery's list in the editors' area: pages of 50 with plain links, and a search (``?q=``) in
titles, names, roles and quotes that ignores case and finds umlauts and ß alike on SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from gallery.settings import Settings
from gallery.storage.statements import fold
from tests.admin_helpers import AdminActions, snapshot
from tests.helpers import query, seed_statements, stored
from tests.htmlparse import Element, parse

LIST = "/admin/g/videos"
PER_PAGE = 50


def items(doc: Element) -> list[str]:
    return [li.attrs["id"] for li in doc.with_class("admin-item")]


def heading(doc: Element) -> str:
    found = doc.by_id("list-heading")
    assert found is not None
    return found.text


def search_field(doc: Element) -> Element:
    field = doc.by_id("q")
    assert field is not None and field.tag == "input" and field.attrs["name"] == "q"
    label = doc.find("label", for_="q")
    assert label is not None and label.text, "the field has a visible label"
    return field


def button(item: Element, direction: str) -> Element:
    found = item.find("button", value=direction)
    assert found is not None
    return found


def test_a_long_list_comes_in_pages_with_plain_links(
    editor: AdminActions, curated_settings: Settings
) -> None:
    seed_statements(curated_settings, 120)  # after the six samples: 126 in all, three pages
    doc = editor.page(LIST)
    assert len(items(doc)) == PER_PAGE
    listing = doc.find("ol")
    assert listing is not None and listing.attrs["start"] == "1"
    nav = next(n for n in doc.find_all("nav") if n.has_class("pages"))
    assert "Seite 1 von 3" in nav.text
    assert [a.attrs["href"] for a in nav.find_all("a") if a.attrs.get("rel") == "next"] == [f"{LIST}?page=2"]
    first = doc.with_class("admin-item")[0]
    assert "disabled" in button(first, "up").attrs, "the very first cannot move up"

    doc = editor.page(f"{LIST}?page=2")
    page_two = doc.with_class("admin-item")
    assert len(page_two) == PER_PAGE and doc.find("ol").attrs["start"] == "51"  # type: ignore[union-attr]
    assert "disabled" not in button(page_two[0], "up").attrs, "the first on page 2 can move to page 1"
    current = [a for a in doc.find_all("a") if a.attrs.get("aria-current") == "page"]
    assert [a.text for a in current if "Seite" in a.text] == ["Seite 2"]

    doc = editor.page(f"{LIST}?page=3")
    last_page = doc.with_class("admin-item")
    assert len(last_page) == 126 - 2 * PER_PAGE
    assert "disabled" in button(last_page[-1], "down").attrs
    assert "disabled" not in button(last_page[0], "up").attrs

    # Moving the first of page 2 up takes the editor to page 1, where it now stands.
    moving = page_two[0].attrs["id"]
    r = editor.post(f"/admin/s/{moving[1:]}/move", {"direction": "up"})
    assert r.status_code == 303
    assert r.headers["location"] == f"{LIST}?done=moved#{moving}"
    assert items(editor.page(LIST))[-1] == moving
    r = editor.post(f"/admin/s/{moving[1:]}/move", {"direction": "down"})
    assert r.headers["location"] == f"{LIST}?page=2&done=moved#{moving}"
    # Publishing from page 3 returns to page 3.
    last = last_page[-1].attrs["id"]
    r = editor.post(f"/admin/s/{last[1:]}/publish", {"published": "0"})
    assert r.headers["location"] == f"{LIST}?page=3&done=unpublished#{last}"


@pytest.mark.parametrize("page", ["4", "0", "-2", "zwei", "02", "9" * 40])
def test_a_page_past_the_end_is_a_404_in_the_editors_look(
    editor: AdminActions, curated_settings: Settings, page: str
) -> None:
    seed_statements(curated_settings, 120)
    r = editor.client.get(f"{LIST}?page={page}")
    assert r.status_code == 404
    doc = parse(r.text)
    assert "Diese Seite der Liste gibt es nicht." in doc.text
    assert doc.find("body").attrs.get("class") == "admin"  # type: ignore[union-attr]


def test_the_first_page_has_one_address(editor: AdminActions) -> None:
    r = editor.client.get(f"{LIST}?page=1&q=Beispiel", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == f"{LIST}?q=Beispiel"


def set_texts(settings: Settings, vimeo_id: int, **texts: str) -> None:
    with stored(settings) as storage, storage.transaction() as tx:
        current = tx.statement(tx.default_gallery().id, vimeo_id)
        assert current is not None
        tx.update_statement(current, texts, bump=True)


def found(editor: AdminActions, term: str) -> tuple[Element, list[str]]:
    r = editor.client.get(LIST, params={"q": term})
    assert r.status_code == 200, term
    doc = parse(r.text)
    return doc, items(doc)


@pytest.fixture
def umlauts(editor: AdminActions, curated_settings: Settings) -> dict[str, str]:
    """Three of the 126 statements with umlauts and ß in their texts: their list ids by what they hold."""
    ids = seed_statements(curated_settings, 120)
    set_texts(
        curated_settings, ids[10], speaker_name="Jürgen Äpfelbaum", speaker_role="Schulsprecherin in Ölbach"
    )
    set_texts(curated_settings, ids[70], quote="Die Fußgängerstraße am Hafen gehört allen.")
    set_texts(curated_settings, ids[110], title_override="ÖFFENTLICHER RAUM IN GROSSEN STÄDTEN")
    rows = query(curated_settings, "SELECT vimeo_id, id FROM statements")
    by_video = {vimeo_id: f"s{row_id}" for vimeo_id, row_id in rows}
    return {"name": by_video[ids[10]], "quote": by_video[ids[70]], "title": by_video[ids[110]]}


@pytest.mark.parametrize(
    ("term", "which"),
    [
        ("äpfel", "name"),
        ("ÄPFEL", "name"),
        ("jürgen äpfelbaum", "name"),
        ("JÜRGEN", "name"),
        ("ÖLBACH", "name"),
        ("fußgängerstraße", "quote"),
        ("FUSSGÄNGERSTRASSE", "quote"),
        ("fussgängerstrasse", "quote"),
        ("FUẞGÄNGERSTRAẞE", "quote"),
        ("öffentlicher raum", "title"),
        ("großen städten", "title"),
        (unicodedata.normalize("NFD", "Städten"), "title"),  # Ä typed as A and a combining mark
    ],
)
def test_search_ignores_case_and_finds_umlauts_and_sharp_s(
    editor: AdminActions, umlauts: dict[str, str], term: str, which: str
) -> None:
    doc, listed = found(editor, term)
    assert listed == [umlauts[which]]
    assert search_field(doc).attrs["value"] == term.strip(), "the term stays in the field"
    assert heading(doc) == f"Suche „{term.strip()}“: 1 Treffer", "the count is in the heading"
    title = doc.find("title")
    assert title is not None and "1 Treffer" in title.text, "and in the title, read first on arrival"
    assert not [b for b in doc.find_all("button") if b.attrs.get("name") == "direction"], (
        "no moving while only some are listed"
    )


def test_search_finds_vimeos_title_but_not_transcripts(editor: AdminActions, umlauts: dict[str, str]) -> None:
    _, listed = found(editor, "herz einschalten")  # every sample's Vimeo title starts so
    assert len(listed) == PER_PAGE
    _, listed = found(editor, "Beispieltext für den Lasttest")  # in every transcript, nowhere else
    assert listed == []


@pytest.mark.parametrize("term", ["%", "_", "\\", "100%", "a_b", "'; DROP TABLE statements; --"])
def test_search_takes_like_wildcards_literally(
    editor: AdminActions, umlauts: dict[str, str], term: str
) -> None:
    doc, listed = found(editor, term)
    assert listed == []
    assert "Kein Statement dieser Galerie enthält" in doc.text


def test_no_results_are_said_in_words_and_change_nothing(
    editor: AdminActions, umlauts: dict[str, str], curated_settings: Settings
) -> None:
    before = snapshot(curated_settings)
    doc, listed = found(editor, "Zebrastreifen")
    assert listed == []
    assert heading(doc) == "Suche „Zebrastreifen“: 0 Treffer"
    assert (
        "Kein Statement dieser Galerie enthält „Zebrastreifen“ in Titel, Name, Rolle oder Zitat." in doc.text
    )
    assert doc.find("a", href=LIST) is not None, "a way back to every statement"
    assert snapshot(curated_settings) == before
    doc = parse(editor.client.get(LIST, params={"q": "Zebrastreifen", "lang": "en"}).text)
    assert "No statement in this gallery has “Zebrastreifen” in its title, name, role or quote." in doc.text


def test_search_results_come_in_pages_that_keep_the_term(
    editor: AdminActions, umlauts: dict[str, str]
) -> None:
    doc, _ = found(editor, "Herz einschalten")
    assert heading(doc) == "Suche „Herz einschalten“: 120 Treffer"
    nav = next(n for n in doc.find_all("nav") if n.has_class("pages"))
    following = [a.attrs["href"] for a in nav.find_all("a") if a.attrs.get("rel") == "next"]
    assert following == [f"{LIST}?q=Herz+einschalten&page=2"]
    third = parse(editor.client.get(f"{LIST}?q=Herz+einschalten&page=3").text)
    assert len(items(third)) == 20
    assert editor.client.get(f"{LIST}?q=Herz+einschalten&page=4").status_code == 404


def test_search_follows_edits_and_vimeos_title(
    editor: AdminActions, umlauts: dict[str, str], curated_settings: Settings
) -> None:
    quote_id = umlauts["quote"]
    page = editor.page(f"/admin/s/{quote_id[1:]}")
    form = {i.attrs["name"]: i.attrs.get("value", "") for i in page.find_all("input") if "name" in i.attrs}
    texts = {t.attrs["name"]: t.text for t in page.find_all("textarea")}
    data = {**form, **texts, "quote": "Der Marktplatz gehört allen."}
    assert editor.post(f"/admin/s/{quote_id[1:]}", data).status_code == 303
    assert found(editor, "marktplatz")[1] == [quote_id]
    assert found(editor, "fußgängerstraße")[1] == []

    with stored(curated_settings) as storage, storage.transaction() as tx:
        s = tx.statement_by_id(int(umlauts["name"][1:]))
        assert s is not None
        tx.save_video(dataclasses.replace(s.video, title="Über Mut im Alltag"))
    assert found(editor, "ÜBER MUT")[1] == [umlauts["name"]]


def test_statements_stored_before_the_search_are_found_after_a_start(
    editor: AdminActions, umlauts: dict[str, str], curated_settings: Settings
) -> None:
    query(curated_settings, "UPDATE statements SET search_text = NULL")
    assert found(editor, "äpfel")[1] == []
    with stored(curated_settings) as storage:
        storage.migrate()  # what every start does
    assert found(editor, "äpfel")[1] == [umlauts["name"]]


def test_folding_is_done_once_in_python() -> None:
    assert fold("ÄÖÜ ẞ ß Straße") == "äöü ss ss strasse"
    assert fold(unicodedata.normalize("NFD", "Ä")) == "ä"
