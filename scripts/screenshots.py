"""Take the README's screenshots: gallery, statement, privacy and accessibility pages, on a desktop
(1280 px) and a phone (390 px), from the demo's content and the offline Vimeo stand-in.

Everything runs on 127.0.0.1 in this process and is stopped in ``finally``, also on failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gallery.app import create_app  # noqa: E402
from gallery.cli.demo.run import seed  # noqa: E402
from gallery.cli.demo.samples import sample_videos  # noqa: E402
from gallery.cli.demo.standin_note import demo_settings  # noqa: E402
from gallery.settings import Secret, Settings  # noqa: E402
from gallery.vimeo.standin import StandIn  # noqa: E402

CHROMIUM = os.environ.get("GALLERY_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


class Server:
    """uvicorn in a thread, on a loopback socket."""

    def __init__(self, app: object, lifespan: str = "on") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve([self.sock]))

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("a server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def shoot(gallery: str, out: Path) -> list[Path]:
    first = sample_videos()[0][0].vimeo_id
    pages = {
        "gallery": "/",
        "statement": f"/g/videos/v/{first}",
        "privacy": "/privacy",
        "accessibility": "/accessibility",
    }
    taken = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for screen, viewport in SCREENS.items():
                context = browser.new_context(viewport=viewport, reduced_motion="reduce")
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(gallery + path)
                    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
                    page.wait_for_load_state("networkidle")  # lazy thumbnails too
                    page.evaluate("window.scrollTo(0, 0)")
                    target = out / f"{name}-{screen}.png"
                    page.screenshot(path=target)
                    taken.append(target)
                context.close()
        finally:
            browser.close()
    return taken


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="gallery-screenshots-") as data_dir:
        try:
            standin = StandIn()
            for video, _ in sample_videos():
                standin.add(video)
            standin_server = Server(standin.app(), lifespan="off")
            standin.base_url = standin_server.url
            servers.append(standin_server.start())
            base = Settings(data_dir=Path(data_dir), secret_keys=(Secret(secrets.token_urlsafe(32)),))
            settings = replace(
                demo_settings(base, standin.base_url),
                operator_name="Die Beispielstadt",
                imprint_url="https://www.stadt.example/impressum",
                privacy_policy_url="https://www.stadt.example/datenschutz",
                accessibility_contact="barrierefreiheit@stadt.example",
            ).checked()
            asyncio.run(seed(settings))
            gallery = Server(create_app(settings, demo=True))
            servers.append(gallery.start())
            for path in shoot(gallery.url, out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            for server in reversed(servers):
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
