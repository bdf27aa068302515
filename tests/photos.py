"""Photo-like test pictures, made deterministically with Pillow (tests and bench/ use them).

Flat illustrations compress to a few kilobytes and would flatter every size goal. These pictures
behave like a video still of a person speaking in a room: soft light over the background, a
blurred background with out-of-focus highlights, a sharper subject with skin and cloth texture,
some hard edges (a window, shelves), and sensor grain. The same seed always gives the same bytes.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from gallery.models import Image as StoredImage


def _noise(rng: random.Random, size: tuple[int, int], scale: int, blur: float) -> Image.Image:
    """Grey noise at a coarseness of ``scale`` pixels: fine grain for 1, soft blotches for large ones."""
    w, h = max(1, size[0] // scale), max(1, size[1] // scale)
    small = Image.frombytes("L", (w, h), rng.randbytes(w * h))
    grown = small.resize(size, Image.Resampling.BICUBIC)
    return grown.filter(ImageFilter.GaussianBlur(blur)) if blur else grown


def _colour(rng: random.Random, low: int = 30, high: int = 230) -> tuple[int, int, int]:
    return (rng.randrange(low, high), rng.randrange(low, high), rng.randrange(low, high))


def photo(seed: int, size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """A photo-like RGB picture of ``size``; the same seed gives the same pixels."""
    rng = random.Random(seed)
    w, h = size
    # A room in soft light: two colours across the frame, with blotchy light on the walls.
    top, bottom = _colour(rng, 60, 220), _colour(rng, 20, 160)
    mask = Image.linear_gradient("L").resize(size)
    if rng.random() < 0.5:
        mask = mask.rotate(90, expand=False).resize(size)
    img = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    light = _noise(rng, size, max(8, w // 12), w / 60).convert("RGB")
    img = Image.blend(img, ImageChops.multiply(img, light), 0.35)
    # The background: a window and shelves, then out of focus like behind a speaker.
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(6, 12)):
        x, y = rng.randrange(w), rng.randrange(h)
        bw, bh = rng.randrange(w // 20, w // 4), rng.randrange(h // 20, h // 3)
        draw.rectangle((x, y, x + bw, y + bh), fill=_colour(rng), outline=_colour(rng, 0, 90), width=3)
    for _ in range(rng.randrange(10, 20)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(w // 80, w // 25)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng, 150, 255))
    texture = _noise(rng, size, 3, 0.6).convert("RGB")
    img = Image.blend(img, ImageChops.overlay(img, texture), 0.5)
    img = img.filter(ImageFilter.GaussianBlur(w / 320))
    # The speaker, in focus: head and shoulders, with skin and cloth texture and a hard outline.
    person = Image.new("L", size, 0)
    pd = ImageDraw.Draw(person)
    cx = rng.randrange(w // 3, 2 * w // 3)
    head = h // 7
    pd.ellipse((cx - head, h // 4, cx + head, h // 4 + int(head * 2.5)), fill=255)
    pd.rounded_rectangle((cx - 3 * head, h // 4 + int(head * 2.7), cx + 3 * head, h + head), head, fill=255)
    skin, cloth = _colour(rng, 150, 230), _colour(rng, 20, 200)
    body = Image.new("RGB", size, cloth)
    ImageDraw.Draw(body).ellipse((cx - head, h // 4, cx + head, h // 4 + int(head * 2.5)), fill=skin)
    weave = _noise(rng, size, 2, 0.4).convert("RGB")
    body = Image.blend(body, ImageChops.overlay(body, weave), 0.55)
    shade = _noise(rng, size, max(4, w // 40), w / 200).convert("RGB")
    body = Image.blend(body, ImageChops.multiply(body, shade), 0.3)
    img.paste(body, mask=person.filter(ImageFilter.GaussianBlur(1.2)))
    # Sensor grain over everything, as a camera at indoor light leaves it.
    grain = _noise(rng, size, 1, 0.5).convert("RGB")
    return Image.blend(img, ImageChops.overlay(img, grain), 0.12)


def photo_jpeg(seed: int, size: tuple[int, int] = (1280, 720), quality: int = 88) -> bytes:
    """The picture as Vimeo hands out a thumbnail: one large, good JPEG."""
    out = io.BytesIO()
    photo(seed, size).save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def stored_photo(seed: int, size: tuple[int, int] = (1280, 720)) -> StoredImage:
    return StoredImage(photo_jpeg(seed, size), "image/jpeg", "jpg")
