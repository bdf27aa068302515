"""``gallery copy-db``: an installation's data into an empty database of the other engine, checked.

SQLite to PostgreSQL (when a town moves to several instances) and back: every table row for row,
and the images, which are files beside SQLite and rows in PostgreSQL. The target must be unused;
afterwards each table's row count and content hash are compared on both sides.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..i18n import gettext_noop as N_
from ..models import Image, sniff_image
from ..private import secure_data_dir
from ..settings import Secret, Settings, SettingsError
from ..storage.copying import checks, copy_tables, used_tables
from ..storage.store import Storage
from ..storage.thumbnails import ImageStore, image_store
from .common import EXIT_OK, CommandError, RefusedInput, _, add_command, open_storage, settings_for

SCHEMES = ("postgresql://", "postgres://")


def cmd_copy_db(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    target_settings = _target_settings(settings, args.to)
    where = target_settings.database_place
    if where == settings.database_place:
        raise RefusedInput(N_("Quelle und Ziel sind dieselbe Datenbank: %(target)s."), target=where)
    source = open_storage(settings)
    target = Storage.from_settings(target_settings)
    try:
        return _copy(settings, source, target_settings, target, where)
    finally:
        target.close()


def _copy(settings: Settings, source: Storage, target_settings: Settings, target: Storage, where: str) -> int:
    target.check_reachable()
    unused_file = target_settings.database_url is None and not target_settings.database_path.exists()
    used = [] if unused_file else used_tables(target)
    target_images = image_store(target, target_settings)
    if not target.keeps_images and target_images.names():  # files beside SQLite; else a table above
        used.append("images")
    if used:
        raise RefusedInput(
            N_(
                "Das Ziel %(target)s ist nicht leer (%(tables)s): gallery copy-db kopiert nur in eine "
                "leere Datenbank. Nichts wurde geschrieben."
            ),
            target=where,
            tables=", ".join(used),
        )
    if target_settings.database_url is None:
        secure_data_dir(target_settings.data_dir)
    target.migrate()
    source_images = image_store(source, settings)
    copied = _copy_images(source_images, target_images)
    try:
        copy_tables(source, target)
    except target.errors as exc:
        for name in copied:
            target_images.discard(name)
        raise CommandError(
            N_("Das Kopieren ist fehlgeschlagen; im Ziel wurde nichts gespeichert: %(reason)s."),
            reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        ) from None
    before, after = checks(source), checks(target)
    differ = [a.table for a, b in zip(before, after, strict=True) if a != b]
    if _image_digests(source_images) != _image_digests(target_images):
        differ.append("images")
    if differ:
        raise CommandError(
            N_("Die Kopie in %(target)s weicht in %(tables)s von der Quelle ab."),
            target=where,
            tables=", ".join(differ),
        )
    tables = ", ".join(f"{check.table} {check.rows}" for check in after)
    print(
        _(
            "Kopiert nach %(target)s und Zeile für Zeile geprüft (Anzahl und Prüfsumme je Tabelle): "
            "%(tables)s; Bilder %(images)s.",
            target=where,
            tables=tables,
            images=len(copied),
        )
    )
    return EXIT_OK


def _copy_images(source: ImageStore, target: ImageStore) -> list[str]:
    """Every stored image, under the same name (it is the hash of the bytes)."""
    copied = []
    for name in sorted(source.names()):
        data = source.load(name)
        kind = sniff_image(data) if data is not None else None
        if data is None or kind is None:
            continue  # a damaged file: the check below names the difference
        copied.append(target.save(Image(data, kind[0], kind[1])))
    return copied


def _image_digests(images: ImageStore) -> dict[str, str]:
    found = {}
    for name in images.names():
        data = images.load(name)
        found[name] = hashlib.sha256(data).hexdigest() if data is not None else ""
    return found


def _target_settings(settings: Settings, raw: str) -> Settings:
    """The settings of the target: a PostgreSQL database by URL, or a data folder for SQLite."""
    value = raw.strip()
    if value.startswith(SCHEMES):
        try:
            return replace(settings, database_url=Secret(value)).checked()
        except SettingsError as exc:
            raise RefusedInput(exc.message) from None
    if "://" in value or not value:
        raise RefusedInput(
            N_("--to braucht eine postgresql://-Adresse oder einen Datenordner, nicht %(value)s."),
            value=repr(value.split("@")[-1]),
        )
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise RefusedInput(
            N_("Den Ordner %(folder)s gibt es nicht; er wird nicht angelegt."), folder=str(folder)
        )
    return replace(settings, data_dir=folder, database_url=None)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``copy-db`` to the ``gallery`` parser; ``common`` carries the shared options."""
    copy = add_command(
        sub,
        common,
        "copy-db",
        N_("alle Daten in eine leere Datenbank kopieren (SQLite ↔ PostgreSQL) und die Kopie prüfen"),
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar=_("ZIEL"),
        help=_("eine postgresql://-Adresse, oder ein Datenordner für SQLite"),
    )
    copy.set_defaults(func=cmd_copy_db)
