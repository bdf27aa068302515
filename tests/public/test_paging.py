"""A gallery of a thousand statements in pages: plain links, one address per page, every statement
once, each page within the weight goal; and what points into the pages (statement pages, the
sitemap, search engines' tags) points to the right one (on SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.web.paging import CARDS_PER_PAGE
from tests.helpers import seed_statements, stored
from tests.htmlparse import Element, parse

# bench/run.py's goal for what a visitor without consent loads: HTML + CSS + JS, gzip level 6.
PAGE_WEIGHT_LIMIT = 20_000
BASE = "https://gallery.test"


@pytest.fixture
def thousand(settings: Settings) -> Iterator[tuple[TestClient, list[int]]]:
    """The app with 1,000 published statements in the default gallery, and their ids in order."""
    ids = seed_statements(settings, 1000)
    with TestClient(create_app(settings), base_url=BASE) as client:
        yield client, ids


def card_ids(doc: Element) -> list[int]:
    return [int(li.attrs["id"][1:]) for li in doc.with_class("card")]


def head_link(doc: Element, rel: str) -> str | None:
    found = [link.attrs["href"] for link in doc.find_all("link") if link.attrs.get("rel") == rel]
    assert len(found) <= 1, (rel, found)
    return found[0] if found else None


def item_list(doc: Element) -> dict[str, Any]:
    blocks = [json.loads(s.text) for s in doc.find_all("script", type="application/ld+json")]
    (data,) = [b for b in blocks if b.get("@type") == "ItemList"]
    return data


def pager(doc: Element) -> Element:
    navs = [n for n in doc.find_all("nav") if n.has_class("pages")]
    assert len(navs) == 1
    return navs[0]


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_weight(client: TestClient, html: bytes, doc: Element) -> int:
    """What bench/run.py weighs: the page's HTML and every stylesheet and script it loads, gzip -6."""
    parts = [html]
    for link in doc.find_all("link"):
        if link.attrs.get("rel") == "stylesheet":
            parts.append(client.get(link.attrs["href"]).content)
    for script in doc.find_all("script"):
        if "src" in script.attrs:
            parts.append(client.get(script.attrs["src"]).content)
    assert len(parts) >= 3, "the gallery's stylesheet and script are weighed too"
    return sum(len(gzip.compress(part, 6, mtime=0)) for part in parts)


