"""WCAG 2.2 AA in a real browser: axe-core, reflow at 320 px, contrast over thumbnails, focus,
target sizes, reduced motion; and screenshots of what visitors see."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Frame, Page

from tests.browser.actions import axe, no_horizontal_scroll
from tests.browser.conftest import OUTPUT, SAMPLES, Stack, Tab

A, B = SAMPLES[0].vimeo_id, SAMPLES[1].vimeo_id
PAGES = {
    "gallery": "/",
    "statement": f"/g/videos/v/{A}",
    "privacy": "/privacy",
    "accessibility": "/accessibility",
    "embed snippet": "/g/videos/embed",
    "not found": "/g/videos/v/1",
}
SHOTS = OUTPUT / "screenshots"


def with_lang(path: str, lang: str) -> str:
    return path if lang == "de" else f"{path}{'&' if '?' in path else '?'}lang={lang}"


def give_consent(page: Page, gallery: str) -> None:
    """'Always' on one card: the choice is remembered and that one video plays."""
    page.goto(gallery + "/")
    page.click(f"#v{A} button[value=always]")
    page.wait_for_selector(f"#v{A} iframe.player")
    page.frame_locator(f"#v{A} iframe.player").locator("body").wait_for()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("consent", ["before", "after"])
def test_axe_finds_no_violations(stack: Stack, open_tab: Callable[..., Tab], consent: str, lang: str) -> None:
    page = open_tab().page
    gallery = stack.galleries["same"]
    found: dict[str, list[object]] = {}
    if consent == "after":
        give_consent(page, gallery + ("/?lang=en" if lang == "en" else ""))
        found["gallery with a player, after 'always'"] = axe(page)  # type: ignore[assignment]
    for name, path in PAGES.items():
        page.goto(gallery + with_lang(path, lang))
        assert page.locator("html").get_attribute("lang") == lang
        found[name] = axe(page)  # type: ignore[assignment]
    if consent == "after":
        assert page.context.cookies(), "consent should be remembered for these pages"
    assert {name: v for name, v in found.items() if v} == {}


def submit_plainly(where: Page | Frame, form: str, scope: str | None = None) -> None:
    """Submit a form the way a browser without JavaScript does (bypassing the page's script)."""
    where.evaluate(
        """([sel, scope]) => { const f = document.querySelector(sel);
        if (scope) { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'scope';
          i.value = scope; f.appendChild(i); }
        f.submit(); }""",
        [form, scope],
    )
    where.wait_for_load_state()


def test_axe_on_the_messages_after_a_choice(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """The 'saved', 'refused' and 'withdrawn' notes, as the server sends them after a plain form."""
    page = open_tab().page
    gallery = stack.galleries["same"]
    page.goto(gallery + "/")
    submit_plainly(page, f"#v{A} form.consent", "always")
    page.wait_for_selector("[data-saved]")
    saved = axe(page)
    submit_plainly(page, "footer form.revoke")
    page.wait_for_selector("[data-revoked]")
    revoked = axe(page)
    page.goto(stack.town + "/same/")  # the same-site cookie is refused inside another site
    inner = page.wait_for_selector("iframe[data-gallery-embed]").content_frame()  # type: ignore[union-attr]
    assert inner is not None
    inner.wait_for_selector(f"#v{B} form.consent")
    submit_plainly(inner, f"#v{B} form.consent", "always")
    inner.wait_for_selector("[data-refused]")
    refused = axe(inner)
    assert (saved, revoked, refused) == ([], [], [])


@pytest.mark.parametrize("consent", ["before", "after"])
def test_reflow_at_320_px(stack: Stack, open_tab: Callable[..., Tab], consent: str) -> None:
    tab = open_tab(width=320, height=640)
    page = tab.page
    gallery = stack.galleries["same"]
    if consent == "after":
        give_consent(page, gallery)
        assert no_horizontal_scroll(page)[0] <= no_horizontal_scroll(page)[1]
    for lang in ("de", "en"):
        for path in PAGES.values():
            page.goto(gallery + with_lang(path, lang))
            width, viewport = no_horizontal_scroll(page)
            assert width <= viewport, f"{path} ({lang}) scrolls sideways at 320 px: {width} > {viewport}"
    # and inside the town's page, where the frame is narrower still
    page.goto(stack.town + "/cross/")
    inner = page.query_selector("iframe[data-gallery-embed]").content_frame()  # type: ignore[union-attr]
    assert inner is not None
    width, viewport = no_horizontal_scroll(inner)
    assert width <= viewport


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


RGB = tuple[float, float, float]


def over(top: tuple[float, float, float, float], below: RGB) -> RGB:
    """A translucent colour composited over an opaque one."""
    alpha = top[3]
    return (
        top[0] * alpha + below[0] * (1 - alpha),
        top[1] * alpha + below[1] * (1 - alpha),
        top[2] * alpha + below[2] * (1 - alpha),
    )


def test_contrast_of_text_over_thumbnails(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """axe cannot judge text over images. Every text inside a thumbnail box sits on a scrim; its
    contrast is computed against that scrim over the worst picture underneath (any pixel from
    black to white), and must reach 4.5:1."""
    page = open_tab().page
    page.goto(stack.galleries["same"] + "/")
    texts = page.evaluate(
        """() => {
        const rgba = s => { const m = s.match(/[\\d.]+/g).map(Number);
                            return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
        const out = [];
        for (const media of document.querySelectorAll('.media')) {
          for (const el of media.querySelectorAll('*')) {
            const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (!own || el.closest('.visually-hidden')) continue;
            let bg = null;
            for (let p = el; p && p !== media; p = p.parentElement) {
              const c = rgba(getComputedStyle(p).backgroundColor);
              if (c[3] > 0) { bg = c; break; }
            }
            const style = getComputedStyle(el);
            out.push({ text: el.textContent.trim(), color: rgba(style.color), scrim: bg,
                       size: parseFloat(style.fontSize) });
          }
        }
        return out; }"""
    )
    assert len(texts) >= len(SAMPLES) - 1  # every thumbnail with a known duration shows it
    for item in texts:
        assert item["scrim"] is not None, f"text over a picture without a scrim: {item['text']}"
        color = item["color"]
        assert color[3] == 1, "text colour must be opaque"
        worst = min(
            contrast(tuple(color[:3]), over(item["scrim"], backdrop))
            for backdrop in ((0, 0, 0), (255, 255, 255))  # the darkest and the brightest picture
        )
        assert worst >= 4.5, f"{item['text']!r}: {worst:.2f}:1 over the worst picture"


def test_focus_is_visible_and_targets_are_big_enough(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    page = open_tab().page
    page.goto(stack.galleries["same"] + "/")
    seen = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const el = document.activeElement, s = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            const inline = el.tagName === 'A' && getComputedStyle(el.parentElement).display === 'block'
                && el.parentElement.textContent.trim() !== el.textContent.trim();
            return { key: el.outerHTML.slice(0, 80), tag: el.tagName, outline: s.outlineStyle,
                     width: parseFloat(s.outlineWidth), w: r.width, h: r.height, inline }; }"""
        )
        if info["tag"] == "BODY":
            break  # past the last control: focus left the page
        seen.add(info["key"])
        assert info["outline"] != "none" and info["width"] >= 2, f"no visible focus on {info['key']}"
        if info["tag"] in {"BUTTON", "SUMMARY", "INPUT"} or (info["tag"] == "A" and not info["inline"]):
            assert info["w"] >= 24 and info["h"] >= 24, f"target smaller than 24×24: {info}"
    assert len(seen) > 20


def test_no_motion_when_the_visitor_asks_for_less(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    page = open_tab(reduced_motion="reduce").page
    page.goto(stack.galleries["same"] + "/")
    page.click(f"#v{A} button[value=once]")
    page.wait_for_selector("iframe.player")
    moving = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(el => {
            const s = getComputedStyle(el);
            return s.animationName !== 'none' || s.transitionDuration.split(',').some(d => parseFloat(d) > 0);
        }).map(el => el.tagName)"""
    )
    assert moving == [] and page.evaluate("document.getAnimations().length") == 0


def test_screenshots(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """Desktop and 320 px, before and after consent, to test-output/ (docs/ has scripts/screenshots' own)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, name in ((1280, 900, "desktop"), (320, 640, "320px")):
        page = open_tab(width=width, height=height).page
        gallery = stack.galleries["same"]
        page.goto(gallery + "/")
        page.wait_for_load_state("networkidle")  # lazy thumbnails too
        page.screenshot(path=SHOTS / f"gallery-{name}-before-consent.png", full_page=name == "320px")
        page.click(f"#v{A} button[value=once]")
        page.wait_for_selector("iframe.player")
        page.frame_locator("iframe.player").locator("body").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SHOTS / f"gallery-{name}-after-consent.png", full_page=name == "320px")
        page.goto(stack.town + "/cross/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SHOTS / f"town-page-{name}.png")
    for name in ("desktop", "320px"):
        for state in ("before", "after"):
            shot = SHOTS / f"gallery-{name}-{state}-consent.png"
            assert shot.stat().st_size > 10_000, shot
