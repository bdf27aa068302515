"""``gallery town add``, ``list``, ``edit`` and ``remove``: the towns one installation hosts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..content import audit
from ..content.posters import MAX_UPLOAD_BYTES
from ..content.townlooks import checked_logo
from ..content.towns import add_town, edit_town, remove_town, town_settings
from ..content.towntexts import TownError
from ..i18n import fill, os_reason
from ..i18n import gettext_noop as N_
from ..models import Image as StoredImage
from ..models import Town
from ..storage.thumbnails import image_store
from .common import EXIT_OK, RefusedInput, _, add_command, chosen_town, open_storage, settings_for

# Option → the town's value it sets, in the order ``town list --json`` shows them.
OPTIONS = {
    "name": "--name",
    "operator_name": "--operator-name",
    "hosts": "--host",
    "public_url": "--public-url",
    "imprint_url": "--imprint-url",
    "privacy_policy_url": "--privacy-policy-url",
    "accessibility_contact": "--accessibility-contact",
    "accessibility_created": "--accessibility-created",
    "accessibility_reviewed": "--accessibility-reviewed",
    "frame_ancestors": "--frame-ancestors",
    "cookie_mode": "--cookie-mode",
    "lang": "--lang",
    "vimeo_referer": "--vimeo-referer",
    "accent": "--accent",
    "logo_alt": "--logo-alt",
}


def _values(args: argparse.Namespace) -> dict[str, str]:
    """The values given on the command line (hosts joined), nothing for an option left out."""
    values = {}
    for name in OPTIONS:
        given = getattr(args, name)
        if given is not None:
            values[name] = " ".join(given) if isinstance(given, list) else given
    return values


def _texts(args: argparse.Namespace) -> dict[tuple[str, str, str], str]:
    """``--text notice/de/short=FILE`` as (kind, language, name) → the file's text."""
    texts = {}
    for entry in args.text or ():
        place, equals, file = entry.partition("=")
        parts = place.split("/")
        if not equals or len(parts) != 3 or not file:
            raise RefusedInput(
                N_(
                    "--text erwartet ART/SPRACHE/NAME=DATEI, etwa notice/de/short=kurz.html, nicht %(value)s."
                ),
                value=repr(entry),
            )
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else fill(N_("kein UTF-8"))
            raise RefusedInput(
                N_("Die Datei %(file)s kann nicht gelesen werden: %(reason)s."), file=file, reason=reason
            ) from None
        texts[(parts[0], parts[1], parts[2])] = text
    return texts


def _read(file: str, limit: int | None = None) -> bytes:
    try:
        with Path(file).open("rb") as opened:
            return opened.read(-1 if limit is None else limit)
    except OSError as exc:
        raise RefusedInput(
            N_("Die Datei %(file)s kann nicht gelesen werden: %(reason)s."), file=file, reason=os_reason(exc)
        ) from None


def _logo(args: argparse.Namespace) -> StoredImage | None:
    """``--logo FILE``, checked and re-encoded as an editor's upload is (nothing stored yet)."""
    if args.logo is None:
        return None
    try:
        return checked_logo(_read(args.logo, MAX_UPLOAD_BYTES + 1))
    except TownError as exc:
        raise RefusedInput(N_("Logo %(file)s: %(reason)s"), file=args.logo, reason=exc.message) from None


