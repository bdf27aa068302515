"""Editors' changes to statements: checked values, lost-update detection, the audit trail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import gettext_noop as N_
from ..models import AuditEntry, Statement
from ..storage.statements import STATEMENT_TEXTS
from ..storage.store import Transaction
from . import audit
from .curate import MAX_TEXT

# Texts an editor writes for a statement, in form order.
TEXT_FIELDS = STATEMENT_TEXTS
EDITABLE = (*TEXT_FIELDS, "caption_lang")
LIMITS = {**MAX_TEXT, "title_override": 300}
CAPTION_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?\Z")
# Caption languages offered in the form; any code matching CAPTION_LANG_RE is accepted.
CAPTION_LANGUAGES = {
    "de": N_("Deutsch"),
    "en": N_("Englisch"),
    "ar": N_("Arabisch"),
    "fa": N_("Persisch"),
    "fr": N_("Französisch"),
    "it": N_("Italienisch"),
    "pl": N_("Polnisch"),
    "ru": N_("Russisch"),
    "es": N_("Spanisch"),
    "tr": N_("Türkisch"),
    "uk": N_("Ukrainisch"),
    "": N_("Keine Untertitel"),
}
LONG_TITLE = 80  # characters; longer titles wrap over many lines on a phone-sized card


class EditError(Exception):
    """Values that cannot be saved: field name → message (German msgid), and values it names."""

    def __init__(
        self,
        errors: Mapping[str, str],
        params: Mapping[str, Mapping[str, str]] | None = None,
        ratios: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)
        self.params = {name: dict(values) for name, values in (params or {}).items()}
        self.ratios = dict(ratios or {})  # measured contrast behind an error, by field


class StaleRevision(Exception):
    """Someone saved the statement after this form was loaded."""

    def __init__(self, current: Statement, edits: list[AuditEntry]) -> None:
        super().__init__(current.id)
        self.current = current
        self.edits = edits


@dataclass(frozen=True, slots=True)
class Saved:
    statement: Statement
    changed: tuple[str, ...]


def clean_text(value: str) -> str:
    """Editor text as stored: unified line ends, no surrounding blanks, no control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join(c for c in value if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))


def check_statement_values(raw: Mapping[str, str]) -> dict[str, str]:
    """The cleaned values of every editable field; raises :class:`EditError`."""
    values, errors = {}, {}
    for name in TEXT_FIELDS:
        value = clean_text(raw.get(name, ""))
        if len(value) > LIMITS[name]:
            errors[name] = N_("Dieser Text ist zu lang (höchstens %(limit)s Zeichen).")
        if name in {"title_override", "speaker_name", "speaker_role", "alt_text"} and "\n" in value:
            value = " ".join(value.split())
        values[name] = value
    caption = raw.get("caption_lang", "").strip().lower()
    if caption and not CAPTION_LANG_RE.match(caption):
        errors["caption_lang"] = N_("Bitte eine Sprache aus der Liste wählen.")
    values["caption_lang"] = caption
    if errors:
        raise EditError(errors)
    return values


def save_statement(
    tx: Transaction, statement_id: int, loaded_revision: int, values: Mapping[str, str], actor: str
) -> Saved:
    """Save checked values if nobody saved since ``loaded_revision``; bump the revision."""
    current = tx.statement_by_id(statement_id)
    if current is None:
        raise LookupError(statement_id)
    if current.revision != loaded_revision:
        raise StaleRevision(current, tx.edits_since(statement_id, loaded_revision))
    changed = tuple(name for name in EDITABLE if getattr(current, name) != values[name])
    if not changed:
        return Saved(current, ())
    tx.update_statement(current, {name: values[name] for name in changed}, bump=True)
    audit.record(
        tx,
        actor,
        "statement.edit",
        gallery_slug=current.gallery_slug,
        vimeo_id=current.vimeo_id,
        statement_id=statement_id,
        revision=current.revision + 1,
        fields=changed,
    )
    saved = tx.statement_by_id(statement_id)
    assert saved is not None
    return Saved(saved, changed)


def set_published(tx: Transaction, s: Statement, published: bool, actor: str) -> bool:
    if s.published == published:
        return False
    tx.update_statement(s, {"published": published}, bump=False)
    action = "statement.publish" if published else "statement.unpublish"
    audit.record(tx, actor, action, gallery_slug=s.gallery_slug, vimeo_id=s.vimeo_id, statement_id=s.id)
    return True


def move(tx: Transaction, s: Statement, direction: str, actor: str) -> bool:
    """Swap places with the neighbour above or below; False at either end."""
    neighbour = tx.neighbour(s, direction)
    if neighbour is None:
        return False
    neighbour_id, other_position = neighbour
    if other_position == s.position:  # equal positions (never made by us): make room first
        other_position = s.position - 1 if direction == "up" else s.position + 1
    tx.set_position(s.id, other_position)
    tx.set_position(neighbour_id, s.position)
    audit.record(
        tx, actor, "statement.move", gallery_slug=s.gallery_slug, vimeo_id=s.vimeo_id, statement_id=s.id
    )
    return True


def set_poster(tx: Transaction, s: Statement, name: str | None, actor: str) -> str | None:
    """Point the statement at a stored image (or none); return the image it used before."""
    tx.update_statement(s, {"poster": name}, bump=False)
    action = "statement.poster" if name else "statement.poster_remove"
    audit.record(
        tx,
        actor,
        action,
        gallery_slug=s.gallery_slug,
        vimeo_id=s.vimeo_id,
        statement_id=s.id,
        fields=["poster"],
    )
    return s.poster
