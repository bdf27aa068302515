"""Embedding: /embed.js, who may frame which gallery, the snippet page, the demo's host page."""

from __future__ import annotations

import gzip
import re
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import hypothesis
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import DEMO_TITLE, sample_videos
from gallery.cli.demo.town import host_page_app
from gallery.models import Gallery
from gallery.settings import Settings
from gallery.web.paths import STATIC_DIR
from gallery.web.snippet import EMBED_ALLOW, embed_snippet
from tests.admin_helpers import AdminActions
from tests.helpers import add_gallery, csp
from tests.htmlparse import parse
from tests.roads import both_roads

# Every test here runs on both roads a visitor's page can take (tests/roads.py).
pytestmark = both_roads

VIDEOS = [video.vimeo_id for video, _ in sample_videos()]
TOWN_A = "https://www.stadt-a.de"
TOWN_B = "https://videos.kreis-b.de:8443"
EMBED_JS_LIMIT = 2000  # bytes gzipped (issue: ≤ 2 kB)
GALLERY_ASSETS_LIMIT = 6000  # gallery.js + gallery.css, gzipped


def gz(name: str) -> int:
    return len(gzip.compress((STATIC_DIR / name).read_bytes(), 9, mtime=0))


def test_script_budgets() -> None:
    assert gz("embed.js") <= EMBED_JS_LIMIT
    assert gz("gallery.js") + gz("gallery.css") <= GALLERY_ASSETS_LIMIT


