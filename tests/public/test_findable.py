"""What search engines and link previews read, through the real app: the JSON-LD and meta tags of
the gallery and statement pages checked against the stored data, hostile texts kept inside the
JSON, and ``/sitemap.xml`` and ``/robots.txt``."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.models import FetchStatus, Statement, image_size
from gallery.models import Image as StoredImage
from gallery.settings import DEFAULT_PLAYER_URL, Settings
from gallery.storage.store import Storage
from gallery.web.render import iso_duration
from tests.helpers import SAME_ORIGIN, add_gallery, csp
from tests.htmlparse import Element, fetched_urls, json_ld, parse, running_scripts

SAMPLES = [video for video, _ in sample_videos()]
FIRST, RESTRICTED = SAMPLES[0], next(v for v in SAMPLES if v.restricted)
UNLISTED = next(v for v in SAMPLES if v.unlisted_hash)
ORIGIN = "https://gallery.test"
HOSTILE = '</script><script>alert(1)</script><!-- <script>x</script> & \u2028 "quoted" \\ </SCRIPT >'
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
OUR_QUOTES = {"de": ("„", "“"), "en": ("“", "”")}


def storage_of(client: TestClient) -> Storage:
    """The app's own storage: writes through it drop cached pages at once."""
    storage: Storage = client.app.services.storage  # type: ignore[attr-defined]
    return storage


def stored(client: TestClient, vimeo_id: int, slug: str = "videos") -> Statement:
    storage = storage_of(client)
    gallery = storage.gallery_by_slug(slug)
    assert gallery is not None
    with storage.read() as reads:
        found = reads.statement(gallery.id, vimeo_id)
    assert found is not None
    return found


def change(client: TestClient, vimeo_id: int, **fields: object) -> None:
    current = stored(client, vimeo_id)
    with storage_of(client).transaction() as tx:
        tx.update_statement(current, fields, bump=True)


def meta(doc: Element) -> dict[str, str]:
    """``<meta name|property=… content=…>`` as a dict; a name given twice fails."""
    found: dict[str, str] = {}
    for el in doc.find("head").find_all("meta"):
        key = el.attrs.get("property") or el.attrs.get("name")
        if key and "content" in el.attrs:
            assert key not in found, f"{key} twice"
            found[key] = el.attrs["content"]
    return found


def link_rel(doc: Element, rel: str) -> list[Element]:
    return [el for el in doc.find("head").find_all("link") if el.attrs.get("rel") == rel]


