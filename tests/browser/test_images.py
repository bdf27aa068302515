"""Right-sized pictures in a real Chromium: what a phone loads for the first screen, and whether
each picture's ``sizes`` says the width the layout really gives it.

A gallery of its own, seeded like the demo (its logo too) but with photo-like thumbnails
(tests/photos.py, 1280×720 as Vimeo hands them out): flat demo art would flatter every figure.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Response

from gallery.app import create_app
from gallery.cli.demo.run import seed
from gallery.cli.demo.samples import sample_videos
from gallery.cli.demo.standin_note import demo_settings
from gallery.settings import Secret, Settings
from gallery.vimeo.standin import StandIn
from tests.browser.conftest import Server, free_socket
from tests.photos import photo_jpeg

PHONE = {"width": 390, "height": 844}
PHONE_DPR = 3  # most phones sold today; at 2 the same copies are chosen (see below)
FIRST_SCREEN_BUDGET = 100_000


@dataclass
class PhotoGallery:
    origin: str
    first_statement: str


@pytest.fixture(scope="module")
def photo_gallery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhotoGallery]:
    standin = StandIn()
    videos = [video for video, _ in sample_videos()]
    for n, video in enumerate(videos):
        standin.add(video)
        standin.media[video.picture] = photo_jpeg(n)
    standin_sock = free_socket()
    standin.base_url = f"http://127.0.0.1:{standin_sock.getsockname()[1]}"
    servers = [Server(standin.app(), standin_sock, lifespan="off").start()]
    try:
        base = Settings(
            data_dir=tmp_path_factory.mktemp("gallery-photos"),
            secret_keys=(Secret("browser-test-key-photos-0123456789"),),
        )
        settings = demo_settings(base, standin.base_url).checked()
        # Through the real curating code, so copies are made as pictures are stored; in a thread of
        # its own, as Playwright may already run an event loop in this one.
        seeding = threading.Thread(target=asyncio.run, args=(seed(settings),))
        seeding.start()
        seeding.join(timeout=120)
        assert not seeding.is_alive(), "seeding the gallery did not finish"
        sock = free_socket()
        origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        servers.append(Server(create_app(settings), sock).start())
        yield PhotoGallery(origin, f"{origin}/g/videos/v/{videos[0].vimeo_id}")
    finally:
        for server in reversed(servers):
            server.stop()


def image_bytes_before_scrolling(browser: Browser, url: str, dpr: int) -> list[tuple[str, int]]:
    """(address, bytes) of every image the page loads at a phone's size, without scrolling."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=dpr, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        loaded: list[Response] = []
        page.on("response", lambda r: loaded.append(r) if r.request.resource_type == "image" else None)
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(1000)  # lazy pictures Chromium decides to fetch ahead of a scroll
        assert page.evaluate("window.scrollY") == 0
        return [(r.url, len(r.body())) for r in loaded]
    finally:
        context.close()


@pytest.mark.parametrize("dpr", [PHONE_DPR, 2])
def test_a_phone_loads_at_most_100_kb_of_pictures_for_the_first_screen(
    browser: Browser, photo_gallery: PhotoGallery, dpr: int
) -> None:
    loaded = image_bytes_before_scrolling(browser, photo_gallery.origin + "/", dpr)
    total = sum(size for _, size in loaded)
    report = ", ".join(f"{url.rsplit('/', 1)[1]} {size} B" for url, size in loaded)
    print(f"DPR {dpr}: {total} B of pictures before scrolling: {report}")
    assert total <= FIRST_SCREEN_BUDGET, report
    # The cards' pictures came as WebP copies, the logo as its WebP copy: nothing as first stored.
    assert loaded and all(url.endswith(".webp") for url, _ in loaded), report
    # The first card's picture and at least the next card's (fetched early by Chromium) are there.
    assert len(loaded) >= 3, report


SIZES_CHECK = """
() => [...document.querySelectorAll('.media picture img[sizes]')].map(img => {
  const entries = img.getAttribute('sizes').split(',').map(s => s.trim());
  let length = entries[entries.length - 1];
  for (const entry of entries.slice(0, -1)) {
    const at = entry.indexOf(')');  // the media condition: one parenthesis here
    if (matchMedia(entry.slice(0, at + 1)).matches) { length = entry.slice(at + 1).trim(); break; }
  }
  const probe = document.createElement('div');
  probe.style.width = length;
  document.body.append(probe);
  const said = probe.getBoundingClientRect().width;
  probe.remove();
  const shown = img.getBoundingClientRect().width;
  return {said, shown, chosen: img.currentSrc, first: img.getAttribute('fetchpriority')};
})
"""


@pytest.mark.parametrize("width", [360, 390, 700, 800, 1000, 1100, 1280, 1600])
def test_sizes_say_the_width_the_layout_gives_each_picture(
    browser: Browser, photo_gallery: PhotoGallery, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        for url in (photo_gallery.origin + "/", photo_gallery.first_statement):
            page.goto(url, wait_until="networkidle")
            found = page.evaluate(SIZES_CHECK)
            assert found, url
            for picture in found:
                # Within a scrollbar's width: 100vw counts it, the layout does not.
                assert abs(picture["said"] - picture["shown"]) <= 16, (url, width, picture)
            assert found[0]["first"] == "high"
    finally:
        context.close()
