"""A town's own look: an accent colour (refused below 4.5:1, with the measured ratio) and a logo
per gallery, set in the admin area, delivered from our origin, shown on the gallery's pages."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, PngImagePlugin
from starlette.testclient import TestClient

from gallery.content import colours
from gallery.settings import Settings
from gallery.storage.store import Storage
from tests.admin.test_curate import huge_png_header
from tests.admin_helpers import AdminActions, field_error, snapshot, stored_images
from tests.helpers import query, stored
from tests.htmlparse import Element, parse

SETTINGS = "/admin/g/videos/settings"
FORM = {"title": "Videostatements", "intro": "Einleitung", "lang": "de", "frame_ancestors": ""}
GREEN = "#0b6e4f"  # 6.2:1 on white, 5.7:1 on the cards' grey
ORANGE = "#e07b00"  # 3.0:1 on white, 2.7:1 on the cards' grey


def png_logo(size: tuple[int, int] = (300, 80), text: str = "Fotografin Mustermann") -> bytes:
    """A logo with a transparent background and metadata that must not survive."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((11, 110, 79, 255), (10, 10, 70, 70))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def logo_of(settings: Settings) -> str | None:
    """The default gallery's logo, on either engine."""
    db = Storage.from_settings(settings)
    try:
        return db.default_gallery().logo
    finally:
        db.close()


def gallery_row(settings: Settings, slug: str = "videos") -> dict[str, object]:
    """The gallery's look as stored, read past the service's code."""
    [row] = query(settings, "SELECT accent, logo FROM galleries WHERE slug = ?", (slug,))
    return dict(zip(("accent", "logo"), row, strict=True))


def save(editor: AdminActions, **values: str) -> object:
    return editor.post(SETTINGS, {**FORM, **values})


def upload(editor: AdminActions, data: bytes, name: str = "logo.png", kind: str = "image/png") -> object:
    return editor.post("/admin/g/videos/logo", files={"logo": (name, data, kind)})


def style_link(doc: Element) -> str | None:
    for link in doc.find_all("link"):
        if link.attrs.get("rel") == "stylesheet" and "/style.css" in link.attrs.get("href", ""):
            return link.attrs["href"]
    return None


# --- the colour --------------------------------------------------------------------------


def test_contrast_is_measured_as_wcag_defines_it() -> None:
    assert colours.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert colours.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert colours.shown_ratio(4.4999) == 4.4, "a ratio that misses 4.5 is never shown as 4.5"
    assert colours.parse_hex("0B6E4F") == GREEN and colours.parse_hex("#abc") == "#aabbcc"
    assert colours.parse_hex("green") is None and colours.parse_hex("#12345") is None


def test_an_editor_sets_the_colour_and_visitors_get_it_from_our_origin(
    editor: AdminActions, curated_settings: Settings
) -> None:
    form = editor.page(SETTINGS)
    assert form.by_id("f-accent") is not None and form.by_id("f-logo_alt") is not None
    r = save(editor, accent="0B6E4F")
    assert r.status_code == 303
    assert gallery_row(curated_settings)["accent"] == GREEN
    client = editor.client
    for path in ("/", "/g/videos", "/g/videos/v/900000001"):
        href = style_link(parse(client.get(path).text))
        assert href is not None and href.startswith("/g/videos/style.css?v="), path
    r = client.get(href)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert f"--accent: {GREEN};" in r.text and "--accent-dark: #" in r.text
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"  # versioned by content
    assert r.headers["x-content-type-options"] == "nosniff"
    etag = r.headers["etag"]
    again = client.get("/g/videos/style.css", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert client.get("/g/videos/style.css").headers["cache-control"] == "public, max-age=300"
    # pages carry no inline style: the CSP (style-src 'self') stays as it is
    page = client.get("/g/videos")
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert not [el for el in parse(page.text).find_all() if "style" in el.attrs or el.tag == "style"]


def test_a_gallery_without_its_own_colour_links_no_stylesheet(populated: TestClient) -> None:
    assert style_link(parse(populated.get("/").text)) is None
    assert populated.get("/g/videos/style.css").status_code == 404
    assert populated.get("/g/nope/style.css").status_code == 404
    assert populated.post("/g/videos/style.css").status_code == 405


def test_a_new_colour_gives_a_new_address(editor: AdminActions) -> None:
    save(editor, accent=GREEN)
    first = style_link(parse(editor.client.get("/").text))
    save(editor, accent="#1d5e8c")
    second = style_link(parse(editor.client.get("/").text))
    assert first != second and "#1d5e8c" in editor.client.get(second or "").text


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("de", "Kontrast 2,7:1 – mindestens 4,5:1 nötig"),
        ("en", "Contrast 2.7:1 – at least 4.5:1 needed"),
    ],
)
def test_a_colour_with_too_little_contrast_is_refused_with_the_measured_ratio(
    editor: AdminActions, curated_settings: Settings, lang: str, message: str
) -> None:
    save(editor, accent=GREEN)
    if lang == "en":
        editor.client.get("/admin/?lang=en")
    before = snapshot(curated_settings)
    r = save(editor, accent=ORANGE, title="Geänderter Titel")
    assert r.status_code == 400
    doc = parse(r.text)
    assert message in field_error(doc, "accent")
    assert message in doc.find(None, role="alert").text  # in the summary at the top, too
    # the form is kept as the editor filled it in, and nothing is stored
    assert doc.by_id("f-accent").attrs["value"] == ORANGE
    assert doc.by_id("f-title").attrs["value"] == "Geänderter Titel"
    assert snapshot(curated_settings) == before


