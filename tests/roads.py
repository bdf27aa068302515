"""The two roads a visitor's page can take: the whole app, or the page lane's recording of it.

A test module that puts ``pytestmark = both_roads`` runs every test twice:

* ``whole``: every recording is dropped before each request a test client sends, so the page
  lane finds none and the request goes through the whole app;
* ``lane``: every GET and HEAD a test client sends goes out twice, the first time to let the
  lane record the page, and the test sees the second answer. Where a visitor's page may be
  answered by the lane, the fixture checks that it was, so the test's assertions are about
  the lane's answer and not the app's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from gallery.web.cache import PageCache

ROADS = ("whole", "lane")
# Visitors' pages (gallery, statement, privacy, accessibility) in a language or none.
SHARED_PATH = re.compile(r"/(g/[^/]+(/v/[^/]+)?|privacy|accessibility)?")
SHARED_QUERIES = {"", "lang=de", "lang=en"}


def from_lane(response: httpx.Response) -> bool:
    """True if the page lane answered (only known on the ``lane`` road)."""
    return bool(response.extensions.get("from_lane"))


def lane_expected(response: httpx.Response) -> bool:
    """Whether the lane must answer this request: a visitor's page, read as it is, not personal."""
    url = urlsplit(str(response.request.url))
    return (
        response.request.method in {"GET", "HEAD"}
        and response.status_code in {200, 304}
        and SHARED_PATH.fullmatch(url.path) is not None
        and url.query in SHARED_QUERIES
    )


def _pages(client: TestClient) -> PageCache | None:
    services = getattr(client.app, "services", None)
    return None if services is None else services.pages


def _answered(client: TestClient) -> int | None:
    pages = _pages(client)
    return None if pages is None else pages.answered


def _whole(original: Callable[..., httpx.Response]) -> Callable[..., httpx.Response]:
    def request(self: TestClient, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        pages = _pages(self)
        if pages is not None:
            pages.clear()  # nothing recorded, nothing rendered: the whole way
        before = _answered(self)
        response = original(self, method, url, **kwargs)
        assert _answered(self) == before, f"the page lane answered {method} {url}"
        return response

    return request


def _twice(original: Callable[..., httpx.Response]) -> Callable[..., httpx.Response]:
    def request(self: TestClient, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method.upper() not in {"GET", "HEAD"} or urlsplit(str(url)).path.startswith("/admin"):
            return original(self, method, url, **kwargs)
        # The first time without a condition, so that the lane records the whole answer.
        headers = {k: v for k, v in dict(kwargs.get("headers") or {}).items() if k.lower() != "if-none-match"}
        original(self, "GET", url, **{**kwargs, "headers": headers})
        before = _answered(self)
        response = original(self, method, url, **kwargs)
        after = _answered(self)
        response.extensions = {**response.extensions, "from_lane": after != before}
        if before is not None and lane_expected(response):
            assert from_lane(response), f"the page lane did not answer {method} {url}"
        return response

    return request


# The roads a test runs on, with the engines (tests/conftest.py parametrizes both together): the
# whole road on each engine; the lane on SQLite only, since it answers from memory what the whole
# road answered, whichever engine that road read from.
ROADS_AND_ENGINES = (("sqlite", "whole"), ("postgres", "whole"), ("sqlite", "lane"))


@pytest.fixture
def road(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = str(request.param)
    road = _whole if name == "whole" else _twice
    monkeypatch.setattr(TestClient, "request", road(TestClient.request))
    yield name


both_roads = pytest.mark.usefixtures("road")
