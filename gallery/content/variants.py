"""Smaller copies of thumbnails and posters, made once when the picture is stored.

Vimeo hands out one large thumbnail and editors upload large posters; a phone showing a card 360
pixels wide needs a fraction of that. When a picture is stored, each width of :data:`WIDTHS` up to
the picture's own (never wider) is made in WebP and as a JPEG for browsers without WebP. A gallery's
logo (a PNG, on every page) gets one copy: the same pixels as lossless WebP, about half the bytes. Each copy
is an image of its own in the image store, under the content-hash name of its bytes, served like
any thumbnail; the table of variants says which picture it belongs to. Nothing here runs on a
visitor's request: pages only read which copies exist, and show the picture itself until then.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..i18n import gettext_noop as N_
from ..models import Image as StoredImage
from ..models import Variant
from ..storage.store import Storage, Transaction
from ..storage.thumbnails import ImageStore
from .posters import MAX_UPLOAD_BYTES, PosterError, flatten, open_untrusted

if TYPE_CHECKING:
    from PIL.Image import Image as PillowImage

log = logging.getLogger("gallery.variants")

WIDTHS = (320, 640, 960)  # a phone's card at 1× and 2×, the statement page's picture on a large screen
# Chosen on photo-like stills (tests/photos.py): a 640-wide WebP stays near 20 kB, the JPEG near 35 kB.
WEBP_QUALITY = 72
# The widest copy is what phones take (two or three device pixels per CSS pixel) and large screens
# show scaled down: either way an artefact covers a fraction of a CSS pixel, so it can be coarser.
# A phone loads about three cards' pictures before it scrolls; at 50 they stay near 25 kB each.
WIDEST_WEBP_QUALITY = 50
JPEG_QUALITY = 80  # the fallback, and what link previews show: kept finer
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Pictures in use without variants made per background pass: the backlog of an installation
# stored before variants existed is worked off without taking a core from visitors for long.
BACKFILL_PER_PASS = 20


def widths_for(width: int) -> tuple[int, ...]:
    """The widths to make of a picture ``width`` pixels wide: never wider than the picture itself."""
    return tuple(w for w in WIDTHS if w <= width) or (width,)


def derive(data: bytes, *, logo: bool = False) -> list[tuple[StoredImage, str, int, int]]:
    """The copies of a picture: (image, format, width, height) for every width, WebP and JPEG; of
    a ``logo``, its lossless WebP copy.

    Raises :class:`~.posters.PosterError` when the bytes are no picture Pillow can read.
    """
    from PIL import Image, ImageOps  # only when a picture is stored: visitors' processes stay lean

    made: list[tuple[StoredImage, str, int, int]] = []
    with open_untrusted(data, FORMATS, N_("Die Datei ist kein lesbares Bild.")) as source:
        source.seek(0)  # the first frame of an animation
        if logo:
            same: PillowImage = source.convert("RGBA" if "A" in source.getbands() else "RGB")
            same.info = {}
            out = io.BytesIO()
            same.save(out, "WEBP", lossless=True, quality=100, method=6)
            return [(StoredImage(out.getvalue(), "image/webp", "webp"), "webp", same.width, same.height)]
        picture = flatten(ImageOps.exif_transpose(source))
        widths = widths_for(picture.width)
        for width in widths:
            height = max(1, round(picture.height * width / picture.width))
            copy: PillowImage = picture.resize((width, height), Image.Resampling.LANCZOS)
            copy.info = {}  # no profile, comment or camera data carried over
            webp, jpeg = io.BytesIO(), io.BytesIO()
            quality = WIDEST_WEBP_QUALITY if len(widths) > 2 and width == widths[-1] else WEBP_QUALITY
            copy.save(webp, "WEBP", quality=quality, method=6)
            copy.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
            made.append((StoredImage(webp.getvalue(), "image/webp", "webp"), "webp", width, height))
            made.append((StoredImage(jpeg.getvalue(), "image/jpeg", "jpg"), "jpg", width, height))
    return made


def store_variants(
    storage: Storage, store: ImageStore, source: str, data: bytes, *, logo: bool = False
) -> tuple[Variant, ...]:
    """Make the copies of the stored picture ``source`` (its bytes: ``data``), store and record them.

    A picture Pillow cannot read gets none: pages show it as it is.
    """
    try:
        made = derive(data, logo=logo)
    except PosterError:
        log.warning("no smaller copies of %s: the picture cannot be read", source)
        return ()
    variants = tuple(Variant(source, kind, w, h, store.save(image)) for image, kind, w, h in made)
    with storage.transaction() as tx:
        tx.save_variants(source, variants)
    return variants


def ensure_variants(
    storage: Storage, store: ImageStore, source: str, *, logo: bool | None = None
) -> tuple[Variant, ...]:
    """The copies of ``source``, made now if they are not all there (stored before, or files lost).

    ``logo``: whether it is a gallery's logo; None: as the galleries say.
    """
    known = storage.variants([source]).get(source, ())
    if known and all(store.exists(v.name) for v in known):
        return known
    data = store.head(source, MAX_UPLOAD_BYTES + 1)  # not through memory: no visitor asked for it
    if data is None:
        return ()
    if logo is None:
        logo = source in storage.logo_names()
    return store_variants(storage, store, source, data, logo=logo)


def backfill(
    storage: Storage, store: ImageStore, skip: set[str], limit: int = BACKFILL_PER_PASS
) -> list[str]:
    """Make the copies of up to ``limit`` pictures in use that have none; the pictures done.

    A picture that still has none afterwards (missing, or unreadable) joins ``skip``, so that it is
    not tried again and again by the same process.
    """
    lacking = [name for name in storage.pictures_without_variants(limit + len(skip)) if name not in skip]
    done = []
    for source in lacking[:limit]:
        if ensure_variants(storage, store, source):
            done.append(source)
        else:
            skip.add(source)
    return done


def unused_with_variants(tx: Transaction, unused: Iterable[str], keep: set[str]) -> set[str]:
    """``unused`` pictures with the names of their copies, none in ``keep``; their records dropped.

    For deleting at once what a withdrawn statement or a replaced poster leaves behind.
    """
    pictures = set(unused) - keep
    made = tx.variants(pictures)
    tx.forget_variants(pictures)
    return (pictures | {v.name for copies in made.values() for v in copies}) - keep
