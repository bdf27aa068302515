"""What search engines and link previews read on a page: meta tags and JSON-LD.

Everything here points to our own origin, except the player address in a video's JSON-LD
(``embedUrl``): data that browsers never load, there for crawlers that look for the video.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from ..i18n import DEFAULT_LANGUAGE, LANG_PARAM, LANGUAGES, known_language, translations
from ..i18n import gettext_noop as N_
from ..models import Gallery, Statement, Variant, image_size
from ..storage.thumbnails import ImageStore
from ..web.checks import own_origin
from ..web.paging import offset_of, page_count, page_path
from ..web.render import iso_duration
from .visit import add_query

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

# The smaller copies of each picture (:meth:`~gallery.storage.store.Reads.variants`).
Pictures = Mapping[str, tuple[Variant, ...]]
DESCRIPTION_LENGTH = 300
# Enough for any header before a JPEG's size (camera data included); thumbnails are smaller still.
HEADER_BYTES = 256 * 1024
QUOTED = N_("„%(quote)s“")
# An editor who typed the quotation marks herself keeps hers.
QUOTATION_MARKS = "„“”\"«»‚‘’'"
STATEMENT_BY = N_("Videostatement von %(speaker)s")
STATEMENT_IN = N_("Ein Videostatement aus „%(gallery)s“")
STATEMENTS = N_("Videostatements")
STATEMENTS_IN = N_("Videostatements: %(gallery)s")
STILL_OF = N_("Standbild aus dem Video")


@dataclass(frozen=True, slots=True)
class ShareImage:
    url: str  # absolute, on our origin
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class Findable:
    """One page as search engines and link previews see it."""

    canonical: str
    alternates: tuple[tuple[str, str], ...]  # (language, absolute URL) of every language version
    title: str
    description: str
    site_name: str
    og_type: str
    image: ShareImage | None
    data: dict[str, Any]  # the page's JSON-LD
    previous: str | None = None  # a list's page before this one (absolute), for rel="prev"
    following: str | None = None  # and the page after it, for rel="next"


def base_url(request: Request, services: Services) -> str:
    """Where absolute links start: GALLERY_PUBLIC_URL, else the origin the host gate accepted
    (the same source as the embed snippet's)."""
    return services.settings.public_url or own_origin(request, services.settings)


def gallery_language(gallery: Gallery) -> str:
    """The language a link without ``?lang=`` shows this gallery in."""
    return known_language(gallery.lang) or DEFAULT_LANGUAGE


def in_language(path: str, lang: str, gallery: Gallery) -> str:
    """``path`` as a link to the page in ``lang``: no query for the gallery's own language."""
    return path if lang == gallery_language(gallery) else add_query(path, LANG_PARAM, lang)


def plain(text: str) -> str:
    """Editor text on one line: every run of whitespace (line breaks too) one space."""
    return " ".join(text.split())


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis when it must be cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    word_end = cut.rfind(" ")
    return (cut[:word_end] if word_end > limit // 2 else cut).rstrip(" ,;:–-") + "…"


def speaker(s: Statement) -> str:
    return ", ".join(part for part in (plain(s.speaker_name), plain(s.speaker_role)) if part)


def describe(s: Statement, gallery: Gallery, lang: str) -> str:
    """A statement in one line from its own texts: the quote and who said it."""
    gettext = translations(lang).gettext
    who, quote = speaker(s), plain(s.quote)
    if quote:
        if not quote.startswith(tuple(QUOTATION_MARKS)):
            quote = gettext(QUOTED) % {"quote": quote}
        text = f"{quote} – {who}" if who else quote
    elif who:
        text = gettext(STATEMENT_BY) % {"speaker": who}
    else:
        text = gettext(STATEMENT_IN) % {"gallery": plain(gallery.title)}
    return shorten(text)


def describe_gallery(gallery: Gallery, lang: str) -> str:
    """Its introduction; without one, its title said to be video statements (unless it says so)."""
    gettext = translations(lang).gettext
    title = plain(gallery.title)
    if intro := shorten(plain(gallery.intro)):
        return intro
    if title.startswith((STATEMENTS, gettext(STATEMENTS))):
        return title
    return gettext(STATEMENTS_IN) % {"gallery": title}


def upload_day(value: str | None) -> str | None:
    """The day of Vimeo's ``YYYY-MM-DD HH:MM:SS``: Vimeo names no time zone, so the time is left out."""
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", value):
        return value[:10]
    return None


def stored_image_size(store: ImageStore, name: str) -> tuple[int, int] | None:
    """The size of a stored picture, read from its first bytes.

    Not through the store's memory: rendering a page is no visit to the picture, and a picture
    deleted meanwhile must not be kept alive there.
    """
    head = store.head(name, HEADER_BYTES)
    return None if head is None else image_size(head)


class Findability:
    """Builds the :class:`Findable` of the gallery and statement pages (in a worker thread)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def gallery_path(self, gallery: Gallery) -> str:
        """The default gallery's address is the start page; the others have their own."""
        return "/" if gallery.is_default else self.s.renderer.url("gallery", slug=gallery.slug)

    def statement_path(self, s: Statement) -> str:
        return self.s.renderer.url("statement", slug=s.gallery_slug, vimeo_id=s.vimeo_id)

    def alternates(self, base: str, path: str, gallery: Gallery) -> tuple[tuple[str, str], ...]:
        return tuple((code, base + in_language(path, code, gallery)) for code in LANGUAGES)

    def image(
        self, base: str, s: Statement, lang: str, pictures: Pictures | None = None
    ) -> ShareImage | None:
        """The picture the cards show: its widest JPEG copy (every link preview reads JPEG), else
        the stored picture itself if its size can be read."""
        name = s.poster or s.video.thumbnail
        jpegs = [v for v in (pictures or {}).get(name or "", ()) if v.format == "jpg"]
        widest = max(jpegs, key=lambda v: v.width) if jpegs else None
        size: tuple[int, int] | None = None
        if widest is not None and self.s.thumbnails.exists(widest.name):
            name, size = widest.name, (widest.width, widest.height)
        else:
            size = stored_image_size(self.s.thumbnails, name) if name else None
        if name is None or size is None:
            return None  # the placeholder is an SVG, which link previews do not show
        title = self.s.renderer.title_of(s, lang)
        alt = s.alt_text or f"{translations(lang).gettext(STILL_OF)} {title}"
        return ShareImage(base + self.s.renderer.url("thumbnail", name=name), *size, alt=alt)

    def statement(
        self, base: str, gallery: Gallery, s: Statement, lang: str, pictures: Pictures | None = None
    ) -> Findable:
        path = self.statement_path(s)
        canonical = base + in_language(path, lang, gallery)
        title = self.s.renderer.title_of(s, lang)
        description = describe(s, gallery, lang)
        image = self.image(base, s, lang, pictures)
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "VideoObject",
            "name": title,
            "description": description,
            "url": canonical,
            "inLanguage": s.caption_lang or gallery_language(gallery),
        }
        # An unlisted video's player address carries the hash that unlocks it: a crawler must not
        # learn it (a visitor who opts in gets it with the player, as on the town's own page).
        if s.video.unlisted_hash is None:
            data["embedUrl"] = self.s.renderer.player_src(s)
        if image:
            data["thumbnailUrl"] = [image.url]
        if day := upload_day(s.video.upload_date):
            data["uploadDate"] = day
        if s.video.duration:
            data["duration"] = iso_duration(s.video.duration)
        if s.transcript.strip():
            data["transcript"] = s.transcript
        return Findable(
            canonical=canonical,
            alternates=self.alternates(base, path, gallery),
            title=title,
            description=description,
            site_name=gallery.title,
            og_type="video.other",
            image=image,
            data=data,
        )

    def gallery(
        self,
        base: str,
        gallery: Gallery,
        shown: list[Statement],
        lang: str,
        pictures: Pictures | None = None,
        *,
        page: int = 1,
        total: int | None = None,
    ) -> Findable:
        """One page of the gallery as a list of its visible statements, in the order visitors see
        them: positions count on from the pages before, and the number of items is the whole
        list's (as schema.org asks of a list in pages)."""
        first = self.gallery_path(gallery)
        path = page_path(first, page)
        canonical = base + in_language(path, lang, gallery)
        description = describe_gallery(gallery, lang)
        before = offset_of(page)
        items = [
            {
                "@type": "ListItem",
                "position": n,
                "url": base + in_language(self.statement_path(s), lang, gallery),
            }
            for n, s in enumerate(shown, start=before + 1)
        ]
        total = len(shown) if total is None else total
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "name": gallery.title,
            "description": description,
            "url": canonical,
            "numberOfItems": total,
            "itemListElement": items,
        }
        last = page_count(total)
        return Findable(
            previous=base + in_language(page_path(first, page - 1), lang, gallery) if page > 1 else None,
            following=base + in_language(page_path(first, page + 1), lang, gallery) if page < last else None,
            canonical=canonical,
            alternates=self.alternates(base, path, gallery),
            title=gallery.title,
            description=description,
            site_name=gallery.title,
            og_type="website",
            image=next((found for s in shown if (found := self.image(base, s, lang, pictures))), None),
            data=data,
        )
