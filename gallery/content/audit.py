"""The audit trail: which editor did what, when. Ids, slugs and field names, never texts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..i18n import gettext_noop as N_
from ..models import AuditEntry
from ..storage.database import utcnow

CLI_ACTOR = N_("Kommandozeile")  # actions of the IT person through the `gallery` command

ACTIONS = {
    "signin": N_("hat sich angemeldet"),
    "signout": N_("hat sich abgemeldet"),
    "statement.add": N_("hat ein Statement hinzugefügt"),
    "statement.edit": N_("hat ein Statement bearbeitet"),
    "statement.publish": N_("hat ein Statement veröffentlicht"),
    "statement.unpublish": N_("hat ein Statement zurückgezogen"),
    "statement.move": N_("hat die Reihenfolge geändert"),
    "statement.poster": N_("hat ein eigenes Vorschaubild hochgeladen"),
    "statement.poster_remove": N_("hat das eigene Vorschaubild entfernt"),
    "statement.refresh": N_("hat die Angaben von Vimeo neu abgerufen"),
    "statement.delete": N_("hat ein Statement gelöscht"),
    "statement.import": N_("hat ein Statement importiert"),
    "gallery.create": N_("hat eine Galerie angelegt"),
    "gallery.edit": N_("hat eine Galerie bearbeitet"),
    "gallery.import": N_("hat eine Galerie importiert"),
    "gallery.logo": N_("hat ein Logo hochgeladen"),
    "gallery.logo_remove": N_("hat das Logo entfernt"),
    "editor.add": N_("hat ein Konto angelegt"),
    "editor.remove": N_("hat ein Konto entfernt"),
    "editor.passwd": N_("hat ein Passwort geändert"),
}
FIELD_LABELS = {
    "title_override": N_("Titel"),
    "speaker_name": N_("Name"),
    "speaker_role": N_("Funktion"),
    "quote": N_("Zitat"),
    "transcript": N_("Abschrift"),
    "alt_text": N_("Bildbeschreibung"),
    "caption_lang": N_("Untertitelsprache"),
    "published": N_("Veröffentlicht"),
    "poster": N_("Vorschaubild"),
    "position": N_("Reihenfolge"),
    "title": N_("Titel"),
    "intro": N_("Einleitung"),
    "lang": N_("Sprache"),
    "frame_ancestors": N_("Erlaubte Websites"),
    "accent": N_("Akzentfarbe"),
    "logo": N_("Logo"),
    "logo_alt": N_("Text des Logos"),
    "author_name": N_("Urheber"),
    "duration": N_("Dauer"),
    "width": N_("Breite"),
    "height": N_("Höhe"),
    "thumbnail": N_("Vorschaubild von Vimeo"),
    "fetch_status": N_("Status bei Vimeo"),
}


def record(
    conn: sqlite3.Connection,
    actor: str,
    action: str,
    *,
    gallery_slug: str | None = None,
    vimeo_id: int | None = None,
    statement_id: int | None = None,
    revision: int | None = None,
    fields: Iterable[str] = (),
    subject: str | None = None,
) -> None:
    """Write one entry; field *names* only, checked against the known set."""
    assert action in ACTIONS, action
    names = tuple(fields)
    assert all(name in FIELD_LABELS for name in names), names
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, gallery_slug, vimeo_id, statement_id, revision, fields,"
        " subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utcnow(), actor, action, gallery_slug, vimeo_id, statement_id, revision, " ".join(names), subject),
    )


def record_refresh(
    conn: sqlite3.Connection, actor: str, vimeo_id: int, statement_id: int | None, changed: tuple[str, ...]
) -> None:
    """A refresh is per video; asked from a statement's page, the entry names that statement."""
    slug = None
    if statement_id is not None:
        row = conn.execute(
            "SELECT g.slug FROM statements s JOIN galleries g ON g.id = s.gallery_id WHERE s.id = ?",
            (statement_id,),
        ).fetchone()
        slug = row[0] if row else None
    record(
        conn,
        actor,
        "statement.refresh",
        gallery_slug=slug,
        vimeo_id=vimeo_id,
        statement_id=statement_id,
        fields=changed,
    )


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        gallery_slug=row["gallery_slug"],
        vimeo_id=row["vimeo_id"],
        statement_id=row["statement_id"],
        revision=row["revision"],
        fields=tuple(row["fields"].split()),
        subject=row["subject"],
    )


def entries(conn: sqlite3.Connection, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
    """Newest first; ``before`` pages back past an entry id."""
    if before is None:
        rows = conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
    else:
        rows = conn.execute("SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?", (before, limit))
    return [_entry(r) for r in rows]


def edits_since(conn: sqlite3.Connection, statement_id: int, revision: int) -> list[AuditEntry]:
    """The saves that moved a statement past ``revision``: who changed which fields, when."""
    rows = conn.execute(
        "SELECT * FROM audit_log WHERE statement_id = ? AND revision > ? ORDER BY id",
        (statement_id, revision),
    )
    return [_entry(r) for r in rows]


def forget_statement(conn: sqlite3.Connection, statement_id: int) -> None:
    """A deleted statement's id may be given to a new one: its entries keep only slug and video."""
    conn.execute("UPDATE audit_log SET statement_id = NULL WHERE statement_id = ?", (statement_id,))
