"""Delivering a rendered page: headers, gzip, who may frame it, and what every page shows."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..i18n import translations
from ..public.visit import Visit, union_ancestors, valid_ancestors
from ..services import Services
from ..storage import queries
from .assets import accepts_gzip
from .headers import FRAME_ANCESTORS_KEY, HEADERS_DONE_KEY, SecurityHeaders
from .render import Page, with_language


class PageResponse(Response):
    """A response whose headers are complete lists already: no per-request header parsing."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.raw_headers = headers
        self.background = None


PAGE_HEADERS = {
    False: [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"cache-control", b"private, no-store"),
        (b"vary", b"accept-encoding, cookie"),
    ],
}
PAGE_HEADERS[True] = [*PAGE_HEADERS[False], (b"content-encoding", b"gzip")]


def html_response(
    request: Request, page: Page, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> Response:
    """Send a rendered page, gzipped when the browser accepts it; never cached by anyone."""
    scope = request.scope
    security: SecurityHeaders = request.app.state.services.security
    gzip_ok = accepts_gzip(scope)
    body = page.gzipped if gzip_ok else page.body
    key = (gzip_ok, security.https(scope))
    headers = page.headers.get(key) if not extra_headers else None
    if headers is None:
        if page.frame_ancestors:
            scope[FRAME_ANCESTORS_KEY] = page.frame_ancestors
        headers = [
            *PAGE_HEADERS[gzip_ok],
            (b"content-length", str(len(body)).encode()),
            *security.for_document(scope),
            *(extra_headers or ()),
        ]
        if not extra_headers:
            page.headers[key] = headers
    else:
        scope[HEADERS_DONE_KEY] = True  # the stored list holds every security header already
    return PageResponse(body, page.status, headers)


def all_ancestors(services: Services) -> tuple[str, ...]:
    """Who may embed pages that belong to no gallery (privacy, accessibility, errors).

    Every gallery links to them from inside its iframe, so every embedding site must be able
    to show them; they hold nothing gallery-specific.
    """

    def compute() -> tuple[str, ...]:
        with services.db.connect() as conn:
            lists = [valid_ancestors(g.frame_ancestors) for g in queries.galleries(conn)]
        return union_ancestors([services.settings.frame_ancestors, *lists])

    result: tuple[str, ...] = services.pages.value("all_ancestors", compute)
    return result


def page_context(
    services: Services, visit: Visit, lang: str, path: str, ancestors: tuple[str, ...]
) -> dict[str, Any]:
    """What base.html needs on every page."""
    lang_query = visit.lang_query(lang)
    return {
        "remembered": visit.remembered,
        "note": visit.note,
        "current_path": path,
        "lang_query": lang_query,
        "here": with_language(path, lang_query),
        "notice_short": services.notice.short_for(lang),
        "site_title": translations(lang).gettext("Videostatements"),
        # Read by gallery.js: the only origins it will tell its height to (postMessage).
        "embed_origins": " ".join(ancestors),
    }
