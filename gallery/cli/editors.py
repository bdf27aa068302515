"""``gallery editor add``, ``list``, ``passwd`` and ``remove``: editors' accounts."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from ..admin import accounts, passwords
from ..content import audit
from ..i18n import gettext_noop as N_
from .common import EXIT_OK, CommandError, _, add_command, open_storage, settings_for

NO_ACCOUNT = N_("Das Konto „%(name)s“ gibt es nicht.")


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


def cmd_editor_add(args: argparse.Namespace) -> int:
    try:
        name, _key = accounts.normalize_name(args.name)
    except accounts.AccountError as exc:
        raise CommandError(exc.message) from None
    storage = open_storage(settings_for(args))
    if storage.name_taken(_key, operator=args.operator):
        raise CommandError(N_("Das Konto „%(name)s“ gibt es schon."), name=name)
    password_hash = passwords.hash_password(_read_password(args, name))
    try:
        with storage.transaction() as tx:
            editor = accounts.add_editor(tx, name, password_hash, operator=args.operator)
            audit.record(tx, audit.CLI_ACTOR, "editor.add", subject=editor.name)
    except accounts.AccountError as exc:
        raise CommandError(exc.message) from None
    print(_("Konto angelegt: %(name)s. Anmelden unter /admin/login.", name=editor.name))
    return EXIT_OK


def cmd_editor_list(args: argparse.Namespace) -> int:
    found = open_storage(settings_for(args)).editors()
    if args.json:
        items = [
            {
                "name": e.name,
                "created_at": e.created_at,
                "password_changed_at": e.password_changed_at,
                "sessions": n,
                "operator": e.operator,
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
        if editor.operator:
            details += "  " + _("Betrieb: alle Städte")
        print(f"{editor.name:<24} {details}")
    return EXIT_OK


def cmd_editor_remove(args: argparse.Namespace) -> int:
    with open_storage(settings_for(args)).transaction() as tx:
        editor = accounts.remove_editor(tx, args.name)
        if editor is None:
            raise CommandError(NO_ACCOUNT, name=args.name)
        audit.record(tx, audit.CLI_ACTOR, "editor.remove", subject=editor.name)
    print(_("Konto entfernt: %(name)s. Seine Sitzungen sind beendet.", name=editor.name))
    return EXIT_OK


def cmd_editor_passwd(args: argparse.Namespace) -> int:
    storage = open_storage(settings_for(args))
    found = accounts.editor_for_sign_in(storage, args.name)
    if found is None:
        raise CommandError(NO_ACCOUNT, name=args.name)
    password_hash = passwords.hash_password(_read_password(args, found[0].name))
    with storage.transaction() as tx:
        editor = accounts.set_password(tx, args.name, password_hash)
        if editor is None:
            raise CommandError(NO_ACCOUNT, name=args.name)
        audit.record(tx, audit.CLI_ACTOR, "editor.passwd", subject=editor.name)
    print(_("Passwort geändert: %(name)s. Alle Sitzungen dieses Kontos sind beendet.", name=editor.name))
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``editor`` and its actions to the ``gallery`` parser; ``common`` carries the shared options."""
    stdin_help = _("Passwort aus der ersten Zeile von stdin lesen")
    editor = add_command(sub, common, "editor", N_("Konten der Redaktion verwalten"))
    esub = editor.add_subparsers(dest="editor_command", required=True, metavar=_("AKTION"))
    add = add_command(esub, common, "add", N_("ein Konto anlegen (fragt nach dem Passwort)"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add.add_argument(
        "--operator",
        action="store_true",
        help=_("ein Konto für den Betrieb: darf in jeder Stadt der Installation arbeiten"),
    )
    add.set_defaults(func=cmd_editor_add)
    lst = add_command(esub, common, "list", N_("alle Konten auflisten"))
    lst.add_argument("--json", action="store_true", help=_("als JSON ausgeben"))
    lst.set_defaults(func=cmd_editor_list)
    remove = add_command(esub, common, "remove", N_("ein Konto entfernen und seine Sitzungen beenden"))
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=cmd_editor_remove)
    passwd = add_command(esub, common, "passwd", N_("ein Passwort ändern und die Sitzungen beenden"))
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", help=stdin_help)
    passwd.set_defaults(func=cmd_editor_passwd)