def cmd_town_add(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    storage = open_storage(settings)
    logo = _logo(args)
    try:
        town = add_town(
            storage,
            settings,
            args.key,
            _values(args),
            _texts(args),
            logo=logo,
            images=image_store(storage, settings) if logo else None,
        )
    except TownError as exc:
        raise RefusedInput(exc.message) from None
    print(_("Stadt angelegt: %(town)s. Konten: gallery editor add NAME --town %(town)s", town=town.key))
    return EXIT_OK


def cmd_town_edit(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    storage = open_storage(settings)
    town = chosen_town(storage, args.key)
    values = _values(args)
    if args.new_key is not None:
        values["key"] = args.new_key
    texts = _texts(args)
    if args.no_logo and args.logo is not None:
        raise RefusedInput(N_("Bitte entweder --logo oder --no-logo angeben, nicht beides."))
    logo = _logo(args)
    if not values and not texts and logo is None and not args.no_logo:
        raise RefusedInput(
            N_("Nichts zu ändern: bitte mindestens eine Angabe machen (gallery town edit --help).")
        )
    try:
        town = edit_town(
            storage,
            settings,
            town,
            values,
            texts,
            logo=logo,
            remove_logo=args.no_logo,
            images=image_store(storage, settings),
            actor=audit.CLI_ACTOR,
        )
    except TownError as exc:
        raise RefusedInput(exc.message) from None
    print(_("Stadt geändert: %(town)s.", town=town.key))
    return EXIT_OK


def cmd_town_remove(args: argparse.Namespace) -> int:
    storage = open_storage(settings_for(args))
    town = chosen_town(storage, args.key)
    if not args.yes:
        raise RefusedInput(
            N_(
                "Das löscht die Stadt %(town)s mit allen Galerien, Statements, Konten und dem Protokoll; "
                "bitte mit --yes bestätigen (vorher sichern: gallery export --town %(town)s)."
            ),
            town=town.key,
        )
    try:
        remove_town(storage, town)
    except TownError as exc:
        raise RefusedInput(exc.message) from None
    print(_("Stadt entfernt: %(town)s.", town=town.key))
    return EXIT_OK


def _shown(town: Town, args: argparse.Namespace) -> dict[str, Any]:
    settings = town_settings(settings_for(args), town)
    return {
        "key": town.key,
        "default": town.is_default,
        **{name: getattr(town, name) for name in OPTIONS},
        "logo": town.logo,
        "hosts": list(town.hosts),
        "frame_ancestors": list(town.frame_ancestors),
        "answers_for": sorted(settings.allowed_hosts),
        "public_url_in_use": settings.public_url,
    }


def cmd_town_list(args: argparse.Namespace) -> int:
    towns = open_storage(settings_for(args)).towns()
    if args.json:
        print(json.dumps([_shown(t, args) for t in towns], ensure_ascii=False, indent=2))
        return EXIT_OK
    for town in towns:
        hosts = " ".join(town.hosts) or _("(aus den Einstellungen)")
        mark = "*" if town.is_default else " "
        print(f"{mark} {town.key:<20} {town.name or '-':<30} {hosts}")
    return EXIT_OK


def _town_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help=_("Name der Stadt, wie Besucher ihn lesen"))
    parser.add_argument("--operator-name", help=_("wer in den Rechtstexten als Betreiber steht"))
    parser.add_argument(
        "--host",
        dest="hosts",
        action="append",
        metavar=_("HOST"),
        help=_("ein genauer Hostname wie videos.stadt.de (mehrfach möglich; ersetzt die bisherigen)"),
    )
    parser.add_argument("--public-url", help=_("öffentliche Adresse, etwa https://videos.stadt.de"))
    parser.add_argument("--imprint-url", help=_("Adresse des Impressums der Stadt"))
    parser.add_argument("--privacy-policy-url", help=_("Adresse der Datenschutzerklärung der Stadt"))
    parser.add_argument(
        "--accessibility-contact",
        help=_("E-Mail-Adresse oder Adresse für Rückmeldungen zur Barrierefreiheit"),
    )
    parser.add_argument(
        "--accessibility-created",
        metavar=_("JJJJ-MM-TT"),
        help=_("Erklärung zur Barrierefreiheit erstellt am"),
    )
    parser.add_argument(
        "--accessibility-reviewed", metavar=_("JJJJ-MM-TT"), help=_("Erklärung zuletzt überprüft am")
    )
    parser.add_argument(
        "--frame-ancestors", help=_("Seiten, die die Galerien einbetten dürfen, etwa https://www.stadt.de")
    )
    parser.add_argument(
        "--cookie-mode",
        choices=("same-site", "cross-site"),
        help=_("wie das Einwilligungs-Cookie gesetzt wird"),
    )
    parser.add_argument("--lang", help=_("Sprache der ersten Galerie (de oder en)"))
    parser.add_argument(
        "--vimeo-referer", help=_("Referer für Vimeo-Anfragen (Videos mit Domain-Beschränkung)")
    )
    parser.add_argument("--accent", help=_("Akzentfarbe der Stadt und ihrer ersten Galerie, etwa #0b6e4f"))
    parser.add_argument(
        "--logo",
        metavar=_("DATEI"),
        help=_("Logo der Stadt und ihrer ersten Galerie: ein PNG-, JPEG- oder WebP-Bild (kein SVG)"),
    )
    parser.add_argument("--logo-alt", metavar=_("TEXT"), help=_("Text des Logos für Screenreader"))
    parser.add_argument(
        "--text",
        action="append",
        metavar=_("ART/SPRACHE/NAME=DATEI"),
        help=_(
            "ein eigener Text der Stadt aus einer Datei: notice/de/short, notice/de/full, "
            "accessibility/de/statement (und /en/)"
        ),
    )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``town`` and its actions to the ``gallery`` parser; ``common`` carries the shared options."""
    town = add_command(sub, common, "town", N_("die Städte dieser Installation verwalten"))
    tsub = town.add_subparsers(dest="town_command", required=True, metavar=_("AKTION"))
    add = add_command(tsub, common, "add", N_("eine Stadt anlegen, mit ihrer ersten Galerie"))
    add.add_argument("key", metavar=_("KURZNAME"))
    _town_options(add)
    add.set_defaults(func=cmd_town_add)
    lst = add_command(tsub, common, "list", N_("alle Städte auflisten"))
    lst.add_argument("--json", action="store_true", help=_("als JSON ausgeben"))
    lst.set_defaults(func=cmd_town_list)
    edit = add_command(tsub, common, "edit", N_("Angaben einer Stadt ändern"))
    edit.add_argument("key", metavar=_("KURZNAME"))
    edit.add_argument("--key", dest="new_key", metavar=_("NEUER-KURZNAME"), help=_("die Stadt umbenennen"))
    _town_options(edit)
    edit.add_argument(
        "--no-logo", action="store_true", help=_("das Logo der Stadt und ihrer ersten Galerie entfernen")
    )
    edit.set_defaults(func=cmd_town_edit)
    remove = add_command(tsub, common, "remove", N_("eine Stadt mit allen ihren Daten löschen"))
    remove.add_argument("key", metavar=_("KURZNAME"))
    remove.add_argument("--yes", action="store_true", help=_("das Löschen bestätigen"))
    remove.set_defaults(func=cmd_town_remove)
