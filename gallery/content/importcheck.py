"""Checking an export file completely before anything is imported from it."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from ..i18n import LANGUAGES, decimal, fill
from ..i18n import gettext_noop as N_
from ..models import FetchStatus
from ..origins import OriginError, parse_frame_ancestor
from ..storage.thumbnails import is_stored_name
from ..vimeo.links import HASH_RE, MAX_VIDEO_ID
from .editing import CAPTION_LANG_RE, LIMITS, TEXT_FIELDS
from .galleries import GALLERY_LIMITS, SLUG_RE, check_accent
from .logos import check_stored as check_logo
from .posters import PosterError, check_stored

FORMAT = "statement-gallery-export"
VERSION = 1
MAX_REASONS = 20
VIDEO_TEXTS = {"title": 500, "author_name": 200, "fetch_message": 2000, "thumbnail_url": 2048}
# A reason names the place in the file (its keys: the file format, not translated) and what is wrong.
REASON = N_("%(where)s: %(why)s")


def reason(where: str, why: str, **params: object) -> str:
    """One reason, German, made with ``fill`` so that the command line can show it in English."""
    return fill(REASON, where=where, why=fill(why, **params))


class ImportRefused(ValueError):
    """The file cannot be imported; ``reasons`` say where and why (nothing was changed).

    Each reason is German text made with ``fill`` (a message id and its values).
    """

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class _Checker:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def fail(self, where: str, why: str, **params: object) -> None:
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason(where, why, **params))

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.fail(where, N_("muss ein Objekt sein"))
        return {}

    def text(self, data: dict[str, Any], key: str, where: str, limit: int, *, optional: bool = False) -> None:
        value = data.get(key)
        if value is None and optional:
            return
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", N_("muss ein Text sein"))
        elif len(value) > limit:
            self.fail(f"{where}.{key}", N_("zu lang (höchstens %(limit)s Zeichen)"), limit=limit)

    def number(
        self, data: dict[str, Any], key: str, where: str, low: int, high: int, *, optional: bool = False
    ) -> None:
        value = data.get(key)
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(
                f"{where}.{key}", N_("muss eine ganze Zahl von %(low)s bis %(high)s sein"), low=low, high=high
            )

    def moment(self, data: dict[str, Any], key: str, where: str) -> None:
        value = data.get(key)
        if value is None:
            return
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{where}.{key}", N_("muss ein Zeitpunkt (ISO 8601) oder null sein"))


def parse(text: str) -> dict[str, Any]:
    """The file's content if every part of it can be imported; else :class:`ImportRefused`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            [
                fill(
                    N_("kein gültiges JSON (Zeile %(line)s, Spalte %(column)s)"),
                    line=exc.lineno,
                    column=exc.colno,
                )
            ]
        ) from None
    c = _Checker()
    top = c.obj(data, "Datei")
    if top.get("format") != FORMAT or top.get("version") != VERSION:
        raise ImportRefused(
            [
                fill(
                    N_(
                        "keine Export-Datei dieser Galerie (erwartet: format %(format)s, version %(version)s)"
                    ),
                    format=FORMAT,
                    version=VERSION,
                )
            ]
        )
    galleries = top.get("galleries")
    if not isinstance(galleries, list):
        raise ImportRefused([reason("galleries", N_("muss eine Liste sein"))])
    slugs: set[str] = set()
    hashes: dict[int, Any] = {}
    for n, raw in enumerate(galleries):
        where = f"galleries[{n}]"
        g = c.obj(raw, where)
        slug = g.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            c.fail(f"{where}.slug", N_("ungültige Kurzadresse"))
        elif slug in slugs:
            c.fail(f"{where}.slug", N_("„%(slug)s“ kommt mehrfach vor"), slug=slug)
        else:
            slugs.add(slug)
        c.text(g, "title", where, GALLERY_LIMITS["title"])
        if isinstance(g.get("title"), str) and not g["title"].strip():
            c.fail(f"{where}.title", N_("darf nicht leer sein"))
        c.text(g, "intro", where, GALLERY_LIMITS["intro"])
        if g.get("lang") not in LANGUAGES:
            c.fail(
                f"{where}.lang",
                N_("muss eine dieser Sprachen sein: %(languages)s"),
                languages=", ".join(LANGUAGES),
            )
        ancestors = g.get("frame_ancestors")
        if not isinstance(ancestors, list):
            c.fail(f"{where}.frame_ancestors", N_("muss eine Liste sein"))
        else:
            for source in ancestors:
                try:
                    # Stored as given: only the spelling the parser itself writes is accepted.
                    valid = isinstance(source, str) and parse_frame_ancestor(source) == source
                except OriginError:
                    valid = False
                if not valid:
                    c.fail(f"{where}.frame_ancestors", N_("ungültige Adresse %(value)s"), value=repr(source))
        _look(c, g, where)
        statements = g.get("statements")
        if not isinstance(statements, list):
            c.fail(f"{where}.statements", N_("muss eine Liste sein"))
            continue
        seen: set[int] = set()
        for m, item in enumerate(statements):
            _statement(c, c.obj(item, f"{where}.statements[{m}]"), f"{where}.statements[{m}]", seen, hashes)
    if c.reasons:
        raise ImportRefused(c.reasons)
    return top


