"""``/sitemap.xml`` and ``/robots.txt``: where search engines learn which pages there are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from anyio import to_thread
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from ..models import Gallery
from ..storage.store import Storage
from ..web.assets import REVALIDATE, refuse_other_methods, send_bytes
from ..web.headers import HEADERS_DONE_KEY
from ..web.paging import page_count, page_path
from ..web.responses import Page
from .findable import Findability, base_url

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services


def sitemap(findability: Findability, storage: Storage, base: str) -> str:
    """Every gallery with something to see (each of its pages), every visible statement, in each language."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    with storage.read() as reads:
        galleries = [(g, reads.statements(g.id, visible_only=True)) for g in reads.galleries()]
    for gallery, shown in galleries:
        if not shown and not gallery.is_default:
            continue
        changed = max([gallery.updated_at, *(s.updated_at for s in shown)])
        # Every page of the gallery: a change anywhere may move the cards on each following page.
        for page in range(1, page_count(len(shown)) + 1):
            path = page_path(findability.gallery_path(gallery), page)
            lines.extend(_entries(findability, base, path, gallery, changed))
        for s in shown:
            lines.extend(_entries(findability, base, findability.statement_path(s), gallery, s.updated_at))
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def _entries(findability: Findability, base: str, path: str, gallery: Gallery, changed: str) -> Iterator[str]:
    """One ``<url>`` per language version, each naming all of them (as search engines ask)."""
    versions = findability.alternates(base, path, gallery)
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang="{code}" href="{xml_escape(url)}"/>' for code, url in versions
    )
    lastmod = f"<lastmod>{xml_escape(changed)}</lastmod>" if changed else ""
    for _, url in versions:
        yield f"<url><loc>{xml_escape(url)}</loc>{lastmod}{links}</url>"


def robots_txt(base: str, sitemap_path: str) -> str:
    """Crawlers may read the visitors' pages, not the editors' area; the sitemap lists what there is."""
    return f"User-agent: *\nAllow: /\nDisallow: /admin\n\nSitemap: {base}{sitemap_path}\n"


class SiteFile:
    """``/sitemap.xml`` or ``/robots.txt``: made once per data change and host, revalidated by ETag."""

    def __init__(self, services: Services, findability: Findability, kind: str) -> None:
        self.s = services
        self.findability = findability
        self.kind = kind
        self.content_type = (
            b"application/xml; charset=utf-8" if kind == "sitemap" else b"text/plain; charset=utf-8"
        )

    def render(self, base: str) -> str:
        if self.kind == "sitemap":
            return sitemap(self.findability, self.s.storage, base)
        return robots_txt(base, self.s.renderer.url("sitemap"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = self.s.security.for_asset(scope)
        scope[HEADERS_DONE_KEY] = True
        if await refuse_other_methods(scope, send, extra):
            return
        base = base_url(Request(scope), self.s)
        key = (self.kind, base)
        page, generation = self.s.pages.get(key)
        if page is None:
            page = Page.of(await to_thread.run_sync(self.render, base))
            self.s.pages.put(key, page, generation)
        await send_bytes(
            scope,
            send,
            page.body,
            content_type=self.content_type,
            etag=f'"{page.etag}"'.encode(),
            cache_control=REVALIDATE,
            gzipped=page.gzipped,
            extra=extra,
        )
