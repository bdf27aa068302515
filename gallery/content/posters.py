"""Editors' poster images: untrusted uploads, decoded by Pillow and re-encoded as a clean JPEG.

Only the pixels survive: no metadata (EXIF with GPS, camera, author), no embedded profiles or
comments, no trailing bytes. The pixel count is capped before anything is decoded.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import UserError
from ..i18n import gettext_noop as N_
from ..models import Image as StoredImage

if TYPE_CHECKING:
    from PIL.Image import Image as PillowImage

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000; decoding costs about 4 bytes per pixel
MIN_SIZE = (320, 180)
LONGEST_SIDE = 1920  # enough for the large preview on high-density screens
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
TOO_MANY_PIXELS = N_("Das Bild hat zu viele Pixel (höchstens 40 Megapixel).")


class PosterError(UserError, ValueError):
    """The upload cannot be used; ``message`` (German msgid) says why."""


@contextmanager
def open_untrusted(data: bytes, formats: tuple[str, ...], unreadable: str) -> Iterator[PillowImage]:
    """``data`` opened by Pillow, its pixel count checked from the header before anything is decoded.

    Whatever fails inside, in Pillow or in the caller's own checks, leaves as a
    :class:`PosterError`: a decompression bomb as "too many pixels", anything else as ``unreadable``.
    """
    from PIL import Image  # only when an image is checked: visitors' processes stay lean

    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) just above its own limit: treat that as a bomb too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                width, height = image.size  # read from the header: nothing decoded yet
                if width * height > MAX_PIXELS:
                    raise PosterError(TOO_MANY_PIXELS)
                yield image
    except PosterError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PosterError(TOO_MANY_PIXELS) from None
    except Exception:  # any decoder failure on untrusted bytes means "not a usable image"
        raise PosterError(unreadable) from None


def reencode(data: bytes) -> StoredImage:
    """Check that ``data`` is a JPEG, PNG, WebP or GIF of sensible size; return a fresh JPEG."""
    from PIL import Image, ImageOps  # only when an editor uploads: visitors' processes stay lean

    if not data:
        raise PosterError(N_("Bitte eine Bilddatei auswählen."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise PosterError(N_("Die Datei ist zu groß (höchstens 10 MB)."))
    unreadable = N_("Die Datei ist kein lesbares Bild. Bitte ein JPEG-, PNG-, WebP- oder GIF-Bild hochladen.")
    with open_untrusted(data, FORMATS, unreadable) as source:
        if source.size[0] < MIN_SIZE[0] or source.size[1] < MIN_SIZE[1]:
            raise PosterError(N_("Das Bild ist zu klein (mindestens 320 × 180 Pixel)."))
        source.seek(0)  # the first frame of an animation
        image = ImageOps.exif_transpose(source)  # honour the camera's rotation, then drop it
        image = flatten(image)
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
        image.info = {}  # JPEG would carry over a comment or profile from here
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return StoredImage(out.getvalue(), "image/jpeg", "jpg")


def flatten(image: PillowImage) -> PillowImage:
    """RGB on white: JPEG has no transparency, and a black background would hide dark logos."""
    from PIL import Image  # Pillow, like reencode(): only when an image is checked

    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def check_stored(data: bytes) -> StoredImage:
    """A poster from an export file: an intact image of a known format, kept byte for byte (so
    importing twice stores it once); raises :class:`PosterError`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PosterError(N_("Die Datei ist zu groß (höchstens 10 MB)."))
    with open_untrusted(data, FORMATS, N_("Die Datei ist kein lesbares Bild.")) as image:
        kind = image.format
        image.verify()
    media = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
    if kind not in media:
        raise PosterError(N_("Die Datei ist kein lesbares Bild."))
    return StoredImage(data, *media[kind])
