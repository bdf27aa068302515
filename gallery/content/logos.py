"""A gallery's logo: an untrusted upload, decoded by Pillow and re-encoded as a clean PNG.

Like posters (posters.py): only the pixels survive, the pixel count is capped before decoding.
PNG keeps a logo's transparency. SVG is refused: it is a document that can carry scripts and
links to other sites, and a clean copy of it would need a sanitiser of its own.
"""

from __future__ import annotations

import io

from ..i18n import gettext_noop as N_
from ..models import Image as StoredImage
from .posters import MAX_UPLOAD_BYTES, TOO_MANY_PIXELS, PosterError, open_untrusted

FORMATS = ("PNG", "JPEG", "WEBP")
MIN_SIDE = 32
LONGEST_SIDE = 800  # shown 48 px high: enough for three times the pixel density
MAX_STORED_BYTES = 3 * 1024 * 1024  # above any PNG of LONGEST_SIDE² pixels this service writes
NOT_AN_IMAGE = N_("Die Datei ist kein lesbares Bild. Bitte ein PNG-, JPEG- oder WebP-Bild hochladen.")
NO_SVG = N_(
    "SVG-Dateien werden nicht angenommen, weil sie Skripte und Verweise auf andere Websites "
    "enthalten können. Bitte das Logo als PNG (am besten mit durchsichtigem Hintergrund), JPEG "
    "oder WebP hochladen."
)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def reencode(data: bytes) -> StoredImage:
    """Check that ``data`` is a PNG, JPEG or WebP of sensible size; return a fresh PNG."""
    from PIL import Image, ImageOps  # only when an editor uploads: visitors' processes stay lean

    if not data:
        raise PosterError(N_("Bitte eine Bilddatei auswählen."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise PosterError(N_("Die Datei ist zu groß (höchstens 10 MB)."))
    if _looks_like_svg(data):
        raise PosterError(NO_SVG)
    with open_untrusted(data, FORMATS, NOT_AN_IMAGE) as source:
        if min(source.size) < MIN_SIDE:
            raise PosterError(N_("Das Logo ist zu klein (mindestens 32 Pixel hoch und breit)."))
        image = ImageOps.exif_transpose(source)
        image = image.convert("RGBA" if _transparent(image) else "RGB")
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)  # no info given: no text chunks, no profile
    return StoredImage(out.getvalue(), "image/png", "png")


def _transparent(image: object) -> bool:
    mode = getattr(image, "mode", "")
    info = getattr(image, "info", {})
    return mode in {"RGBA", "LA", "PA"} or (mode in {"P", "L", "RGB"} and "transparency" in info)


def check_stored(data: bytes) -> StoredImage:
    """A logo from an export file: an intact PNG as this service writes them, kept byte for byte."""
    if len(data) > MAX_STORED_BYTES:
        raise PosterError(NOT_AN_IMAGE)  # larger than any logo this service writes
    with open_untrusted(data, ("PNG",), NOT_AN_IMAGE) as image:
        if max(image.size) > LONGEST_SIDE:
            raise PosterError(TOO_MANY_PIXELS)
        image.verify()
    return StoredImage(data, "image/png", "png")
