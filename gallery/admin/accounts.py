"""Editors' accounts: their names, and creating, removing and re-keying them (checked first)."""

from __future__ import annotations

import unicodedata

from ..errors import UserError
from ..i18n import gettext_noop as N_
from ..models import Editor
from ..storage.store import Reads, Transaction

MAX_NAME = 64
NAME_PUNCTUATION = frozenset("._-@")


class AccountError(UserError, ValueError):
    """A name or password cannot be used; ``message`` (German msgid) says why."""


def normalize_name(raw: str) -> tuple[str, str]:
    """(display name, lookup key) for an editor name; raises :class:`AccountError`."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if not name or len(name) > MAX_NAME:
        raise AccountError(N_("Der Name muss 1 bis 64 Zeichen lang sein."))
    if not all(c.isalnum() or c in NAME_PUNCTUATION for c in name):
        raise AccountError(
            N_("Der Name darf nur Buchstaben, Ziffern und die Zeichen . _ - @ enthalten (keine Leerzeichen).")
        )
    return name, name.casefold()


def lookup_key(raw: str) -> str:
    """The key a sign-in form's name is looked up by (no validation: any text simply finds nothing)."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def add_editor(tx: Transaction, raw_name: str, password_hash: str, *, operator: bool = False) -> Editor:
    """An editor of the transaction's town, or (``operator``) one who may work in every town."""
    name, key = normalize_name(raw_name)
    if tx.name_taken(key, operator=operator):
        raise AccountError(N_("Diesen Namen gibt es schon."))
    return tx.add_editor(name, key, password_hash, operator=operator)


def editor_for_sign_in(reads: Reads, raw_name: str) -> tuple[Editor, str] | None:
    """The account a sign-in form's name finds, and its password hash."""
    return reads.editor_by_key(lookup_key(raw_name))


def remove_editor(tx: Transaction, raw_name: str) -> Editor | None:
    """Delete an account and its sessions."""
    found = editor_for_sign_in(tx, raw_name)
    if found is None:
        return None
    tx.remove_editor(found[0].id)
    return found[0]


def set_password(tx: Transaction, raw_name: str, password_hash: str) -> Editor | None:
    """Replace the hash and end every session of that editor."""
    found = editor_for_sign_in(tx, raw_name)
    if found is None:
        return None
    tx.set_password_hash(found[0].id, password_hash)
    tx.end_sessions(found[0].id)
    return found[0]
