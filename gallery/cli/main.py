"""The ``gallery`` command: serve, add, list, remove, refresh, demo; editor, export, import, backup, copy-db.

On bad input every command prints one line saying why and exits non-zero; no tracebacks. A run
speaks the locale's language (German for a German locale, English otherwise), argparse included.
"""

from __future__ import annotations

import argparse
import gettext
import logging
import os
import sys
from collections.abc import Sequence

from ..content.curate import CurateError
from ..i18n import ARGPARSE_DOMAIN, fill, locale_dir
from ..i18n import gettext_noop as N_
from ..settings import SettingsError
from ..storage.engine import DatabaseUnavailable
from . import copies, editors, moving, serve, statements, towns
from .common import (
    EXIT_FAILED,
    EXIT_USAGE,
    CommandError,
    RefusedInput,
    _,
    add_town_option,
    ask_for_town,
    close_storages,
    warn,
)

# A process ended by SIGPIPE shows this status in the shell (128 + 13), as `seq 100000 | head` does.
EXIT_PIPE_CLOSED = 141
DATA_DIR_HELP = N_("Datenordner des Dienstes (Standard: GALLERY_DATA_DIR, sonst ./data)")


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
    # The commands about one town's data: their options and --town.
    towned = argparse.ArgumentParser(add_help=False, parents=[common])
    add_town_option(towned)

    # In the order of the README's command table.
    serve.register_serve(sub, common)
    statements.register(sub, towned)
    serve.register_demo(sub)
    editors.register(sub, towned)
    copies.register(sub, common, towned)
    moving.register(sub, common)
    towns.register(sub, common)
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
    ask_for_town(args)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except SettingsError as exc:
        warn(N_("Fehler in der Konfiguration: %(message)s"), message=exc.message)
        return EXIT_USAGE
    except (CurateError, CommandError, DatabaseUnavailable) as exc:
        warn(N_("Fehler: %(message)s"), message=fill(exc.message))
        return EXIT_USAGE if isinstance(exc, RefusedInput) else EXIT_FAILED
    finally:
        close_storages()


def _reader_gone() -> int:
    """The reader of our output left (``gallery list | head``): stop quietly, as Unix tools do."""
    # Anything still buffered must not fail again when the interpreter flushes at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE_CLOSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
