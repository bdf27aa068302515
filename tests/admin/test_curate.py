"""Curating through the real app, as an editor clicks through it: add with preview, publish,
reorder, refresh from Vimeo, posters, delete. Each test checks what visitors then see."""

from __future__ import annotations

import io
import re
import sqlite3
import struct
import zlib

import pytest
from PIL import Image

from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.vimeo.standin import FakeVideo, StandIn
from tests.admin_helpers import (
    AdminActions,
    field_error,
    respellings,
    snapshot,
    statement_id,
    stored_images,
    stored_pictures,
)
from tests.htmlparse import Element, parse
from tests.sqlfile import PlainSQLite

SAMPLES = [video for video, _ in sample_videos()]


def statement_poster(settings: Settings, sid: int) -> str:
    db = Storage.from_settings(settings)
    try:
        poster = next(s.poster for s in db.statements() if s.id == sid)
    finally:
        db.close()
    assert poster is not None
    return poster
FIRST, SECOND = SAMPLES[0], SAMPLES[1]
UNLISTED = next(v for v in SAMPLES if v.unlisted_hash)
RESTRICTED = next(v for v in SAMPLES if v.restricted)
CARD_RE = re.compile(r'<li class="card".*?</li>', re.S)


def new_gallery(editor: AdminActions, slug: str = "probe") -> None:
    form = {"slug": slug, "title": f"Galerie {slug}", "intro": "", "lang": "de", "frame_ancestors": ""}
    assert editor.post("/admin/galleries/new", form).status_code == 303


def preview(editor: AdminActions, link: str, slug: str = "probe") -> tuple[int, Element]:
    r = editor.post(f"/admin/g/{slug}/add", {"step": "preview", "link": link})
    return r.status_code, parse(r.text)


def blob(doc: Element) -> str:
    found = doc.find("input", name="preview")
    assert found is not None, "the texts step carries the signed preview"
    return found.attrs["value"]


def texts(**values: str) -> dict[str, str]:
    base = {
        "title_override": "",
        "speaker_name": "",
        "speaker_role": "",
        "quote": "",
        "transcript": "",
        "alt_text": "",
        "caption_lang": "de",
    }
    return {**base, **values}


def hints(doc: Element) -> str:
    found = doc.find("ul", class_="hints")
    return found.text if found else ""


def public_titles(editor: AdminActions, path: str = "/") -> list[str]:
    return [el.text for el in parse(editor.client.get(path).text).with_class("card-title")]


# --- adding ------------------------------------------------------------------------------


