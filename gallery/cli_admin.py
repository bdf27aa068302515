"""The IT person's commands: editor accounts, export, import and backups."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import audit, auth
from .backup import backup_database, export_data, import_text
from .cli_base import EXIT_OK, CommandError, RefusedInput, open_database, settings_from_env
from .importcheck import ImportRefused
from .posters import PosterError
from .thumbnails import ThumbnailStore


def _read_password(args: argparse.Namespace, name: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
    else:
        password = getpass.getpass(f"Neues Passwort für {name}: ")
        if getpass.getpass("Noch einmal: ") != password:
            raise CommandError("Die beiden Eingaben stimmen nicht überein.")
    try:
        auth.check_new_password(name, password)
    except auth.AccountError as exc:
        raise CommandError(exc.message) from None
    return password


# --- editors -----------------------------------------------------------------------------


def cmd_editor_add(args: argparse.Namespace) -> int:
    try:
        name, _ = auth.normalize_name(args.name)
    except auth.AccountError as exc:
        raise CommandError(exc.message) from None
    db = open_database(settings_from_env())
    with db.connect() as conn:
        if auth.editor_for_sign_in(conn, name) is not None:
            raise CommandError(f"Das Konto „{name}“ gibt es schon.")
    password_hash = auth.hash_password(_read_password(args, name))
    try:
        with db.transaction() as conn:
            editor = auth.add_editor(conn, name, password_hash)
            audit.record(conn, audit.CLI_ACTOR, "editor.add", subject=editor.name)
    except auth.AccountError as exc:
        raise CommandError(exc.message) from None
    print(f"Konto angelegt: {editor.name}. Anmelden unter /admin/login.")
    return EXIT_OK


def cmd_editor_list(args: argparse.Namespace) -> int:
    with open_database(settings_from_env()).connect() as conn:
        found = auth.editors(conn)
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
        print("Noch keine Konten. Anlegen mit: gallery editor add NAME")
    for editor, sessions in found:
        print(
            f"{editor.name:<24} angelegt {editor.created_at}  "
            f"Passwort {editor.password_changed_at}  Sitzungen: {sessions}"
        )
    return EXIT_OK


def cmd_editor_remove(args: argparse.Namespace) -> int:
    with open_database(settings_from_env()).transaction() as conn:
        editor = auth.remove_editor(conn, args.name)
        if editor is None:
            raise CommandError(f"Das Konto „{args.name}“ gibt es nicht.")
        audit.record(conn, audit.CLI_ACTOR, "editor.remove", subject=editor.name)
    print(f"Konto entfernt: {editor.name}. Seine Sitzungen sind beendet.")
    return EXIT_OK


def cmd_editor_passwd(args: argparse.Namespace) -> int:
    db = open_database(settings_from_env())
    with db.connect() as conn:
        found = auth.editor_for_sign_in(conn, args.name)
    if found is None:
        raise CommandError(f"Das Konto „{args.name}“ gibt es nicht.")
    password_hash = auth.hash_password(_read_password(args, found[0].name))
    with db.transaction() as conn:
        editor = auth.set_password(conn, args.name, password_hash)
        if editor is None:
            raise CommandError(f"Das Konto „{args.name}“ gibt es nicht.")
        audit.record(conn, audit.CLI_ACTOR, "editor.passwd", subject=editor.name)
    print(f"Passwort geändert: {editor.name}. Alle Sitzungen dieses Kontos sind beendet.")
    return EXIT_OK


# --- export, import, backup --------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    data = export_data(open_database(settings), ThumbnailStore(settings.thumbnail_dir))
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.file in {None, "-"}:
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.file)
    _write_private(target, text)
    count = sum(len(g["statements"]) for g in data["galleries"])
    print(
        f"Exportiert: {len(data['galleries'])} Galerien, {count} Statements nach {target}.", file=sys.stderr
    )
    return EXIT_OK


def _write_private(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # drafts are not public
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(f"{target} kann nicht geschrieben werden: {exc.strerror}") from None


def cmd_import(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Die Datei kann nicht gelesen werden: {exc}") from None
    settings = settings_from_env()
    try:
        summary = import_text(
            text, open_database(settings), ThumbnailStore(settings.thumbnail_dir), audit.CLI_ACTOR
        )
    except ImportRefused as exc:
        reasons = "; ".join(exc.reasons)
        raise RefusedInput(f"Die Datei wird nicht importiert, nichts wurde geändert: {reasons}") from None
    except PosterError as exc:
        raise RefusedInput(f"Die Datei wird nicht importiert: {exc.message}") from None
    s = summary
    print(
        f"Importiert: Galerien {s.galleries_new} neu, {s.galleries_changed} geändert; Statements "
        f"{s.statements_new} neu, {s.statements_changed} geändert, {s.statements_same} unverändert."
    )
    if s.missing_thumbnails:
        print(
            f"{len(s.missing_thumbnails)} Vorschaubilder von Vimeo fehlen hier; "
            "„gallery refresh --all“ lädt sie neu.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    if not settings.database_path.is_file():
        raise CommandError(
            f"Unter {settings.database_path} gibt es keine Datenbank (GALLERY_DATA_DIR prüfen)."
        )
    target = Path(args.path)
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"gallery-{stamp}.sqlite3"
    if target.exists() and not args.force:
        raise CommandError(f"{target} gibt es schon; mit --force überschreiben.")
    try:
        info = backup_database(settings.database_path, target)
    except OSError as exc:
        raise CommandError(f"Die Sicherung konnte nicht geschrieben werden: {exc.strerror}") from None
    print(
        f"Gesichert: {info.path} ({info.size} Bytes, "
        f"{info.galleries} Galerien, {info.statements} Statements)."
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add these commands to the ``gallery`` parser."""
    editor = sub.add_parser("editor", help="Konten der Redaktion verwalten")
    esub = editor.add_subparsers(dest="editor_command", required=True, metavar="AKTION")
    add = esub.add_parser("add", help="ein Konto anlegen (fragt nach dem Passwort)")
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile von stdin lesen"
    )
    add.set_defaults(func=cmd_editor_add)
    lst = esub.add_parser("list", help="alle Konten auflisten")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_editor_list)
    remove = esub.add_parser("remove", help="ein Konto entfernen und seine Sitzungen beenden")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=cmd_editor_remove)
    passwd = esub.add_parser("passwd", help="ein Passwort ändern und die Sitzungen beenden")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile von stdin lesen"
    )
    passwd.set_defaults(func=cmd_editor_passwd)

    export = sub.add_parser("export", help="alle Galerien und Statements als JSON ausgeben")
    export.add_argument("file", metavar="DATEI", nargs="?", help="Zieldatei (Standard: stdout)")
    export.set_defaults(func=cmd_export)
    imp = sub.add_parser("import", help="eine Export-Datei einlesen (zusammenführen, nichts löschen)")
    imp.add_argument("file", metavar="DATEI", help="Export-Datei (- für stdin)")
    imp.set_defaults(func=cmd_import)
    backup = sub.add_parser("backup", help="eine Kopie der laufenden Datenbank ziehen")
    backup.add_argument("path", metavar="PFAD", help="Zieldatei oder Ordner (dann mit Zeitstempel im Namen)")
    backup.add_argument("--force", action="store_true", help="eine vorhandene Datei überschreiben")
    backup.set_defaults(func=cmd_backup)
