"""Cookie modes through the app, and what the visitor is told when a browser refuses the cookie."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.public.consent import COOKIE_NAME
from gallery.settings import Settings
from tests.helpers import SAME_ORIGIN
from tests.htmlparse import Element, parse
from tests.roads import both_roads

# Every test here runs on both roads a visitor's page can take (tests/roads.py).
pytestmark = both_roads

FIRST = sample_videos()[0][0]
STATEMENT = f"/g/videos/v/{FIRST.vimeo_id}"
ALWAYS = {"scope": "always", "video": str(FIRST.vimeo_id), "gallery": "videos", "next": STATEMENT}


def choose_always(client: TestClient, next_path: str = STATEMENT) -> str:
    r = client.post(
        "/consent", data={**ALWAYS, "next": next_path}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303
    return str(r.headers["location"])


def note(doc: Element) -> Element | None:
    found = doc.with_class("note")
    return found[0] if found else None


def test_cookie_kept_the_page_confirms_it(populated: TestClient) -> None:
    location = choose_always(populated)
    doc = parse(populated.get(location).text)
    message = note(doc)
    assert message is not None and message.attrs["role"] == "status"
    assert "gespeichert" in message.text and "widerrufen" in message.text
    assert doc.find("iframe") is not None  # remembered: the statement page plays
    assert doc.find("form", action="/consent/revoke") is not None


def test_cookie_refused_the_visitor_is_told_kindly_and_asked_again(populated: TestClient) -> None:
    """What an iframe on another site sees when its browser drops the cookie: never a broken page."""
    location = choose_always(populated)
    populated.cookies.clear()  # the browser did not keep it
    r = populated.get(location)
    assert r.status_code == 200
    doc = parse(r.text)
    message = note(doc)
    assert message is not None and "data-refused" in message.attrs and message.attrs["role"] == "status"
    assert "nicht gespeichert" in message.text and "erneut" in message.text
    # each video asks again, and the page works as before: no player, consent form present
    assert doc.find("iframe") is None
    assert doc.find("form", action="/consent") is not None
    assert doc.find("form", action="/consent/revoke") is None
    english = parse(populated.get(location + "&lang=en").text)
    assert "did not store your choice" in note(english).text


@pytest.mark.parametrize("marker", ["1", "", "x" * 300, "1.AAAAAA.forged"])
def test_a_forged_or_shared_marker_says_nothing(populated: TestClient, marker: str) -> None:
    doc = parse(populated.get(f"{STATEMENT}?remembered={marker}").text)
    assert note(doc) is None
    assert doc.find("iframe") is None  # and it never plays anything


def test_the_marker_is_short_lived(populated: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    location = choose_always(populated)
    populated.cookies.clear()
    import time

    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    assert note(parse(populated.get(location).text)) is None


def test_cross_site_mode_through_the_app(curated_settings: Settings, populated_app) -> None:  # type: ignore[no-untyped-def]
    settings = replace(curated_settings, cookie_mode="cross-site").checked()
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        r = client.post("/consent", data=ALWAYS, headers=SAME_ORIGIN, follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}=") and "SameSite=None" in cookie and "Partitioned" in cookie
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
        assert parse(client.get(STATEMENT).text).find("iframe") is not None
        r = client.post("/consent/revoke", data={"next": "/"}, headers=SAME_ORIGIN, follow_redirects=False)
        deletions = r.headers.get_list("set-cookie")
        assert len(deletions) == 2 and all("Max-Age=0" in d for d in deletions)
        assert "Partitioned" in deletions[0] and "SameSite=None" in deletions[0]
        assert COOKIE_NAME not in client.cookies


def test_after_withdrawal_the_page_says_so_and_takes_focus(populated: TestClient) -> None:
    choose_always(populated)
    r = populated.post("/consent/revoke", data={"next": "/"}, headers=SAME_ORIGIN)
    assert r.status_code == 200 and COOKIE_NAME not in populated.cookies
    message = note(parse(r.text))
    assert message is not None and "data-revoked" in message.attrs
    assert "widerrufen" in message.text and "autofocus" in message.attrs
    assert parse(r.text).find("form", action="/consent/revoke") is None


def test_the_player_a_visitor_asked_for_takes_focus_without_javascript(populated: TestClient) -> None:
    r = populated.post(
        "/consent",
        data={**ALWAYS, "scope": "once"},
        headers=SAME_ORIGIN,
    )
    frame = parse(r.text).find("iframe")
    assert "autofocus" in frame.attrs and "autoplay=1" in frame.attrs["src"]
    # a remembered visitor opening a statement page is not surprised by sound or focus
    choose_always(populated)
    frame = parse(populated.get(STATEMENT).text).find("iframe")
    assert "autofocus" not in frame.attrs and "autoplay" not in frame.attrs["src"]
