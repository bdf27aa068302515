"""The admin area in Debian's chromium: keyboard only and without JavaScript, as an editor at a
town hall might use it; reflow on a narrow screen."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette

from gallery.app import create_app
from gallery.settings import Settings
from tests.admin_helpers import PASSWORD, create_editor
from tests.browser.conftest import CHROMIUM, OUTPUT

pytestmark = pytest.mark.browser  # like tests/browser/: without Chromium these fail, never skip


@pytest.fixture
def live(
    populated_app: Starlette, curated_settings: Settings, vimeo_transport: httpx.AsyncBaseTransport
) -> Iterator[str]:
    """The populated app over loopback http; "localhost" counts as secure for Secure cookies."""
    create_editor(curated_settings)
    # The browser names the service "localhost": a host name it must be configured to answer.
    settings = replace(curated_settings, allowed_hosts=("localhost",)).checked()
    app = create_app(settings, vimeo_transport=vimeo_transport)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def browser() -> Iterator[object]:
    assert Path(CHROMIUM).exists(), f"Chromium is needed for the browser tests: {CHROMIUM} is missing"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield instance
        finally:
            instance.close()


def test_add_and_publish_by_keyboard_without_javascript(live: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"{live}/admin/g/videos")
    assert page.url.startswith(f"{live}/admin/login")
    page.focus("#f-username")
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/g/videos")

    page.focus("text=Einstellungen der Galerie")
    page.keyboard.press("Shift+Tab")  # back to "Statement hinzufügen"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/g/videos/add")
    page.focus("#f-link")
    page.keyboard.type("https://vimeo.com/900000001")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "schon in der Galerie" in page.inner_text("#f-link-error")

    # A second gallery to add it to, by keyboard as well.
    page.goto(f"{live}/admin/galleries/new")
    for field, value in (("#f-title", "Tastatur"), ("#f-slug", "tastatur")):
        page.focus(field)
        page.keyboard.type(value)
    page.focus("#f-slug")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/g/tastatur?done=gallery-created")
    page.goto(f"{live}/admin/g/tastatur/add")
    page.focus("#f-link")
    page.keyboard.type("900000002")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Vorschau: so sehen Besucher die Karte")
    page.focus("#f-speaker_name")
    page.keyboard.type("Per Tastatur")
    page.focus("button[value=publish]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/g/tastatur?done=added*")
    assert "veröffentlicht" in page.inner_text("p.notice-box")

    page.goto(f"{live}/g/tastatur")
    assert "Per Tastatur" in page.inner_text("main")


def test_focus_is_visible_and_nothing_scrolls_sideways_at_320px(live: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(f"{live}/admin/login")
    page.fill("#f-username", "anna")
    page.fill("#f-password", PASSWORD)
    page.press("#f-password", "Enter")
    page.wait_for_url(f"{live}/admin/")
    for path in ("/admin/", "/admin/g/videos", "/admin/s/1", "/admin/audit", "/admin/g/videos/settings"):
        page.goto(live + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(f"{live}/admin/s/1")
    page.focus("#f-quote")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    small = page.evaluate(
        """[...document.querySelectorAll('main button, main a.button, main input, main select')]
             .filter(e => e.offsetParent && e.type !== 'hidden')
             .map(e => e.getBoundingClientRect())
             .filter(r => r.width < 24 || r.height < 24).length"""
    )
    assert small == 0, "targets are at least 24 × 24 CSS pixels"


LOOKS = """e => { const s = getComputedStyle(e);
  return [s.backgroundColor, s.color, s.opacity, s.borderTopColor, s.fontWeight, s.fontSize,
          s.textDecorationLine]; }"""


def sign_in(page, live: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live}/admin/login")
    page.fill("#f-username", "anna")
    page.fill("#f-password", PASSWORD)
    page.press("#f-password", "Enter")
    page.wait_for_url(f"{live}/admin/")


def test_the_add_preview_looks_like_the_visitors_card_and_does_nothing(live: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live}/")
    public_button = page.eval_on_selector(".card .consent button", LOOKS)
    public_title = page.eval_on_selector(".card .card-title a", LOOKS)
    sign_in(page, live)
    page.goto(f"{live}/admin/galleries/new")
    page.fill("#f-title", "Vorschau")
    page.fill("#f-slug", "vorschau")
    page.click("main form button[type=submit]")
    page.goto(f"{live}/admin/g/vorschau/add")
    page.fill("#f-link", "900000002")
    page.click("text=Vorschau laden")
    preview = page.locator(".cards-preview .card")
    assert preview.is_visible()
    here = page.url
    # It looks as visitors will see it...
    assert page.eval_on_selector(".cards-preview button", LOOKS) == public_button
    assert page.eval_on_selector(".cards-preview .card-title a", LOOKS) == public_title
    # ...but no click in it goes anywhere, and the keyboard never stops on a dead control.
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    for target in (".cards-preview .card-title a", ".cards-preview .notice a", ".cards-preview button"):
        for n in range(page.locator(target).count()):
            page.locator(target).nth(n).click(force=True)  # Playwright waits for any navigation it starts
    assert page.url == here and sent == []
    assert preview.locator("a[href], button:not([disabled]), input, [tabindex]").count() == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sign_in_page_gives_the_help_its_own_space(live: str, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{live}/admin/login")
    button = page.locator("main form button[type=submit]").bounding_box()
    help_text = page.locator("main p", has_text="Konten richtet die IT ein").bounding_box()
    card = page.locator("main .signin").bounding_box()
    assert button and help_text and card
    assert help_text["y"] - (button["y"] + button["height"]) >= 24, "the hint sits apart from the button"
    # The form is one card that fits the screen, its button as wide as the fields above it.
    assert card["x"] >= 0 and card["x"] + card["width"] <= width
    field = page.locator("#f-password").bounding_box()
    assert field and abs(button["width"] - field["width"]) < 1
    (OUTPUT / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "screenshots" / f"admin-sign-in-{width}.png"), full_page=True)
