"""``gallery demo``: the gallery with sample statements and the Vimeo stand-in, fully offline.

Demo mode exists only through this command: no setting can switch it on in production.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from importlib import resources
from pathlib import Path

import uvicorn

from ...app import create_app
from ...content.curate import CurateError, Curator
from ...content.logos import reencode
from ...content.variants import store_variants
from ...i18n import gettext_noop as N_
from ...private import secure_data_dir
from ...settings import Settings
from ...storage.galleries import DEFAULT_GALLERY_TITLE
from ...storage.store import Storage
from ...storage.thumbnails import image_store
from ...vimeo.client import VimeoClient
from ...vimeo.standin import StandIn
from ..common import _ as cli_text  # `_` is a loop variable below
from .editor import PASSWORD_FILE, ensure_demo_editor
from .samples import (
    DEMO_ACCENT,
    DEMO_INTRO,
    DEMO_LOGO_ALT,
    DEMO_TITLE,
    sample_videos,
    second_town_videos,
    video_link,
    videos_to_add,
)
from .second_town import seed_second_town, town_addresses
from .standin_note import demo_settings, record_standin
from .town import example_public_body, example_town_site, host_page_app

log = logging.getLogger("gallery")


async def seed(settings: Settings) -> None:
    """Put the missing sample statements into the demo database, through the real Vimeo door."""
    secure_data_dir(settings.data_dir)
    storage = Storage.from_settings(settings)
    storage.migrate()
    thumbnails = image_store(storage, settings)
    if storage.default_gallery().title == DEFAULT_GALLERY_TITLE:
        # Stored before the transaction: a database image store writes in a transaction of its own.
        picture = reencode((resources.files("gallery.cli.demo") / "media" / "logo.png").read_bytes())
        logo = thumbnails.save(picture)
        store_variants(storage, thumbnails, logo, picture.data, logo=True)
    with storage.transaction() as tx:
        gallery = tx.default_gallery()
        if gallery.title == DEFAULT_GALLERY_TITLE:
            tx.update_gallery(
                gallery.id,
                title=DEMO_TITLE,
                intro=DEMO_INTRO,
                accent=DEMO_ACCENT,
                logo=logo,
                logo_alt=DEMO_LOGO_ALT,
            )
        present = {s.vimeo_id for s in tx.statements(gallery.id)}
    async with VimeoClient(settings) as vimeo:
        curator = Curator(storage, thumbnails, vimeo)
        for video, texts in sample_videos():
            if video.vimeo_id in present:
                continue
            link = f"https://vimeo.com/{video.vimeo_id}" + (
                f"/{video.unlisted_hash}" if video.unlisted_hash else ""
            )
            try:
                await curator.add(link, texts=texts)
            except CurateError as exc:  # pragma: no cover - the stand-in answers every sample
                log.warning("Demo sample %s not added: %s", video.vimeo_id, exc.message)
    storage.close()


def _loopback_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def _host_page_socket(port: int) -> socket.socket:
    """The example town page listens next to the gallery (PORT+1), or wherever is free."""
    try:
        return _loopback_socket(port + 1 if 0 < port < 65535 else 0)
    except OSError:
        return _loopback_socket(0)


async def run_demo(base: Settings, host: str, port: int) -> None:
    """Start the stand-in on a free loopback port, seed, then serve the gallery.

    The first town (Ratzeburg) answers on 127.0.0.1 and ``ratzeburg.localhost``, a second town
    (Mölln) on ``moelln.localhost``, both on the same port. Beside them runs an example town page
    on ``localhost`` that embeds the first town's gallery from
    ``127.0.0.1``: another site, as in real use, so the demo shows embedding and the cross-site
    cookie mode.
    """
    standin = StandIn()
    for video, _ in sample_videos():
        standin.add(video)
    for video, _ in second_town_videos():
        standin.add(video)
    for video in videos_to_add():
        standin.add(video)
    sock = _loopback_socket(0)
    standin_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    standin.base_url = standin_url
    standin_server = uvicorn.Server(
        uvicorn.Config(standin.app(), log_level="warning", access_log=False, lifespan="off")
    )
    standin_task = asyncio.create_task(standin_server.serve(sockets=[sock]))
    while not standin_server.started:
        await asyncio.sleep(0.02)
    host_sock = _host_page_socket(port)
    host_origin = f"http://localhost:{host_sock.getsockname()[1]}"
    settings = replace(
        demo_settings(base, standin_url),
        frame_ancestors=(*base.frame_ancestors, host_origin),
        cookie_mode="cross-site",
    ).checked()
    settings = example_public_body(settings, host_origin)
    await seed(settings)
    await seed_second_town(settings, host_origin)
    editor, password = await asyncio.to_thread(ensure_demo_editor, settings)
    record_standin(settings.data_dir, standin_url)  # commands on this folder ask the stand-in
    app = create_app(settings, demo=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,
            server_header=False,
            log_level="info",
            proxy_headers=False,  # as `gallery serve`: forwarded headers only from trusted proxies
        )
    )
    gallery_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - a comparison
    host_app = example_town_site(host_page_app(f"http://{gallery_host}:{port}/", DEMO_TITLE, host_origin))
    host_server = uvicorn.Server(
        uvicorn.Config(host_app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    )
    host_task = asyncio.create_task(host_server.serve(sockets=[host_sock]))
    url = f"http://{host}:{port}/"
    print(
        cli_text(
            N_("Demo: %(url)s  (Vimeo-Ersatz auf %(standin)s; Strg+C beendet)"), url=url, standin=standin_url
        )
    )
    print(
        cli_text(
            N_(
                "Zwei Städte auf diesem Port: %(first)s %(first_url)s und %(second)s %(second_url)s  "
                "(*.localhost führt zu diesem Rechner)"
            ),
            **town_addresses(port),
        )
    )
    print(
        cli_text(N_("Beispiel-Stadtseite, die die Galerie einbettet: %(url)s"), url=host_origin + "/"),
        flush=True,
    )
    print(
        cli_text(
            N_(
                "Redaktion: %(url)s  Name: %(name)s  Passwort: %(password)s  "
                "(nur für diese Demo; steht in %(file)s)"
            ),
            url=f"http://{gallery_host}:{port}/admin/",
            name=editor,
            password=password,
            file=str(settings.data_dir / PASSWORD_FILE),
        ),
        flush=True,
    )
    links = ", ".join(video_link(video) for video in videos_to_add())
    print(
        cli_text(
            N_("Zum Ausprobieren von „Statement hinzufügen“ kennt der Vimeo-Ersatz noch: %(links)s"),
            links=links,
        ),
        flush=True,
    )
    try:
        await server.serve()
    finally:
        standin_server.should_exit = True
        host_server.should_exit = True
        await standin_task
        await host_task


def default_demo_dir() -> Path:
    return Path("demo-data").resolve()