def _look(c: _Checker, g: dict[str, Any], where: str) -> None:
    """A gallery's colour and logo: optional (older files lack them), checked like the admin does."""
    accent = g.get("accent", "")
    if not isinstance(accent, str):
        c.fail(f"{where}.accent", N_("muss ein Text sein"))
    else:
        colour, problem, ratio = check_accent(accent)
        if ratio is not None:
            c.fail(
                f"{where}.accent",
                N_("Kontrast %(ratio)s:1 – mindestens 4,5:1 nötig"),
                ratio=decimal(ratio, "de"),
            )
        elif problem or colour != accent:
            c.fail(f"{where}.accent", N_("muss eine Farbe wie #0b6e4f oder leer sein"))
    c.text(g, "logo_alt", where, GALLERY_LIMITS["logo_alt"], optional=True)
    logo = g.get("logo")
    if logo is not None:
        try:
            check_logo(base64.b64decode(logo if isinstance(logo, str) else b"!", validate=True))
        except (binascii.Error, ValueError, PosterError):
            c.fail(f"{where}.logo", N_("muss null oder ein PNG-Bild in Base64 sein"))


def _statement(c: _Checker, s: dict[str, Any], where: str, seen: set[int], hashes: dict[int, Any]) -> None:
    c.number(s, "vimeo_id", where, 1, MAX_VIDEO_ID)
    vimeo_id = s.get("vimeo_id")
    unlisted = s.get("unlisted_hash")
    if unlisted is not None and (not isinstance(unlisted, str) or not HASH_RE.match(unlisted)):
        c.fail(f"{where}.unlisted_hash", N_("muss null oder ein Freigabe-Hash aus 10 Zeichen 0–9/a–f sein"))
    if isinstance(vimeo_id, int):
        if vimeo_id in seen:
            c.fail(f"{where}.vimeo_id", N_("Video %(id)s steht zweimal in derselben Galerie"), id=vimeo_id)
        seen.add(vimeo_id)
        if hashes.setdefault(vimeo_id, unlisted) != unlisted:
            c.fail(
                f"{where}.unlisted_hash", N_("widerspricht einer anderen Angabe zu Video %(id)s"), id=vimeo_id
            )
    if not isinstance(s.get("published"), bool):
        c.fail(f"{where}.published", N_("muss true oder false sein"))
    for name in TEXT_FIELDS:
        c.text(s, name, where, LIMITS[name])
    caption = s.get("caption_lang")
    if not isinstance(caption, str) or (caption and not CAPTION_LANG_RE.match(caption)):
        c.fail(f"{where}.caption_lang", N_("muss ein Sprachcode wie „de“ oder leer sein"))
    poster = s.get("poster")
    if poster is not None:
        try:
            data = base64.b64decode(poster if isinstance(poster, str) else b"!", validate=True)
            check_stored(data)
        except (binascii.Error, ValueError, PosterError):
            c.fail(f"{where}.poster", N_("muss null oder ein Bild (JPEG, PNG, WebP) in Base64 sein"))
    video = c.obj(s.get("video"), f"{where}.video")
    vw = f"{where}.video"
    for key, limit in VIDEO_TEXTS.items():
        c.text(video, key, vw, limit, optional=key == "thumbnail_url")
    for key in ("duration", "width", "height"):
        c.number(video, key, vw, 0, 10**7 - 1, optional=True)
    c.text(video, "upload_date", vw, 40, optional=True)
    thumbnail = video.get("thumbnail")
    if thumbnail is not None and (not isinstance(thumbnail, str) or not is_stored_name(thumbnail)):
        c.fail(f"{vw}.thumbnail", N_("ungültiger Dateiname"))
    if video.get("fetch_status") not in {s.value for s in FetchStatus}:
        c.fail(f"{vw}.fetch_status", N_("unbekannter Status"))
    c.moment(video, "fetched_at", vw)
    c.moment(video, "good_at", vw)
