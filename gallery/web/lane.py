"""The page lane: pages that are the same for every visitor who made the same choice, from memory.

The first request for such a page goes through the whole app; its answer (status, every header,
body) is recorded, and the same request is answered with those bytes from then on, before
routing and the rest of the page machinery. The recording is dropped whenever the page cache
drops its pages (any data change, in any process), so the two roads can never answer
differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import LANG_PARAM, LANGUAGES
from .assets import etag_matches
from .cache import PageCache
from .paging import PAGE_NUMBER as PAGE_NUMBER_TEXT
from .paging import PAGE_PARAM
from .responses import PAGED_LIST_KEY, SHARED_PAGE_KEY, not_modified

# The only query strings a recorded page may have: the language switch and a list's page number
# (each at most once, in either order). Anything else goes the whole way (and cannot fill the
# memory with one recording per made-up query); a page number is kept only where the view says
# it numbers a list's pages (elsewhere it would be one more recording of the same page).
LANGUAGE_VALUES = frozenset(lang.encode() for lang in LANGUAGES)
PAGE_NUMBER = re.compile(PAGE_NUMBER_TEXT.pattern.encode())
LANG_NAME, PAGE_NAME = LANG_PARAM.encode(), PAGE_PARAM.encode()
SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class SharedAnswer:
    """A recorded 200 answer and the 304 that stands for it."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    not_modified: list[tuple[bytes, bytes]]

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]], body: bytes) -> SharedAnswer | None:
        """The answer to keep, or None if it may not be repeated to others."""
        etag = None
        for name, value in headers:
            if name.lower() == b"set-cookie":
                return None  # never repeat a cookie meant for one visitor
            if name == b"etag":
                etag = value
        if etag is None:
            return None
        return cls(headers, body, etag, not_modified(headers))


def lane_query(query: bytes) -> bool:
    """True for ``lang=xx``, ``page=N`` or both (each once, either order): the queries recorded."""
    parts = query.split(b"&")
    if len(parts) > 2:
        return False
    names = set()
    for part in parts:
        name, equals, value = part.partition(b"=")
        if not equals or name in names:
            return False
        names.add(name)
        if name == LANG_NAME:
            if value not in LANGUAGE_VALUES:
                return False
        elif name != PAGE_NAME or not PAGE_NUMBER.fullmatch(value):
            return False
    return True


class PageLane:
    """Answers a recorded page to a request that asks for exactly the same thing.

    Only GET and HEAD, never below ``excluded`` (the editors' area), and only without a query
    string or with ``?lang=`` and a list's ``?page=``. The recording is keyed by everything the
    answer depends on: path, query, the Host header as sent (absolute links name it), the scheme
    (HSTS), whether the browser takes gzip, and whether ``consented`` finds a valid consent
    record, checked exactly as the pages check it (a forged or expired one is no consent, on both
    roads).
    """

    def __init__(
        self,
        app: ASGIApp,
        pages: PageCache,
        *,
        cookie: bytes,
        consented: Callable[[Scope], bool],
        excluded: tuple[str, ...],
    ) -> None:
        self.app = app
        self.pages = pages
        self.cookie = cookie
        self.consented = consented
        self.excluded = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        key, condition = self.key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        answer, generation = self.pages.answer(key)
        if answer is None:
            await self.record(scope, receive, send, key, generation)
            return
        self.pages.answered += 1
        if etag_matches(condition, answer.etag):
            await send({"type": "http.response.start", "status": 304, "headers": answer.not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer.body})

    def key(self, scope: Scope) -> tuple[Hashable | None, bytes | None]:
        """What the answer depends on, and the If-None-Match header; (None, None) for the whole way."""
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if path.startswith(self.excluded) or (query and not lane_query(query)):
            return None, None
        host = condition = None
        gzip: bool | None = None
        cookie = False
        for name, value in scope["headers"]:
            if name == b"host":
                if host is None:  # the first one, as the host gate reads it
                    host = value
            elif name == b"accept-encoding":
                if gzip is None:  # the first one decides, as for every other answer
                    gzip = b"gzip" in value
            elif name == b"cookie":
                cookie = cookie or self.cookie in value
            elif name == b"if-none-match" and condition is None:
                condition = bytes(value)
        consent = cookie and self.consented(scope)
        return (path, query, host, scope.get("scheme"), bool(gzip), consent), condition

    async def record(
        self, scope: Scope, receive: Receive, send: Send, key: Hashable, generation: tuple[int, int]
    ) -> None:
        """The whole way, keeping a GET's 200 answer if the view said it is the same for everyone
        who made the same choice (no personal note in it, no card asked for)."""
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        plain = True

        async def keep(message: Message) -> None:
            nonlocal start, plain
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                plain = False
            await send(message)

        await self.app(scope, receive, keep)
        numbered = PAGE_NAME + b"=" in scope.get("query_string", b"")
        shared = scope.get(SHARED_PAGE_KEY) and (not numbered or scope.get(PAGED_LIST_KEY))
        if plain and start is not None and start["status"] == 200 and shared:
            answer = SharedAnswer.of(list(start.get("headers", ())), b"".join(chunks))
            if answer is not None:
                self.pages.keep_answer(key, answer, generation)
