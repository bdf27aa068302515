"""What the eye meets first: the size of a card on a phone, and the statement page's layout."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page

from gallery.cli.demo.samples import DEMO_ACCENT, DEMO_LOGO_ALT
from tests.browser.actions import focused, tab_to, wait_for_status
from tests.browser.conftest import SAMPLES, Stack, Tab

A = SAMPLES[0].vimeo_id
PHONE = {"width": 390, "height": 844}
MAX_CARD_HEIGHT = 650


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?=[\s“”\"«»)]|$)", text))


def test_a_card_with_a_two_sentence_quote_fits_a_phone_screen(
    stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab(**PHONE).page
    page.goto(stack.galleries["same"] + "/")
    card = page.locator(f"#v{A}")
    quote = card.locator(".quote").inner_text()
    assert sentences(quote) == 2, quote
    box = card.bounding_box()
    assert box is not None
    print(f"card height at 390 px before consent: {box['height']:.0f} px")
    assert box["height"] <= MAX_CARD_HEIGHT, f"{box['height']:.0f} px > {MAX_CARD_HEIGHT} px"


BOX = "el => { const r = el.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; }"


def box(page: Page, selector: str) -> dict[str, float]:
    return page.eval_on_selector(selector, BOX)  # type: ignore[no-any-return]


def characters_per_line(page: Page, selector: str) -> float:
    """How many characters of its own text fit on one line of the element, on average."""
    return page.eval_on_selector(  # type: ignore[no-any-return]
        selector,
        """el => { const style = getComputedStyle(el);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const text = el.textContent.replace(/\\s+/g, ' ').trim();
        return el.clientWidth / (ctx.measureText(text).width / text.length); }""",
    )


def test_the_statement_page_reads_like_an_article_on_a_desktop(
    stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab(width=1280, height=900).page
    page.goto(stack.galleries["same"] + f"/g/videos/v/{A}")
    main, title, media = box(page, "main"), box(page, "h1"), box(page, "#player .media")
    quote, transcript = box(page, ".pull-quote"), box(page, ".transcript-text")
    # the title has room: not pressed against the picture
    assert media["y"] - (title["y"] + title["h"]) >= 24
    # player and pull quote side by side, the quote larger than body text
    assert quote["x"] >= media["x"] + media["w"] and quote["y"] < media["y"] + media["h"]
    size = page.eval_on_selector(".pull-quote blockquote", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 1.25 * 16
    # the page uses its width: in the first screen, content reaches the right edge of the main column
    right = max(b["x"] + b["w"] for b in (media, quote, box(page, ".share")))
    assert right >= main["x"] + main["w"] - 0.05 * main["w"], (right, main)
    assert quote["y"] < 900 and media["y"] + media["h"] < 900
    # the transcript is body text of a readable measure
    assert transcript["x"] == media["x"]
    measure = characters_per_line(page, ".transcript-text p:nth-child(2)")
    print(f"transcript: {measure:.0f} characters per line at 1280 px")
    assert 60 <= measure <= 75


def test_copy_link_copies_the_address_and_says_so(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    gallery = stack.galleries["same"]
    page.goto(gallery + f"/g/videos/v/{A}?lang=en")
    link = page.locator("[data-permalink]")
    assert link.inner_text() == f"{gallery}/g/videos/v/{A}?lang=en"  # shown in full once script runs
    tab_to(page, "[data-copy-link]")  # by keyboard
    assert page.locator("[data-copy-link]").inner_text() == "Copy link"
    page.keyboard.press("Enter")
    wait_for_status(page, "copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{gallery}/g/videos/v/{A}?lang=en"
    assert focused(page)["text"] == "Copy link"
    assert tab.errors == []


def test_without_script_the_link_is_there_to_copy(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    page = open_tab(javascript=False).page
    page.goto(stack.galleries["same"] + f"/g/videos/v/{A}")
    assert not page.locator("[data-copy-link]").is_visible(), "a button that cannot work is not shown"
    link = page.locator("[data-permalink]")
    assert link.is_visible() and link.get_attribute("href") == f"/g/videos/v/{A}"


def test_the_demo_town_has_its_own_colour_and_logo(stack: Stack, open_tab: Callable[..., Tab]) -> None:
    """The demo gallery (which every browser test here, axe included, uses) has a non-default look."""
    page = open_tab().page
    for path in ("/", f"/g/videos/v/{A}"):
        page.goto(stack.galleries["same"] + path)
        colour = page.eval_on_selector("button[value=once]", "el => getComputedStyle(el).backgroundColor")
        red, green, blue = (int(DEMO_ACCENT[i : i + 2], 16) for i in (1, 3, 5))
        assert colour == f"rgb({red}, {green}, {blue})", path
        logo = page.locator("header.site-header .brand img")
        assert logo.get_attribute("alt") == DEMO_LOGO_ALT
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0"), "the logo loaded"
        assert logo.bounding_box()["height"] == 48  # type: ignore[index]
