"""What a visitor does and sees, in browser terms: focus, keys, the status message, players."""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

from playwright.sync_api import Frame, Page

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
_AXE_SOURCE: str | None = None

Where = Page | Frame


def focused(where: Where) -> dict[str, str]:
    """The element that has focus: its tag, id, and accessible-ish text."""
    return where.evaluate(  # type: ignore[no-any-return]
        """() => { const el = document.activeElement || document.body;
        return { tag: el.tagName, id: el.id || '', text: (el.innerText || el.title || '').trim() }; }"""
    )


def assert_focus_not_on_body(where: Where, timeout: float = 5.0) -> dict[str, str]:
    """After an action focus must land on something (autofocus runs at the next frame, so wait).

    A form post navigates (POST, 303, GET): while the new document loads, the old one's
    context is destroyed, so asking then fails; ask again until the deadline.
    """
    deadline = time.monotonic() + timeout
    now: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            now = focused(where)
        except Exception:  # the page is between two documents
            now = {}
        else:
            if now["tag"] not in {"BODY", "HTML"}:
                return now
        time.sleep(0.05)
    raise AssertionError(f"focus was lost to <body>: {now}")


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab (only Tab) until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def status_text(where: Where) -> str:
    return where.evaluate("() => document.getElementById('live').textContent")  # type: ignore[no-any-return]


def wait_for_status(where: Where, fragment: str) -> None:
    where.wait_for_function(
        "f => document.getElementById('live').textContent.includes(f)", arg=fragment, timeout=5000
    )


def players(where: Where) -> list[dict[str, str]]:
    return where.evaluate(  # type: ignore[no-any-return]
        """() => [...document.querySelectorAll('iframe')].map(f => ({
            src: f.src, title: f.title, slot: (f.closest('[data-slot]') || {}).id || '' }))"""
    )


def no_horizontal_scroll(where: Where) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the page: equal when nothing scrolls sideways."""
    sizes: list[int] = where.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return sizes[0], sizes[1]


def axe(where: Where) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A+AA violations (the script is evaluated, so CSP is untouched)."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = (resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")
    where.evaluate(_AXE_SOURCE)
    result: dict[str, Any] = where.evaluate(
        """tags => axe.run(document,
            { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })""",
        AXE_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
