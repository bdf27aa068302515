"""Security headers on every kind of response, and the thumbnail and static routes."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.settings import Settings
from gallery.web.render import Renderer
from tests.admin_helpers import remove_image
from tests.htmlparse import parse
from tests.roads import both_roads

# Every test here runs on both roads a visitor's page can take (tests/roads.py).
pytestmark = both_roads

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def csp_directives(header: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in header.split("; ")
    }


def responses(client: TestClient) -> dict[str, object]:
    page = client.get("/").text
    thumb = re.search(r'src="(/thumbs/[^"]+)"', page)
    assert thumb is not None
    css = re.search(r'href="(/static/gallery\.css\?v=[^"]+)"', page)
    assert css is not None
    return {
        "gallery": client.get("/"),
        "statement": client.get("/g/videos/v/900000001"),
        "privacy": client.get("/privacy"),
        "healthz": client.get("/healthz"),
        "not found": client.get("/nope"),
        "method not allowed": client.get("/consent"),
        "redirect": client.get("/v/900000001", follow_redirects=False),
        "forbidden post": client.post("/consent", data={"scope": "always"}),
        "consent": client.post(
            "/consent",
            data={"scope": "always", "next": "/"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        ),
        "thumbnail": client.get(thumb.group(1)),
        "static": client.get(css.group(1)),
        "thumbnail 404": client.get("/thumbs/..%2f..%2fgallery.sqlite3"),
    }


def test_every_response_carries_the_security_headers(
    populated: TestClient, curated_settings: Settings
) -> None:
    for name, r in responses(populated).items():
        h = r.headers  # type: ignore[attr-defined]
        csp = csp_directives(h["content-security-policy"])
        assert csp["default-src"] == "'none'", name
        assert (
            csp["script-src"] == "'self'"
            and csp["style-src"] == "'self'"
            and csp["img-src"] == "'self'"
        )
        assert csp["form-action"] == "'self'" and csp["base-uri"] == "'none'"
        assert csp["frame-src"] == curated_settings.player_origin
        assert csp["frame-ancestors"] == "'self'"
        assert "unsafe-inline" not in h["content-security-policy"]
        assert "x-frame-options" not in h, name
        assert h["referrer-policy"] == "same-origin"
        assert h["x-content-type-options"] == "nosniff"
        pp = h["permissions-policy"]
        for feature in ("fullscreen", "autoplay", "picture-in-picture", "encrypted-media"):
            assert f'{feature}=(self "{curated_settings.player_origin}")' in pp
        assert "camera=()" in pp
        assert h.get("cross-origin-embedder-policy") is None
        assert h.get("clear-site-data") is None
        assert h["cross-origin-resource-policy"] == "same-origin"
        if h.get("content-type", "").startswith("text/html"):
            # Visitors' pages may stay in the browser if it asks again each time; nothing else may.
            revalidated = name in {"gallery", "statement", "privacy"}
            assert h["cache-control"] == ("private, no-cache" if revalidated else "private, no-store"), name
            assert ("etag" in h) == revalidated, name


def test_frame_ancestors_come_from_settings(settings: Settings) -> None:
    custom = replace(settings, frame_ancestors=("'self'", "https://www.ratzeburg.de")).checked()
    with TestClient(create_app(custom), base_url="https://gallery.test") as client:
        csp = csp_directives(client.get("/").headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'self' https://www.ratzeburg.de"


def test_hsts_only_over_https(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="https://gallery.test") as client:
        assert "strict-transport-security" in client.get("/").headers
    with TestClient(app, base_url="http://gallery.test") as client:
        assert "strict-transport-security" not in client.get("/").headers


class BrokenRenderer(Renderer):
    def render(self, template: str, lang: str, **context: Any) -> str:
        raise RuntimeError("boom")


def test_server_errors_get_a_page_with_headers_too(settings: Settings) -> None:
    app = create_app(settings, renderer=BrokenRenderer)  # the error page uses the renderer as well
    with TestClient(app, base_url="https://gallery.test", raise_server_exceptions=False) as client:
        r = client.get("/privacy")
    assert r.status_code == 500
    assert "content-security-policy" in r.headers
    assert "boom" not in r.text and "Traceback" not in r.text


# --- thumbnails and static files ---------------------------------------------------------


def test_thumbnails_are_ours_immutable_and_revalidate(populated: TestClient) -> None:
    doc = parse(populated.get("/").text)
    srcs = [
        img.attrs["src"] for img in doc.find_all("img") if img.attrs["src"].startswith("/thumbs/")
    ]
    assert len(srcs) == 5  # the restricted sample has none: it shows the placeholder
    for src in srcs:
        r = populated.get(src)
        assert r.status_code == 200
        assert r.headers["content-type"] in {"image/jpeg", "image/webp", "image/png"}
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        etag = r.headers["etag"]
        again = populated.get(src, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        head = populated.head(src)
        assert head.status_code == 200 and head.content == b""
    placeholder = [
        img.attrs["src"]
        for img in doc.find_all("img")
        if img.attrs["src"].startswith("/static/placeholder.svg")
    ]
    assert len(placeholder) == 1
    assert populated.get(placeholder[0]).headers["content-type"] == "image/svg+xml"


def test_a_missing_thumbnail_file_gets_the_placeholder(
    populated: TestClient, curated_settings: Settings
) -> None:
    doc = parse(populated.get("/").text)
    src = next(
        img.attrs["src"] for img in doc.find_all("img") if img.attrs["src"].startswith("/thumbs/")
    )
    name = src.rsplit("/", 1)[1]
    assert populated.get(src).headers["content-type"].startswith("image/")  # now held in memory
    # Deleted behind the server's back (another process, e.g. a withdrawal from the CLI): the
    # copy in memory is not served on once it is older than a second.
    remove_image(curated_settings, name)
    time.sleep(1.1)
    r = populated.get(src)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["cache-control"] == "no-store"


def test_a_thumbnail_name_with_a_newline_after_it_is_no_thumbnail(populated: TestClient) -> None:
    doc = parse(populated.get("/").text)
    src = next(
        img.attrs["src"] for img in doc.find_all("img") if img.attrs["src"].startswith("/thumbs/")
    )
    assert populated.get(src).status_code == 200  # the name itself is served
    r = populated.get(src + "%0A")
    assert r.status_code == 404 and "Dieses Vorschaubild gibt es nicht." in r.text
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "path",
    [
        "/thumbs/../gallery.sqlite3",
        "/thumbs/..%2fgallery.sqlite3",
        "/thumbs/secret_key",
        "/thumbs/0123.jpg",
        "/static/../gallery/app.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e/README.md",
        "/static/nope.css",
        "/thumbs/%2e%2e%2fgallery.sqlite3",
        "/thumbs/..%5csecret_key",
        "/thumbs/0123456789abcdef0123456789abcdef.jpg/../../secret_key",
        "/thumbs/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/%252e%252e/README.md",
        "/static//etc/passwd",
        "/static/gallery.css/../../pyproject.toml",
        "/static/..%5c..%5cpyproject.toml",
    ],
)
def test_no_path_traversal(populated: TestClient, path: str) -> None:
    r = populated.get(path)
    assert r.status_code == 404
    assert b"SQLite" not in r.content and b"import" not in r.content


def test_static_files_are_versioned_and_compressed(populated: TestClient) -> None:
    href = parse(populated.get("/").text).find("link", rel="stylesheet").attrs["href"]
    r = populated.get(href, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    unversioned = populated.get(href.split("?")[0])
    assert unversioned.headers["cache-control"] == "public, max-age=300"
