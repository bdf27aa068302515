"""Once, always, play after always, revoke: by mouse and by keyboard only, and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.actions import (
    assert_focus_not_on_body,
    focused,
    players,
    tab_to,
    wait_for_status,
)
from tests.browser.conftest import SAMPLES, Stack, Tab

A, B, C = (v.vimeo_id for v in SAMPLES[:3])
COOKIE = "__Host-gallery-consent"


def act(page: Page, selector: str, by: str, key: str = "Enter") -> None:
    """Activate a control the way a visitor would: a mouse click, or Tab until there and a key."""
    if by == "mouse":
        page.click(selector)
    else:
        tab_to(page, selector)
        page.keyboard.press(key)


def in_view(page: Page, selector: str) -> bool:
    """Whether the element is (at least partly) inside the visible part of the page."""
    return page.eval_on_selector(  # type: ignore[no-any-return]
        selector,
        "el => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }",
    )


def wait_for_players(page: Page, count: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('iframe.player').length === n", arg=count)


@pytest.mark.parametrize("by", ["mouse", "keyboard"])
def test_once_always_play_revoke(stack: Stack, open_tab: Callable[..., Tab], by: str) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(stack.galleries["same"] + "/")
    url_before = page.url
    box = f"#v{A} .media"
    where = """el => { const r = el.getBoundingClientRect();
        return [r.left, r.top + scrollY, r.width, r.height]; }"""
    facade = page.eval_on_selector(box, where)

    # once: the facade turns into the player in place, focus goes to it, the status says so
    act(page, f"#v{A} button[value=once]", by, "Enter")
    wait_for_players(page, 1)
    # the player takes exactly the facade's place: the reserved box does not move or resize
    assert page.eval_on_selector(box, where) == facade
    wait_for_status(page, "geladen")
    assert players(page)[0]["slot"] == f"v{A}"
    assert "autoplay=1" in players(page)[0]["src"] and "dnt=1" in players(page)[0]["src"]
    assert assert_focus_not_on_body(page)["tag"] == "IFRAME"
    assert page.url == url_before, "no reload"
    assert tab.context.cookies() == []
    # the other cards still ask
    assert page.locator(f"#v{B} button[value=once]").is_visible()

    # always: consent remembered, this one video plays, no other player appears
    act(page, f"#v{B} button[value=always]", by, " " if by == "keyboard" else "Enter")
    wait_for_players(page, 2)
    wait_for_status(page, "geladen")
    assert [p["slot"] for p in players(page)] == [f"v{A}", f"v{B}"]
    assert assert_focus_not_on_body(page)["tag"] == "IFRAME"
    assert [c["name"] for c in tab.context.cookies()] == [COOKIE]
    # from now on every card has a plain play button, and the footer offers withdrawal
    assert page.locator(f"#v{C} form.play button").is_visible()
    assert page.locator("form.consent").count() == 0
    assert page.locator("footer form.revoke button").is_visible()

    # play after always: one click, no question, exactly one more player
    act(page, f"#v{C} form.play button", by, " " if by == "keyboard" else "Enter")
    wait_for_players(page, 3)
    assert players(page)[-1]["slot"] == f"v{C}"
    assert_focus_not_on_body(page)

    # revoke: every player goes, the choice is forgotten, focus lands on the heading
    act(page, "footer form.revoke button", by, "Enter")
    wait_for_players(page, 0)
    wait_for_status(page, "widerrufen")
    assert assert_focus_not_on_body(page)["tag"] == "H1"
    assert tab.context.cookies() == []
    assert page.locator("form.consent").count() == len(SAMPLES)
    assert page.locator("footer form.revoke").count() == 0
    assert page.url == url_before
    assert tab.errors == []

    # and a new visit knows nothing
    page.reload()
    assert page.locator("iframe").count() == 0 and page.locator("form.consent").count() == len(SAMPLES)


def test_remembered_choice_plays_on_the_next_visit_one_at_a_time(
    stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(stack.galleries["same"] + "/")
    page.click(f"#v{A} button[value=always]")
    wait_for_players(page, 1)
    page.goto(stack.galleries["same"] + "/?lang=en")
    assert page.locator("iframe").count() == 0, "no page full of players"
    page.click(f"#v{B} form.play button")
    wait_for_players(page, 1)
    wait_for_status(page, "loaded from Vimeo")  # English, like the page
    assert focused(page)["tag"] == "IFRAME"
    # the statement page plays by itself for a remembered visitor, without sound surprises
    page.goto(stack.galleries["same"] + f"/g/videos/v/{C}")
    assert len(players(page)) == 1 and "autoplay" not in players(page)[0]["src"]


def test_transcripts_by_keyboard_without_consent(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    page = open_tab().page
    page.goto(stack.galleries["same"] + "/")
    tab_to(page, f"#v{B} summary")
    page.keyboard.press("Enter")
    assert page.locator(f"#v{B} details").get_attribute("open") is not None
    assert page.locator(f"#v{B} .transcript-text").is_visible()
    assert page.locator("iframe").count() == 0


def test_without_javascript_the_forms_do_it_all(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(javascript=False)
    page = tab.page
    gallery = stack.galleries["same"]
    page.goto(gallery + "/")
    # once: a page with the player, which has focus
    page.click(f"#v{A} button[value=once]")
    assert len(players(page)) == 1
    assert assert_focus_not_on_body(page)["tag"] == "IFRAME"
    assert tab.context.cookies() == []
    # always: back to the gallery at that card, which shows its player and a note that takes focus
    page.goto(gallery + "/")
    page.click(f"#v{B} button[value=always]")
    assert page.url.startswith(f"{gallery}/g/videos?play={B}&")
    now = assert_focus_not_on_body(page)
    assert now["id"] == "note" and "gespeichert" in now["text"]
    assert page.locator(f"#v{B} #note").is_visible() and page.locator("#note").count() == 1
    assert [p["slot"] for p in players(page)] == [f"v{B}"]
    assert "autoplay" not in players(page)[0]["src"], "no sound the visitor did not ask for"
    assert in_view(page, f"#v{B} .media")
    # play after always: the play button returns to the gallery with that card's player, focused
    page.goto(gallery + "/")
    assert page.locator("iframe").count() == 0
    page.click(f"#v{C} form.play button")
    assert page.url == f"{gallery}/g/videos?play={C}"
    assert [p["slot"] for p in players(page)] == [f"v{C}"]
    assert "autoplay=1" in players(page)[0]["src"]
    assert assert_focus_not_on_body(page)["tag"] == "IFRAME"
    assert in_view(page, f"#v{C} .media")
    # the statement page plays for a remembered visitor too
    page.goto(gallery + f"/g/videos/v/{C}")
    assert len(players(page)) == 1
    # revoke
    page.click("footer form.revoke button")
    assert page.locator("iframe").count() == 0
    now = assert_focus_not_on_body(page)
    assert now["id"] == "note" and "widerrufen" in now["text"]
    assert tab.context.cookies() == []


def test_inside_another_site_with_the_cross_site_cookie(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """GALLERY_COOKIE_MODE=cross-site: the remembered choice works inside the town's frame."""
    tab = open_tab()
    tab.page.goto(stack.town + "/cross/")
    frame = tab.page.frame_locator("iframe[data-gallery-embed]")
    frame.locator(f"#v{A} button[value=always]").click()
    frame.locator(f"#v{A} iframe.player").wait_for()
    cookie = next(c for c in tab.context.cookies() if c["name"] == COOKIE)
    assert cookie["sameSite"] == "None" and cookie["secure"] and cookie["httpOnly"]
    frame.locator(f"#v{B} form.play button").click()
    frame.locator(f"#v{B} iframe.player").wait_for()
    assert frame.locator("[data-refused]").count() == 0
    # a fresh load of the town page: still remembered inside this site's partition
    tab.page.reload()
    assert tab.page.frame_locator("iframe[data-gallery-embed]").locator("footer form.revoke").count() == 1


