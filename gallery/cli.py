"""The ``gallery`` command: serve, add, list, remove, refresh, demo; editor, export, import, backup.

On bad input every command prints one line saying why and exits non-zero; no tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import cli_admin, store
from .audit import CLI_ACTOR
from .cli_base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    RefusedInput,
    open_database,
    settings_from_env,
)
from .curate import MAX_TEXT, CurateError, Curator, status_line
from .schedule import RefreshPolicy
from .settings import Settings, SettingsError, check_trusted_proxies
from .thumbnails import ThumbnailStore
from .vimeo import VimeoClient


def _with_curator(settings: Settings, work: Callable[[Curator], Awaitable[int]]) -> int:
    async def run() -> int:
        db = open_database(settings)
        async with VimeoClient(settings) as vimeo:
            policy = RefreshPolicy.from_settings(settings)
            return await work(Curator(db, ThumbnailStore(settings.thumbnail_dir), vimeo, policy))

    return asyncio.run(run())


def _vimeo_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or int(raw) == 0:
        raise CommandError(f"„{raw}“ ist keine Vimeo-Videonummer.")
    return int(raw)


# --- commands ----------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .obligations import warn_missing

    settings = settings_from_env()
    if args.forwarded_allow_ips is not None:
        entries = tuple(args.forwarded_allow_ips.replace(",", " ").split())
        proxies = check_trusted_proxies(entries, "--forwarded-allow-ips")
        settings = replace(settings, trusted_proxies=proxies)
    warn_missing(settings, logging.getLogger("gallery"))  # what visitors miss until the operator sets it
    app = create_app(settings)
    # access_log=False: uvicorn's access log records visitors' IP addresses; we keep none.
    # proxy_headers=False: the app itself believes forwarded headers, and only from the
    # proxies it was told about (uvicorn would believe any process on 127.0.0.1).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    texts: dict[str, str] = {}
    for name, value in (
        ("speaker_name", args.speaker),
        ("speaker_role", args.role),
        ("quote", args.quote),
        ("alt_text", args.alt),
    ):
        if value is not None:
            texts[name] = value
    if args.transcript_file is not None:
        try:
            if args.transcript_file == "-":
                texts["transcript"] = sys.stdin.read(MAX_TEXT["transcript"] + 1)
            else:
                texts["transcript"] = Path(args.transcript_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Die Abschrift kann nicht gelesen werden: {exc}") from None
    settings = settings_from_env()

    async def work(curator: Curator) -> int:
        outcome = await curator.add(
            args.link, args.gallery, published=not args.draft, texts=texts, actor=CLI_ACTOR
        )
        video = outcome.video
        title = video.title or "(ohne Titel)"
        print(f"Hinzugefügt: {video.vimeo_id} „{title}“" + (" als Entwurf" if args.draft else ""))
        for warning in outcome.warnings:
            print(f"Warnung: {warning}", file=sys.stderr)
        return EXIT_OK

    return _with_curator(settings, work)


def cmd_list(args: argparse.Namespace) -> int:
    db = open_database(settings_from_env())
    with db.connect() as conn:
        gallery_id = None
        if args.gallery:
            gallery = store.gallery_by_slug(conn, args.gallery)
            if gallery is None:
                raise CommandError(f"Die Galerie „{args.gallery}“ gibt es nicht.")
            gallery_id = gallery.id
        statements = store.statements(conn, gallery_id)
    items: list[dict[str, Any]] = [
        {
            "vimeo_id": s.vimeo_id,
            "unlisted_hash": s.video.unlisted_hash,
            "title": s.title,
            "status": s.video.fetch_status.value,
            "message": s.video.fetch_message,
            "gallery": s.gallery_slug,
            "position": s.position,
            "published": s.published,
            "speaker_name": s.speaker_name,
            "speaker_role": s.speaker_role,
            "fetched_at": s.video.fetched_at,
            "good_at": s.video.good_at,
            "status_text": status_line(s.video),
        }
        for s in statements
    ]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not items:
        print("Noch keine Statements.")
    for item in items:
        state = "veröffentlicht" if item["published"] else "Entwurf"
        print(
            f"{item['vimeo_id']:>12}  {item['gallery']:<16} {item['status']:<10} {state:<14} "
            f"{item['title'] or '(ohne Titel)'}"
        )
        if item["status_text"]:  # what went wrong last time, and how old the data shown is
            print(f"{'':>14}{item['status_text']}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    vimeo_id = _vimeo_id(args.vimeo_id)

    async def work(curator: Curator) -> int:
        count = await curator.remove(vimeo_id, args.gallery, actor=CLI_ACTOR)
        print(f"Entfernt: {vimeo_id} aus {count} Galerie(n).")
        return EXIT_OK

    return _with_curator(settings_from_env(), work)


def cmd_refresh(args: argparse.Namespace) -> int:
    if (args.vimeo_id is None) == (not args.all):
        raise CommandError("Bitte genau eines angeben: eine Videonummer oder --all.")
    settings = settings_from_env()
    if args.all:
        with open_database(settings).connect() as conn:
            ids = [v.vimeo_id for v in store.videos(conn)]
    else:
        ids = [_vimeo_id(args.vimeo_id)]

    async def work(curator: Curator) -> int:
        failures = 0
        for n, vimeo_id in enumerate(ids, start=1):
            outcome = await curator.refresh(vimeo_id, actor=CLI_ACTOR)
            video = outcome.video
            status = video.fetch_status.value
            changed = f" (geändert: {', '.join(outcome.changed)})" if outcome.changed else ""
            print(
                f"[{n}/{len(ids)}] {vimeo_id} „{video.title or '(ohne Titel)'}“: {status}{changed}",
                flush=True,
            )
            for warning in outcome.warnings:
                print(f"    {warning}", file=sys.stderr)
            if status not in {"ok", "restricted"}:
                failures += 1
        if not ids:
            print("Keine Videos vorhanden.")
        return EXIT_FAILED if failures else EXIT_OK

    return _with_curator(settings, work)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    data_dir = Path(args.data_dir).resolve()
    environ = {k: v for k, v in os.environ.items() if k.startswith("GALLERY_")}
    environ["GALLERY_DATA_DIR"] = str(data_dir)
    base = Settings.from_environ(environ)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a demo ends
        asyncio.run(run_demo(base, args.host, args.port))
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gallery", description="Datenschutzfreundliche Galerie für Vimeo-Videostatements."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    serve = sub.add_parser("serve", help="den Dienst starten")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="ADRESSEN",
        help="Proxys (IP-Adressen oder Netze), deren X-Forwarded-For/-Proto geglaubt wird "
        "(Standard: GALLERY_TRUSTED_PROXIES, sonst keiner)",
    )
    serve.set_defaults(func=cmd_serve)

    add = sub.add_parser("add", help="ein Video per Link oder Nummer hinzufügen")
    add.add_argument("link", metavar="URL_ODER_ID")
    add.add_argument("--gallery", metavar="SLUG")
    add.add_argument("--speaker")
    add.add_argument("--role")
    add.add_argument("--quote")
    add.add_argument("--alt", help="Alternativtext für das Vorschaubild")
    add.add_argument("--transcript-file", metavar="DATEI", help="Abschrift aus einer Datei (- für stdin)")
    add.add_argument("--draft", action="store_true", help="als Entwurf speichern, nicht veröffentlichen")
    add.set_defaults(func=cmd_add)

    lst = sub.add_parser("list", help="alle Statements auflisten")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--gallery", metavar="SLUG")
    lst.set_defaults(func=cmd_list)

    remove = sub.add_parser("remove", help="ein Video entfernen")
    remove.add_argument("vimeo_id", metavar="ID")
    remove.add_argument("--gallery", metavar="SLUG", help="nur aus dieser Galerie")
    remove.set_defaults(func=cmd_remove)

    refresh = sub.add_parser("refresh", help="Angaben von Vimeo neu abrufen")
    refresh.add_argument("vimeo_id", metavar="ID", nargs="?")
    refresh.add_argument("--all", action="store_true")
    refresh.set_defaults(func=cmd_refresh)

    demo = sub.add_parser("demo", help="Demo mit Beispielinhalten und Vimeo-Ersatz, offline")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default="demo-data", help="eigener Datenordner der Demo")
    demo.set_defaults(func=cmd_demo)

    cli_admin.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"Fehler in der Konfiguration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CurateError, CommandError) as exc:
        message = exc.message if isinstance(exc, CurateError) else str(exc)
        print(f"Fehler: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, RefusedInput) else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