def test_embed_js_is_served_for_other_sites(client: TestClient) -> None:
    r = client.get("/embed.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"].startswith("public, max-age=")
    assert r.text == (STATIC_DIR / "embed.js").read_text()
    again = client.get("/embed.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    assert client.head("/embed.js").status_code == 200
    assert client.post("/embed.js").status_code == 405
    assert client.get("/embed.jsx").status_code == 404
    # only this file is meant for other sites: everything else stays same-origin
    assert client.get("/").headers["cross-origin-resource-policy"] == "same-origin"
    static = client.get("/static/embed.js")
    assert static.headers["cross-origin-resource-policy"] == "same-origin"


def test_no_script_posts_to_any_origin() -> None:
    for name in ("embed.js", "gallery.js"):
        source = (STATIC_DIR / name).read_text()
        assert "postMessage" in source
        assert '"*"' not in source and "'*'" not in source, name


def frame_ancestors(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code in {200, 404}, path
    return csp(r.headers["content-security-policy"])["frame-ancestors"]


@pytest.fixture
def two_towns(curated_settings: Settings, populated_app) -> TestClient:  # type: ignore[no-untyped-def]
    """The default gallery (global list) and a gallery that only town A may embed."""
    add_gallery(curated_settings, "kreis", "Kreisgalerie", frame_ancestors=(TOWN_A,), vimeo_ids=(VIDEOS[0],))
    return TestClient(populated_app, base_url="https://gallery.test")


def test_frame_ancestors_per_gallery(two_towns: TestClient) -> None:
    with two_towns as client:
        assert frame_ancestors(client, "/") == "'self'"
        assert frame_ancestors(client, f"/g/videos/v/{VIDEOS[0]}") == "'self'"
        assert frame_ancestors(client, "/g/kreis") == TOWN_A
        assert frame_ancestors(client, f"/g/kreis/v/{VIDEOS[0]}") == TOWN_A
        # the player page after "load this video" belongs to its gallery too
        r = client.post(
            "/consent",
            data={"scope": "once", "video": str(VIDEOS[0]), "gallery": "kreis"},
            headers={"sec-fetch-site": "same-origin"},
        )
        assert csp(r.headers["content-security-policy"])["frame-ancestors"] == TOWN_A
        # pages every gallery links to from inside its frame may be shown by every embedding site
        for path in ("/privacy", "/accessibility", "/nope"):
            assert frame_ancestors(client, path).split() == ["'self'", TOWN_A], path
        # the page script learns the same list: it posts its height only to these origins
        doc = parse(client.get("/g/kreis").text)
        assert doc.find("html").attrs["data-embed"] == TOWN_A
        assert parse(client.get("/").text).find("html").attrs["data-embed"] == "'self'"


def test_global_setting_applies_to_galleries_without_their_own(
    curated_settings: Settings, populated_app
) -> None:  # type: ignore[no-untyped-def]
    settings = replace(curated_settings, frame_ancestors=("'self'", TOWN_B)).checked()
    add_gallery(settings, "kreis", "Kreisgalerie", frame_ancestors=(TOWN_A,), vimeo_ids=(VIDEOS[0],))
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        assert frame_ancestors(client, "/") == f"'self' {TOWN_B}"
        assert frame_ancestors(client, "/g/kreis") == TOWN_A
        assert frame_ancestors(client, "/privacy") == f"'self' {TOWN_B} {TOWN_A}"


@pytest.mark.parametrize(
    "stored",
    [
        ("https://evil.example; script-src *",),
        ("*",),
        ("https://*.stadt.de",),
        ("javascript:alert(1)",),
        ("https://stadt.de/path",),
        # malformed hosts and ports: urllib's and ipaddress's own errors must not become a 500
        ("https://[abc]",),
        ("https://[1.2.3.4]", "http://[::1", "https://stadt.de:99999"),
    ],
)
def test_stored_lists_never_inject_into_the_header(
    curated_settings: Settings, populated_app, stored: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    add_gallery(curated_settings, "kreis", "Kreisgalerie", frame_ancestors=stored, vimeo_ids=(VIDEOS[0],))
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        r = client.get("/g/kreis")
        header = r.headers["content-security-policy"]
        assert csp(header)["frame-ancestors"] == "'self'"  # nothing valid: the global list
        assert "evil" not in header and "*" not in header
        assert parse(r.text).find("html").attrs["data-embed"] == "'self'"


def test_snippet_page_shows_the_code_for_one_gallery(two_towns: TestClient) -> None:
    with two_towns as client:
        r = client.get("/g/kreis/embed")
        assert r.status_code == 200
        doc = parse(r.text)
        code = doc.find("pre").text
        assert '<iframe data-gallery-embed src="https://gallery.test/g/kreis"' in code
        assert 'title="Videostatements: Kreisgalerie"' in code
        assert 'allow="fullscreen; autoplay; picture-in-picture; encrypted-media"' in code
        assert '<script src="https://gallery.test/embed.js" async></script>' in code
        assert "sandbox" not in code and "credentialless" not in code
        assert TOWN_A in doc.find("main").text
        assert csp(r.headers["content-security-policy"])["frame-ancestors"] == TOWN_A
        # the default gallery has only 'self': the page says so instead of listing nothing
        default = parse(client.get("/g/videos/embed?lang=en").text)
        assert "No other website may embed this gallery yet" in default.text
        assert client.get("/g/nope/embed").status_code == 404


def test_snippet_uses_the_public_url_behind_a_proxy(curated_settings: Settings, populated_app) -> None:  # type: ignore[no-untyped-def]
    # The proxy reaches the service under an internal name: the snippet still names the public URL.
    settings = replace(
        curated_settings, public_url="https://videos.stadt.de", allowed_hosts=("127.0.0.1:8000",)
    ).checked()
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        code = parse(client.get("/g/videos/embed").text).find("pre").text
        assert 'src="https://videos.stadt.de/g/videos"' in code
        assert "https://videos.stadt.de/embed.js" in code


def test_demo_host_page_embeds_the_gallery_from_another_origin() -> None:
    app = host_page_app("http://127.0.0.1:8000/", DEMO_TITLE, "http://localhost:8001")
    with TestClient(app, base_url="http://localhost:8001") as client:
        r = client.get("/")
    assert r.status_code == 200
    doc = parse(r.text)
    frame = doc.find("iframe")
    assert frame.attrs["src"] == "http://127.0.0.1:8000/"
    assert "data-gallery-embed" in frame.attrs
    assert DEMO_TITLE in frame.attrs["title"]
    assert frame.attrs["allow"] == "fullscreen; autoplay; picture-in-picture; encrypted-media"
    assert "sandbox" not in frame.attrs and "credentialless" not in frame.attrs
    scripts = doc.find_all("script")
    assert [s.attrs["src"] for s in scripts] == ["http://127.0.0.1:8000/embed.js"]
    policy = csp(r.headers["content-security-policy"])
    assert policy["frame-src"] == "http://127.0.0.1:8000" and policy["script-src"] == "http://127.0.0.1:8000"


# --- the snippet: one function, escaped, the same everywhere ----------------------------------

EMBEDDING_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"
HOSTILE_TITLES = [
    'Say "hi"',
    "It's ours",
    "<script>alert(1)</script>",
    "Tom & Jerry &amp; &#34;",
    "Erste Zeile\nzweite Zeile\r\ndritte",
    '" onload="alert(1)" x="',
    "'><script src=//evil.example/x.js></script>",
    "\ttab </iframe><iframe src=//evil.example>",
]


class SnippetParts(HTMLParser):
    """Every tag and any text in a snippet, as a browser's parser sees the pasted code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ends: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_snippet(code: str) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The snippet's iframe and script attributes; exactly these two elements and nothing else."""
    parts = SnippetParts()
    parts.feed(code)
    parts.close()
    assert [tag for tag, _ in parts.tags] == ["iframe", "script"], parts.tags
    assert parts.ends == ["iframe", "script"] and not parts.text.strip(), (parts.ends, parts.text)
    return parts.tags[0][1], parts.tags[1][1]


def shown_code(html: str, pattern: str) -> str:
    """The snippet exactly as the page shows it (what an IT person selects and copies)."""
    match = re.search(pattern, html, re.S)
    assert match, pattern
    return unescape(match.group(1))


def public_snippet(client: TestClient, slug: str) -> str:
    r = client.get(f"/g/{slug}/embed")
    assert r.status_code == 200
    return shown_code(r.text, r'<pre class="snippet"[^>]*><code>(.*?)</code></pre>')


def admin_snippet(editor: AdminActions, slug: str) -> str:
    r = editor.client.get(f"/admin/g/{slug}")
    assert r.status_code == 200
    return shown_code(r.text, r'<textarea id="snippet"[^>]*>(.*?)</textarea>')


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_snippet_keeps_any_title_inside_its_attribute_on_both_pages(
    editor: AdminActions, curated_settings: Settings, title: str
) -> None:
    add_gallery(curated_settings, "kreis", title, vimeo_ids=(VIDEOS[0],))
    public = public_snippet(editor.client, "kreis")
    assert admin_snippet(editor, "kreis") == public, "the editors copy the same code as the IT person"
    frame, script = parse_snippet(public)
    assert frame["title"] == f"Videostatements: {title}"
    assert frame["src"] == "https://gallery.test/g/kreis"
    assert "data-gallery-embed" in frame and frame["allow"] == EMBED_ALLOW
    assert script == {"src": "https://gallery.test/embed.js", "async": None}


@hypothesis.settings(max_examples=500)
@given(title=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")))
def test_snippet_parses_back_to_the_same_title_whatever_it_holds(title: str) -> None:
    assume(not title.startswith("Videostatements"))
    gallery = Gallery(id=1, slug="kreis", title=title, intro="", is_default=False)
    frame, script = parse_snippet(embed_snippet("https://videos.stadt.de", "/g/kreis", gallery))
    assert frame["title"] == f"Videostatements: {title}"
    assert frame["src"] == "https://videos.stadt.de/g/kreis"
    assert script["src"] == "https://videos.stadt.de/embed.js"


def test_admin_snippet_sizes_itself_like_the_public_one(editor: AdminActions) -> None:
    frame, script = parse_snippet(admin_snippet(editor, "videos"))
    assert "data-gallery-embed" in frame, "embed.js sizes only frames marked this way"
    assert script["src"] == "https://gallery.test/embed.js"
    assert admin_snippet(editor, "videos") == public_snippet(editor.client, "videos")


def test_snippet_is_in_the_galleries_language_for_everyone(
    editor: AdminActions, curated_settings: Settings
) -> None:
    add_gallery(curated_settings, "english", "Our town", lang="en", vimeo_ids=(VIDEOS[0],))
    editor.client.get("/admin/?lang=en")  # the editor works in English, the visitor in German
    for code in (public_snippet(editor.client, "english"), admin_snippet(editor, "english")):
        assert parse_snippet(code)[0]["title"] == "Video statements: Our town"
    r = editor.client.get("/g/english/embed?lang=de")
    assert shown_code(r.text, r"<code>(.*?)</code>") == admin_snippet(editor, "english")


def test_embedding_guide_shows_the_snippet_the_service_makes(settings: Settings) -> None:
    section = EMBEDDING_GUIDE.read_text(encoding="utf-8").split("\n## The snippet\n", 1)[1]
    example = section.split("```html\n", 1)[1].split("\n```", 1)[0]
    gallery = Gallery(
        id=1, slug="videos", title="Herz einschalten – Rassismus ausschalten", intro="", is_default=True
    )
    app = create_app(settings)
    try:
        path = app.url_path_for("gallery", slug="videos")
    finally:
        app.services.storage.close()
    assert example == embed_snippet("https://videos.ratzeburg.de", str(path), gallery)
