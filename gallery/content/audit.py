"""The audit trail: which editor did what, when. Ids, slugs and field names, never texts."""

from __future__ import annotations

from collections.abc import Iterable

from ..i18n import gettext_noop as N_
from ..storage.store import Transaction

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
    "town.edit": N_("hat die Angaben der Stadt geändert"),
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
    "operator_name": N_("Betreiber"),
    "imprint_url": N_("Impressum"),
    "privacy_policy_url": N_("Datenschutzerklärung"),
    "accessibility_contact": N_("Kontakt Barrierefreiheit"),
    "accessibility_created": N_("Erklärung erstellt"),
    "accessibility_reviewed": N_("Erklärung überprüft"),
    "notice/de/short": N_("Kurzer Hinweis (Deutsch)"),
    "notice/en/short": N_("Kurzer Hinweis (Englisch)"),
    "notice/de/full": N_("Datenschutzhinweise (Deutsch)"),
    "notice/en/full": N_("Datenschutzhinweise (Englisch)"),
    "accessibility/de/statement": N_("Erklärung zur Barrierefreiheit (Deutsch)"),
    "accessibility/en/statement": N_("Erklärung zur Barrierefreiheit (Englisch)"),
    "duration": N_("Dauer"),
    "width": N_("Breite"),
    "height": N_("Höhe"),
    "thumbnail": N_("Vorschaubild von Vimeo"),
    "fetch_status": N_("Status bei Vimeo"),
}


def record(
    tx: Transaction,
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
    tx.record_audit(
        actor,
        action,
        gallery_slug=gallery_slug,
        vimeo_id=vimeo_id,
        statement_id=statement_id,
        revision=revision,
        fields=names,
        subject=subject,
    )


def record_refresh(
    tx: Transaction, actor: str, vimeo_id: int, statement_id: int | None, changed: tuple[str, ...]
) -> None:
    """A refresh is per video; asked from a statement's page, the entry names that statement."""
    found = tx.statement_by_id(statement_id) if statement_id is not None else None
    record(
        tx,
        actor,
        "statement.refresh",
        gallery_slug=found.gallery_slug if found else None,
        vimeo_id=vimeo_id,
        statement_id=statement_id,
        fields=changed,
    )