def test_the_preview_is_the_visitors_card_exactly(editor: AdminActions) -> None:
    new_gallery(editor)
    status, doc = preview(editor, f"https://vimeo.com/{SECOND.vimeo_id}")
    assert status == 200
    assert "Vorschau laden" not in doc.text
    filled = texts(
        speaker_name="Beispielperson B",
        speaker_role="Trainer",
        quote="Ein Satz.",
        transcript="Wort für Wort.",
    )
    updated = editor.post(
        "/admin/g/probe/add", {"step": "update", "link": "x", "preview": blob(doc), **filled}
    )
    assert updated.status_code == 200
    preview_card = CARD_RE.search(updated.text)
    saved = editor.post(
        "/admin/g/probe/add", {"step": "publish", "link": "x", "preview": blob(doc), **filled}
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/admin/g/probe?done=added#s")
    public = editor.client.get("/g/probe")
    public_card = CARD_RE.search(public.text)
    assert preview_card and public_card
    # The same markup, only what acts on a click taken out (see the next test).
    assert without_actions(preview_card.group(0)) == without_actions(public_card.group(0))
    assert "Beispielperson B" in public_card.group(0) and "Wort für Wort." in public_card.group(0)


ACTING_ATTRIBUTE_RE = re.compile(
    r'\s(?:href|target|method|action|type|name|value|disabled)(?:="[^"]*")?(?=[\s>/])'
)


def without_actions(card: str) -> str:
    """A card's markup without forms' fields, links' targets and buttons' types: how it looks."""
    card = re.sub(r'<input type="hidden"[^>]*>\s*', "", card)
    card = re.sub(r"<(/?)form\b", r"<\1div", card)
    return re.sub(r">\s+<", "><", ACTING_ATTRIBUTE_RE.sub("", card))


@pytest.mark.parametrize("page", ["add", "edit"])
def test_the_preview_card_leads_nowhere(editor: AdminActions, curated_settings: Settings, page: str) -> None:
    if page == "add":
        new_gallery(editor)
        status, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
        assert status == 200
    else:
        sid = statement_id(curated_settings, FIRST.vimeo_id)
        doc = editor.page(f"/admin/s/{sid}")
    section = doc.find("section", class_="preview")
    card = section.find("li", class_="card")
    assert card is not None and card.find("img") is not None  # it is there, with its picture
    assert "Video von Vimeo laden" in card.text and FIRST.title in card.text
    # Nothing in it posts, navigates or submits: no form, no link with a target, no live button.
    assert card.find_all("form") == [] and card.find_all("input") == []
    assert [a.attrs for a in card.find_all("a") if "href" in a.attrs] == []
    buttons = card.find_all("button")
    assert len(buttons) == 2
    for button in buttons:
        assert button.attrs.get("type") == "button" and "disabled" in button.attrs, button.attrs
        assert not {"formaction", "formmethod", "name"} & set(button.attrs)
    # The editor's own form beside it still works as before.
    assert any(form.attrs.get("method") == "post" for form in doc.find_all("form"))


def test_add_as_draft_then_publish(editor: AdminActions, curated_settings: Settings) -> None:
    new_gallery(editor)
    _, doc = preview(editor, f"vimeo.com/{FIRST.vimeo_id}?share=copy")
    r = editor.post(
        "/admin/g/probe/add",
        {"step": "draft", "link": "x", "preview": blob(doc), **texts(speaker_name="Anna")},
    )
    assert r.status_code == 303 and "done=added-draft" in r.headers["location"]
    listing = editor.page(r.headers["location"])
    assert "Entwurf" in listing.find("ol", class_="admin-list").text
    assert "als Entwurf gespeichert" in listing.find("p", class_="notice-box").text
    assert public_titles(editor, "/g/probe") == []
    sid = statement_id(curated_settings, FIRST.vimeo_id, "probe")
    assert editor.post(f"/admin/s/{sid}/publish", {"published": "1"}).status_code == 303
    assert public_titles(editor, "/g/probe") == [FIRST.title]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://example.com/123456", "keine Adresse von vimeo.com"),
        ("https://vimeo.com/channels/staffpicks", "Sammlung"),
        ("", "Bitte einen Vimeo-Link"),
        ("https://vimeo.com/123456789", "Nicht gefunden"),
        ("https://vimeo.com/913", "Freigabe-Hash"),
        (f"https://vimeo.com/{FIRST.vimeo_id}", "schon in der Galerie"),
    ],
)
def test_a_link_that_cannot_be_added_says_why_at_the_field(
    editor: AdminActions, curated_settings: Settings, standin: StandIn, link: str, expected: str
) -> None:
    standin.add(FakeVideo(vimeo_id=913, title="Nicht gelistet", unlisted_hash="0123456789"))
    before = snapshot(curated_settings)
    r = editor.post("/admin/g/videos/add", {"step": "preview", "link": link})
    assert r.status_code == 400
    doc = parse(r.text)
    assert expected in field_error(doc, "link")
    assert doc.find("div", class_="error-summary").find("a").attrs["href"] == "#f-link"
    assert doc.by_id("f-link").attrs["value"] == link, "what the editor pasted stays in the field"
    assert snapshot(curated_settings) == before


def test_embedding_disabled_is_explained(editor: AdminActions, standin: StandIn) -> None:
    standin.add(FakeVideo(vimeo_id=911, title="Gesperrt", embeddable=False))
    r = editor.post("/admin/g/videos/add", {"step": "preview", "link": "https://vimeo.com/911"})
    assert r.status_code == 400
    assert "Einbetten ist deaktiviert" in field_error(parse(r.text), "link")


