"""The demo's editor account: a name and a password printed on the console (``gallery demo`` only)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ...admin import accounts, passwords
from ...content import audit
from ...settings import Settings
from ...storage.store import Storage

DEMO_EDITOR = "demo"
PASSWORD_FILE = "demo-editor-password"  # noqa: S105 - a file name
# No 0/o, 1/l/i: the password is read off a console and typed in by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - the letters to draw from


def demo_password(data_dir: Path) -> str:
    """The demo editor's password: made once per demo data dir and kept there (mode 0600)."""
    path = data_dir / PASSWORD_FILE
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        password = ""
    try:
        passwords.check_new_password(DEMO_EDITOR, password)
    except accounts.AccountError:  # missing or damaged: make a new one
        password = "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        tmp = data_dir / f".{PASSWORD_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        os.replace(tmp, path)
    return password


def ensure_demo_editor(settings: Settings) -> tuple[str, str]:
    """Name and password of the demo's editor account, created (or its password reset) to match."""
    password = demo_password(settings.data_dir)
    storage = Storage.from_settings(settings)
    storage.migrate()
    try:
        found = accounts.editor_for_sign_in(storage, DEMO_EDITOR)
        if found is not None and passwords.verify_password(found[1], password):
            return DEMO_EDITOR, password
        password_hash = passwords.hash_password(password)
        with storage.transaction() as tx:
            if found is None:
                accounts.add_editor(tx, DEMO_EDITOR, password_hash)
                audit.record(tx, audit.CLI_ACTOR, "editor.add", subject=DEMO_EDITOR)
            else:  # changed in the meantime: the console must print a password that works
                accounts.set_password(tx, DEMO_EDITOR, password_hash)
                audit.record(tx, audit.CLI_ACTOR, "editor.passwd", subject=DEMO_EDITOR)
    finally:
        storage.close()
    return DEMO_EDITOR, password
