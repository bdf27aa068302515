"""``gallery export``, ``import`` and ``backup``: portable JSON, merging it back, the live database."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..content import audit
from ..content.importcheck import ImportRefused
from ..content.posters import PosterError
from ..content.transfer import export_data, import_text
from ..i18n import fill, os_reason
from ..i18n import gettext_noop as N_
from ..private import DIR_MODE
from ..storage.store import Storage
from ..storage.thumbnails import image_store
from .common import EXIT_OK, CommandError, RefusedInput, _, add_command, open_storage, settings_for, warn

NOT_UTF8 = N_("Die Datei %(file)s kann nicht gelesen werden: Sie ist kein UTF-8-Text.")


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    target = None if args.file in {None, "-"} else Path(args.file)
    if target is not None:
        _check_target(target, args.force)
    storage = open_storage(settings)
    data = export_data(storage, image_store(storage, settings))
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if target is None:
        sys.stdout.write(text)
        return EXIT_OK
    _write_private(target, text)
    count = sum(len(g["statements"]) for g in data["galleries"])
    warn(
        N_("Exportiert: %(galleries)s Galerien, %(statements)s Statements nach %(file)s."),
        galleries=len(data["galleries"]),
        statements=count,
        file=str(target),
    )
    return EXIT_OK


def _check_target(target: Path, force: bool) -> None:
    """Refuse a file that would be overwritten without ``--force``, and a folder that is not there."""
    if target.is_dir():
        raise RefusedInput(N_("%(path)s ist ein Ordner; bitte einen Dateinamen angeben."), path=str(target))
    if not target.parent.is_dir():
        raise RefusedInput(
            N_("Den Ordner %(folder)s gibt es nicht; er wird nicht angelegt."), folder=str(target.parent)
        )
    if target.exists() and not force:
        raise RefusedInput(N_("%(path)s gibt es schon; mit --force überschreiben."), path=str(target))


def _write_private(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # drafts are not public
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(
            N_("%(path)s lässt sich nicht schreiben: %(reason)s."), path=str(target), reason=os_reason(exc)
        ) from None


def cmd_import(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(
            N_("Die Datei %(file)s kann nicht gelesen werden: %(reason)s."),
            file=args.file,
            reason=os_reason(exc),
        ) from None
    except UnicodeDecodeError:
        raise CommandError(NOT_UTF8, file=args.file) from None
    try:
        storage = open_storage(settings)
        summary = import_text(text, storage, image_store(storage, settings), audit.CLI_ACTOR)
    except ImportRefused as exc:
        reasons = "; ".join(_(reason) for reason in exc.reasons)
        raise RefusedInput(
            N_("Die Datei wird nicht importiert, nichts wurde geändert: %(reasons)s"), reasons=reasons
        ) from None
    except PosterError as exc:
        raise RefusedInput(
            N_("Die Datei wird nicht importiert: %(reason)s"), reason=fill(exc.message)
        ) from None
    s = summary
    print(
        _(
            "Importiert: Galerien %(galleries_new)s neu, %(galleries_changed)s geändert; Statements "
            "%(statements_new)s neu, %(statements_changed)s geändert, %(statements_same)s unverändert.",
            galleries_new=s.galleries_new,
            galleries_changed=s.galleries_changed,
            statements_new=s.statements_new,
            statements_changed=s.statements_changed,
            statements_same=s.statements_same,
        )
    )
    if s.missing_thumbnails:
        warn(
            N_("%(count)s Vorschaubilder von Vimeo fehlen hier; „gallery refresh --all“ lädt sie neu."),
            count=len(s.missing_thumbnails),
        )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if settings.database_url is not None:
        raise RefusedInput(
            N_(
                "Eine PostgreSQL-Datenbank sichert pg_dump (etwa pg_dump --format=custom), nicht "
                "gallery backup."
            )
        )
    if not settings.database_path.is_file():
        raise CommandError(
            N_("Unter %(path)s gibt es keine Datenbank (--data-dir oder GALLERY_DATA_DIR prüfen)."),
            path=str(settings.database_path),
        )
    target = _backup_target(args.path)
    _check_target(target, args.force)
    storage = Storage.sqlite(settings.database_path)  # not migrated: a copy shows the file as it is
    failures: tuple[type[Exception], ...] = (OSError, *storage.errors)
    try:
        info = storage.backup(target)
    except failures as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise CommandError(
            N_("Die Sicherung ließ sich nicht schreiben: %(reason)s."), reason=reason
        ) from None
    print(
        _(
            "Gesichert: %(path)s (%(size)s Bytes, %(galleries)s Galerien, %(statements)s Statements).",
            path=str(info.path),
            size=info.size,
            galleries=info.galleries,
            statements=info.statements,
        )
    )
    return EXIT_OK


def _backup_target(raw: str) -> Path:
    """The file a backup goes to; a folder gets a time-stamped name inside it.

    A path ending in ``/`` or naming an existing folder is a folder. A missing folder is created
    (owner only), but only the last level: its parent must exist, so a typo never builds a tree.
    """
    path = Path(raw)
    if not (raw.endswith(("/", os.sep)) or path.is_dir()):
        return path
    if not path.exists():
        if not path.parent.is_dir():
            raise RefusedInput(
                N_("Den Ordner %(folder)s gibt es nicht; nur %(name)s darin würde angelegt."),
                folder=str(path.parent),
                name=path.name,
            )
        try:
            path.mkdir(mode=DIR_MODE)  # backups hold drafts and accounts' hashes
        except OSError as exc:
            raise CommandError(
                N_("Der Ordner %(folder)s lässt sich nicht anlegen: %(reason)s."),
                folder=str(path),
                reason=os_reason(exc),
            ) from None
    elif not path.is_dir():
        raise RefusedInput(N_("%(path)s ist kein Ordner."), path=str(path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return path / f"gallery-{stamp}.sqlite3"


def register(sub: Any, common: argparse.ArgumentParser, towned: argparse.ArgumentParser) -> None:
    """Add these commands to the ``gallery`` parser; ``common`` carries the shared options (``towned``
    with ``--town``: export and import are one town's)."""
    export = add_command(sub, towned, "export", N_("alle Galerien und Statements als JSON ausgeben"))
    export.add_argument("file", metavar=_("DATEI"), nargs="?", help=_("Zieldatei (Standard: stdout)"))
    export.add_argument("--force", action="store_true", help=_("eine vorhandene Datei überschreiben"))
    export.set_defaults(func=cmd_export)
    imp = add_command(
        sub, towned, "import", N_("eine Export-Datei einlesen (zusammenführen, nichts löschen)")
    )
    imp.add_argument("file", metavar=_("DATEI"), help=_("Export-Datei (- für stdin)"))
    imp.set_defaults(func=cmd_import)
    backup = add_command(sub, common, "backup", N_("eine Kopie der laufenden Datenbank ziehen"))
    backup.add_argument(
        "path",
        metavar=_("PFAD"),
        help=_(
            "Zieldatei, oder ein Ordner (endet auf / oder gibt es schon): darin eine Datei mit "
            "Zeitstempel im Namen; ein fehlender Ordner wird angelegt, nicht aber sein Elternordner"
        ),
    )
    backup.add_argument("--force", action="store_true", help=_("eine vorhandene Datei überschreiben"))
    backup.set_defaults(func=cmd_backup)
