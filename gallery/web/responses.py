"""A rendered page and how it is sent: headers, gzip, who may frame it."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from .assets import accepts_gzip, etag_matches
from .headers import FRAME_ANCESTORS_KEY, HEADERS_DONE_KEY, SecurityHeaders

# Set by a view whose answer is the same for every visitor who made the same choice (see PageLane).
SHARED_PAGE_KEY = "gallery.shared_page"
# Set by a view whose ``?page=`` numbers the pages of a list: only then may the lane record it.
PAGED_LIST_KEY = "gallery.paged_list"


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered HTML page, kept with its gzip form so neither is redone per request.

    ``frame_ancestors`` is who may embed this page (its gallery's list), None for the global one.
    """

    body: bytes
    gzipped: bytes
    status: int = 200
    frame_ancestors: tuple[str, ...] | None = None
    # Response headers by (gzip, https, revalidate, not modified), built on first use: a cached
    # page is sent many times.
    headers: dict[tuple[bool, bool, bool, bool], list[tuple[bytes, bytes]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The ETag header's value (quoted), computed once.
    validator: bytes = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "validator", f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'.encode())

    @classmethod
    def of(cls, html: str, status: int = 200, frame_ancestors: tuple[str, ...] | None = None) -> Page:
        body = html.encode("utf-8")
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), status, frame_ancestors)

    @property
    def etag(self) -> str:
        return self.validator[1:-1].decode()


class PageResponse(Response):
    """A response whose headers are complete lists already: no per-request header parsing."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.raw_headers = headers
        self.background = None


HTML = (b"content-type", b"text/html; charset=utf-8")
VARY = {
    False: [(b"vary", b"accept-encoding, cookie")],
    True: [(b"vary", b"accept-encoding, cookie"), (b"content-encoding", b"gzip")],
}
# Nothing about a visit is kept by anyone else; visitors' pages may stay in the browser's own
# cache but are asked for again each time (a withdrawn consent must show at once).
NO_STORE = (b"cache-control", b"private, no-store")
NO_CACHE = (b"cache-control", b"private, no-cache")
# A 304 describes the page the browser holds: it has no body, so no length or coding of one.
BODY_HEADERS = frozenset({b"content-length", b"content-encoding"})


def not_modified(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers of a 304 answer, from those of the 200 answer it stands for."""
    return [(name, value) for name, value in headers if name not in BODY_HEADERS]


def if_none_match(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return None


def html_response(
    request: Request,
    page: Page,
    security: SecurityHeaders,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
    *,
    revalidate: bool = False,
    shared: bool = False,
) -> Response:
    """Send a rendered page, gzipped when the browser accepts it; never cached by anyone else.

    ``revalidate``: the browser may keep the page if it asks again each time (ETag, 304);
    otherwise ``no-store``. ``shared``: the answer is the same for every visitor in the same
    consent state, so the page lane may keep it and answer the same request from memory.
    """
    scope = request.scope
    if shared:
        scope[SHARED_PAGE_KEY] = True
    gzip_ok = accepts_gzip(scope)
    revalidate = revalidate and page.status == 200
    fresh = revalidate and etag_matches(if_none_match(scope), page.validator)
    key = (gzip_ok, security.https(scope), revalidate, fresh)
    body = page.gzipped if gzip_ok else page.body
    headers = page.headers.get(key) if not extra_headers else None
    if headers is None:
        if page.frame_ancestors:
            scope[FRAME_ANCESTORS_KEY] = page.frame_ancestors
        headers = [
            HTML,
            *((NO_CACHE, (b"etag", page.validator)) if revalidate else (NO_STORE,)),
            *VARY[gzip_ok],
            (b"content-length", str(len(body)).encode()),
            *security.for_document(scope),
            *(extra_headers or ()),
        ]
        if fresh:
            headers = not_modified(headers)
        if not extra_headers:
            page.headers[key] = headers
    else:
        scope[HEADERS_DONE_KEY] = True  # the stored list holds every security header already
    if fresh:
        return PageResponse(b"", 304, headers)
    # HEAD: the headers of GET (its length too), no body.
    return PageResponse(b"" if scope["method"] == "HEAD" else body, page.status, headers)
