"""The ``gallery`` command: serve, add, list, remove, refresh, demo; editor, export, import, backup.

On bad input every command prints one line saying why and exits non-zero; no tracebacks. A run
speaks the locale's language (German for a German locale, English otherwise), argparse included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gettext
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..content.audit import CLI_ACTOR, FIELD_LABELS
from ..content.curate import MAX_TEXT, STATUS_LABELS, CurateError, Curator, status_line
from ..content.schedule import RefreshPolicy
from ..i18n import ARGPARSE_DOMAIN, fill, locale_dir, os_reason
from ..i18n import gettext_noop as N_
from ..settings import Settings, SettingsError, check_trusted_proxies
from ..storage import queries
from ..storage.thumbnails import ThumbnailStore
from ..vimeo.client import VimeoClient
from . import editors
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    RefusedInput,
    _,
    language,
    open_database,
    settings_for,
    vimeo_settings,
    warn,
)

# A process ended by SIGPIPE shows this status in the shell (128 + 13), as `seq 100000 | head` does.
EXIT_PIPE_CLOSED = 141
UNTITLED = N_("(ohne Titel)")
PUBLISHED, DRAFT = N_("veröffentlicht"), N_("Entwurf")
DEMO_DATA_DIR = "demo-data"
# The option that carries each text of ``add`` (its messages name the option, not a field).
TEXT_OPTIONS = {
    "speaker_name": "--speaker",
    "speaker_role": "--role",
    "quote": "--quote",
    "alt_text": "--alt",
    "transcript": "--transcript-file",
}


def _with_curator(settings: Settings, work: Callable[[Curator], Awaitable[int]]) -> int:
    async def run() -> int:
        db = open_database(settings)
        async with VimeoClient(settings) as vimeo:
            policy = RefreshPolicy.from_settings(settings)
            return await work(Curator(db, ThumbnailStore(settings.thumbnail_dir), vimeo, policy))

    return asyncio.run(run())


def _vimeo_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or int(raw) == 0:
        raise CommandError(N_("„%(value)s“ ist keine Vimeo-Videonummer."), value=raw)
    return int(raw)


def _title(title: str) -> str:
    return title or _(UNTITLED)


# --- commands ----------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app
    from ..obligations import warn_missing

    settings = settings_for(args, create=True)
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
        except OSError as exc:
            raise CommandError(
                N_("Die Abschrift %(file)s kann nicht gelesen werden: %(reason)s."),
                file=args.transcript_file,
                reason=os_reason(exc),
            ) from None
        except UnicodeDecodeError:
            raise CommandError(
                N_("Die Abschrift %(file)s kann nicht gelesen werden: Sie ist kein UTF-8-Text."),
                file=args.transcript_file,
            ) from None
    for name, value in texts.items():
        if len(value) > MAX_TEXT[name]:
            raise RefusedInput(
                N_("%(option)s ist zu lang: höchstens %(limit)s Zeichen, nicht %(length)s."),
                option=TEXT_OPTIONS[name],
                limit=MAX_TEXT[name],
                length=len(value),
            )
    settings = vimeo_settings(settings_for(args), args)

    async def work(curator: Curator) -> int:
        outcome = await curator.add(
            args.link, args.gallery, published=not args.draft, texts=texts, actor=CLI_ACTOR
        )
        video = outcome.video
        added = (
            N_("Als Entwurf hinzugefügt: %(id)s „%(title)s“")
            if args.draft
            else N_("Hinzugefügt: %(id)s „%(title)s“")
        )
        print(_(added, id=video.vimeo_id, title=_title(video.title)))
        for warning in outcome.warnings:
            warn(N_("Warnung: %(text)s"), text=fill(warning))
        return EXIT_OK

    return _with_curator(settings, work)


def cmd_list(args: argparse.Namespace) -> int:
    db = open_database(settings_for(args))
    with db.connect() as conn:
        gallery_id = None
        if args.gallery:
            gallery = queries.gallery_by_slug(conn, args.gallery)
            if gallery is None:
                raise RefusedInput(N_("Die Galerie „%(slug)s“ gibt es nicht."), slug=args.gallery)
            gallery_id = gallery.id
        statements = queries.statements(conn, gallery_id)
    lang = language()
    # The keys are an interface (docs/command-line.md); status_text is the sentence people read,
    # in their language.
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
            "status_text": status_line(s.video, lang),
        }
        for s in statements
    ]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not items:
        print(_("Noch keine Statements."))
    status_width = max(len(_(label)) for label in STATUS_LABELS.values())
    state_width = max(len(_(state)) for state in (PUBLISHED, DRAFT))
    for item in items:
        status = _(STATUS_LABELS[item["status"]])
        state = _(PUBLISHED if item["published"] else DRAFT)
        print(
            f"{item['vimeo_id']:>12}  {item['gallery']:<16} {status:<{status_width}}  "
            f"{state:<{state_width}}  {_title(item['title'])}"
        )
        if item["status_text"]:  # what went wrong last time, and how old the data shown is
            print(f"{'':>14}{item['status_text']}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    vimeo_id = _vimeo_id(args.vimeo_id)

    async def work(curator: Curator) -> int:
        count = await curator.remove(vimeo_id, args.gallery, actor=CLI_ACTOR)
        print(_("Entfernt: %(id)s (aus Galerien: %(count)s).", id=vimeo_id, count=count))
        return EXIT_OK

    return _with_curator(settings_for(args), work)


def cmd_refresh(args: argparse.Namespace) -> int:
    if (args.vimeo_id is None) == (not args.all):
        raise CommandError(N_("Bitte genau eines angeben: eine Videonummer oder --all."))
    settings = settings_for(args)
    if args.all:
        with open_database(settings).connect() as conn:
            ids = [v.vimeo_id for v in queries.videos(conn)]
    else:
        ids = [_vimeo_id(args.vimeo_id)]
    if ids:
        settings = vimeo_settings(settings, args)

    async def work(curator: Curator) -> int:
        failures = 0
        for n, vimeo_id in enumerate(ids, start=1):
            outcome = await curator.refresh(vimeo_id, actor=CLI_ACTOR)
            video = outcome.video
            status = video.fetch_status.value
            line = _(
                "[%(n)s/%(total)s] %(id)s „%(title)s“: %(status)s",
                n=n,
                total=len(ids),
                id=vimeo_id,
                title=_title(video.title),
                status=_(STATUS_LABELS[status]),
            )
            if outcome.changed:
                names = ", ".join(_(FIELD_LABELS[name]) for name in outcome.changed)
                line += " " + _("(geändert: %(fields)s)", fields=names)
            print(line, flush=True)
            for warning in outcome.warnings:
                print("    " + _(warning), file=sys.stderr)
            if status not in {"ok", "restricted"}:
                failures += 1
        if not ids:
            print(_("Keine Videos vorhanden."))
        return EXIT_FAILED if failures else EXIT_OK

    return _with_curator(settings, work)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo.run import run_demo

    # Its own folder by default, never GALLERY_DATA_DIR: a demo must not seed a real gallery.
    data_dir = Path(args.data_dir or DEMO_DATA_DIR).resolve()
    environ = {k: v for k, v in os.environ.items() if k.startswith("GALLERY_")}
    environ["GALLERY_DATA_DIR"] = str(data_dir)
    base = Settings.from_environ(environ)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a demo ends
        asyncio.run(run_demo(base, args.host, args.port))
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------

DATA_DIR_HELP = N_("Datenordner des Dienstes (Standard: GALLERY_DATA_DIR, sonst ./data)")
HOST_HELP = N_("Adresse, auf der der Dienst antwortet (Standard: 127.0.0.1)")
PORT_HELP = N_("Port (Standard: 8000)")


def build_parser() -> argparse.ArgumentParser:
    """The parser, its texts in this run's language (argparse's own through gettext)."""
    # --data-dir is accepted before and after the command; after it, it wins. SUPPRESS keeps a
    # command's parser from overwriting a value given before the command with its default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar=_("ORDNER"), default=argparse.SUPPRESS, help=_(DATA_DIR_HELP))
    parser = argparse.ArgumentParser(
        prog="gallery", description=_("Datenschutzfreundliche Galerie für Vimeo-Videostatements.")
    )
    parser.add_argument("--data-dir", metavar=_("ORDNER"), default=None, help=_(DATA_DIR_HELP))
    sub = parser.add_subparsers(dest="command", required=True, metavar=_("BEFEHL"))

    def command(name: str, help_text: str, *, data_dir: bool = True) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=_(help_text), description=_(help_text), parents=[common] if data_dir else []
        )

    serve = command("serve", N_("den Dienst starten"))
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

    add = command("add", N_("ein Video per Link oder Nummer hinzufügen"))
    add.add_argument("link", metavar=_("URL_ODER_ID"))
    add.add_argument("--gallery", metavar=_("KURZADRESSE"), help=_("in diese Galerie (Standard: die erste)"))
    add.add_argument("--speaker", metavar=_("NAME"), help=_("wer spricht (Name)"))
    add.add_argument("--role", metavar=_("ROLLE"), help=_("Funktion oder Rolle der Person"))
    add.add_argument("--quote", metavar=_("ZITAT"), help=_("ein Zitat aus dem Statement"))
    add.add_argument("--alt", metavar=_("TEXT"), help=_("Alternativtext für das Vorschaubild"))
    add.add_argument(
        "--transcript-file", metavar=_("DATEI"), help=_("Abschrift aus einer Datei (- für stdin)")
    )
    add.add_argument("--draft", action="store_true", help=_("als Entwurf speichern, nicht veröffentlichen"))
    add.set_defaults(func=cmd_add)

    lst = command("list", N_("alle Statements auflisten"))
    lst.add_argument("--json", action="store_true", help=_("als JSON ausgeben"))
    lst.add_argument("--gallery", metavar=_("KURZADRESSE"), help=_("nur diese Galerie"))
    lst.set_defaults(func=cmd_list)

    remove = command("remove", N_("ein Video entfernen"))
    remove.add_argument("vimeo_id", metavar="ID")
    remove.add_argument("--gallery", metavar=_("KURZADRESSE"), help=_("nur aus dieser Galerie"))
    remove.set_defaults(func=cmd_remove)

    refresh = command("refresh", N_("die Angaben von Vimeo neu abrufen (eines oder alle Videos)"))
    refresh.add_argument("vimeo_id", metavar="ID", nargs="?")
    refresh.add_argument("--all", action="store_true", help=_("alle Videos"))
    refresh.set_defaults(func=cmd_refresh)

    demo = command("demo", N_("Demo mit Beispielinhalten und Vimeo-Ersatz, offline"), data_dir=False)
    demo.add_argument("--host", default="127.0.0.1", help=_(HOST_HELP))
    demo.add_argument("--port", type=int, default=8000, help=_(PORT_HELP))
    demo.add_argument(
        "--data-dir",
        metavar=_("ORDNER"),
        default=argparse.SUPPRESS,
        help=_("eigener Datenordner der Demo (Standard: ./demo-data)"),
    )
    demo.set_defaults(func=cmd_demo)

    editors.register(sub, common)
    return parser


# --- running -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``gallery`` command; the exit code: 0 done, 1 failed, 2 refused input."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    # argparse translates its own texts with gettext in the current domain: ours, for this run.
    gettext.bindtextdomain(ARGPARSE_DOMAIN, locale_dir())
    previous = gettext.textdomain()
    gettext.textdomain(ARGPARSE_DOMAIN)
    try:
        return _run(argv)
    except BrokenPipeError:
        return _reader_gone()
    finally:
        gettext.textdomain(previous)


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except SettingsError as exc:
        warn(N_("Fehler in der Konfiguration: %(message)s"), message=exc.message)
        return EXIT_USAGE
    except (CurateError, CommandError) as exc:
        warn(N_("Fehler: %(message)s"), message=fill(exc.message))
        return EXIT_USAGE if isinstance(exc, RefusedInput) else EXIT_FAILED


def _reader_gone() -> int:
    """The reader of our output left (``gallery list | head``): stop quietly, as Unix tools do."""
    # Anything still buffered must not fail again when the interpreter flushes at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE_CLOSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
