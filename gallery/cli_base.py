"""What every ``gallery`` subcommand shares: exit codes, the one-line error, settings, database."""

from __future__ import annotations

import os

from .db import Database
from .private import secure_data_dir
from .settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A one-line reason for the operator; becomes exit code 1."""


class RefusedInput(CommandError):
    """What the operator handed in is not acceptable (nothing was changed); becomes exit code 2."""


def settings_from_env() -> Settings:
    return Settings.from_environ(os.environ)


def open_database(settings: Settings) -> Database:
    """The service's database, migrated to the current schema, in an owner-only data dir."""
    secure_data_dir(settings.data_dir)
    db = Database(settings.database_path)
    db.migrate()
    return db