@pytest.mark.parametrize("value", ["grün", "#12345", "rgb(0,0,0)", "#0b6e4f; color: red", "#ffffff"])
def test_other_bad_colours_are_refused_too(
    editor: AdminActions, curated_settings: Settings, value: str
) -> None:
    before = snapshot(curated_settings)
    r = save(editor, accent=value)
    assert r.status_code == 400 and field_error(parse(r.text), "accent")
    assert snapshot(curated_settings) == before


def test_a_new_gallery_can_have_its_colour_at_once(editor: AdminActions, curated_settings: Settings) -> None:
    form = {**FORM, "slug": "eigen", "title": "Eigen", "accent": GREEN}
    assert editor.post("/admin/galleries/new", form).status_code == 303
    assert gallery_row(curated_settings, "eigen")["accent"] == GREEN
    r = editor.post("/admin/galleries/new", {**form, "slug": "hell", "accent": "#ffff00"})
    assert r.status_code == 400 and "Kontrast 1,0:1" in field_error(parse(r.text), "accent")


# --- the logo ----------------------------------------------------------------------------


def header_logo(doc: Element) -> Element | None:
    header = doc.find("header", class_="site-header")
    assert header is not None
    return header.find("img")


def test_a_logo_is_checked_reencoded_and_shown_in_the_header(
    editor: AdminActions, curated_settings: Settings
) -> None:
    save(editor, logo_alt="Stadt Beispiel")
    r = upload(editor, png_logo())
    assert r.status_code == 303 and "done=logo" in r.headers["location"]
    name = str(logo_of(curated_settings))
    assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
    client = editor.client
    for path in ("/", "/g/videos", "/g/videos/v/900000001"):
        img = header_logo(parse(client.get(path).text))
        assert img is not None and img.attrs["src"] == f"/thumbs/{name}", path
        assert img.attrs["alt"] == "Stadt Beispiel"
    # pages without a gallery keep the service's own header
    assert header_logo(parse(client.get("/privacy").text)) is None
    r = client.get(f"/thumbs/{name}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    with Image.open(io.BytesIO(r.content)) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA", "transparency is kept"
        assert "Author" not in stored.info and b"Mustermann" not in r.content
    # the settings page shows it, with the same text
    preview = editor.page(SETTINGS).find("p", class_="logo-preview").find("img")
    assert preview.attrs["src"] == f"/thumbs/{name}" and preview.attrs["alt"] == "Stadt Beispiel"


def test_without_its_own_text_the_logo_is_named_by_the_gallery_title(editor: AdminActions) -> None:
    upload(editor, png_logo())
    img = header_logo(parse(editor.client.get("/").text))
    assert img is not None and img.attrs["alt"] == "Videostatements"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "logo.svg", "SVG-Dateien werden nicht angenommen"),
        (SVG.replace(b'<?xml version="1.0"?>', b"  "), "logo.png", "SVG-Dateien werden nicht angenommen"),
        (b"kein Bild", "logo.png", "kein lesbares Bild"),
        (png_logo((20, 20)), "logo.png", "zu klein"),
        (huge_png_header(60_000, 60_000), "bombe.png", "zu viele Pixel"),  # Pillow's own limit
        (huge_png_header(9_000, 5_000), "riese.png", "zu viele Pixel"),  # ours
        (b"", "logo.png", "Bitte eine Bilddatei"),
    ],
)
def test_unusable_logos_are_refused_and_nothing_changes(
    editor: AdminActions, curated_settings: Settings, data: bytes, name: str, message: str
) -> None:
    before = snapshot(curated_settings)
    images = stored_images(curated_settings)
    r = upload(editor, data, name, "image/svg+xml" if name.endswith(".svg") else "image/png")
    assert r.status_code == 400
    assert message in field_error(parse(r.text), "logo")
    assert snapshot(curated_settings) == before
    assert stored_images(curated_settings) == images


def test_removing_the_logo_deletes_its_file(editor: AdminActions, curated_settings: Settings) -> None:
    upload(editor, png_logo())
    name = str(logo_of(curated_settings))
    assert name in stored_images(curated_settings)
    r = editor.post("/admin/g/videos/logo", {"remove": "1"})
    assert r.status_code == 303 and "done=logo-removed" in r.headers["location"]
    assert logo_of(curated_settings) is None
    assert name not in stored_images(curated_settings)
    assert header_logo(parse(editor.client.get("/").text)) is None
    audit = sorted(dict(snapshot(curated_settings))["audit_log"])
    actions = [row[3] for row in audit if str(row[3]).startswith("gallery.logo")]
    assert actions == ["gallery.logo", "gallery.logo_remove"]


def test_a_logo_in_use_survives_the_clean_up_of_unused_images(
    editor: AdminActions, curated_settings: Settings
) -> None:

    upload(editor, png_logo())
    name = str(gallery_row(curated_settings)["logo"])
    with stored(curated_settings) as storage, storage.read() as conn:
        assert name in conn.referenced_thumbnails()


def test_only_signed_in_editors_with_the_form_token_change_the_look(
    editor: AdminActions, curated_settings: Settings
) -> None:
    before = snapshot(curated_settings)
    files = {"logo": ("l.png", png_logo(), "image/png")}
    assert editor.post("/admin/g/videos/logo", files=files, token="0" * 64).status_code == 403
    assert editor.post(SETTINGS, {**FORM, "accent": GREEN}, token="0" * 64).status_code == 403
    assert snapshot(curated_settings) == before
    editor.logout()
    before = snapshot(curated_settings)
    r = editor.client.post(
        "/admin/g/videos/logo", files=files, headers={"sec-fetch-site": "same-origin"}, follow_redirects=False
    )
    assert r.status_code in {303, 403} and snapshot(curated_settings) == before
