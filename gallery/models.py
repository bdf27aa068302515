"""Frozen records the rest of the service passes around; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FetchStatus(StrEnum):
    """What the last look at Vimeo said about a video."""

    OK = "ok"
    RESTRICTED = "restricted"  # 200 without title/thumbnail: domain privacy or hidden
    NOT_FOUND = "not_found"  # 404: gone, private, or unlisted without its hash
    FORBIDDEN = "forbidden"  # 403: the owner disabled embedding
    ERROR = "error"  # network, 5xx, 429, nonsense: keep whatever good data we had

    @property
    def playable(self) -> bool:
        """Whether visitors should see a statement whose video has this status."""
        return self in {FetchStatus.OK, FetchStatus.RESTRICTED, FetchStatus.ERROR}


@dataclass(frozen=True, slots=True)
class Gallery:
    id: int
    slug: str
    title: str
    intro: str
    is_default: bool
    lang: str = "de"
    # Exact origins allowed to embed this gallery; empty: the global GALLERY_FRAME_ANCESTORS.
    frame_ancestors: tuple[str, ...] = ()
    accent: str = ""  # "#rrggbb", contrast checked; "": the service's own colour
    logo: str | None = None  # an uploaded image in the thumbnail store
    logo_alt: str = ""  # what the logo says (the town's name); "": the gallery's title
    updated_at: str = ""  # ISO 8601 (UTC) of the last change to the gallery's own settings


@dataclass(frozen=True, slots=True)
class Video:
    vimeo_id: int
    unlisted_hash: str | None
    title: str
    author_name: str
    duration: int | None
    width: int | None
    height: int | None
    upload_date: str | None
    thumbnail_url: str | None
    thumbnail: str | None
    fetch_status: FetchStatus
    fetch_message: str
    fetched_at: str | None
    good_at: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    id: int
    gallery_id: int
    gallery_slug: str
    position: int
    published: bool
    speaker_name: str
    speaker_role: str
    quote: str
    transcript: str
    alt_text: str
    revision: int
    video: Video
    title_override: str = ""  # the editor's title, shown instead of Vimeo's
    poster: str | None = None  # an uploaded image in the thumbnail store, shown instead of Vimeo's
    caption_lang: str = "de"  # passed to the player as texttrack; "" when none is given
    updated_at: str = ""  # ISO 8601 (UTC) of the last edit, move or publication

    @property
    def vimeo_id(self) -> int:
        return self.video.vimeo_id

    @property
    def title(self) -> str:
        return self.video.title

    @property
    def visible(self) -> bool:
        """Shown to visitors: published, and Vimeo has not said the video is gone."""
        return self.published and self.video.fetch_status.playable

    @property
    def aspect_ratio(self) -> tuple[int, int]:
        w, h = self.video.width, self.video.height
        if w and h and 0.2 < w / h < 5:
            return w, h
        return 16, 9


@dataclass(frozen=True, slots=True)
class Editor:
    id: int
    name: str
    created_at: str
    password_changed_at: str
    operator: bool = False  # may work in every town, not only in its own


DEFAULT_TOWN_ID = 1


@dataclass(frozen=True, slots=True)
class Town:
    """One town on the installation: its addresses, legal texts and defaults.

    An empty value means "not set"; the default town then takes the setting of the same name
    (GALLERY_PUBLIC_URL …), so that an installation for one town is configured as before.
    """

    id: int
    key: str
    name: str = ""
    operator_name: str = ""
    hosts: tuple[str, ...] = ()
    public_url: str = ""
    imprint_url: str = ""
    privacy_policy_url: str = ""
    accessibility_contact: str = ""
    accessibility_created: str = ""
    accessibility_reviewed: str = ""
    frame_ancestors: tuple[str, ...] = ()
    cookie_mode: str = ""
    lang: str = ""
    vimeo_referer: str = ""
    accent: str = ""
    logo: str | None = None
    logo_alt: str = ""
    is_default: bool = False
    revision: int = 1


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    gallery_slug: str | None
    vimeo_id: int | None
    statement_id: int | None
    revision: int | None
    fields: tuple[str, ...]
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduledVideo:
    """A video some gallery shows, with its row of the refresh schedule (None: never scheduled)."""

    vimeo_id: int
    fetched_at: str | None
    thumbnail: str | None
    next_check: float | None
    failures: int | None


@dataclass(frozen=True, slots=True)
class RefreshState:
    """The one refresh state of the service: who holds the lease, and the pause after trouble."""

    holder: str
    lease_until: float
    paused_until: float
    failures: int
    reason: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image's bytes with the media type and file extension its bytes show."""

    data: bytes
    media_type: str
    extension: str


@dataclass(frozen=True, slots=True)
class Variant:
    """A smaller copy of a stored picture, made when the picture was stored; an image of its own."""

    source: str  # the stored picture's name
    format: str  # "webp" or "jpg"
    width: int
    height: int
    name: str  # its own content-hash name in the image store


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) judged by the bytes alone, or None if not a known image."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[:6] in {b"GIF87a", b"GIF89a"}:
        return "image/gif", "gif"
    if data[4:12] in {b"ftypavif", b"ftypavis"}:
        return "image/avif", "avif"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header of a JPEG, PNG, WebP or GIF, or None.

    Share previews need an image's real size; reading a few header bytes here keeps Pillow out
    of the visitors' processes.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return _positive(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    if data[:6] in {b"GIF87a", b"GIF89a"}:
        return _positive(int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little"))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return _positive(int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        return _positive(width, int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return None


# Start-of-frame markers: baseline, progressive and the rarer codings; not DHT (C4), JPG (C8), DAC (CC).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in {0x01, *range(0xD0, 0xD8)}:  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _JPEG_FRAMES:
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return _positive(int.from_bytes(data[at + 7 : at + 9], "big"), height)
        if length < 2:
            return None
        at += 2 + length
    return None
