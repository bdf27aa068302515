"""``gallery serve`` and ``gallery demo``: running the service, for real or as the offline demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..i18n import gettext_noop as N_
from ..obligations import warn_missing
from ..settings import Settings, check_database_url, check_trusted_proxies
from .common import EXIT_OK, _, add_command, settings_for

DEMO_DATA_DIR = "demo-data"
# How ``gallery serve`` runs uvicorn, besides the address.
SERVER_OPTIONS: dict[str, Any] = {
    # uvicorn's access log records visitors' IP addresses; we keep none.
    "access_log": False,
    "server_header": False,
    # The app itself believes forwarded headers, and only from the proxies it was told about
    # (uvicorn would believe any process on 127.0.0.1).
    "proxy_headers": False,
    # "auto" is uvloop and httptools, both dependencies: the loop and parser the benchmarks measure.
    "loop": "auto",
    "http": "auto",
}
HOST_HELP = N_("Adresse, auf der der Dienst antwortet (Standard: 127.0.0.1)")
PORT_HELP = N_("Port (Standard: 8000)")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the service with uvicorn on the given address."""
    # Only serving needs uvicorn and the web app: every other command starts without them.
    import uvicorn

    from ..app import create_app

    settings = settings_for(args, create=True)
    if args.forwarded_allow_ips is not None:
        entries = tuple(args.forwarded_allow_ips.replace(",", " ").split())
        proxies = check_trusted_proxies(entries, "--forwarded-allow-ips")
        settings = replace(settings, trusted_proxies=proxies)
    warn_missing(settings, logging.getLogger("gallery"))  # what visitors miss until the operator sets it
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, **SERVER_OPTIONS)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo's own data folder and run it with the Vimeo stand-in until Ctrl+C."""
    from .demo.run import run_demo  # uvicorn and the whole app: loaded only when a demo starts

    # Its own folder by default, never GALLERY_DATA_DIR: a demo must not seed a real gallery.
    data_dir = Path(args.data_dir or DEMO_DATA_DIR).resolve()
    # Nor a real database: the demo's data stays in its folder, in SQLite (a wrong URL still stops it).
    if url := os.environ.get("GALLERY_DATABASE_URL", "").strip():
        check_database_url(url)
    environ = {
        k: v for k, v in os.environ.items() if k.startswith("GALLERY_") and k != "GALLERY_DATABASE_URL"
    }
    environ["GALLERY_DATA_DIR"] = str(data_dir)
    base = Settings.from_environ(environ)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a demo ends
        asyncio.run(run_demo(base, args.host, args.port))
    return EXIT_OK


def register_serve(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``serve`` to the ``gallery`` parser."""
    serve = add_command(sub, common, "serve", N_("den Dienst starten"))
    serve.add_argument("--host", default="127.0.0.1", help=_(HOST_HELP))
    serve.add_argument("--port", type=int, default=8000, help=_(PORT_HELP))
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar=_("ADRESSEN"),
        help=_(
            "Proxys (IP-Adressen oder Netze), deren X-Forwarded-For/-Proto geglaubt wird "
            "(Standard: GALLERY_TRUSTED_PROXIES, sonst keiner)"
        ),
    )
    serve.set_defaults(func=cmd_serve)


def register_demo(sub: Any) -> None:
    """Add ``demo`` (its own ``--data-dir``, never the service's) to the ``gallery`` parser."""
    demo = add_command(sub, None, "demo", N_("Demo mit Beispielinhalten und Vimeo-Ersatz, offline"))
    demo.add_argument("--host", default="127.0.0.1", help=_(HOST_HELP))
    demo.add_argument("--port", type=int, default=8000, help=_(PORT_HELP))
    demo.add_argument(
        "--data-dir",
        metavar=_("ORDNER"),
        default=argparse.SUPPRESS,
        help=_("eigener Datenordner der Demo (Standard: ./demo-data)"),
    )
    demo.set_defaults(func=cmd_demo)
