"""Vimeo links as editors paste them: every accepted form read into one :class:`VideoRef`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ..errors import UserError
from ..i18n import gettext_noop as N_

VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
HASH_RE = re.compile(r"^[0-9a-f]{10}\Z")
MAX_ID_DIGITS = 12  # a video number as links, pages, the command line and export files may carry it
ID_RE = re.compile(rf"^[0-9]{{1,{MAX_ID_DIGITS}}}\Z")
MAX_VIDEO_ID = 10**MAX_ID_DIGITS - 1
START_RE = re.compile(r"^t=((?:\d+h)?(?:\d+m)?(?:\d+s?)?)\Z")
MAX_LINK_LENGTH = 2048

EVENTS = N_("Live-Events (vimeo.com/event/…) haben eigene Nummern und können nicht eingebunden werden.")
REJECTED_SECTIONS = {
    "event": EVENTS,
    "events": EVENTS,
    "ondemand": N_("Vimeo-On-Demand-Seiten sind Verkaufsseiten, kein einzelnes Video."),
    "review": N_(
        "Review-Links sind für die interne Abstimmung gedacht; bitte den normalen Videolink verwenden."
    ),
    "live": N_(
        "Live-Seiten von Vimeo werden nicht unterstützt; bitte den Link eines einzelnen Videos verwenden."
    ),
}
COLLECTION = N_(
    "Das ist eine Sammlung (Kanal, Gruppe, Showcase oder Profil), kein einzelnes Video. "
    "Bitte den Link eines einzelnen Videos einfügen."
)


class InvalidVideoLink(UserError, ValueError):
    """What an editor pasted is not a Vimeo video we can use; ``message`` says why."""


@dataclass(frozen=True, slots=True)
class VideoRef:
    """One Vimeo video: its number and, for unlisted videos, the hash from the share link."""

    vimeo_id: int
    unlisted_hash: str | None = None
    start: str | None = None  # from a #t=1m30s fragment

    @property
    def canonical_url(self) -> str:
        if self.unlisted_hash:
            return f"https://vimeo.com/{self.vimeo_id}/{self.unlisted_hash}"
        return f"https://vimeo.com/{self.vimeo_id}"


def parse_video_link(text: str) -> VideoRef:
    """Turn any link or id form an editor may paste into a :class:`VideoRef`."""
    text = text.strip()
    if not text:
        raise InvalidVideoLink(N_("Bitte einen Vimeo-Link oder eine Videonummer eingeben."))
    if len(text) > MAX_LINK_LENGTH:
        raise InvalidVideoLink(N_("Der Link ist zu lang für einen Vimeo-Videolink."))
    # Checked on the whole text: urlsplit silently drops tabs and newlines, so "12\n3" would
    # otherwise become video 123.
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise InvalidVideoLink(N_("Der Link enthält Leerzeichen oder Steuerzeichen."))
    if ID_RE.match(text):
        return VideoRef(_video_id(text))
    if "://" not in text and text.lower().startswith(("vimeo.com/", "www.vimeo.com/", "player.vimeo.com/")):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidVideoLink(N_("Das ist kein gültiger Link.")) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise InvalidVideoLink(
            N_("Bitte einen Link wie https://vimeo.com/123456789 oder nur die Videonummer eingeben.")
        )
    host = parts.hostname.lower().rstrip(".")
    if host not in VIMEO_HOSTS or parts.username or parts.password or port not in {None, 80, 443}:
        raise InvalidVideoLink(N_("Das ist keine Adresse von vimeo.com."))
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query, keep_blank_values=True)
    if host == "player.vimeo.com":
        if len(segments) != 2 or segments[0] != "video" or not ID_RE.match(segments[1]):
            raise InvalidVideoLink(N_("Player-Links müssen die Form player.vimeo.com/video/NUMMER haben."))
        vimeo_id, rest = _video_id(segments[1]), list[str]()
    else:
        vimeo_id, rest = _id_from_site_path(segments)
    unlisted_hash = None
    if rest:
        if len(rest) > 1 or not HASH_RE.match(rest[0]):
            raise InvalidVideoLink(N_("Nach der Videonummer folgt etwas, das kein Freigabe-Hash ist."))
        unlisted_hash = rest[0]
    if unlisted_hash is None and "h" in query:
        h = query["h"][0]
        if not HASH_RE.match(h):
            raise InvalidVideoLink(N_("Der Freigabe-Hash (h=…) im Link ist ungültig."))
        unlisted_hash = h
    match = START_RE.match(parts.fragment)
    start = match.group(1) if match and match.group(1) else None
    return VideoRef(vimeo_id, unlisted_hash, start)


def video_id(text: str) -> int | None:
    """The video number ``text`` is (1 to 12 ASCII digits, not zero), or None: the one check for a bare id."""
    return int(text) if ID_RE.match(text) and int(text) > 0 else None


def _video_id(digits: str) -> int:
    value = int(digits)
    if value <= 0:
        raise InvalidVideoLink(N_("Die Videonummer muss größer als null sein."))
    return value


def _id_from_site_path(segments: list[str]) -> tuple[int, list[str]]:
    """Strip one known prefix from a vimeo.com path; the next segment is the id."""
    if not segments:
        raise InvalidVideoLink(N_("Der Link zeigt auf die Startseite von Vimeo, nicht auf ein Video."))
    head = segments[0].lower()
    if head in REJECTED_SECTIONS:
        raise InvalidVideoLink(REJECTED_SECTIONS[head])
    prefixes = {
        # prefix: number of segments to skip, and the literal word expected before the id
        "channels": (2, None),
        "groups": (3, "videos"),
        "album": (3, "video"),
        "showcase": (3, "video"),
        "video": (1, None),
        "videos": (1, None),
    }
    if head in prefixes:
        skip, word = prefixes[head]
        if len(segments) <= skip or (word and segments[skip - 1].lower() != word):
            raise InvalidVideoLink(COLLECTION)
        segments = segments[skip:]
    if not ID_RE.match(segments[0]):
        # vimeo.com/USER, vimeo.com/USER/review/…, vimeo.com/channels/NAME/… and the like
        for seg in segments:
            if seg.lower() in REJECTED_SECTIONS:
                raise InvalidVideoLink(REJECTED_SECTIONS[seg.lower()])
        raise InvalidVideoLink(COLLECTION)
    return _video_id(segments[0]), segments[1:]