def seconds(iso: str) -> int:
    """An ISO 8601 duration read back, independently of how the service writes it."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", iso)
    assert found and iso != "PT", iso
    hours, minutes, secs = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + secs


def expected_description(s: Statement, lang: str) -> str:
    """The quote (in quotation marks unless the editor typed them) and who said it, in one line."""
    quote = " ".join(s.quote.split())
    if not quote.startswith(("„", "“", '"')):
        opening, closing = OUR_QUOTES[lang]
        quote = f"{opening}{quote}{closing}"
    return f"{quote} – {s.speaker_name}, {s.speaker_role}"


# --- a statement ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_statement_page_describes_its_video_as_stored(populated: TestClient, lang: str) -> None:
    query = "" if lang == "de" else "?lang=en"
    for video in SAMPLES:
        s = stored(populated, video.vimeo_id)
        path = f"/g/videos/v/{video.vimeo_id}"
        r = populated.get(path + query)
        assert r.status_code == 200
        doc = parse(r.text)
        [data] = json_ld(doc)
        tags = meta(doc)
        canonical = ORIGIN + path + query
        title = doc.find("h1").text  # what visitors read as the title: Vimeo's, or a neutral one
        assert title == s.title if s.title else title.endswith(f" – {s.speaker_name}"), video
        assert data["@context"] == "https://schema.org" and data["@type"] == "VideoObject"
        assert data["name"] == title == tags["og:title"] == tags["twitter:title"]
        description = expected_description(s, lang)
        assert data["description"] == description == tags["description"]
        assert tags["og:description"] == tags["twitter:description"] == description
        assert data["url"] == canonical == tags["og:url"]
        assert [el.attrs["href"] for el in link_rel(doc, "canonical")] == [canonical]
        assert data["inLanguage"] == s.caption_lang == "de"
        assert data["transcript"] == s.transcript
        if video.restricted:  # Vimeo's truncated answer has no date or length: none is made up
            assert s.video.upload_date is None and "uploadDate" not in data
            assert s.video.duration is None and "duration" not in data
        else:
            assert data["uploadDate"] == s.video.upload_date[:10] == video.upload_date[:10]
            assert seconds(data["duration"]) == s.video.duration == video.duration
        # the player address is data for crawlers: Vimeo's player with dnt=1; an unlisted video's
        # address would hand out the hash that unlocks it, so it is left out
        if video.unlisted_hash:
            assert "embedUrl" not in data and video.unlisted_hash not in json.dumps(data)
        else:
            embed = urlsplit(data["embedUrl"])
            assert (
                f"{embed.scheme}://{embed.netloc}{embed.path}"
                == f"http://127.0.0.1:9/player/video/{s.vimeo_id}"
            )
            params = parse_qs(embed.query)
            assert params["dnt"] == ["1"] and "autoplay" not in params and "h" not in params
        assert tags["og:type"] == "video.other" and not [k for k in tags if k.startswith("og:video")]
        assert tags["og:site_name"] == "Videostatements"
        alternates = {el.attrs["hreflang"]: el.attrs["href"] for el in link_rel(doc, "alternate")}
        assert alternates == {"de": ORIGIN + path, "en": ORIGIN + path + "?lang=en"}


def test_the_shared_picture_is_ours_and_its_size_is_true(populated: TestClient) -> None:
    for video in SAMPLES:
        s = stored(populated, video.vimeo_id)
        doc = parse(populated.get(f"/g/videos/v/{video.vimeo_id}").text)
        [data], tags = json_ld(doc), meta(doc)
        if video.restricted:  # Vimeo sent no picture: the card's placeholder is not shared
            assert s.video.thumbnail is None and "thumbnailUrl" not in data and "og:image" not in tags
            assert tags["twitter:card"] == "summary"
            continue
        # The widest JPEG copy of the thumbnail: every link preview reads JPEG.
        copies = storage_of(populated).variants([s.video.thumbnail]).get(s.video.thumbnail, ())
        widest = max((v for v in copies if v.format == "jpg"), key=lambda v: v.width)
        image_url = f"{ORIGIN}/thumbs/{widest.name}"
        assert data["thumbnailUrl"] == [image_url]
        assert tags["og:image"] == tags["twitter:image"] == image_url
        assert tags["twitter:card"] == "summary_large_image"
        r = populated.get(image_url)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(r.content)) as picture:
            assert (int(tags["og:image:width"]), int(tags["og:image:height"])) == picture.size
        assert tags["og:image:alt"] == tags["twitter:image:alt"] == s.alt_text


def test_a_poster_is_shared_instead_of_vimeos_picture(populated: TestClient) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (800, 450), (200, 30, 30)).save(picture, "JPEG")
    name = storage_poster(populated, picture.getvalue())
    change(populated, FIRST.vimeo_id, poster=name, alt_text="")
    doc = parse(populated.get(f"/g/videos/v/{FIRST.vimeo_id}").text)
    tags, [data] = meta(doc), json_ld(doc)
    assert tags["og:image"] == data["thumbnailUrl"][0] == f"{ORIGIN}/thumbs/{name}"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("800", "450")
    assert tags["og:image:alt"] == f"Standbild aus dem Video {FIRST.title}"
    assert populated.get(tags["og:image"]).content == picture.getvalue()


def storage_poster(client: TestClient, data: bytes) -> str:
    """Stored as an editor's upload is: in the app's thumbnail store, named by its bytes."""
    return str(client.app.services.thumbnails.save(StoredImage(data, "image/jpeg", "jpg")))  # type: ignore[attr-defined]


def test_without_a_stored_picture_no_image_is_named(populated: TestClient) -> None:
    s = stored(populated, FIRST.vimeo_id)
    assert s.poster is None and s.video.thumbnail
    # the picture's files are lost (a broken disk): the cards show the placeholder, an SVG that link
    # previews cannot show, so no picture is named at all
    copies = storage_of(populated).variants([s.video.thumbnail])[s.video.thumbnail]
    for name in [s.video.thumbnail, *(v.name for v in copies)]:
        populated.app.services.thumbnails.discard(name)  # type: ignore[attr-defined]
    change(populated, FIRST.vimeo_id, quote="Neu gerendert.")
    doc = parse(populated.get(f"/g/videos/v/{FIRST.vimeo_id}").text)
    tags, [data] = meta(doc), json_ld(doc)
    assert "thumbnailUrl" not in data and "og:image" not in tags and "twitter:image" not in tags
    assert tags["twitter:card"] == "summary"


def test_descriptions_come_from_the_statements_texts(populated: TestClient) -> None:
    cases = [
        ({"quote": "Wir  sehen\nhin.", "speaker_name": "Ada", "speaker_role": ""}, "„Wir sehen hin.“ – Ada"),
        ({"quote": "Wir sehen hin.", "speaker_name": "", "speaker_role": ""}, "„Wir sehen hin.“"),
        (
            {"quote": "", "speaker_name": "Ada", "speaker_role": "Lehrerin"},
            "Videostatement von Ada, Lehrerin",
        ),
        ({"quote": "", "speaker_name": "", "speaker_role": ""}, "Ein Videostatement aus „Videostatements“"),
    ]
    english = [
        "“Wir sehen hin.” – Ada",
        "“Wir sehen hin.”",
        "Video statement by Ada, Lehrerin",
        "A video statement from “Videostatements”",
    ]
    for (fields, german), in_english in zip(cases, english, strict=True):
        change(populated, FIRST.vimeo_id, **fields)
        for query, want in (("", german), ("?lang=en", in_english)):
            doc = parse(populated.get(f"/g/videos/v/{FIRST.vimeo_id}{query}").text)
            assert meta(doc)["description"] == json_ld(doc)[0]["description"] == want
    # a long quote is cut at a word, and says so
    change(populated, FIRST.vimeo_id, quote="Wort " * 200, speaker_name="Ada")
    doc = parse(populated.get(f"/g/videos/v/{FIRST.vimeo_id}").text)
    description = meta(doc)["description"]
    assert description == json_ld(doc)[0]["description"]
    assert len(description) <= 300 and description.startswith("„Wort Wort") and description.endswith("Wort…")


def test_without_a_transcript_there_is_none_in_the_data(populated: TestClient) -> None:
    change(populated, FIRST.vimeo_id, transcript="")
    [data] = json_ld(parse(populated.get(f"/g/videos/v/{FIRST.vimeo_id}").text))
    assert "transcript" not in data


@pytest.mark.parametrize("field", ["title_override", "transcript", "quote", "speaker_name", "alt_text"])
def test_hostile_texts_stay_inside_the_json(populated: TestClient, field: str) -> None:
    change(populated, FIRST.vimeo_id, **{field: HOSTILE})
    for path in (f"/g/videos/v/{FIRST.vimeo_id}", f"/g/videos/v/{FIRST.vimeo_id}?lang=en"):
        html = populated.get(path).text
        # the block ends where it should: its raw text, up to the first "</script", is the whole JSON
        start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
        raw = html[start : html.lower().index("</script", start)]
        data = json.loads(raw)
        assert "<" not in raw and ">" not in raw and "&" not in raw
        doc = parse(html)
        assert [el.attrs["src"].split("?")[0] for el in running_scripts(doc)] == ["/static/gallery.js"]
        assert len(doc.find_all("script")) == 2  # gallery.js and the one data block
        assert "<!--" not in html.split("</head>")[0]
        if field == "title_override":
            assert data["name"] == HOSTILE == meta(doc)["og:title"]
        elif field == "transcript":
            assert data["transcript"] == HOSTILE
        elif field == "alt_text":
            assert meta(doc)["og:image:alt"] == HOSTILE
        else:  # a description is one line: the line separator in it becomes a space
            one_line = " ".join(HOSTILE.split())
            assert one_line in data["description"] and one_line in meta(doc)["description"]


def test_no_tag_sends_a_browser_to_vimeo(populated_app: Starlette, curated_settings: Settings) -> None:
    """With Vimeo's real player address: it is named once, as data in the JSON-LD, and nowhere else."""
    settings = replace(curated_settings, vimeo_player_url=DEFAULT_PLAYER_URL).checked()
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        for video in SAMPLES:
            html = client.get(f"/g/videos/v/{video.vimeo_id}").text
            doc = parse(html)
            [data] = json_ld(doc)
            if video.unlisted_hash:  # no player address at all (it would carry the hash)
                assert "vimeo.com" not in html
                continue
            assert data["embedUrl"].startswith(f"https://player.vimeo.com/video/{video.vimeo_id}?")
            assert "dnt=1" in data["embedUrl"]
            [block] = doc.find_all("script", type="application/ld+json")
            assert html.count("player.vimeo.com") == 1 and "player.vimeo.com" in "".join(block.text_parts)
            assert "vimeo.com" not in html.replace(data["embedUrl"].replace("&", "\\u0026"), "")
            assert "vimeocdn" not in html
            for tag, attr, value in fetched_urls(doc):
                assert not urlsplit(value).netloc, f"<{tag} {attr}={value}>"
            for el in doc.find("head").find_all("link"):
                assert el.attrs["href"].startswith((ORIGIN + "/", "/static/", "/g/")), el.attrs
            assert doc.find("iframe") is None


