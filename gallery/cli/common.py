"""What every ``gallery`` subcommand shares: exit codes, the one-line error, language, settings, database.

One run speaks one language, chosen from the locale as gettext programs choose it (German for a
German locale, English otherwise): every text goes through :func:`_`, argparse's own through the
``argparse`` catalog.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..errors import UserError
from ..i18n import LOCALE_VARIABLES, environ_language, fill, translate
from ..i18n import gettext_noop as N_
from ..models import Town
from ..private import secure_data_dir
from ..settings import MissingDataDir, Settings
from ..storage.store import Storage
from .demo.standin_note import VIMEO_PREFIX, demo_settings, recorded_standin

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(UserError):
    """A one-line reason for the operator (a German message id and its values); exit code 1."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, **params))


class RefusedInput(CommandError):
    """What the operator handed in is not acceptable (nothing was changed); becomes exit code 2."""


def language() -> str:
    """The language of this run, from the locale variables (as gettext reads them)."""
    return _language(*(os.environ.get(name) for name in LOCALE_VARIABLES))


@cache  # asked for every line printed; the answer only changes with the variables
def _language(*values: str | None) -> str:
    return environ_language({k: v for k, v in zip(LOCALE_VARIABLES, values, strict=True) if v})


def _(message: str, /, **params: object) -> str:
    """``message`` (a German message id, or a text made with ``fill``) in this run's language.

    Values are filled in as they are, except texts made with ``fill``, which are translated too.
    """
    return translate(language(), fill(message, **params) if params else message)


def warn(message: str, /, **params: object) -> None:
    """One line on stderr, in this run's language."""
    print(_(message, **params), file=sys.stderr)


def add_command(
    parent: Any, common: argparse.ArgumentParser | None, name: str, help_text: str
) -> argparse.ArgumentParser:
    """A subcommand whose help is ``help_text`` in this run's language; ``common``: the shared options."""
    parser: argparse.ArgumentParser = parent.add_parser(
        name, help=_(help_text), description=_(help_text), parents=[common] if common else []
    )
    return parser


def settings_for(args: argparse.Namespace, *, create: bool = False) -> Settings:
    """The settings a command runs with: ``--data-dir`` wins over ``GALLERY_DATA_DIR``.

    Only ``serve`` and ``demo`` may create a missing data folder (``create``); every other
    command refuses it, creating nothing, so a typo never starts an empty second gallery.
    """
    try:
        return Settings.from_environ(command_environ(args), create=create)
    except MissingDataDir as exc:
        raise RefusedInput(
            N_(
                "Den Datenordner %(folder)s gibt es nicht. Mit --data-dir oder GALLERY_DATA_DIR den "
                "Datenordner des Dienstes angeben, oder ihn anlegen: mkdir -m 700 %(folder)s"
            ),
            folder=str(exc.folder),
        ) from None


def command_environ(args: argparse.Namespace) -> Mapping[str, str]:
    """The environment with ``--data-dir`` (when given) as ``GALLERY_DATA_DIR``."""
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None:
        return os.environ
    if not data_dir.strip():
        raise RefusedInput(N_("--data-dir braucht einen Ordner."))
    return {**os.environ, "GALLERY_DATA_DIR": data_dir}


def vimeo_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings``, pointed at the demo's Vimeo stand-in when the data folder is the demo's.

    ``gallery demo`` notes its stand-in's address in its data folder; set ``GALLERY_VIMEO_*``
    variables win. Said once on stderr, so nobody wonders why vimeo.com is not asked.
    """
    environ = command_environ(args)
    if any(name.startswith(VIMEO_PREFIX) and value.strip() for name, value in environ.items()):
        return settings
    url = recorded_standin(settings.data_dir)
    if url is None:
        return settings
    warn(
        N_("Demo-Datenordner: Anfragen an Vimeo gehen an den Vimeo-Ersatz der Demo unter %(url)s."),
        url=url,
    )
    return demo_settings(settings, url)


# What the running command opened: closed when it ends (a PostgreSQL pool holds connections).
_opened: list[Storage] = []
# The town the running command works on: False for a command about the whole installation,
# None when --town was not given (then the only town), else the key given.
_town_asked: list[str | bool | None] = [False]
TOWN_HELP = N_("die Stadt, um die es geht (ihr Kurzname; nötig, wenn die Installation mehrere hat)")


def add_town_option(parser: argparse.ArgumentParser) -> None:
    """``--town KEY`` for a command that works on one town's data."""
    parser.add_argument("--town", metavar=_("STADT"), default=None, help=_(TOWN_HELP))


def ask_for_town(args: argparse.Namespace) -> None:
    """Remember which town this run's command works on (before any storage is opened)."""
    _town_asked[0] = getattr(args, "town", False)


def open_storage(settings: Settings) -> Storage:
    """The service's data, migrated to the current schema, in an owner-only data dir.

    For a command with ``--town``: seen as that town's (without it: the only town's).
    """
    secure_data_dir(settings.data_dir)
    storage = Storage.from_settings(settings)
    _opened.append(storage)
    storage.migrate()
    asked = _town_asked[0]
    if asked is False:
        return storage
    return storage.for_town(chosen_town(storage, asked if isinstance(asked, str) else None).id)


def chosen_town(storage: Storage, key: str | None) -> Town:
    """The town named by ``--town``, or the only one; a one-line refusal otherwise."""
    towns = storage.towns()
    if key is None:
        if len(towns) > 1:
            raise RefusedInput(
                N_("Diese Installation hat mehrere Städte: bitte mit --town eine nennen (%(towns)s)."),
                towns=", ".join(t.key for t in towns),
            )
        return towns[0]
    found = next((t for t in towns if t.key == key.strip().lower()), None)
    if found is None:
        raise RefusedInput(N_("Die Stadt %(town)s gibt es nicht (gallery town list)."), town=repr(key))
    return found


def close_storages() -> None:
    """Close what :func:`open_storage` opened during this command."""
    while _opened:
        _opened.pop().close()
