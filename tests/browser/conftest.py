"""A real Chromium against the real service and the Vimeo stand-in, all on 127.0.0.1.

One browser per test module; the servers (one set per session) run in threads (uvicorn), each on its own port:

- the stand-in (player origin ``http://127.0.0.1:<standin>``),
- gallery ``same`` (GALLERY_COOKIE_MODE=same-site) and gallery ``cross`` (cross-site),
- a "town" server whose pages embed them from ``http://localhost:<port>``: another *site*
  (ports alone do not make two sites). The same server, asked as ``http://127.0.0.1:<port>``,
  is a foreign origin for the message tests.

There is no skip anywhere: without Chromium these tests fail (CI installs it).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from gallery.app import create_app
from gallery.cli.demo.run import seed
from gallery.cli.demo.samples import DEMO_TITLE, sample_videos
from gallery.cli.demo.standin_note import demo_settings
from gallery.cli.demo.town import host_page_app
from gallery.settings import Secret, Settings
from gallery.vimeo.standin import StandIn

CHROMIUM = os.environ.get("GALLERY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
SAMPLES = [video for video, _ in sample_videos()]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests, and run them last: Playwright's sync API keeps an event loop
    running in the main thread while a browser is open, which asyncio.run() elsewhere refuses."""
    browser_items = [item for item in items if "tests/browser/" in item.nodeid]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if item not in browser_items] + browser_items


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Server:
    """uvicorn in a thread on a socket bound to 127.0.0.1."""

    def __init__(self, app: ASGIApp, sock: socket.socket, lifespan: str = "on") -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan=lifespan, ws="none", server_header=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 15
        try:
            while not self.server.started:
                assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
                time.sleep(0.02)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


FOREIGN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Foreign</title></head>
<body><p>A frame from another origin.</p></body></html>"""


def town_app(gallery_urls: dict[str, str], town_origin: str) -> Starlette:
    """The town's pages: /same/ and /cross/ (the demo host page), /foreign (an unrelated page),
    and /two/ with two gallery frames side by side (gallery page and privacy page)."""
    two = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Zwei Rahmen</title></head>
<body><h1>Zwei Rahmen</h1>
<iframe data-gallery-embed id="a" src="{g}/" title="Galerie" width="600" height="300"></iframe>
<iframe data-gallery-embed id="b" src="{g}/privacy" title="Datenschutz" width="600" height="300"></iframe>
<iframe id="foreign" src="{f}/foreign" title="Fremd" width="300" height="100"></iframe>
<script src="{g}/embed.js" async></script></body></html>"""
    foreign_origin = town_origin.replace("localhost", "127.0.0.1")

    async def foreign(request: Any) -> HTMLResponse:
        return HTMLResponse(FOREIGN_PAGE)

    async def two_frames(request: Any) -> HTMLResponse:
        return HTMLResponse(two.format(g=gallery_urls["cross"].rstrip("/"), f=foreign_origin))

    async def no_icon(request: Any) -> Response:
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/favicon.ico", no_icon),
            Route("/foreign", foreign),
            Route("/two/", two_frames),
            *(
                Mount(f"/{name}", host_page_app(url, DEMO_TITLE, town_origin))
                for name, url in gallery_urls.items()
            ),
        ]
    )


@dataclass
class Stack:
    standin: str  # origin of the stand-in, i.e. the player origin
    galleries: dict[str, str]  # name -> gallery origin
    town: str  # http://localhost:<port>
    foreign: str  # http://127.0.0.1:<same port>: another origin
    servers: list[Server] = field(default_factory=list)

    @property
    def player_prefix(self) -> str:
        return f"{self.standin}/player/video/"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    standin = StandIn()
    for video in SAMPLES:
        standin.add(video)
    standin_sock = free_socket()
    standin.base_url = f"http://127.0.0.1:{standin_sock.getsockname()[1]}"
    servers = [Server(standin.app(), standin_sock, lifespan="off").start()]
    try:
        yield start_stack(tmp_path_factory, standin, servers)
    finally:
        for server in reversed(servers):
            server.stop()


def start_stack(tmp_path_factory: pytest.TempPathFactory, standin: StandIn, servers: list[Server]) -> Stack:
    """The two galleries and the town's pages; each server joins ``servers`` once it runs."""
    town_sock = free_socket()
    town_port = town_sock.getsockname()[1]
    town = f"http://localhost:{town_port}"
    galleries: dict[str, str] = {}
    apps = {}
    for mode in ("same", "cross"):
        base = Settings(
            data_dir=tmp_path_factory.mktemp(f"gallery-{mode}"),
            secret_keys=(Secret(f"browser-test-key-{mode}-0123456789"),),
        )
        settings = replace(
            demo_settings(base, standin.base_url),
            frame_ancestors=("'self'", town),
            cookie_mode="same-site" if mode == "same" else "cross-site",
            imprint_url="https://www.stadt.example/impressum",
            privacy_policy_url="https://www.stadt.example/datenschutz",
            accessibility_contact="barrierefreiheit@stadt.example",
            operator_name="Beispielstadt",
        ).checked()
        asyncio.run(seed(settings))
        sock = free_socket()
        galleries[mode] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        apps[mode] = (create_app(settings), sock)
    for app, sock in apps.values():
        servers.append(Server(app, sock).start())
    town_urls = {name: origin + "/" for name, origin in galleries.items()}
    servers.append(Server(town_app(town_urls, town), town_sock, lifespan="off").start())
    return Stack(standin.base_url, galleries, town, f"http://127.0.0.1:{town_port}", servers)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"Chromium is needed for the browser tests: {CHROMIUM} is missing"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Tab:
    """One browser context (fresh cookies) with every request it made and every error it logged."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def urls_to(self, origin: str) -> list[str]:
        return [u for u in self.requests if u.startswith(origin + "/")]


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    contexts: list[BrowserContext] = []

    def make(*, javascript: bool = True, width: int = 1280, height: int = 900, **options: Any) -> Tab:
        context = browser.new_context(
            java_script_enabled=javascript,
            viewport={"width": width, "height": height},
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        v = Tab(context, page)

        def record(request: Request) -> None:
            v.requests.append(request.url)

        context.on("request", record)
        page.on("pageerror", lambda exc: v.errors.append(str(exc)))
        page.on("console", lambda msg: v.errors.append(msg.text) if msg.type == "error" else None)
        return v

    yield make
    for context in contexts:
        context.close()
