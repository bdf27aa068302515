"""A gallery's accent colour: reading it, measuring its contrast, and the stylesheet that sets it.

WCAG 2.x contrast (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio); no I/O here.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
DEFAULT_ACCENT = "#9e1b32"  # gallery.css
# Where the accent is used: link and button-outline text on the page (white) and on the cards'
# panel, and white text on the accent itself (buttons). All need 4.5:1 (WCAG 1.4.3).
BACKGROUNDS = ("#ffffff", "#f4f4f7")
MIN_CONTRAST = 4.5


def parse_hex(value: str) -> str | None:
    """``#rrggbb`` in lower case, from ``#rgb``/``#rrggbb`` with or without ``#``; else None."""
    match = HEX_RE.match(value.strip())
    if not match:
        return None
    digits = match[1].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def weakest_contrast(colour: str) -> float:
    """The lowest contrast of the colour against everything it is shown on or under."""
    return min(contrast(colour, background) for background in BACKGROUNDS)


def shown_ratio(ratio: float) -> float:
    """The ratio rounded down to one decimal: 4.47 is never reported as the 4.5 it misses."""
    return math.floor(ratio * 10) / 10


def darker(colour: str, amount: float = 0.2) -> str:
    """The colour mixed with black (hover states): darker keeps its contrast with white."""
    parts = (round(int(colour[i : i + 2], 16) * (1 - amount)) for i in (1, 3, 5))
    return "#" + "".join(f"{p:02x}" for p in parts)


@dataclass(frozen=True, slots=True)
class AccentStyle:
    """The small stylesheet that gives one gallery its colour (CSP allows no inline style)."""

    css: bytes
    version: str

    @classmethod
    def of(cls, accent: str) -> AccentStyle:
        css = f":root {{ --accent: {accent}; --accent-dark: {darker(accent)}; }}\n".encode()
        return cls(css, hashlib.sha256(css).hexdigest()[:12])