# --- a gallery --------------------------------------------------------------------------------


def item_list(client: TestClient, path: str) -> tuple[dict[str, Any], Element]:
    doc = parse(client.get(path).text)
    [data] = json_ld(doc)
    assert data["@context"] == "https://schema.org" and data["@type"] == "ItemList"
    return data, doc


def test_the_gallery_lists_its_statements_in_order(populated: TestClient) -> None:
    for path, query in (("/", ""), ("/?lang=en", "?lang=en"), ("/g/videos", "")):
        data, doc = item_list(populated, path)
        card_links = [h2.find("a").attrs["href"] for h2 in doc.find_all("h2", class_="card-title")]
        urls = [item["url"] for item in data["itemListElement"]]
        assert (
            urls
            == [ORIGIN + link for link in card_links]
            == [f"{ORIGIN}/g/videos/v/{v.vimeo_id}{query}" for v in SAMPLES]
        )
        assert [item["position"] for item in data["itemListElement"]] == list(range(1, len(SAMPLES) + 1))
        assert {item["@type"] for item in data["itemListElement"]} == {"ListItem"}
        assert data["numberOfItems"] == len(SAMPLES)
        # the start page is the default gallery's one address
        tags = meta(doc)
        assert [el.attrs["href"] for el in link_rel(doc, "canonical")] == [ORIGIN + "/" + query]
        assert tags["og:url"] == ORIGIN + "/" + query and tags["og:type"] == "website"
        assert tags["og:title"] == data["name"] == doc.find("h1").text
        first = stored(populated, FIRST.vimeo_id)
        copies = storage_of(populated).variants([first.video.thumbnail])[first.video.thumbnail]
        widest = max((v for v in copies if v.format == "jpg"), key=lambda v: v.width)
        assert tags["og:image"] == f"{ORIGIN}/thumbs/{widest.name}"


