"""Reading Vimeo's answers: the oEmbed fields we keep, a capped gzip, and ``Retry-After``."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ..i18n import gettext_noop as N_
from .errors import BadAnswer
from .links import VideoRef


@dataclass(frozen=True, slots=True)
class OEmbed:
    """The part of Vimeo's oEmbed answer we keep."""

    vimeo_id: int
    title: str = ""
    author_name: str = ""
    duration: int | None = None
    width: int | None = None
    height: int | None = None
    upload_date: str | None = None
    thumbnail_url: str | None = None
    restricted: bool = False
    warnings: tuple[str, ...] = field(default=())


RESTRICTED_WARNING = N_(
    "Eingeschränkt: Vimeo liefert für dieses Video weder Titel noch Vorschaubild. Erlauben Sie "
    "diesen Server in den Einbettungs-Einstellungen des Videos auf Vimeo, oder setzen Sie "
    "GALLERY_VIMEO_REFERER auf eine erlaubte Adresse."
)


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo gzip/deflate with a cap, so a small compressed bomb cannot fill memory."""
    if encoding == "gzip":
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decompressor = zlib.decompressobj()
    else:
        raise BadAnswer(N_("Vimeos Antwort ist in einem unbekannten Format verpackt."))
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error:
        raise BadAnswer(N_("Vimeos Antwort ist unvollständig oder beschädigt.")) from None
    if not decompressor.eof and len(out) <= limit:
        raise BadAnswer(N_("Vimeos Antwort ist unvollständig oder beschädigt."))  # cut off midway
    if len(out) > limit:
        raise BadAnswer(N_("Vimeos Antwort ist unerwartet groß und wurde verworfen."))
    return out


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone at all: HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def read_oembed(ref: VideoRef, data: Any) -> OEmbed:
    """The fields we keep from a decoded oEmbed answer about ``ref``; raises :class:`BadAnswer`."""
    malformed = BadAnswer(N_("Vimeos Antwort ist unvollständig oder beschädigt."))
    if not isinstance(data, dict) or data.get("type") != "video":
        raise malformed
    video_id = data.get("video_id")
    if video_id is not None and (not isinstance(video_id, int) or video_id != ref.vimeo_id):
        raise malformed

    def text(name: str, limit: int) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise malformed
        return value.strip()[:limit]

    def number(name: str) -> int | None:
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**7:
            raise malformed
        return value

    title = text("title", 500)
    thumbnail_url = text("thumbnail_url", 2048) or None
    restricted = not title or not thumbnail_url or "domain_status_code" in data
    upload_date = text("upload_date", 40) or None
    return OEmbed(
        vimeo_id=ref.vimeo_id,
        title=title,
        author_name=text("author_name", 200),
        duration=number("duration"),
        width=number("width"),
        height=number("height"),
        upload_date=upload_date,
        thumbnail_url=thumbnail_url,
        restricted=restricted,
        warnings=(RESTRICTED_WARNING,) if restricted else (),
    )
