"""``gallery add``, ``list``, ``remove`` and ``refresh``: curating statements without the browser."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..content.audit import CLI_ACTOR, FIELD_LABELS
from ..content.curate import MAX_TEXT, Curator
from ..content.schedule import RefreshPolicy
from ..content.status import STATUS_LABELS, status_line
from ..content.towns import town_settings
from ..i18n import fill, os_reason
from ..i18n import gettext_noop as N_
from ..settings import Settings
from ..storage.thumbnails import image_store
from ..vimeo.client import VimeoClient
from ..vimeo.links import video_id
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    RefusedInput,
    _,
    add_command,
    language,
    open_storage,
    settings_for,
    vimeo_settings,
    warn,
)

UNTITLED = N_("(ohne Titel)")
PUBLISHED, DRAFT = N_("veröffentlicht"), N_("Entwurf")
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
        storage = open_storage(settings)
        town = storage.town(storage.town_id)
        assert town is not None
        # The town's own Vimeo Referer: its domain-restricted videos answer to its domain.
        async with VimeoClient(town_settings(settings, town)) as vimeo:
            policy = RefreshPolicy.from_settings(settings)
            return await work(Curator(storage, image_store(storage, settings), vimeo, policy))

    return asyncio.run(run())


def _vimeo_id(raw: str) -> int:
    vimeo_id = video_id(raw)
    if vimeo_id is None:
        raise CommandError(N_("„%(value)s“ ist keine Vimeo-Videonummer."), value=raw)
    return vimeo_id


def _title(title: str) -> str:
    return title or _(UNTITLED)


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
    with open_storage(settings_for(args)).read() as reads:
        gallery_id = None
        if args.gallery:
            gallery = reads.gallery_by_slug(args.gallery)
            if gallery is None:
                raise RefusedInput(N_("Die Galerie „%(slug)s“ gibt es nicht."), slug=args.gallery)
            gallery_id = gallery.id
        statements = reads.statements(gallery_id)
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
        videos = open_storage(settings).videos()
        ids = [v.vimeo_id for v in videos]
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


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add these commands to the ``gallery`` parser; ``common`` carries the shared options."""
    add = add_command(sub, common, "add", N_("ein Video per Link oder Nummer hinzufügen"))
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

    lst = add_command(sub, common, "list", N_("alle Statements auflisten"))
    lst.add_argument("--json", action="store_true", help=_("als JSON ausgeben"))
    lst.add_argument("--gallery", metavar=_("KURZADRESSE"), help=_("nur diese Galerie"))
    lst.set_defaults(func=cmd_list)

    remove = add_command(sub, common, "remove", N_("ein Video entfernen"))
    remove.add_argument("vimeo_id", metavar="ID")
    remove.add_argument("--gallery", metavar=_("KURZADRESSE"), help=_("nur aus dieser Galerie"))
    remove.set_defaults(func=cmd_remove)

    refresh = add_command(
        sub, common, "refresh", N_("die Angaben von Vimeo neu abrufen (eines oder alle Videos)")
    )
    refresh.add_argument("vimeo_id", metavar="ID", nargs="?")
    refresh.add_argument("--all", action="store_true", help=_("alle Videos"))
    refresh.set_defaults(func=cmd_refresh)