def test_gallery_description_is_its_introduction(populated: TestClient, curated_settings: Settings) -> None:
    storage = storage_of(populated)
    with storage.transaction() as tx:
        tx.update_gallery(tx.default_gallery().id, intro="Erster Absatz.\n\nZweiter   Absatz.")
    data, doc = item_list(populated, "/")
    assert meta(doc)["description"] == data["description"] == "Erster Absatz. Zweiter Absatz."
    with storage.transaction() as tx:
        tx.update_gallery(tx.default_gallery().id, intro="")
    # without an introduction: the title, said to be video statements unless it says so itself
    for query in ("", "?lang=en"):
        assert meta(parse(populated.get("/" + query).text))["description"] == "Videostatements"
    add_gallery(curated_settings, "zweite", "Zweite Galerie", vimeo_ids=(FIRST.vimeo_id,))
    for query, want in (
        ("", "Videostatements: Zweite Galerie"),
        ("?lang=en", "Video statements: Zweite Galerie"),
    ):
        data, doc = item_list(populated, "/g/zweite" + query)
        assert meta(doc)["description"] == data["description"] == want


def test_unpublished_and_gone_statements_are_never_listed(populated: TestClient) -> None:
    change(populated, FIRST.vimeo_id, published=False)
    gone = SAMPLES[1]  # Vimeo said the video is gone: visitors no longer see it
    with storage_of(populated).transaction() as tx:
        video = stored(populated, gone.vimeo_id).video
        tx.save_video(replace(video, fetch_status=FetchStatus.NOT_FOUND))
    data, _ = item_list(populated, "/")
    urls = [item["url"] for item in data["itemListElement"]]
    assert urls == [f"{ORIGIN}/g/videos/v/{v.vimeo_id}" for v in SAMPLES[2:]]
    assert data["numberOfItems"] == len(urls) == len(SAMPLES) - 2
    assert [item["position"] for item in data["itemListElement"]] == list(range(1, len(urls) + 1))
    sitemap = populated.get("/sitemap.xml").text
    assert str(FIRST.vimeo_id) not in sitemap and str(gone.vimeo_id) not in sitemap
    assert populated.get(f"/g/videos/v/{FIRST.vimeo_id}").status_code == 404


