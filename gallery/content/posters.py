"""Editors' poster images: untrusted uploads, decoded by Pillow and re-encoded as a clean JPEG.

Only the pixels survive: no metadata (EXIF with GPS, camera, author), no embedded profiles or
comments, no trailing bytes. The pixel count is capped before anything is decoded.
"""

from __future__ import annotations

import io
import warnings
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


def reencode(data: bytes) -> StoredImage:
    """Check that ``data`` is a JPEG, PNG, WebP or GIF of sensible size; return a fresh JPEG."""
    from PIL import Image, ImageOps  # only when an editor uploads: visitors' processes stay lean

    if not data:
        raise PosterError(N_("Bitte eine Bilddatei auswählen."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise PosterError(N_("Die Datei ist zu groß (höchstens 10 MB)."))
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) just above its own limit: treat that as a bomb too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as source:
                width, height = source.size  # read from the header: nothing decoded yet
                if width * height > MAX_PIXELS:
                    raise PosterError(TOO_MANY_PIXELS)
                if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
                    raise PosterError(N_("Das Bild ist zu klein (mindestens 320 × 180 Pixel)."))
                source.seek(0)  # the first frame of an animation
                image = ImageOps.exif_transpose(source)  # honour the camera's rotation, then drop it
                image = _flatten(image)
                image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
                image.info = {}  # JPEG would carry over a comment or profile from here
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    except PosterError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PosterError(TOO_MANY_PIXELS) from None
    except Exception:  # any decoder failure on untrusted bytes means "not a usable image"
        raise PosterError(
            N_("Die Datei ist kein lesbares Bild. Bitte ein JPEG-, PNG-, WebP- oder GIF-Bild hochladen.")
        ) from None
    return StoredImage(out.getvalue(), "image/jpeg", "jpg")


def _flatten(image: PillowImage) -> PillowImage:
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
    from PIL import Image  # Pillow, like reencode(): only when an image is checked

    if len(data) > MAX_UPLOAD_BYTES:
        raise PosterError(N_("Die Datei ist zu groß (höchstens 10 MB)."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise PosterError(TOO_MANY_PIXELS)
                kind = image.format
                image.verify()
    except PosterError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PosterError(TOO_MANY_PIXELS) from None
    except Exception:
        raise PosterError(N_("Die Datei ist kein lesbares Bild.")) from None
    media = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
    if kind not in media:
        raise PosterError(N_("Die Datei ist kein lesbares Bild."))
    return StoredImage(data, *media[kind])