def test_warnings_an_editor_can_act_on(editor: AdminActions, standin: StandIn) -> None:
    new_gallery(editor)
    _, restricted = preview(editor, f"https://vimeo.com/{RESTRICTED.vimeo_id}")
    text = hints(restricted)
    assert "Eingeschränkt" in text and "https://gallery.test" in text
    assert "Kein Vorschaubild" in text
    assert "GALLERY_VIMEO_REFERER" not in text, "editors get words, not setting names"
    _, unlisted = preview(editor, f"https://vimeo.com/{UNLISTED.vimeo_id}/{UNLISTED.unlisted_hash}")
    assert "Nicht gelistetes Video" in hints(unlisted)
    standin.add(FakeVideo(vimeo_id=912, title="Ein sehr langer Titel " * 6))
    _, long_title = preview(editor, "912")
    assert f"sehr lang ({len(('Ein sehr langer Titel ' * 6).strip())} Zeichen)" in hints(long_title)
    assert "Noch keine Abschrift" in hints(long_title)
    reminder = long_title.by_id("f-caption_lang-hint")
    assert reminder is not None and "Jedes Video braucht Untertitel" in reminder.text
    no_captions = editor.post(
        "/admin/g/probe/add",
        {"step": "update", "link": "x", "preview": blob(long_title), **texts(caption_lang="")},
    )
    assert "Keine Untertitelsprache" in hints(parse(no_captions.text))


@pytest.mark.parametrize("damage", ["", "kaputt", "flip"])
def test_a_forged_or_expired_preview_saves_nothing(
    editor: AdminActions, curated_settings: Settings, damage: str
) -> None:
    new_gallery(editor)
    _, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
    value = blob(doc)
    forged = {"": "", "kaputt": "kaputt", "flip": value[:-3] + ("abc" if value[-3:] != "abc" else "xyz")}[
        damage
    ]
    before = snapshot(curated_settings)
    r = editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": forged, **texts()})
    assert r.status_code == 400
    assert "Vorschau ist abgelaufen" in field_error(parse(r.text), "link")
    assert snapshot(curated_settings) == before


def test_a_preview_is_accepted_only_as_issued(editor: AdminActions, curated_settings: Settings) -> None:
    # Signed like every cookie: the same signature spelt differently is not ours either.
    new_gallery(editor)
    _, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
    value = blob(doc)
    before = snapshot(curated_settings)
    for other in respellings(value):
        r = editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": other, **texts()})
        assert r.status_code == 400, other[-3:]
        assert "Vorschau ist abgelaufen" in field_error(parse(r.text), "link")
    assert snapshot(curated_settings) == before
    r = editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": value, **texts()})
    assert r.status_code == 303


def test_adding_asks_vimeo_once(editor: AdminActions, standin: StandIn) -> None:
    new_gallery(editor)
    standin.requests.clear()
    _, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
    editor.post("/admin/g/probe/add", {"step": "update", "link": "x", "preview": blob(doc), **texts()})
    editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": blob(doc), **texts()})
    assert [r.url.path for r in standin.requests if "oembed" in r.url.path] == ["/api/oembed.json"]


# --- publishing and order ----------------------------------------------------------------


