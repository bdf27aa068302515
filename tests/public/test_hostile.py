"""Hostile input beyond the fuzzers: body limits on every POST route, markup from Vimeo, cookies
of every bad kind end to end, and enormous headers and bodies against a real server."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import replace

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.content.curate import Curator
from gallery.public.consent import COOKIE_NAME, ConsentSigner
from gallery.settings import Secret, Settings
from gallery.vimeo.standin import FakeVideo, StandIn
from gallery.web.checks import BodyLimit
from tests.conftest import TEST_KEY
from tests.htmlparse import json_ld, parse, running_scripts

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}
STATEMENT = "/g/videos/v/900000001"
DAY = 86400


def post_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from post_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and route.methods and "POST" in route.methods:
            yield prefix + route.path, route


def test_every_post_route_has_a_body_limit(populated: TestClient) -> None:
    app: Starlette = populated.app  # type: ignore[assignment]
    routes = dict(post_routes(list(app.routes)))
    assert {"/consent", "/consent/revoke"} <= set(routes)
    for path, route in routes.items():
        assert isinstance(route.app, BodyLimit), f"{path} reads bodies of any size"
        assert route.app.limit <= 12 * 1024 * 1024, path  # the largest: a poster upload


def test_every_post_route_refuses_an_oversized_body_with_a_page_in_the_service_look(
    populated: TestClient,
) -> None:
    app: Starlette = populated.app  # type: ignore[assignment]
    headers = {**SAME_ORIGIN, "content-type": "application/x-www-form-urlencoded"}
    for template, route in post_routes(list(app.routes)):
        assert isinstance(route.app, BodyLimit)
        path = template.replace("{id:int}", "1").replace("{slug}", "videos")
        r = populated.post(path, content=b"x" * (route.app.limit + 1), headers=headers)
        assert r.status_code == 413, path
        assert "set-cookie" not in r.headers, path
        assert "default-src 'none'" in r.headers["content-security-policy"], path
        assert "zu groß" in parse(r.text).find("main").text, path


@pytest.mark.parametrize("path", ["/consent", "/consent/revoke"])
def test_oversized_bodies_are_refused_with_or_without_a_length(populated: TestClient, path: str) -> None:
    body = b"scope=always&next=/&pad=" + b"x" * 200_000
    headers = {**SAME_ORIGIN, "content-type": "application/x-www-form-urlencoded"}
    r = populated.post(path, content=body, headers=headers)
    assert r.status_code == 413 and "set-cookie" not in r.headers
    assert "zu groß" in parse(r.text).find("main").text  # our error page, in German...
    assert "default-src 'none'" in r.headers["content-security-policy"]  # ...with our headers

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse early by
        yield b"scope=always&next=/&pad="
        for _ in range(100):
            yield b"x" * 4096

    r = populated.post(path, content=chunks(), headers=headers)
    assert r.status_code == 413 and "set-cookie" not in r.headers
    assert "zu groß" in parse(r.text).find("main").text


# --- markup from Vimeo ---------------------------------------------------------------------

EVIL_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>"\' &amp;'
EVIL_AUTHOR = "<b>Böse</b> & \"Co\" <iframe src='https://evil.example'>"


def test_markup_in_oembed_text_is_always_escaped(
    curated_settings: Settings,
    standin: StandIn,
    curator_factory: Callable[[], AbstractAsyncContextManager[Curator]],
    vimeo_transport: httpx.AsyncBaseTransport,
) -> None:
    standin.add(FakeVideo(vimeo_id=4242, title=EVIL_TITLE, author_name=EVIL_AUTHOR))

    async def add() -> None:
        async with curator_factory() as curator:
            await curator.add("https://vimeo.com/4242", texts={"speaker_name": EVIL_AUTHOR})

    asyncio.run(add())
    app = create_app(curated_settings, vimeo_transport=vimeo_transport)
    with TestClient(app, base_url="https://gallery.test") as client:
        pages = [client.get("/"), client.get("/g/videos/v/4242")]
        data = {"scope": "once", "video": "4242", "gallery": "videos"}
        pages.append(client.post("/consent", data=data, headers=SAME_ORIGIN))  # with the player
    for r in pages:
        assert r.status_code == 200
        doc = parse(r.text)
        assert "<script>alert" not in r.text and "<b>Böse" not in r.text and "<img src=x" not in r.text
        assert all(s.attrs.get("src", "").startswith("/static/") for s in running_scripts(doc))
        [data] = json_ld(doc)  # where the title is data
        assert data["@type"] == "ItemList" or data["name"] == EVIL_TITLE
        assert not [el for el in doc.find_all() if any(a.startswith("on") for a in el.attrs)]
        assert EVIL_TITLE in doc.text  # shown, as text
    player = parse(pages[2].text).find_all("iframe")
    assert len(player) == 1 and player[0].attrs["title"].endswith(EVIL_TITLE)


# --- cookies, end to end -----------------------------------------------------------------

OLD_KEY, NEW_KEY = "old-key-0123456789abcdef", "new-key-0123456789abcdef"


def consent_cookies(version: str) -> dict[str, str | None]:
    """Every kind of bad consent record, built against a service that signs with NEW_KEY only."""
    new = ConsentSigner((Secret(NEW_KEY),), version, 180 * DAY)
    removed = ConsentSigner((Secret(OLD_KEY),), version, 180 * DAY)
    valid = new.issue()
    return {
        "valid (control)": valid,
        "forged signature": valid[: valid.rindex(".") + 1] + "A" * 43,
        "truncated": valid[: len(valid) - 5],
        "signed with a removed key": removed.issue(),
        "from an older notice": ConsentSigner((Secret(NEW_KEY),), "0" * 12, 180 * DAY).issue(),
        "issued in the far future": new.issue(now=time.time() + 365 * DAY),
        "expired": new.issue(now=time.time() - 181 * DAY),
        "enormous (8 kB)": valid + "x" * 8000,
        "not base64": "%%%%.&&&&.$$$$",
        "empty": "",
    }


@pytest.fixture
def keyed_app(curated_settings: Settings, populated_app: Starlette) -> Starlette:
    """The populated gallery, now signing with NEW_KEY only (OLD_KEY was rotated out)."""
    return create_app(replace(curated_settings, secret_keys=(Secret(NEW_KEY),)))


def test_every_bad_consent_cookie_is_simply_no_consent(keyed_app: Starlette) -> None:
    with TestClient(keyed_app, base_url="https://gallery.test") as client:
        version = keyed_app.services.notice.version
        for name, value in consent_cookies(version).items():
            r = client.get(STATEMENT, headers={"cookie": f"{COOKIE_NAME}={value}"})
            assert r.status_code == 200, name
            assert "set-cookie" not in r.headers, name
            remembered = parse(r.text).find("form", action="/consent/revoke") is not None
            assert remembered == ("<iframe" in r.text) == (name == "valid (control)"), name


def test_an_enormous_cookie_header_is_no_consent(keyed_app: Starlette) -> None:
    junk = "; ".join(f"c{i}={'y' * 90}" for i in range(1100))  # ~100 kB
    with TestClient(keyed_app, base_url="https://gallery.test") as client:
        for header in (f"{junk}; {COOKIE_NAME}=" + "z" * 5000, f"{COOKIE_NAME}=" + "z" * 100_000):
            r = client.get(STATEMENT, headers={"cookie": header})
            assert r.status_code == 200 and "<iframe" not in r.text and "set-cookie" not in r.headers


# --- a real server -----------------------------------------------------------------------


@pytest.fixture
def served(curated_settings: Settings, populated_app: Starlette) -> Iterator[int]:
    """The populated gallery under uvicorn on a loopback port (as `gallery serve` runs it)."""
    app = create_app(replace(curated_settings, secret_keys=(Secret(TEST_KEY),)))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def raw(port: int, request: bytes) -> bytes:
    """Send in pieces, stopping when the server answers early (as it does to refuse a body)."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for start in range(0, len(request), 4096):
            if select.select([conn], [], [], 0)[0]:
                break  # the server has answered already
            try:
                conn.sendall(request[start : start + 4096])
            except OSError:
                break
        try:
            while chunk := conn.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return data


def test_real_server_survives_enormous_headers_and_bodies(served: int) -> None:
    for size in (8_000, 100_000):
        answer = raw(
            served,
            b"GET " + STATEMENT.encode() + b" HTTP/1.1\r\nHost: gallery.test\r\nConnection: close\r\n"
            b"Cookie: " + COOKIE_NAME.encode() + b"=" + b"z" * size + b"\r\n\r\n",
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:80]
        assert b"set-cookie" not in head.lower() and b"<iframe" not in body
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    answer = raw(
        served,
        b"POST /consent HTTP/1.1\r\nHost: gallery.test\r\nConnection: close\r\n"
        b"Sec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 256 + b"0\r\n\r\n",
    )
    # Refused before the end of the body: 413 once 8 kB have arrived, or 400 as soon as one field
    # passes its own 2 kB limit (which comes first depends on how the bytes arrive).
    assert answer[:12] in {b"HTTP/1.1 413", b"HTTP/1.1 400"}, answer[:80]
    assert b"content-security-policy" in answer.lower() and b"<h1>" in answer
    assert raw(
        served, b"GET /healthz HTTP/1.1\r\nHost: gallery.test\r\nConnection: close\r\n\r\n"
    ).startswith(b"HTTP/1.1 200")
