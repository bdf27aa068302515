"""The IT person's commands: editor accounts, export, import and backups."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..admin import accounts, passwords
from ..content import audit
from ..content.importcheck import ImportRefused
from ..content.posters import PosterError
from ..content.transfer import backup_database, export_data, import_text
from ..i18n import fill, os_reason
from ..i18n import gettext_noop as N_
from ..private import DIR_MODE
from ..storage.thumbnails import ThumbnailStore
from .common import EXIT_OK, CommandError, RefusedInput, _, open_database, settings_for, warn

NO_ACCOUNT = N_("Das Konto „%(name)s“ gibt es nicht.")
NOT_UTF8 = N_("Die Datei %(file)s kann nicht gelesen werden: Sie ist kein UTF-8-Text.")


def _read_password(args: argparse.Namespace, name: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
    else:
        password = getpass.getpass(_("Neues Passwort für %(name)s: ", name=name))
        if getpass.getpass(_("Noch einmal: ")) != password:
            raise CommandError(N_("Die beiden Eingaben stimmen nicht überein."))
    try:
        passwords.check_new_password(name, password)
    except accounts.AccountError as exc:
        raise CommandError(exc.message) from None
    return password


# --- editors -----------------------------------------------------------------------------


def cmd_editor_add(args: argparse.Namespace) -> int:
    try:
        name, _key = accounts.normalize_name(args.name)
    except accounts.AccountError as exc:
        raise CommandError(exc.message) from None
    db = open_database(settings_for(args))
    with db.connect() as conn:
        if accounts.editor_for_sign_in(conn, name) is not None:
            raise CommandError(N_("Das Konto „%(name)s“ gibt es schon."), name=name)
    password_hash = passwords.hash_password(_read_password(args, name))
    try:
        with db.transaction() as conn:
            editor = accounts.add_editor(conn, name, password_hash)
            audit.record(conn, audit.CLI_ACTOR, "editor.add", subject=editor.name)
    except accounts.AccountError as exc:
        raise CommandError(exc.message) from None
    print(_("Konto angelegt: %(name)s. Anmelden unter /admin/login.", name=editor.name))
    return EXIT_OK


def cmd_editor_list(args: argparse.Namespace) -> int:
    with open_database(settings_for(args)).connect() as conn:
        found = accounts.editors(conn)
    if args.json:
        items = [
            {
                "name": e.name,
                "created_at": e.created_at,
                "password_changed_at": e.password_changed_at,
                "sessions": n,
            }
            for e, n in found
        ]
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        print(_("Noch keine Konten. Anlegen mit: gallery editor add NAME"))
    for editor, sessions in found:
        details = _(
            "angelegt %(created)s  Passwort %(changed)s  Sitzungen: %(sessions)s",
            created=editor.created_at,
            changed=editor.password_changed_at,
            sessions=sessions,
        )
        print(f"{editor.name:<24} {details}")
    return EXIT_OK


def cmd_editor_remove(args: argparse.Namespace) -> int:
    with open_database(settings_for(args)).transaction() as conn:
        editor = accounts.remove_editor(conn, args.name)
        if editor is None:
            raise CommandError(NO_ACCOUNT, name=args.name)
        audit.record(conn, audit.CLI_ACTOR, "editor.remove", subject=editor.name)
    print(_("Konto entfernt: %(name)s. Seine Sitzungen sind beendet.", name=editor.name))
    return EXIT_OK


def cmd_editor_passwd(args: argparse.Namespace) -> int:
    db = open_database(settings_for(args))
    with db.connect() as conn:
        found = accounts.editor_for_sign_in(conn, args.name)
    if found is None:
        raise CommandError(NO_ACCOUNT, name=args.name)
    password_hash = passwords.hash_password(_read_password(args, found[0].name))
    with db.transaction() as conn:
        editor = accounts.set_password(conn, args.name, password_hash)
        if editor is None:
            raise CommandError(NO_ACCOUNT, name=args.name)
        audit.record(conn, audit.CLI_ACTOR, "editor.passwd", subject=editor.name)
    print(_("Passwort geändert: %(name)s. Alle Sitzungen dieses Kontos sind beendet.", name=editor.name))
    return EXIT_OK


# --- export, import, backup --------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    target = None if args.file in {None, "-"} else Path(args.file)
    if target is not None:
        _check_target(target, args.force)
    data = export_data(open_database(settings), ThumbnailStore(settings.thumbnail_dir))
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
        summary = import_text(
            text, open_database(settings), ThumbnailStore(settings.thumbnail_dir), audit.CLI_ACTOR
        )
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
    if not settings.database_path.is_file():
        raise CommandError(
            N_("Unter %(path)s gibt es keine Datenbank (--data-dir oder GALLERY_DATA_DIR prüfen)."),
            path=str(settings.database_path),
        )
    target = _backup_target(args.path)
    _check_target(target, args.force)
    try:
        info = backup_database(settings.database_path, target)
    except (OSError, sqlite3.Error) as exc:
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


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add these commands to the ``gallery`` parser; ``common`` carries the shared options."""

    def command(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        return parent.add_parser(  # type: ignore[no-any-return]
            name, help=_(help_text), description=_(help_text), parents=[common]
        )

    stdin_help = _("Passwort aus der ersten Zeile von stdin lesen")
    editor = command(sub, "editor", N_("Konten der Redaktion verwalten"))
    esub = editor.add_subparsers(dest="editor_command", required=True, metavar=_("AKTION"))
    add = command(esub, "add", N_("ein Konto anlegen (fragt nach dem Passwort)"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add.set_defaults(func=cmd_editor_add)
    lst = command(esub, "list", N_("alle Konten auflisten"))
    lst.add_argument("--json", action="store_true", help=_("als JSON ausgeben"))
    lst.set_defaults(func=cmd_editor_list)
    remove = command(esub, "remove", N_("ein Konto entfernen und seine Sitzungen beenden"))
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=cmd_editor_remove)
    passwd = command(esub, "passwd", N_("ein Passwort ändern und die Sitzungen beenden"))
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", help=stdin_help)
    passwd.set_defaults(func=cmd_editor_passwd)

    export = command(sub, "export", N_("alle Galerien und Statements als JSON ausgeben"))
    export.add_argument("file", metavar=_("DATEI"), nargs="?", help=_("Zieldatei (Standard: stdout)"))
    export.add_argument("--force", action="store_true", help=_("eine vorhandene Datei überschreiben"))
    export.set_defaults(func=cmd_export)
    imp = command(sub, "import", N_("eine Export-Datei einlesen (zusammenführen, nichts löschen)"))
    imp.add_argument("file", metavar=_("DATEI"), help=_("Export-Datei (- für stdin)"))
    imp.set_defaults(func=cmd_import)
    backup = command(sub, "backup", N_("eine Kopie der laufenden Datenbank ziehen"))
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