def test_a_thousand_statements_page_through_once_each(thousand: tuple[TestClient, list[int]]) -> None:
    client, ids = thousand
    pages = -(-len(ids) // CARDS_PER_PAGE)
    seen: list[int] = []
    positions: list[int] = []
    path: str | None = "/"
    number = 0
    while path is not None:
        number += 1
        r = client.get(path)
        assert r.status_code == 200, path
        doc = parse(r.text)
        cards = card_ids(doc)
        assert 0 < len(cards) <= CARDS_PER_PAGE
        seen += cards
        expected = BASE + ("/" if number == 1 else f"/?page={number}")
        assert head_link(doc, "canonical") == expected
        data = item_list(doc)
        assert data["url"] == expected
        assert data["numberOfItems"] == len(ids)
        positions += [item["position"] for item in data["itemListElement"]]
        assert [int(i["url"].rsplit("/", 1)[1]) for i in data["itemListElement"]] == cards
        # The first picture of every page is the one the browser fetches first; the others wait.
        pictures = [img for img in doc.find_all("img") if img.attrs.get("class", "") != "logo"]
        card_pictures = [img for img in pictures if "loading" in img.attrs or "fetchpriority" in img.attrs]
        assert card_pictures[0].attrs.get("fetchpriority") == "high"
        assert all(img.attrs.get("loading") == "lazy" for img in card_pictures[1:])
        nav = pager(doc)
        current = [a for a in nav.find_all("a") if a.attrs.get("aria-current") == "page"]
        assert [a.text.split()[-1] for a in current] == [str(number)]
        assert f"{number} von {pages}" in nav.text
        previous, following = head_link(doc, "prev"), head_link(doc, "next")
        assert (previous is None) == (number == 1)
        assert (following is None) == (number == pages)
        visible_next = [a.attrs["href"] for a in nav.find_all("a") if a.attrs.get("rel") == "next"]
        assert visible_next == ([local(following)] if following else [])
        if number in (1, pages // 2, pages):
            assert page_weight(client, r.content, doc) <= PAGE_WEIGHT_LIMIT, number
        if number == pages // 2:
            assert previous == BASE + ("/" if number == 2 else f"/?page={number - 1}")
            assert following == BASE + f"/?page={number + 1}"
        path = local(following) if following else None
    assert number == pages == 42
    assert seen == ids, "every statement exactly once, in gallery order"
    assert positions == list(range(1, len(ids) + 1)), "list positions count on across pages"


def test_a_page_is_one_query_for_its_cards_and_the_total(settings: Settings) -> None:
    """The storage's page: the cards from an offset and how many there are, past the end nothing."""
    ids = seed_statements(settings, 1000)
    with stored(settings) as storage, storage.read() as reads:
        gallery = reads.default_gallery()
        for offset in (0, 480, 984):
            found = reads.statement_page(gallery.id, offset, CARDS_PER_PAGE, visible_only=True)
            assert [s.vimeo_id for s in found.statements] == ids[offset : offset + CARDS_PER_PAGE]
            assert found.total == 1000
        past = reads.statement_page(gallery.id, 1000, CARDS_PER_PAGE, visible_only=True)
        assert past.statements == [] and past.total == 0
        middle = reads.statement(gallery.id, ids[500])
        assert middle is not None
        around = reads.neighbours(middle)
        assert around.index == 500
        assert around.previous is not None and around.previous.vimeo_id == ids[499]
        assert around.following is not None and around.following.vimeo_id == ids[501]


@pytest.fixture
def thirty(settings: Settings) -> Iterator[tuple[TestClient, list[int]]]:
    """Thirty statements: two pages, the second with six cards."""
    ids = seed_statements(settings, 30)
    with TestClient(create_app(settings), base_url=BASE) as client:
        yield client, ids


@pytest.mark.parametrize(
    ("asked", "location"),
    [
        ("/?page=1", "/"),
        ("/g/videos?page=1", "/g/videos"),
        ("/g/videos?page=1&lang=en", "/g/videos?lang=en"),
        ("/?lang=en&page=1", "/?lang=en"),
    ],
)
def test_the_first_page_has_one_address(
    thirty: tuple[TestClient, list[int]], asked: str, location: str
) -> None:
    client, _ = thirty
    r = client.get(asked, follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == location


@pytest.mark.parametrize(
    "page", ["3", "99", "0", "-1", "2.0", "02", " 2", "zwei", "", "1e1", "٢", "9" * 30, "2%00"]
)
def test_a_page_that_does_not_exist_is_a_friendly_404(
    thirty: tuple[TestClient, list[int]], page: str
) -> None:
    client, _ = thirty
    for path in ("/", "/g/videos"):
        r = client.get(f"{path}?page={page}", follow_redirects=False)
        assert r.status_code == 404, (path, page)
        doc = parse(r.text)
        assert "Diese Seite der Liste gibt es nicht." in doc.text
        assert doc.find("a", href="/"), "the error page leads back to the start"


def test_an_empty_gallery_is_one_page_without_a_pager(client: TestClient) -> None:
    doc = parse(client.get("/").text)
    assert not [n for n in doc.find_all("nav") if n.has_class("pages")]
    assert head_link(doc, "next") is None and head_link(doc, "prev") is None
    assert client.get("/?page=2").status_code == 404


def test_statement_pages_lead_back_to_the_page_holding_them(thirty: tuple[TestClient, list[int]]) -> None:
    client, ids = thirty
    last_of_first, first_of_second = ids[CARDS_PER_PAGE - 1], ids[CARDS_PER_PAGE]
    doc = parse(client.get(f"/g/videos/v/{first_of_second}").text)
    back = [a.attrs["href"] for a in doc.find_all("a") if "Alle Aussagen" in a.text]
    assert back == [f"/g/videos?page=2#v{first_of_second}", "/g/videos?page=2"]
    previous = [a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("rel") == "prev"]
    assert previous == [f"/g/videos/v/{last_of_first}"], "previous and next cross the page boundary"
    doc = parse(client.get(f"/g/videos/v/{last_of_first}").text)
    back = [a.attrs["href"] for a in doc.find_all("a") if "Alle Aussagen" in a.text]
    assert back == [f"/g/videos#v{last_of_first}", "/g/videos"]
    following = [a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("rel") == "next"]
    assert following == [f"/g/videos/v/{first_of_second}"]
    doc = parse(client.get(f"/g/videos/v/{ids[-1]}?lang=en").text)
    assert not [a for a in doc.find_all("a") if a.attrs.get("rel") == "next"]
    back = [a.attrs["href"] for a in doc.find_all("a") if "All statements" in a.text]
    assert back[-1] == "/g/videos?page=2&lang=en"


def test_choosing_a_video_without_script_returns_to_its_page(thirty: tuple[TestClient, list[int]]) -> None:
    client, ids = thirty
    chosen = ids[CARDS_PER_PAGE + 2]
    doc = parse(client.get("/?page=2").text)
    form = doc.by_id(f"c-{chosen}")
    assert form is not None
    (back,) = [i.attrs["value"] for i in form.find_all("input") if i.attrs.get("name") == "next"]
    assert back == f"/g/videos?page=2&play={chosen}"
    r = client.post(
        "/consent",
        data={"scope": "always", "video": str(chosen), "gallery": "videos", "next": back},
        headers={"sec-fetch-site": "same-origin", "origin": BASE},
        follow_redirects=False,
    )
    assert r.status_code == 303
    doc = parse(client.get(r.headers["location"]).text)
    card = doc.by_id(f"v{chosen}")
    assert card is not None and card.find("iframe") is not None, "the chosen card plays on its own page"
    assert card_ids(doc) == ids[CARDS_PER_PAGE:]


def test_the_language_switch_stays_on_the_page(thirty: tuple[TestClient, list[int]]) -> None:
    client, _ = thirty
    doc = parse(client.get("/?page=2").text)
    switch = next(n for n in doc.find_all("nav") if n.has_class("languages"))
    assert [a.attrs["href"] for a in switch.find_all("a")] == ["/?page=2&lang=de", "/?page=2&lang=en"]
    doc = parse(client.get("/?page=2&lang=en").text)
    assert head_link(doc, "canonical") == BASE + "/?page=2&lang=en"
    assert head_link(doc, "prev") == BASE + "/?lang=en"
    visible_prev = [a.attrs["href"] for a in pager(doc).find_all("a") if a.attrs.get("rel") == "prev"]
    assert visible_prev == ["/?lang=en"]
    title = doc.find("title")
    assert title is not None and "Page 2 of 2" in title.text


def test_the_sitemap_names_every_page(thirty: tuple[TestClient, list[int]]) -> None:
    client, _ = thirty
    text = client.get("/sitemap.xml").text
    for url in (f"{BASE}/", f"{BASE}/?lang=en", f"{BASE}/?page=2", f"{BASE}/?page=2&amp;lang=en"):
        assert f"<loc>{url}</loc>" in text
    assert "page=3" not in text


def test_each_page_follows_a_change_of_its_cards(thirty: tuple[TestClient, list[int]]) -> None:
    """Each page is cached on its own, and dropped with every other when the data changes."""
    client, ids = thirty
    first, second = client.get("/").text, client.get("/?page=2").text
    assert first != second
    assert client.get("/?page=2").text == second
    storage: Storage = client.app.services.storage  # type: ignore[attr-defined]
    with storage.transaction() as tx:
        gallery = tx.default_gallery()
        last, first_card = tx.statement(gallery.id, ids[-1]), tx.statement(gallery.id, ids[0])
        assert last is not None and first_card is not None
        tx.update_statement(last, {"title_override": "Neu auf Seite zwei"}, bump=True)
        tx.update_statement(first_card, {"published": False}, bump=False)
    doc = parse(client.get("/?page=2").text)
    assert "Neu auf Seite zwei" in doc.text
    assert card_ids(doc) == ids[CARDS_PER_PAGE + 1 :], "withdrawing a card moves the next pages on"