# --- absolute addresses -------------------------------------------------------------------------


def test_addresses_start_with_the_public_url_whatever_the_host(
    curated_settings: Settings, populated_app: Starlette
) -> None:
    settings = replace(curated_settings, public_url="https://videos.stadt.example").checked()
    with TestClient(create_app(settings), base_url=ORIGIN) as client:  # asked as gallery.test
        doc = parse(client.get(f"/g/videos/v/{FIRST.vimeo_id}").text)
        [data], tags = json_ld(doc), meta(doc)
        canonical = f"https://videos.stadt.example/g/videos/v/{FIRST.vimeo_id}"
        assert data["url"] == tags["og:url"] == canonical
        assert data["thumbnailUrl"][0].startswith("https://videos.stadt.example/thumbs/")
        assert tags["og:image"].startswith("https://videos.stadt.example/thumbs/")
        data, _ = item_list(client, "/")
        assert {urlsplit(item["url"]).netloc for item in data["itemListElement"]} == {"videos.stadt.example"}
        assert "Sitemap: https://videos.stadt.example/sitemap.xml" in client.get("/robots.txt").text
        assert "<loc>https://videos.stadt.example/</loc>" in client.get("/sitemap.xml").text


def test_without_a_public_url_each_accepted_host_gets_its_own_addresses(
    curated_settings: Settings, populated_app: Starlette
) -> None:
    """Like the embed snippet: the origin the host gate accepted, never one cached for another host."""
    settings = replace(curated_settings, allowed_hosts=("gallery.test", "videos.test:8443")).checked()
    app = create_app(settings)
    with TestClient(app, base_url=ORIGIN) as one, TestClient(app, base_url="https://videos.test:8443") as two:
        for path in ("/", f"/g/videos/v/{FIRST.vimeo_id}"):
            assert meta(parse(one.get(path).text))["og:url"].startswith("https://gallery.test/")
            assert meta(parse(two.get(path).text))["og:url"].startswith("https://videos.test:8443/")
        assert "https://gallery.test/" in one.get("/sitemap.xml").text
        assert "https://gallery.test" not in two.get("/sitemap.xml").text
        assert "Sitemap: https://videos.test:8443/sitemap.xml" in two.get("/robots.txt").text
        assert one.get("/", headers={"host": "evil.example"}).status_code == 400


def test_after_once_the_page_with_the_player_keeps_its_tags(populated: TestClient) -> None:
    data = {"scope": "once", "video": str(FIRST.vimeo_id), "gallery": "videos"}
    doc = parse(populated.post("/consent", data=data, headers=SAME_ORIGIN).text)
    assert doc.find("iframe") is not None
    assert json_ld(doc)[0]["url"] == meta(doc)["og:url"] == f"{ORIGIN}/g/videos/v/{FIRST.vimeo_id}"


# --- sitemap.xml and robots.txt -----------------------------------------------------------------


def sitemap_entries(client: TestClient) -> dict[str, tuple[str | None, dict[str, str]]]:
    """loc -> (lastmod, {hreflang: href})"""
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    assert root.tag == f"{SITEMAP}urlset"
    found = {}
    for url in root.findall(f"{SITEMAP}url"):
        loc = url.findtext(f"{SITEMAP}loc")
        assert loc is not None and loc not in found
        links = {el.attrib["hreflang"]: el.attrib["href"] for el in url.findall(f"{XHTML}link")}
        found[loc] = (url.findtext(f"{SITEMAP}lastmod"), links)
    return found


