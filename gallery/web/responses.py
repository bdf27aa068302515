"""A rendered page and how it is sent: headers, gzip, who may frame it."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from .assets import accepts_gzip
from .headers import FRAME_ANCESTORS_KEY, HEADERS_DONE_KEY, SecurityHeaders


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered HTML page, kept with its gzip form so neither is redone per request.

    ``frame_ancestors`` is who may embed this page (its gallery's list), None for the global one.
    """

    body: bytes
    gzipped: bytes
    status: int = 200
    frame_ancestors: tuple[str, ...] | None = None
    # Response headers by (gzip, https), built on first use: a cached page is sent many times.
    headers: dict[tuple[bool, bool], list[tuple[bytes, bytes]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, html: str, status: int = 200, frame_ancestors: tuple[str, ...] | None = None) -> Page:
        body = html.encode("utf-8")
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), status, frame_ancestors)

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]


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
    request: Request,
    page: Page,
    security: SecurityHeaders,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> Response:
    """Send a rendered page, gzipped when the browser accepts it; never cached by anyone."""
    scope = request.scope
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
