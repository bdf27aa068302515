"""Where a visitor goes: back to the chosen card after a choice without script, and from one
statement to the next, to all statements, or away with its link."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from tests.helpers import SAME_ORIGIN, add_gallery, query
from tests.htmlparse import Element, parse
from tests.roads import both_roads

# Every test here runs on both roads a visitor's page can take (tests/roads.py).
pytestmark = both_roads

SAMPLES = [video for video, _ in sample_videos()]
FIRST, SECOND, LAST = SAMPLES[0], SAMPLES[1], SAMPLES[-1]


def card(doc: Element, vimeo_id: int) -> Element:
    found = doc.by_id(f"v{vimeo_id}")
    assert found is not None
    return found


def always_from_the_card(client: TestClient, vimeo_id: int) -> str:
    """Press "always" on a gallery card as a browser without script does; return where it leads."""
    form = card(parse(client.get("/").text), vimeo_id).find("form", action="/consent")
    assert form is not None
    data = {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input", type="hidden")}
    r = client.post("/consent", data={**data, "scope": "always"}, headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    return str(r.headers["location"])


# --- back to the card -------------------------------------------------------------------


def test_always_without_script_returns_to_the_card_with_its_player(populated: TestClient) -> None:
    location = always_from_the_card(populated, SECOND.vimeo_id)
    parts = urlsplit(location)
    assert parts.path == "/g/videos" and parse_qs(parts.query)["play"] == [str(SECOND.vimeo_id)]
    doc = parse(populated.get(location).text)
    frames = doc.find_all("iframe")
    assert len(frames) == 1, "only the chosen card plays"
    assert card(doc, SECOND.vimeo_id).find("iframe") is frames[0]
    assert "autoplay" not in frames[0].attrs["src"]  # "always" is a choice, not a click on play
    # the note about the choice is in that card, and takes focus there (not at the top of the page)
    note = doc.by_id("note")
    assert note is not None and card(doc, SECOND.vimeo_id).by_id("note") is note
    assert "autofocus" in note.attrs and note.attrs["role"] == "status" and "gespeichert" in note.text
    assert len([el for el in doc.find_all() if el.attrs.get("id") == "note"]) == 1
    # every other card offers its play button
    for video in SAMPLES:
        if video is not SECOND:
            assert card(doc, video.vimeo_id).find("form", class_="play") is not None


def test_play_without_script_returns_to_the_card_with_its_player_focused(populated: TestClient) -> None:
    always_from_the_card(populated, FIRST.vimeo_id)
    doc = parse(populated.get("/").text)
    form = card(doc, SECOND.vimeo_id).find("form", class_="play")
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/g/videos"
    query = {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input")}
    assert query == {"play": str(SECOND.vimeo_id)}
    doc = parse(populated.get("/g/videos", params=query).text)
    frames = doc.find_all("iframe")
    assert len(frames) == 1 and card(doc, SECOND.vimeo_id).find("iframe") is frames[0]
    assert "autoplay=1" in frames[0].attrs["src"] and "autofocus" in frames[0].attrs
    assert doc.by_id("note") is None


def test_the_play_address_never_plays_without_consent(populated: TestClient) -> None:
    plain = populated.get("/g/videos").text
    for asked in (f"play={FIRST.vimeo_id}", "play=1", "play=abc", "play=" + "9" * 40):
        r = populated.get(f"/g/videos?{asked}")
        assert r.status_code == 200
        assert parse(r.text).find("iframe") is None and r.text == plain, asked


def test_the_play_address_only_names_cards_of_that_gallery(
    populated: TestClient, curated_settings: Settings
) -> None:
    add_gallery(curated_settings, "zweite", "Zweite Galerie", vimeo_ids=(LAST.vimeo_id,))
    always_from_the_card(populated, FIRST.vimeo_id)
    plain = populated.get("/g/zweite").text
    for asked in (f"play={FIRST.vimeo_id}", "play=1", "play=x", "play=0"):
        r = populated.get(f"/g/zweite?{asked}")
        assert r.status_code == 200 and r.text == plain, asked
    doc = parse(populated.get(f"/g/zweite?play={LAST.vimeo_id}").text)
    assert len(doc.find_all("iframe")) == 1
    # the start page shows the default gallery, and knows its cards too
    doc = parse(populated.get(f"/?play={FIRST.vimeo_id}").text)
    assert card(doc, FIRST.vimeo_id).find("iframe") is not None


def test_when_the_browser_refuses_the_cookie_the_card_says_so(populated: TestClient) -> None:
    location = always_from_the_card(populated, SECOND.vimeo_id)
    populated.cookies.clear()  # as a browser does inside another site's frame
    doc = parse(populated.get(location).text)
    note = doc.by_id("note")
    assert note is not None and "data-refused" in note.attrs
    assert card(doc, SECOND.vimeo_id).by_id("note") is note and "autofocus" in note.attrs
    assert doc.find("iframe") is None, "no consent was stored, so nothing plays"
    assert card(doc, SECOND.vimeo_id).find("form", action="/consent") is not None


# --- the statement page -------------------------------------------------------------------


def statement(client: TestClient, vimeo_id: int, query: str = "") -> Element:
    r = client.get(f"/g/videos/v/{vimeo_id}{query}")
    assert r.status_code == 200
    return parse(r.text)


def pager(doc: Element) -> dict[str, Element]:
    nav = doc.find("nav", class_="pager")
    assert nav is not None and nav.attrs["aria-label"] in {"Weitere Aussagen", "More statements"}
    return {a.attrs.get("rel", "all"): a for a in nav.find_all("a")}


def test_statements_lead_to_their_neighbours_and_to_all(populated: TestClient) -> None:
    links = pager(statement(populated, FIRST.vimeo_id))
    assert set(links) == {"all", "next"}, "the first statement has no previous one"
    assert links["next"].attrs["href"] == f"/g/videos/v/{SECOND.vimeo_id}"
    assert "Nächste Aussage" in links["next"].text and SECOND.title in links["next"].text
    assert links["all"].attrs["href"] == "/g/videos" and links["all"].text == "Alle Aussagen"
    middle = pager(statement(populated, SECOND.vimeo_id))
    assert middle["prev"].attrs["href"] == f"/g/videos/v/{FIRST.vimeo_id}"
    assert "Vorherige Aussage" in middle["prev"].text and FIRST.title in middle["prev"].text
    assert set(pager(statement(populated, LAST.vimeo_id))) == {"all", "prev"}
    # and at the top, back to the gallery at this statement's card
    back = statement(populated, SECOND.vimeo_id).find("p", class_="back").find("a")
    assert back.attrs["href"] == f"/g/videos#v{SECOND.vimeo_id}" and "Alle Aussagen" in back.text


def test_neighbours_skip_what_visitors_cannot_see(populated: TestClient, curated_settings: Settings) -> None:

    query(curated_settings, "UPDATE statements SET published = 0 WHERE vimeo_id = ?", (SECOND.vimeo_id,))
    links = pager(statement(populated, FIRST.vimeo_id))
    assert links["next"].attrs["href"] == f"/g/videos/v/{SAMPLES[2].vimeo_id}"


def test_neighbour_links_keep_the_language(populated: TestClient) -> None:
    links = pager(statement(populated, SECOND.vimeo_id, "?lang=en"))
    assert links["prev"].attrs["href"] == f"/g/videos/v/{FIRST.vimeo_id}?lang=en"
    assert "Previous statement" in links["prev"].text and links["all"].text == "All statements"


def share(doc: Element) -> tuple[Element, Element]:
    box = doc.find("div", class_="share")
    assert box is not None
    link, button = box.find("a"), box.find("button")
    assert link is not None and button is not None
    return link, button


def test_copy_link_is_a_button_for_script_and_a_plain_link_without(populated: TestClient) -> None:
    link, button = share(statement(populated, FIRST.vimeo_id))
    # without a public address configured the page cannot know its host: the link is root-relative,
    # and the browser (or gallery.js) makes it absolute
    assert link.attrs["href"] == link.text == f"/g/videos/v/{FIRST.vimeo_id}"
    assert button.attrs["type"] == "button" and button.text == "Link kopieren"
    assert "hidden" in button.attrs, "shown only by gallery.js, which can copy"
    assert "data-copy-link" in button.attrs and "data-permalink" in link.attrs
    # no third-party share buttons: every link on the page stays on our origin or the town's
    for a in statement(populated, FIRST.vimeo_id).find_all("a"):
        href = a.attrs["href"]
        assert href.startswith(("/", "#")) or "stadt" in href, href


def test_copy_link_gives_the_canonical_address(populated_app: Starlette, curated_settings: Settings) -> None:
    settings = replace(curated_settings, public_url="https://videos.stadt.example").checked()
    with TestClient(create_app(settings), base_url="https://videos.stadt.example") as client:
        link, _ = share(statement(client, FIRST.vimeo_id, "?remembered=x&lang=de"))
        assert link.attrs["href"] == f"https://videos.stadt.example/g/videos/v/{FIRST.vimeo_id}"
        link, button = share(statement(client, FIRST.vimeo_id, "?lang=en"))
        assert link.attrs["href"] == f"https://videos.stadt.example/g/videos/v/{FIRST.vimeo_id}?lang=en"
        assert button.text == "Copy link"


# --- long texts ---------------------------------------------------------------------------


def test_long_texts_list_their_sections(populated: TestClient) -> None:
    for path in ("/privacy", "/accessibility", "/privacy?lang=en"):
        doc = parse(populated.get(path).text)
        toc = doc.find("nav", class_="toc")
        assert toc is not None, path
        headings = [h for h in doc.find("main").find_all("h2") if "id" in h.attrs]
        links = toc.find_all("a")
        assert [a.attrs["href"] for a in links] == [f"#{h.attrs['id']}" for h in headings], path
        assert [a.text for a in links] == [h.text for h in headings], path
    assert "#cookie" in [a.attrs["href"] for a in links]  # the page's own sections, not only the notice's
