"""Editors' changes to a gallery's settings: checked values (slug, texts, sites, colour), its logo."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import LANGUAGES
from ..i18n import gettext_noop as N_
from ..models import Gallery
from ..origins import OriginError, parse_frame_ancestor
from ..storage.store import Transaction
from . import audit, colours
from .editing import EditError, clean_text

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
GALLERY_LIMITS = {"title": 200, "intro": 5000, "logo_alt": 120}
ACCENT_FORMAT = N_("Bitte eine Farbe als Hex-Wert angeben, z. B. #0b6e4f, oder das Feld leer lassen.")
ACCENT_CONTRAST = N_(
    "Kontrast %(ratio)s:1 – mindestens 4,5:1 nötig. Die Farbe steht für Links auf Weiß und hinter "
    "weißer Schrift auf Schaltflächen; bitte einen dunkleren Ton wählen."
)


@dataclass(frozen=True, slots=True)
class GalleryValues:
    slug: str
    title: str
    intro: str
    lang: str
    frame_ancestors: tuple[str, ...]
    accent: str = ""
    logo_alt: str = ""


def check_accent(raw: str) -> tuple[str, str | None, float | None]:
    """(colour as stored, error msgid or None, measured contrast when too low)."""
    if not raw.strip():
        return "", None, None
    colour = colours.parse_hex(raw)
    if colour is None:
        return "", ACCENT_FORMAT, None
    ratio = colours.weakest_contrast(colour)
    if ratio < colours.MIN_CONTRAST:
        return colour, ACCENT_CONTRAST, colours.shown_ratio(ratio)
    return colour, None, None


def check_gallery_values(raw: Mapping[str, str], *, slug: str | None = None) -> GalleryValues:
    """Cleaned gallery values (the slug from the form unless given); raises :class:`EditError`."""
    errors: dict[str, str] = {}
    if slug is None:
        slug = raw.get("slug", "").strip().lower()
        if not SLUG_RE.match(slug):
            errors["slug"] = N_(
                "Die Kurzadresse darf nur Kleinbuchstaben a–z, Ziffern und Bindestriche enthalten "
                "(höchstens 64 Zeichen, nicht mit einem Bindestrich am Anfang oder Ende)."
            )
    title = " ".join(clean_text(raw.get("title", "")).split())
    if not title:
        errors["title"] = N_("Bitte einen Titel eingeben.")
    elif len(title) > GALLERY_LIMITS["title"]:
        errors["title"] = N_("Dieser Text ist zu lang (höchstens %(limit)s Zeichen).")
    intro = clean_text(raw.get("intro", ""))
    if len(intro) > GALLERY_LIMITS["intro"]:
        errors["intro"] = N_("Dieser Text ist zu lang (höchstens %(limit)s Zeichen).")
    lang = raw.get("lang", "").strip()
    if lang not in LANGUAGES:
        errors["lang"] = N_("Bitte eine Sprache aus der Liste wählen.")
    origins: list[str] = []
    params: dict[str, dict[str, str]] = {}
    for source in raw.get("frame_ancestors", "").replace(",", " ").split():
        try:
            origins.append(parse_frame_ancestor(source))
        except OriginError as exc:
            errors["frame_ancestors"] = N_(
                "Bitte nur vollständige Adressen wie https://www.stadt.de angeben, je eine pro Zeile, "
                "ohne Pfad und ohne Sternchen – „%(value)s“ ist keine."
            )
            params["frame_ancestors"] = {"value": exc.short}
            break  # the first bad entry is named; the editor's list stays in the field
    accent, problem, ratio = check_accent(raw.get("accent", ""))
    if problem:
        errors["accent"] = problem
    logo_alt = " ".join(clean_text(raw.get("logo_alt", "")).split())
    if len(logo_alt) > GALLERY_LIMITS["logo_alt"]:
        errors["logo_alt"] = N_("Dieser Text ist zu lang (höchstens %(limit)s Zeichen).")
    if errors:
        raise EditError(errors, params, {"accent": ratio} if ratio is not None else None)
    return GalleryValues(slug, title, intro, lang, tuple(dict.fromkeys(origins)), accent, logo_alt)


def create_gallery(tx: Transaction, values: GalleryValues, actor: str) -> Gallery:
    """A new gallery of the town ``tx`` is scoped to; it starts with the town's logo."""
    if tx.gallery_by_slug(values.slug) is not None:
        raise EditError({"slug": N_("Diese Kurzadresse ist schon vergeben.")})
    gallery = tx.add_gallery(
        values.slug,
        values.title,
        values.intro,
        values.lang,
        values.frame_ancestors,
        accent=values.accent,
        logo_alt=values.logo_alt,
        logo=tx.own_town().logo,
    )
    audit.record(tx, actor, "gallery.create", gallery_slug=values.slug)
    return gallery


GALLERY_FIELDS = ("title", "intro", "lang", "frame_ancestors", "accent", "logo_alt")


def edit_gallery(tx: Transaction, gallery: Gallery, values: GalleryValues, actor: str) -> tuple[str, ...]:
    """Save changed settings (never the slug: embeds and links use it); return what changed."""
    changed = {
        name: getattr(values, name)
        for name in GALLERY_FIELDS
        if getattr(gallery, name) != getattr(values, name)
    }
    if changed:
        tx.update_gallery(gallery.id, **changed)
        audit.record(tx, actor, "gallery.edit", gallery_slug=gallery.slug, fields=tuple(changed))
    return tuple(changed)


def set_logo(tx: Transaction, gallery: Gallery, name: str | None, actor: str) -> str | None:
    """Point the gallery at a stored logo (or none); return the image it used before."""
    tx.update_gallery(gallery.id, logo=name)
    action = "gallery.logo" if name else "gallery.logo_remove"
    audit.record(tx, actor, action, gallery_slug=gallery.slug, fields=["logo"])
    return gallery.logo
