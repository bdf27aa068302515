"""The editors' area in a real browser: axe-core (WCAG 2.2 AA) and reflow at 320 px on every admin
page and state an editor meets, in German and English, walked through as an editor would."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Page, Response

from gallery.app import create_app
from gallery.cli.demo.run import seed
from gallery.cli.demo.standin_note import demo_settings
from gallery.settings import Secret, Settings
from tests.admin_helpers import PASSWORD, create_editor
from tests.browser.actions import axe, no_horizontal_scroll
from tests.browser.conftest import SAMPLES, Server, Stack, Tab, free_socket

RESTRICTED = next(v for v in SAMPLES if v.restricted)  # the preview with the most warnings


@pytest.fixture(scope="module")
def admin_site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gallery of its own (these tests add galleries and statements), with editor "anna"."""
    base = Settings(
        data_dir=tmp_path_factory.mktemp("gallery-admin"),
        secret_keys=(Secret("browser-test-key-admin-0123456789"),),
    )
    settings = replace(demo_settings(base, stack.standin), frame_ancestors=("'self'",)).checked()
    # In a thread of its own: Playwright may already run an event loop in this one.
    seeding = threading.Thread(target=lambda: asyncio.run(seed(settings)))
    seeding.start()
    seeding.join()
    create_editor(settings)
    sock = free_socket()
    server = Server(create_app(settings), sock).start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


class Checker:
    """Runs axe (and, on a narrow screen, the reflow check) on each page state, by name."""

    def __init__(self, lang: str, narrow: bool) -> None:
        self.lang = lang
        self.narrow = narrow
        self.violations: dict[str, list[object]] = {}
        self.scrolling: dict[str, tuple[int, int]] = {}

    def __call__(self, name: str, page: Page) -> None:
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == self.lang, name
        assert name not in self.violations, f"two states named {name!r}"
        self.violations[name] = axe(page)  # type: ignore[assignment]
        if self.narrow:
            width, viewport = no_horizontal_scroll(page)
            if width > viewport:
                self.scrolling[name] = (width, viewport)


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_admin_pages_have_no_violations_and_reflow(
    admin_site: str, open_tab: Callable[..., Tab], lang: str, width: int
) -> None:
    tab = open_tab(width=width, height=900 if width > 320 else 640)
    page = tab.page
    broken: list[tuple[str, int]] = []  # stylesheets, scripts, images that failed
    refused: list[int] = []  # pages answered with an error status: only the ones provoked below

    def record(response: Response) -> None:
        if response.status >= 400:
            if response.request.resource_type == "document":
                refused.append(response.status)
            else:
                broken.append((response.url, response.status))

    tab.context.on("response", record)
    check = Checker(lang, narrow=width == 320)
    site = admin_site
    slug = f"axe-{lang}-{width}"

    # Signing in: the form, then a wrong password, then the right one.
    page.goto(f"{site}/admin/login" + ("?lang=en" if lang == "en" else ""))
    check("sign-in", page)
    page.fill("#f-username", f"niemand-{slug}")  # an unknown name: anna's account is not slowed down
    page.fill("#f-password", "ein-falsches-passwort")
    submit(page, "main form button[type=submit]")
    assert page.locator("#login-error").is_visible()
    check("sign-in, wrong password", page)
    page.fill("#f-username", "anna")
    page.fill("#f-password", PASSWORD)
    submit(page, "main form button[type=submit]")
    assert page.url == f"{site}/admin/"
    check("overview", page)

    page.goto(f"{site}/admin/g/videos")
    check("gallery", page)
    page.goto(f"{site}/admin/g/videos/settings")
    assert page.locator(".logo-preview img").is_visible()  # the demo town's logo
    check("gallery settings", page)
    page.fill("#f-accent", "#e07b00")  # too light: refused with the measured contrast
    submit(page, "main form.stack button[type=submit]")
    assert page.locator("#f-accent-error").is_visible()
    check("gallery settings, colour refused", page)

    # A new gallery: refused first (no title, a bad short address), then created.
    page.goto(f"{site}/admin/galleries/new")
    check("new gallery", page)
    page.fill("#f-slug", "Nicht Erlaubt!")
    submit(page, "main form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    check("new gallery, with errors", page)
    page.fill("#f-title", f"Barrierefrei {lang} {width}")
    page.fill("#f-slug", slug)
    submit(page, "main form button[type=submit]")
    check("gallery, just created and empty", page)

    # Adding a statement: empty, a refused link, the preview, a text too long, then published.
    page.goto(f"{site}/admin/g/{slug}/add")
    check("add statement", page)
    page.fill("#f-link", "https://example.org/kein-vimeo")
    submit(page, "main form button[type=submit]")
    assert page.locator("#f-link-error").is_visible()
    check("add statement, link refused", page)
    page.fill("#f-link", str(RESTRICTED.vimeo_id))
    submit(page, "main form button[type=submit]")
    assert page.locator(".cards-preview .card").is_visible()
    assert page.locator(".hints li").count() >= 2
    check("add statement, preview with warnings", page)
    page.fill("#f-speaker_name", "x" * 500)
    submit(page, "button[value=update]")
    assert page.locator("#f-speaker_name-error").is_visible()
    check("add statement, text too long", page)
    page.fill("#f-speaker_name", "Per Browser")
    page.fill("#f-title_override", "Barrierefrei geprüft")
    submit(page, "button[value=publish]")
    check("gallery, statement added", page)
    found = re.search(r"#s(\d+)$", page.url)
    assert found, page.url
    edit = f"{site}/admin/s/{found.group(1)}"

    # Editing: the page, saved, refused image, refreshed from Vimeo, and two editors at once.
    page.goto(edit)
    check("statement", page)
    other = tab.context.new_page()  # a second tab that loaded the same version
    other.goto(edit)
    page.fill("#f-quote", "Ein Zitat aus dem ersten Tab.")
    submit(page, "form:has(input[name=revision]) button[type=submit]")
    check("statement, saved", page)
    other.fill("#f-quote", "Ein anderes Zitat aus dem zweiten Tab.")
    submit(other, "form:has(input[name=revision]) button[type=submit]")
    assert other.locator("section.conflict").is_visible()
    check("statement, conflict", other)
    other.close()
    page.set_input_files(
        "#f-poster", files=[{"name": "kein-bild.txt", "mimeType": "text/plain", "buffer": b"x"}]
    )
    submit(page, "form[enctype='multipart/form-data'] button[type=submit]")
    assert page.locator("#f-poster-error").is_visible()
    check("statement, image refused", page)
    submit(page, "form[action$='/refresh'] button[type=submit]")
    check("statement, refreshed from Vimeo", page)

    page.goto(f"{edit}/delete")
    check("delete confirmation", page)
    submit(page, "form[action$='/delete'] button[type=submit]")
    assert page.url.endswith("?done=deleted")
    check("gallery, statement deleted", page)

    page.goto(f"{site}/admin/audit")
    check("audit trail", page)
    page.goto(f"{site}/admin/town")
    check("town's details", page)
    page.fill("#f-imprint_url", "keine-adresse")
    submit(page, "main form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    check("town's details, refused", page)
    page.goto(f"{site}/admin/s/999999999")
    check("not found", page)

    assert len(check.violations) >= 20
    assert {name: v for name, v in check.violations.items() if v} == {}
    assert check.scrolling == {}, "scrolls sideways at 320 px"
    assert refused == [400, 400, 400, 400, 400, 409, 400, 400, 404]
    assert broken == [], "every stylesheet, script and image loads"
    assert [e for e in tab.errors if not e.startswith("Failed to load resource")] == []