def test_the_sitemap_lists_every_visible_page_in_both_languages(
    populated: TestClient, curated_settings: Settings
) -> None:
    add_gallery(curated_settings, "zweite", "Zweite Galerie", vimeo_ids=(SAMPLES[1].vimeo_id,))
    add_gallery(curated_settings, "leer", "Leere Galerie")
    change(populated, FIRST.vimeo_id, published=False)
    entries = sitemap_entries(populated)
    shown = [v for v in SAMPLES if v is not FIRST]
    pages = ["/", "/g/zweite", f"/g/zweite/v/{SAMPLES[1].vimeo_id}"]
    pages += [f"/g/videos/v/{v.vimeo_id}" for v in shown]
    want = {ORIGIN + p + q for p in pages for q in ("", "?lang=en")}
    assert set(entries) == want  # no unpublished statement, no empty gallery, no admin
    for loc, (lastmod, links) in entries.items():
        base = loc.removesuffix("?lang=en")
        assert links == {"de": base, "en": base + "?lang=en"}, loc
        assert lastmod, loc
    for video in shown:
        s = stored(populated, video.vimeo_id)
        assert entries[f"{ORIGIN}/g/videos/v/{video.vimeo_id}"][0] == s.updated_at
    storage = storage_of(populated)
    gallery = storage.gallery_by_slug("videos")
    assert gallery is not None
    with storage.read() as reads:
        newest = max(
            [gallery.updated_at, *(s.updated_at for s in reads.statements(gallery.id, visible_only=True))]
        )
    assert entries[ORIGIN + "/"][0] == newest


def test_a_statement_edit_moves_its_lastmod(populated: TestClient) -> None:
    before = sitemap_entries(populated)[f"{ORIGIN}/g/videos/v/{FIRST.vimeo_id}"][0]
    with storage_of(populated).transaction() as tx:
        # the stored change date, set as an edit an hour later would set it
        tx.update_statement(stored(populated, FIRST.vimeo_id), {"quote": "Neu."}, bump=True)
    after = stored(populated, FIRST.vimeo_id).updated_at
    assert sitemap_entries(populated)[f"{ORIGIN}/g/videos/v/{FIRST.vimeo_id}"][0] == after >= (before or "")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/sitemap.xml", "application/xml; charset=utf-8"), ("/robots.txt", "text/plain; charset=utf-8")],
)
def test_site_files_have_our_headers_and_revalidate(
    populated: TestClient, path: str, content_type: str
) -> None:
    r = populated.get(path, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"] == content_type
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    policy = csp(r.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert "set-cookie" not in r.headers
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.headers["content-encoding"] == "gzip"
    etag = r.headers["etag"]
    again = populated.get(path, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert populated.head(path).status_code == 200
    refused = populated.post(path, headers=SAME_ORIGIN)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    # an edit makes a new file, with a new tag
    change(populated, SAMPLES[2].vimeo_id, published=False)
    changed = populated.get(path, headers={"if-none-match": etag})
    assert (changed.status_code == 200) == (path == "/sitemap.xml")


def test_robots_lets_crawlers_read_the_pages_but_not_the_editors_area(populated: TestClient) -> None:
    lines = populated.get("/robots.txt").text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Allow: /" in lines and "Disallow: /admin" in lines
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in lines
    assert populated.get("/sitemap.xml").status_code == 200


def test_with_consent_the_site_files_are_the_same(populated: TestClient) -> None:
    before = {p: populated.get(p).content for p in ("/sitemap.xml", "/robots.txt")}
    populated.post("/consent", data={"scope": "always", "next": "/"}, headers=SAME_ORIGIN)
    assert {p: populated.get(p).content for p in before} == before


# --- the pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "iso"),
    [(84, "PT1M24S"), (5, "PT5S"), (60, "PT1M"), (3600, "PT1H"), (3723, "PT1H2M3S"), (7205, "PT2H5S")],
)
def test_durations_in_iso_8601(value: int, iso: str) -> None:
    assert iso_duration(value) == iso
    assert seconds(iso) == value


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {}),
        ("JPEG", {"progressive": True}),
        ("PNG", {}),
        ("GIF", {}),
        ("WEBP", {}),
        ("WEBP", {"lossless": True}),
    ],
)
def test_image_sizes_are_read_from_the_header(fmt: str, options: dict[str, Any]) -> None:
    out = io.BytesIO()
    Image.new("RGB", (321, 123), (10, 120, 200)).save(out, fmt, **options)
    assert image_size(out.getvalue()) == (321, 123)
    assert image_size(out.getvalue()[:6]) is None  # cut off before the size: no guess
    assert image_size(b"<svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/>") is None
