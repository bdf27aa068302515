"""Every request the browser makes, before and after consent, with and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import SAMPLES, Stack, Tab

FIRST, UNLISTED = SAMPLES[0], next(v for v in SAMPLES if v.unlisted_hash)
PAGES = [
    "/",
    f"/g/videos/v/{FIRST.vimeo_id}",
    f"/g/videos/v/{UNLISTED.vimeo_id}?lang=en",
    "/privacy",
    "/accessibility?lang=en",
    "/?lang=en",
]


def load_fully(tab: Tab, url: str) -> None:
    """Open a page and scroll to its end, so that lazy images load too."""
    tab.page.goto(url)
    tab.page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    tab.page.wait_for_load_state("networkidle")


def only_own_origin(tab: Tab, own: str, also: frozenset[str] = frozenset()) -> None:
    assert tab.requests, "the browser made no request at all?"
    for url in tab.requests:
        assert url.startswith(own + "/") or url in also, f"request to another origin before consent: {url}"


def assert_one_player_request(tab: Tab, stack: Stack, vimeo_id: int) -> None:
    player = [u for u in tab.requests if u.startswith(stack.standin + "/")]
    assert len(player) == 1, player
    url = urlsplit(player[0])
    assert url.path == f"/player/video/{vimeo_id}"
    assert parse_qs(url.query)["dnt"] == ["1"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_before_consent_every_request_goes_to_the_service(
    stack: Stack, open_tab: Callable[..., Tab], javascript: bool
) -> None:
    tab = open_tab(javascript=javascript)
    gallery = stack.galleries["same"]
    for path in PAGES:
        load_fully(tab, gallery + path)
        if "/v/" in path:  # statement pages carry what search engines and link previews read
            assert tab.page.locator('script[type="application/ld+json"]').count() == 1
            image = tab.page.locator('meta[property="og:image"]').get_attribute("content") or ""
            assert image.startswith(gallery + "/thumbs/"), image
    only_own_origin(tab, gallery)
    assert any("/thumbs/" in u for u in tab.requests)  # the thumbnails came, from us
    assert any("/static/gallery.js" in u for u in tab.requests) == javascript
    assert tab.context.cookies() == []
    assert tab.errors == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_inside_a_cross_site_town_page_too(
    stack: Stack, open_tab: Callable[..., Tab], javascript: bool
) -> None:
    tab = open_tab(javascript=javascript)
    gallery = stack.galleries["cross"]
    town_page = stack.town + "/cross/"
    load_fully(tab, town_page)
    frame = tab.page.frame_locator("iframe[data-gallery-embed]")
    # the visitor moves around inside the frame: a statement, then the privacy notice
    frame.locator(f"#title-{FIRST.vimeo_id} a").click()
    frame.locator("h1").wait_for()
    frame.locator("footer a[href^='/privacy']").click()
    frame.locator("#cookie").wait_for()
    tab.page.wait_for_load_state("networkidle")
    # the town's page itself, and everything else from the gallery's origin
    only_own_origin(tab, gallery, also=frozenset({town_page}))
    assert (gallery + "/embed.js" in tab.requests) == javascript
    assert tab.context.cookies() == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_after_consent_exactly_one_request_to_the_player(
    stack: Stack, open_tab: Callable[..., Tab], javascript: bool
) -> None:
    tab = open_tab(javascript=javascript)
    gallery = stack.galleries["same"]
    load_fully(tab, gallery + "/")
    tab.page.click(f"#v{UNLISTED.vimeo_id} button[value=once]")
    tab.page.locator("iframe.player").wait_for()
    tab.page.frame_locator("iframe.player").locator("body").wait_for()
    tab.page.wait_for_timeout(500)  # anything else would have started by now
    assert_one_player_request(tab, stack, UNLISTED.vimeo_id)
    assert tab.page.locator("iframe").count() == 1
    assert tab.context.cookies() == []  # "once" remembers nothing


def test_after_consent_inside_the_town_page(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    load_fully(tab, stack.town + "/cross/")
    frame = tab.page.frame_locator("iframe[data-gallery-embed]")
    frame.locator(f"#v{FIRST.vimeo_id} button[value=always]").click()
    frame.locator("iframe.player").wait_for()
    frame.frame_locator("iframe.player").locator("body").wait_for()
    tab.page.wait_for_timeout(500)
    assert_one_player_request(tab, stack, FIRST.vimeo_id)
    assert frame.locator("iframe").count() == 1


# Collects every CSP violation the page reports, from before its first script runs.
WATCH_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
    (event) => window.violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""
JSON_LD = 'script[type="application/ld+json"]'


def test_the_json_ld_is_data_the_policy_allows(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """The policy allows only our script files (script-src 'self', no nonces or hashes). A JSON-LD
    block is a data block, which Chromium never runs, so script-src does not apply to it: no
    violation is reported, while an inline script on the same page is."""
    tab = open_tab()
    tab.page.add_init_script(WATCH_VIOLATIONS)
    gallery = stack.galleries["same"]
    for path, kind in (
        ("/", "ItemList"),
        (f"/g/videos/v/{FIRST.vimeo_id}", "VideoObject"),
        (f"/g/videos/v/{UNLISTED.vimeo_id}?lang=en", "VideoObject"),
    ):
        load_fully(tab, gallery + path)
        data = tab.page.evaluate(f"JSON.parse(document.querySelector('{JSON_LD}').textContent)")
        assert data["@type"] == kind
        assert tab.page.evaluate("window.violations") == [], path
    assert tab.errors == []  # nor anything in the console
    # the watch works: an inline script is refused and reported, a new data block is not
    tab.page.evaluate(
        """() => {
        const data = document.createElement("script");
        data.type = "application/ld+json";
        data.textContent = '{"@type": "Thing"}';
        document.head.append(data);
        const code = document.createElement("script");
        code.textContent = "window.ran = true";
        document.head.append(code);
    }"""
    )
    tab.page.wait_for_function("window.violations.length > 0")
    assert tab.page.evaluate("window.violations") == ["script-src-elem inline"]
    assert tab.page.evaluate("window.ran === undefined")
    only_own_origin(tab, gallery)