def test_inside_another_site_when_the_browser_refuses_the_cookie(
    stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    """GALLERY_COOKIE_MODE=same-site embedded by another site: Chromium drops the cookie.
    The visitor gets the video they asked for and a kind word; every video asks again."""
    tab = open_tab()
    tab.page.goto(stack.town + "/same/")
    frame_element = tab.page.locator("iframe[data-gallery-embed]")
    frame = tab.page.frame_locator("iframe[data-gallery-embed]")
    frame.locator(f"#v{A} button[value=always]").click()
    frame.locator(f"#v{A} iframe.player").wait_for()
    note = frame.locator(f"#v{A} [data-refused]")
    assert note.is_visible() and "nicht gespeichert" in note.inner_text()
    inner = frame_element.element_handle().content_frame()
    assert inner is not None
    wait_for_status(inner, "nicht gespeichert")
    assert focused(inner)["tag"] == "IFRAME"
    assert not [c for c in tab.context.cookies() if c["name"] == COOKIE]
    # the next video asks again, and nothing is broken
    assert frame.locator(f"#v{B} button[value=once]").is_visible()
    assert frame.locator("footer form.revoke").count() == 0
    frame.locator(f"#v{B} button[value=once]").click()
    frame.locator(f"#v{B} iframe.player").wait_for()
    assert inner.evaluate("document.querySelectorAll('iframe.player').length") == 2
    assert tab.errors == []
