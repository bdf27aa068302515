"""Export to JSON and merging import: every gallery and statement, in a portable file."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ..models import FetchStatus, Gallery, Statement, Video
from ..storage.engine import utcnow
from ..storage.store import Storage, Transaction
from ..storage.thumbnails import ImageStore
from . import audit
from .editing import EDITABLE
from .importcheck import FORMAT, VERSION, parse
from .logos import check_stored as check_logo
from .posters import check_stored
from .variants import ensure_variants

VIDEO_FIELDS = (
    "title",
    "author_name",
    "duration",
    "width",
    "height",
    "upload_date",
    "thumbnail_url",
    "thumbnail",
    "fetch_status",
    "fetch_message",
    "fetched_at",
    "good_at",
)


# --- export ------------------------------------------------------------------------------


def export_data(storage: Storage, thumbnails: ImageStore) -> dict[str, Any]:
    """Every gallery and statement, in gallery order; posters inline (they exist nowhere else).
    Vimeo's thumbnails are named but not included: ``gallery refresh`` fetches them again."""
    with storage.snapshot() as reads:
        galleries = [(g, reads.statements(g.id)) for g in reads.galleries()]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow(),
        "galleries": [_gallery(g, items, thumbnails) for g, items in galleries],
    }


def _inline(name: str | None, thumbnails: ImageStore) -> str | None:
    """An uploaded image as Base64: posters and logos exist nowhere else."""
    data = thumbnails.load(name) if name else None
    return base64.b64encode(data).decode("ascii") if data else None


def _gallery(g: Gallery, items: list[Statement], thumbnails: ImageStore) -> dict[str, Any]:
    return {
        "slug": g.slug,
        "title": g.title,
        "intro": g.intro,
        "lang": g.lang,
        "frame_ancestors": list(g.frame_ancestors),
        "default": g.is_default,
        "accent": g.accent,
        "logo_alt": g.logo_alt,
        "logo": _inline(g.logo, thumbnails),
        "statements": [_statement(s, thumbnails) for s in items],
    }


def _statement(s: Statement, thumbnails: ImageStore) -> dict[str, Any]:
    video: dict[str, Any] = {name: getattr(s.video, name) for name in VIDEO_FIELDS}
    video["fetch_status"] = s.video.fetch_status.value
    return {
        "vimeo_id": s.vimeo_id,
        "unlisted_hash": s.video.unlisted_hash,
        "published": s.published,
        **{name: getattr(s, name) for name in EDITABLE},
        "poster": _inline(s.poster, thumbnails),
        "video": video,
    }


# --- import ------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    galleries_new: int = 0
    galleries_changed: int = 0
    statements_new: int = 0
    statements_changed: int = 0
    statements_same: int = 0
    missing_thumbnails: set[str] = field(default_factory=set)


def import_text(text: str, storage: Storage, thumbnails: ImageStore, actor: str) -> ImportSummary:
    """Merge by (gallery slug, Vimeo id): texts from the file win, nothing is deleted, and a
    second run changes nothing. The whole file is checked first; the merge is one transaction."""
    data = parse(text)
    posters: dict[str, str] = {}
    for g in data["galleries"]:
        if g.get("logo") is not None and g["logo"] not in posters:
            logo = check_logo(base64.b64decode(g["logo"]))
            posters[g["logo"]] = name = thumbnails.save(logo)
            ensure_variants(storage, thumbnails, name, logo=True)
        for s in g["statements"]:
            if s["poster"] is not None and s["poster"] not in posters:
                image = check_stored(base64.b64decode(s["poster"]))
                posters[s["poster"]] = name = thumbnails.save(image)
                # The copies are made here, not carried in the file: they follow from the poster.
                ensure_variants(storage, thumbnails, name)
    summary = ImportSummary()
    with storage.transaction() as tx:
        for g in data["galleries"]:
            gallery = _merge_gallery(tx, g, posters, actor, summary)
            for s in g["statements"]:
                _merge_statement(tx, gallery, s, posters, actor, summary)
                thumb = s["video"]["thumbnail"]
                if thumb and not thumbnails.exists(thumb):
                    summary.missing_thumbnails.add(thumb)
    return summary


def _merge_gallery(
    tx: Transaction, g: dict[str, Any], posters: dict[str, str], actor: str, summary: ImportSummary
) -> Gallery:
    values = {
        "title": g["title"],
        "intro": g["intro"],
        "lang": g["lang"],
        "frame_ancestors": tuple(g["frame_ancestors"]),
    }
    # Files from before galleries had their own look lack these: they then change nothing.
    values |= {name: g[name] for name in ("accent", "logo_alt") if name in g}
    if g.get("logo"):  # like posters: a file without a logo never removes one
        values["logo"] = posters[g["logo"]]
    gallery = tx.gallery_by_slug(g["slug"])
    if gallery is None:
        new = tx.add_gallery(g["slug"], g["title"], g["intro"], g["lang"], tuple(g["frame_ancestors"]))
        look = {k: v for k, v in values.items() if k in ("accent", "logo_alt", "logo")}
        if look:
            tx.update_gallery(new.id, **look)
        audit.record(tx, actor, "gallery.import", gallery_slug=g["slug"])
        summary.galleries_new += 1
    else:
        changed = {k: v for k, v in values.items() if getattr(gallery, k) != v}
        if changed:
            tx.update_gallery(gallery.id, **changed)
            audit.record(tx, actor, "gallery.import", gallery_slug=gallery.slug, fields=tuple(changed))
            summary.galleries_changed += 1
    found = tx.gallery_by_slug(g["slug"])
    assert found is not None
    return found


def _merge_statement(
    tx: Transaction,
    gallery: Gallery,
    s: dict[str, Any],
    posters: dict[str, str],
    actor: str,
    summary: ImportSummary,
) -> None:
    vimeo_id = s["vimeo_id"]
    if tx.video(vimeo_id) is None:
        v = s["video"]
        fields = {name: v.get(name) for name in VIDEO_FIELDS}
        fields["fetch_status"] = FetchStatus(v["fetch_status"])
        tx.save_video(Video(vimeo_id=vimeo_id, unlisted_hash=s["unlisted_hash"], **fields))
    wanted: dict[str, Any] = {name: s[name] for name in EDITABLE}
    wanted["published"] = s["published"]
    if s["poster"]:  # a file without a poster never removes one (imports delete nothing)
        wanted["poster"] = posters[s["poster"]]
    current = tx.statement(gallery.id, vimeo_id)
    if current is None:
        statement_id = tx.add_statement(gallery.id, vimeo_id, **wanted)
        audit.record(
            tx,
            actor,
            "statement.import",
            gallery_slug=gallery.slug,
            vimeo_id=vimeo_id,
            statement_id=statement_id,
        )
        summary.statements_new += 1
        return
    changed = [name for name, value in wanted.items() if getattr(current, name) != value]
    if not changed:
        summary.statements_same += 1
        return
    bump = any(name in EDITABLE for name in changed)
    tx.update_statement(current, {name: wanted[name] for name in changed}, bump=bump)
    audit.record(
        tx,
        actor,
        "statement.import",
        gallery_slug=gallery.slug,
        vimeo_id=vimeo_id,
        statement_id=current.id,
        revision=current.revision + 1 if bump else None,
        fields=changed,
    )
    summary.statements_changed += 1
