"""Lists in pages: ``/g/<slug>?page=2``, the first page at the list's own address (visitors' and editors')."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..i18n import gettext_noop as N_
from .render import with_language

PAGE_PARAM = "page"
# 24 cards a page: a phone's first screen shows one or two of them, so the rest cost only their
# HTML until scrolled to (pictures load lazily), and 24 cards with their transcripts stay well
# within the page weight goal (bench/run.py: HTML + CSS + JS ≤ 20 kB gzipped, measured with 24
# long transcripts in tests/public/test_paging.py). 24 also fills every row of the one-, two- and
# three-column layouts.
CARDS_PER_PAGE = 24
# A page number as links write it: no sign, no leading zero, no more digits than any gallery needs.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
# The pager names the first and last page and this many on each side of the current one.
AROUND = 2
NO_SUCH_PAGE = N_("Diese Seite der Liste gibt es nicht.")


def requested_page(request: Request) -> int | None:
    """The page a request asks for: 1 without ``?page=``, None for ``?page=1`` (whose address is
    the gallery's own); anything but a page number is a page that does not exist (404)."""
    if not request.scope.get("query_string"):
        return 1
    raw = request.query_params.get(PAGE_PARAM)
    if raw is None:
        return 1
    if not PAGE_NUMBER.fullmatch(raw):
        raise HTTPException(404, NO_SUCH_PAGE)
    number = int(raw)
    return None if number == 1 else number


def without_page(request: Request) -> str:
    """The request's own address without ``?page=``: where ``?page=1`` is sent."""
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != PAGE_PARAM]
    return request.url.path + (f"?{urlencode(rest)}" if rest else "")


def page_count(total: int, per_page: int = CARDS_PER_PAGE) -> int:
    """How many pages ``total`` items fill (an empty list still has its first page)."""
    return max(1, -(-total // per_page))


def offset_of(page: int, per_page: int = CARDS_PER_PAGE) -> int:
    return (page - 1) * per_page


def page_of(index: int, per_page: int = CARDS_PER_PAGE) -> int:
    """The page holding the item at ``index`` (from 0)."""
    return index // per_page + 1


def page_path(path: str, page: int) -> str:
    """The address of page ``page`` of the list at ``path`` (which may have a query): the first
    has no ``?page=``."""
    if page == 1:
        return path
    parts = urlsplit(path)
    query = f"{parts.query}&{PAGE_PARAM}={page}" if parts.query else f"{PAGE_PARAM}={page}"
    return urlunsplit(("", "", parts.path, query, parts.fragment))


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int | None  # None: a gap in the row of numbers
    href: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pager:
    """What the pager shows: previous, next, and the page numbers around the current one."""

    page: int
    pages: int
    previous: str | None
    following: str | None
    numbers: tuple[PageLink, ...]


def pager(path: str, page: int, pages: int, lang_query: str = "") -> Pager:
    """Links (keeping the visitor's language) from page ``page`` of ``pages`` of the list at ``path``."""

    def href(n: int) -> str:
        return with_language(page_path(path, n), lang_query)

    shown = sorted({1, pages, *range(max(1, page - AROUND), min(pages, page + AROUND) + 1)})
    numbers: list[PageLink] = []
    for n in shown:
        if numbers and numbers[-1].number is not None and n - numbers[-1].number > 1:
            numbers.append(PageLink(None, ""))
        numbers.append(PageLink(n, href(n), n == page))
    return Pager(
        page=page,
        pages=pages,
        previous=href(page - 1) if page > 1 else None,
        following=href(page + 1) if page < pages else None,
        numbers=tuple(numbers),
    )
