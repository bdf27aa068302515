"""The demo's two towns in a real Chromium: each on its own *.localhost name, with its own look and
statements; before consent each page contacts its own host only, and consent is per town."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from gallery.cli.demo.samples import (
    DEMO_TITLE,
    FIRST_TOWN_HOST,
    SECOND_TITLE,
    SECOND_TOWN_HOST,
    sample_videos,
    second_town_videos,
)
from tests.browser.actions import players
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.processes import clean_env, free_port, gallery_running

OWN_LOOK = "getComputedStyle(document.querySelector('.card button')).backgroundColor"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``gallery demo`` as a real process, on a free port."""
    tmp = tmp_path_factory.mktemp("towns-demo")
    port = free_port()
    args = ["demo", "--data-dir", str(tmp / "demo-data"), "--port", str(port)]
    with gallery_running(args, clean_env(), port, tmp / "demo.log"):
        yield port


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"Chromium is needed for the browser tests: {CHROMIUM} is missing"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_each_town_on_its_own_name_contacts_only_its_own_host(demo: int, context: BrowserContext) -> None:
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    looks = {}
    for host, title, speakers in (
        (FIRST_TOWN_HOST, DEMO_TITLE, [t["speaker_name"] for _, t in sample_videos()]),
        (SECOND_TOWN_HOST, SECOND_TITLE, [t["speaker_name"] for _, t in second_town_videos()]),
    ):
        own = f"http://{host}:{demo}"
        requests.clear()
        page.goto(own + "/")
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == title
        assert page.locator(".card").count() == len(speakers)
        shown = page.locator("main").inner_text()
        assert all(name in shown for name in speakers), shown  # its own statements
        others = (t["speaker_name"] for _, t in [*sample_videos(), *second_town_videos()])
        assert not any(name in shown for name in others if name not in speakers), shown
        # Every request the page made went to its own host: not the other town, not Vimeo.
        assert any("/thumbs/" in url for url in requests)
        assert {origin(url) for url in requests} == {own}, requests
        looks[host] = page.evaluate(OWN_LOOK)
    assert looks[FIRST_TOWN_HOST] != looks[SECOND_TOWN_HOST]  # each town its own colour
    assert context.cookies() == []


def test_consent_on_one_town_is_no_consent_on_the_other(demo: int, context: BrowserContext) -> None:
    page = context.new_page()
    ratzeburg, moelln = f"http://{FIRST_TOWN_HOST}:{demo}", f"http://{SECOND_TOWN_HOST}:{demo}"
    first = sample_videos()[0][0]
    page.goto(ratzeburg + "/")
    page.click(f"#v{first.vimeo_id} button[value=always]")
    page.wait_for_function("() => document.querySelectorAll('iframe').length > 0")
    assert players(page)  # Ratzeburg plays now, and remembers it
    assert [c["domain"] for c in context.cookies()] == [FIRST_TOWN_HOST]
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page.goto(moelln + "/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == SECOND_TITLE
    assert players(page) == []  # no player in Mölln: its visitor has not agreed there
    assert page.locator(".card button[value=always]").count() == len(second_town_videos())
    assert {origin(url) for url in requests} == {moelln}, requests
