"""The town page's iframe follows the gallery's height; nobody else can set it."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Frame, Page

from tests.browser.conftest import SAMPLES, Stack, Tab

FIRST = SAMPLES[0]
MIN, MAX = 150, 30000  # the bounds in static/embed.js


def frame_height(page: Page, selector: str = "iframe[data-gallery-embed]") -> float:
    return float(page.eval_on_selector(selector, "f => f.clientHeight"))


def content_height(frame: Frame) -> float:
    return float(frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)"))


def gallery_frame(page: Page, selector: str = "iframe[data-gallery-embed]") -> Frame:
    handle = page.wait_for_selector(selector)
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    return frame


def wait_until_fitted(page: Page, frame: Frame, selector: str = "iframe[data-gallery-embed]") -> None:
    page.wait_for_function(
        """([sel, want]) => Math.abs(document.querySelector(sel).clientHeight - want) <= 1""",
        arg=[selector, content_height(frame)],
        timeout=5000,
    )


def test_host_page_sizes_the_frame_to_its_content(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(stack.town + "/cross/")
    frame = gallery_frame(page)
    wait_until_fitted(page, frame)
    fitted = frame_height(page)
    assert fitted > 1200  # grew from the snippet's fixed 1200 px to the whole gallery
    # no scrolling inside the frame: everything is visible in the town's page
    assert frame.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")

    # it follows changes: an opened transcript makes it taller, closing it shorter again
    frame.click(f"#v{FIRST.vimeo_id} summary")
    wait_until_fitted(page, frame)
    opened = frame_height(page)
    assert opened > fitted
    frame.click(f"#v{FIRST.vimeo_id} summary")
    wait_until_fitted(page, frame)
    assert abs(frame_height(page) - fitted) <= 1

    # and after a player replaced a facade (same box, so the height hardly moves, but it is told)
    frame.click(f"#v{FIRST.vimeo_id} button[value=once]")
    frame.wait_for_selector("iframe.player")
    wait_until_fitted(page, frame)
    assert tab.errors == []


def test_at_200_percent_zoom(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """200 % zoom halves the CSS width of the window: the gallery reflows taller, the frame follows."""
    page = open_tab(width=1280).page
    page.goto(stack.town + "/cross/")
    frame = gallery_frame(page)
    wait_until_fitted(page, frame)
    normal = frame_height(page)
    page.set_viewport_size({"width": 640, "height": 450})
    page.wait_for_function("h => document.querySelector('iframe').clientHeight > h", arg=normal)
    wait_until_fitted(page, frame)
    assert frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_messages_from_anyone_else_are_ignored(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(stack.town + "/two/")
    gallery = gallery_frame(page, "#a")
    privacy = gallery_frame(page, "#b")
    wait_until_fitted(page, gallery, "#a")
    wait_until_fitted(page, privacy, "#b")
    # each frame got its own height: the source check tells same-origin frames apart
    assert frame_height(page, "#a") != frame_height(page, "#b")
    before = frame_height(page, "#a")

    foreign = gallery_frame(page, "#foreign")
    assert foreign.url.startswith(stack.foreign + "/")
    forged = "{type: 'gallery:height', height: 200}"
    foreign.evaluate(f"parent.postMessage({forged}, '*')")  # another origin
    page.evaluate(f"window.postMessage({forged}, '*')")  # the town page itself
    page.wait_for_timeout(400)
    assert frame_height(page, "#a") == before and frame_height(page, "#b") != 200

    # the gallery's own origin, but not that frame's window: from the privacy frame
    privacy.evaluate(f"parent.postMessage({forged}, '*')")
    page.wait_for_timeout(400)
    assert frame_height(page, "#a") == before and frame_height(page, "#b") == 200
    # nonsense and absurd heights from the right frame: ignored, or bounded
    for data in ("'gallery:height'", "{type: 'gallery:height', height: 'x'}", "{type: 'gallery:height'}"):
        gallery.evaluate(f"parent.postMessage({data}, '*')")
    page.wait_for_timeout(300)
    assert frame_height(page, "#a") == before
    gallery.evaluate("parent.postMessage({type: 'gallery:height', height: 1e9}, '*')")
    page.wait_for_function(f"document.querySelector('#a').clientHeight === {MAX}")
    gallery.evaluate("parent.postMessage({type: 'gallery:height', height: -5}, '*')")
    page.wait_for_function(f"document.querySelector('#a').clientHeight === {MIN}")
    assert tab.errors == []


def test_the_gallery_posts_only_to_its_allowed_parent(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """Framed by a site not on its list, the browser refuses to show it (CSP frame-ancestors)."""
    tab = open_tab()
    page = tab.page
    page.goto(stack.foreign + "/foreign")
    page.evaluate(
        """g => { const f = document.createElement('iframe'); f.src = g + '/'; f.id = 'x';
        document.body.appendChild(f); }""",
        stack.galleries["same"],
    )
    page.wait_for_timeout(800)
    frame = page.query_selector("#x").content_frame()  # type: ignore[union-attr]
    assert frame is not None
    # Chromium shows an error page instead of the gallery: none of the gallery's content is there
    assert "card" not in frame.evaluate("document.documentElement.outerHTML")