def test_unpublish_and_publish(editor: AdminActions, curated_settings: Settings) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    r = editor.post(f"/admin/s/{sid}/publish", {"published": "0"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/g/videos?done=unpublished#s{sid}"
    assert FIRST.title not in public_titles(editor)
    assert editor.client.get(f"/g/videos/v/{FIRST.vimeo_id}").status_code == 404
    r = editor.post(f"/admin/s/{sid}/publish", {"published": "1", "back": "statement"})
    assert r.headers["location"] == f"/admin/s/{sid}?done=published"
    assert public_titles(editor)[0] == FIRST.title


def test_reorder_with_buttons(editor: AdminActions, curated_settings: Settings) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before = public_titles(editor)
    assert editor.post(f"/admin/s/{sid}/move", {"direction": "down"}).status_code == 303
    after = public_titles(editor)
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]
    r = editor.post(f"/admin/s/{sid}/move", {"direction": "up"})
    assert public_titles(editor) == before
    r = editor.post(f"/admin/s/{sid}/move", {"direction": "up"})
    assert "done=not-moved" in r.headers["location"]
    page = editor.page("/admin/g/videos")
    first_row = page.find("li", class_="admin-item")
    up = first_row.find("button", value="up")
    assert up is not None and "disabled" in up.attrs
    assert "Nach oben" in up.text and FIRST.title in up.text, "the button's name says which statement"


# --- editing -----------------------------------------------------------------------------


def test_edit_texts_title_and_captions_reach_visitors(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    form = editor.page(f"/admin/s/{sid}")
    assert f"nach {curated_settings.session_idle_minutes} Minuten" in form.text, (
        "the editor is warned in time"
    )
    revision = form.find("input", name="revision").attrs["value"]
    values = texts(
        title_override="Eigener Titel der Redaktion",
        speaker_name="Neuer Name",
        speaker_role="Neue Rolle",
        quote="Neues Zitat.",
        transcript="Erster Absatz.\n\nZweiter Absatz.",
        alt_text="Ein Herz",
        caption_lang="tr",
    )
    r = editor.post(f"/admin/s/{sid}", {"revision": revision, **values})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/s/{sid}?done=saved"
    card = parse(editor.client.get("/").text).with_class("card")[0]
    assert card.find("h2").text == "Eigener Titel der Redaktion"
    assert "Neuer Name" in card.text and "Neue Rolle" in card.text and "Neues Zitat." in card.text
    assert card.find("img").attrs["alt"] == "Ein Herz"
    player = editor.client.post(
        "/consent",
        data={"scope": "once", "video": str(FIRST.vimeo_id), "gallery": "videos", "next": "/"},
        headers={"sec-fetch-site": "same-origin"},
    )
    src = parse(player.text).find("iframe").attrs["src"]
    assert "texttrack=tr" in src and "dnt=1" in src
    again = editor.post(f"/admin/s/{sid}", {"revision": str(int(revision) + 1), **values})
    assert "done=unchanged" in again.headers["location"]


def test_too_long_or_invalid_values_are_refused_at_their_fields(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before = snapshot(curated_settings)
    r = editor.post(
        f"/admin/s/{sid}", {"revision": "1", **texts(speaker_name="x" * 201, caption_lang="klingonisch!")}
    )
    assert r.status_code == 400
    doc = parse(r.text)
    assert "höchstens 200 Zeichen" in field_error(doc, "speaker_name")
    assert "Sprache aus der Liste" in field_error(doc, "caption_lang")
    assert doc.by_id("f-speaker_name").attrs["value"] == "x" * 201, "the input is kept for correcting"
    assert snapshot(curated_settings) == before


# --- refresh -----------------------------------------------------------------------------


def test_refresh_shows_what_changed(
    editor: AdminActions, curated_settings: Settings, standin: StandIn
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    standin.videos[FIRST.vimeo_id].title = "Neuer Titel bei Vimeo"
    standin.videos[FIRST.vimeo_id].duration = 95
    r = editor.post(f"/admin/s/{sid}/refresh")
    assert r.status_code == 200
    doc = parse(r.text)
    rows = {
        row.find("th").text: [td.text for td in row.find_all("td")]
        for row in doc.find("tbody").find_all("tr")
    }
    assert rows["Titel"] == [FIRST.title, "Neuer Titel bei Vimeo"]
    assert rows["Dauer"] == ["1:24", "1:35"]
    assert public_titles(editor)[0] == "Neuer Titel bei Vimeo"
    unchanged = parse(editor.post(f"/admin/s/{sid}/refresh").text)
    assert "Nichts hat sich geändert" in unchanged.find(None, role="status").text


# --- posters -----------------------------------------------------------------------------


def jpeg_with_metadata(size: tuple[int, int] = (2400, 1350)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 60))
    exif = Image.Exif()
    exif[0x010F] = "GeheimeKamera"  # Make
    exif[0x013B] = "Fotografin Mustermann"  # Artist
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"interner Kommentar")
    return out.getvalue()


def huge_png_header(width: int, height: int) -> bytes:
    """A tiny file that claims gigapixels: only the header, which is all a bomb needs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_poster_upload_is_reencoded_without_metadata(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, RESTRICTED.vimeo_id)
    r = editor.post(
        f"/admin/s/{sid}/poster", files={"poster": ("urlaub.jpg", jpeg_with_metadata(), "image/jpeg")}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/admin/s/{sid}?done=poster"
    card = next(
        c
        for c in parse(editor.client.get("/").text).with_class("card")
        if str(RESTRICTED.vimeo_id) in c.attrs["id"]
    )
    shown = card.find("img").attrs["src"]  # its 640 px copy; the poster itself is below
    poster = statement_poster(curated_settings, sid)
    for src in (shown, f"/thumbs/{poster}"):
        assert src.startswith("/thumbs/") and src.endswith(".jpg")
        served = editor.client.get(src)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert b"GeheimeKamera" not in served.content and b"Mustermann" not in served.content
        assert b"interner Kommentar" not in served.content
        with Image.open(io.BytesIO(served.content)) as image:
            assert image.format == "JPEG" and max(image.size) == (640 if src == shown else 1920)
            assert not image.getexif()
    hints_now = hints(editor.page(f"/admin/s/{sid}"))
    assert "Kein Vorschaubild" not in hints_now


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notiz.txt", b"kein Bild, nur Text", "kein lesbares Bild"),
        ("leer.jpg", b"", "Bilddatei"),
        ("klein.png", None, "zu klein"),
        ("bombe.png", huge_png_header(60_000, 60_000), "zu viele Pixel"),
        ("riese.png", huge_png_header(9_000, 5_000), "zu viele Pixel"),
        ("kaputt.jpg", jpeg_with_metadata()[:600], "kein lesbares Bild"),
        (
            "svg.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "kein lesbares Bild",
        ),
    ],
)
def test_bad_uploads_are_refused_at_the_field(
    editor: AdminActions, curated_settings: Settings, name: str, data: bytes | None, expected: str
) -> None:
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (100, 100)).save(out, "PNG")
        data = out.getvalue()
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before, files_before = snapshot(curated_settings), stored_images(curated_settings)
    r = editor.post(f"/admin/s/{sid}/poster", files={"poster": (name, data, "image/png")})
    assert r.status_code == 400
    assert expected in field_error(parse(r.text), "poster")
    assert snapshot(curated_settings) == before
    assert stored_images(curated_settings) == files_before


def test_a_poster_name_with_a_newline_after_it_is_no_poster(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, RESTRICTED.vimeo_id)
    before = stored_pictures(curated_settings)
    editor.post(f"/admin/s/{sid}/poster", files={"poster": ("p.jpg", jpeg_with_metadata(), "image/jpeg")})
    (poster,) = stored_pictures(curated_settings) - before
    assert editor.client.get(f"/thumbs/{poster}").headers["content-type"] == "image/jpeg"
    r = editor.client.get(f"/thumbs/{poster}%0A")
    assert r.status_code == 404 and "Dieses Vorschaubild gibt es nicht." in r.text


def test_replacing_or_removing_a_poster_deletes_the_old_file(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    before, pictures = stored_images(curated_settings), stored_pictures(curated_settings)
    editor.post(f"/admin/s/{sid}/poster", files={"poster": ("a.jpg", jpeg_with_metadata(), "image/jpeg")})
    (first,) = stored_pictures(curated_settings) - pictures
    editor.post(
        f"/admin/s/{sid}/poster", files={"poster": ("b.jpg", jpeg_with_metadata((1600, 900)), "image/jpeg")}
    )
    (second,) = stored_pictures(curated_settings) - pictures
    assert first != second
    r = editor.post(f"/admin/s/{sid}/poster", {"remove": "1"})
    assert r.headers["location"] == f"/admin/s/{sid}?done=poster-removed"
    assert stored_images(curated_settings) == before
    assert editor.client.get(f"/thumbs/{second}").headers["cache-control"] == "no-store", "the placeholder"


# --- deleting ----------------------------------------------------------------------------


def database_bytes(settings: Settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.data_dir.glob("gallery.sqlite3*"))


# SQLite: it searches the file's bytes for the deleted texts (PostgresEngine.erase says why not there).
@pytest.mark.engines("sqlite")
@pytest.mark.parametrize("storage_engine", [PlainSQLite], ids=["plain SQLite"])  # not Debian's default
def test_delete_asks_first_then_removes_texts_and_images_everywhere(
    editor: AdminActions, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, SECOND.vimeo_id)
    revision = int(editor.page(f"/admin/s/{sid}").find("input", name="revision").attrs["value"])
    for n, transcript in enumerate(["Zurückgezogen-Fassung-EINS", "Zurückgezogen-Fassung-ZWEI"]):
        values = texts(
            speaker_name="Widerrufende Person", transcript=transcript * 200, quote="Widerrufenes Zitat"
        )
        assert editor.post(f"/admin/s/{sid}", {"revision": str(revision + n), **values}).status_code == 303
    editor.post(f"/admin/s/{sid}/poster", files={"poster": ("p.jpg", jpeg_with_metadata(), "image/jpeg")})
    conn = sqlite3.connect(curated_settings.database_path)
    poster, thumbnail = conn.execute(
        "SELECT s.poster, v.thumbnail FROM statements s JOIN videos v USING (vimeo_id) WHERE s.id = ?", (sid,)
    ).fetchone()
    conn.close()
    images = curated_settings.thumbnail_dir
    assert (images / poster).exists() and (images / thumbnail).exists()

    confirm = editor.page(f"/admin/s/{sid}/delete")
    assert confirm.find("form", action=f"/admin/s/{sid}/delete").find("button").text == "Endgültig löschen"
    assert editor.client.get("/admin/").status_code == 200 and (images / poster).exists(), (
        "asking deletes nothing"
    )
    r = editor.post(f"/admin/s/{sid}/delete", {"confirm": "1"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/g/videos?done=deleted"

    assert editor.client.get(f"/g/videos/v/{SECOND.vimeo_id}").status_code == 404
    assert SECOND.title not in public_titles(editor)
    assert editor.client.get(f"/admin/s/{sid}").status_code == 404
    assert not (images / poster).exists() and not (images / thumbnail).exists()
    raw = database_bytes(curated_settings)
    for text in (
        "Zurückgezogen-Fassung-EINS",
        "Zurückgezogen-Fassung-ZWEI",
        "Widerrufende Person",
        "Widerrufenes Zitat",
    ):
        assert text.encode() not in raw, text
    audit = parse(editor.client.get("/admin/audit").text).find("tbody").text
    assert "hat ein Statement gelöscht" in audit and str(SECOND.vimeo_id) in audit


def test_delete_everywhere_when_the_video_is_in_two_galleries(
    editor: AdminActions, curated_settings: Settings
) -> None:
    new_gallery(editor)
    _, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
    editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": blob(doc), **texts()})
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    confirm = editor.page(f"/admin/s/{sid}/delete")
    assert "Galerie probe" in confirm.by_id("f-everywhere-hint").text
    editor.post(f"/admin/s/{sid}/delete", {"confirm": "1", "everywhere": "1"})
    assert public_titles(editor, "/g/probe") == []
    assert FIRST.title not in public_titles(editor)


def test_thumbnail_shared_with_another_gallery_stays(
    editor: AdminActions, curated_settings: Settings
) -> None:
    new_gallery(editor)
    _, doc = preview(editor, f"https://vimeo.com/{FIRST.vimeo_id}")
    editor.post("/admin/g/probe/add", {"step": "publish", "link": "x", "preview": blob(doc), **texts()})
    shared = stored_images(curated_settings)
    sid = statement_id(curated_settings, FIRST.vimeo_id, "probe")
    editor.post(f"/admin/s/{sid}/delete", {"confirm": "1"})
    assert stored_images(curated_settings) == shared
    assert public_titles(editor)[0] == FIRST.title
