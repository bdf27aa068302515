"""The only door to Vimeo: link parsing, oEmbed and thumbnail downloads.

Nothing else in the service talks to Vimeo, and this module is only used when an editor adds or
refreshes a statement, never because a visitor asked for a page. Transport errors and odd answers
become :class:`VimeoError` subclasses whose message an editor can act on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ..i18n import gettext_noop as N_
from ..models import FetchStatus
from ..settings import Settings, is_loopback_host
from .addresses import why_refused

VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
HASH_RE = re.compile(r"^[0-9a-f]{10}\Z")
ID_RE = re.compile(r"^[0-9]{1,12}\Z")
START_RE = re.compile(r"^t=((?:\d+h)?(?:\d+m)?(?:\d+s?)?)\Z")
MAX_LINK_LENGTH = 2048
MAX_OEMBED_BYTES = 256 * 1024
MAX_THUMBNAIL_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 3
TOTAL_DEADLINE = 30.0  # seconds for one request including a slow drip of bytes
MAX_CONCURRENT_REQUESTS = 4  # per process: the service never hits Vimeo with a burst
USER_AGENT = "statement-gallery/0.1 (server-side oEmbed; no visitor data)"

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


class InvalidVideoLink(ValueError):
    """What an editor pasted is not a Vimeo video we can use; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


# --- errors ------------------------------------------------------------------------------


class VimeoError(Exception):
    """Vimeo could not give us a usable answer; ``message`` is for editors, ``status`` for storage."""

    status = FetchStatus.ERROR
    definite = False  # True when Vimeo positively said the video cannot be shown

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class VideoNotFound(VimeoError):
    status = FetchStatus.NOT_FOUND
    definite = True


class EmbeddingDisabled(VimeoError):
    status = FetchStatus.FORBIDDEN
    definite = True


class VimeoUnavailable(VimeoError):
    """Network trouble, 5xx, 429, a captcha page: try again later, keep the old data."""


class BadAnswer(VimeoError):
    """Vimeo answered, but not with anything we can read."""


class ThumbnailRefused(VimeoError):
    """The thumbnail could not be fetched safely (host, size, not an image)."""


UNSAFE_ADDRESS = N_(
    "Die Adresse führt in ein internes Netz (privat, lokal oder reserviert); der Server fragt dort nicht an."
)
UNRESOLVABLE = N_("Der Servername lässt sich nicht auflösen. Später erneut versuchen.")


# --- oEmbed ------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Image:
    data: bytes
    media_type: str
    extension: str


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


def _refuse_all_cookies() -> CookieJar:
    # Vimeo sits behind Cloudflare, which sets cookies; we never keep or send them back.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class VimeoClient:
    """One shared httpx client for the life of the app (or one CLI run).

    Without a ``transport`` (production) every connection goes through :class:`GuardedTransport`.
    Tests pass an in-process transport; they get the guard around it by passing a ``resolver``.
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
    ) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        if transport is None:
            transport = GuardedTransport(_direct_transport, resolver or system_resolver, settings)
        elif resolver is not None:
            given = transport
            transport = GuardedTransport(lambda: given, resolver, settings)
        # Fixed headers only: nothing about any visitor ever reaches Vimeo from here.
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }
        self._client = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            cookies=_refuse_all_cookies(),
            timeout=httpx.Timeout(10.0, connect=5.0),
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> VimeoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def oembed(self, ref: VideoRef) -> OEmbed:
        """Ask Vimeo's oEmbed endpoint about one video."""
        params = {"url": ref.canonical_url, "dnt": "1"}
        headers = {}
        if self.settings.vimeo_referer:
            headers["Referer"] = self.settings.vimeo_referer
        request = self._client.build_request(
            "GET", self.settings.vimeo_oembed_url, params=params, headers=headers
        )
        status, response_headers, body = await self._send(request, MAX_OEMBED_BYTES, VimeoUnavailable)
        content_type = response_headers.get("content-type", "").split(";")[0].strip().lower()
        if status == 404:
            raise VideoNotFound(
                N_(
                    "Nicht gefunden: Das Video gibt es nicht (mehr), es ist privat, oder es ist nicht "
                    "gelistet und dem Link fehlt der Freigabe-Hash (vimeo.com/NUMMER/HASH)."
                )
            )
        if status == 403 and content_type != "text/html":
            raise EmbeddingDisabled(
                N_(
                    "Einbetten ist deaktiviert: Die Eigentümerin oder der Eigentümer des Videos "
                    "erlaubt das Einbetten nicht."
                )
            )
        if status in {403, 429} or status >= 500:
            retry = _retry_after(response_headers.get("retry-after"))
            if status == 429:
                message = N_("Vimeo bittet, es später erneut zu versuchen (zu viele Anfragen).")
            elif status == 403:
                message = N_(
                    "Vimeo blockiert Anfragen dieses Servers (Captcha-Seite). Später erneut versuchen."
                )
            else:
                message = N_("Vimeo ist gerade gestört. Später erneut versuchen.")
            raise VimeoUnavailable(message, retry_after=retry)
        if status != 200:
            raise BadAnswer(N_("Vimeo hat unerwartet geantwortet. Später erneut versuchen."))
        if content_type != "application/json":
            raise VimeoUnavailable(
                N_(
                    "Vimeo hat eine Webseite statt Daten geschickt – vermutlich wird dieser Server "
                    "blockiert. Später erneut versuchen."
                )
            )
        try:
            data = json.loads(body)
        except ValueError:
            raise BadAnswer(N_("Vimeos Antwort ist unvollständig oder beschädigt.")) from None
        return _read_oembed(ref, data)

    async def thumbnail(self, url: str) -> Image:
        """Download a thumbnail from an allowlisted host, following only allowlisted redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            self._check_thumbnail_url(url)
            try:
                request = self._client.build_request("GET", url, headers={"Accept": "image/*"})
            except httpx.InvalidURL:
                raise ThumbnailRefused(N_("Die Adresse des Vorschaubilds ist ungültig.")) from None
            status, headers, body = await self._send(request, MAX_THUMBNAIL_BYTES, ThumbnailRefused)
            if status in {301, 302, 303, 307, 308} and headers.get("location"):
                url = str(httpx.URL(url).join(headers["location"]))
                continue
            if status != 200:
                raise ThumbnailRefused(N_("Das Vorschaubild konnte nicht geladen werden."))
            sniffed = sniff_image(body)
            if sniffed is None:
                raise ThumbnailRefused(N_("Das Vorschaubild ist keine Bilddatei."))
            return Image(body, *sniffed)
        raise ThumbnailRefused(N_("Das Vorschaubild wird zu oft weitergeleitet."))

    def _check_thumbnail_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ThumbnailRefused(N_("Die Adresse des Vorschaubilds ist ungültig.")) from None
        host = (parts.hostname or "").lower()
        scheme = parts.scheme.lower()
        default_port = {"https": 443, "http": 80}.get(scheme)
        if ":" in host:
            host = f"[{host}]"  # an IPv6 literal is written with brackets in host:port
        netloc = host if port in {None, default_port} else f"{host}:{port}"
        if parts.username or parts.password or netloc not in self.settings.vimeo_thumbnail_hosts:
            raise ThumbnailRefused(
                N_(
                    "Das Vorschaubild liegt auf einem Server, der nicht in "
                    "GALLERY_VIMEO_THUMBNAIL_HOSTS steht."
                )
            )
        if scheme != "https" and not (scheme == "http" and is_loopback_host(host)):
            raise ThumbnailRefused(N_("Vorschaubilder werden nur über https geladen."))

    async def _send(
        self, request: httpx.Request, limit: int, unsafe: type[VimeoError]
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send, read at most ``limit`` bytes, and turn transport trouble into VimeoUnavailable."""
        async with self._slots:
            return await self._send_now(request, limit, unsafe)

    async def _send_now(
        self, request: httpx.Request, limit: int, unsafe: type[VimeoError]
    ) -> tuple[int, httpx.Headers, bytes]:
        try:
            async with asyncio.timeout(TOTAL_DEADLINE):
                response = await self._client.send(request, stream=True)
                try:
                    length = response.headers.get("content-length", "")
                    if length.isdigit() and int(length) > limit:
                        raise _TooLarge
                    chunks, size = [], 0
                    try:
                        async for chunk in response.aiter_raw():
                            size += len(chunk)
                            if size > limit:
                                raise _TooLarge
                            chunks.append(chunk)
                    except httpx.StreamConsumed:
                        # A transport that hands over a body already in memory (test doubles).
                        chunks, size = [response.content], len(response.content)
                        if size > limit:
                            raise _TooLarge from None
                finally:
                    await response.aclose()
        except _TooLarge:
            raise BadAnswer(N_("Vimeos Antwort ist unerwartet groß und wurde verworfen.")) from None
        except UnsafeAddress:
            raise unsafe(UNSAFE_ADDRESS) from None
        except Unresolvable:
            raise VimeoUnavailable(UNRESOLVABLE) from None
        except TimeoutError:
            raise VimeoUnavailable(N_("Vimeo hat nicht rechtzeitig geantwortet.")) from None
        except httpx.TimeoutException:
            raise VimeoUnavailable(N_("Vimeo hat nicht rechtzeitig geantwortet.")) from None
        except httpx.HTTPError:
            raise VimeoUnavailable(N_("Vimeo ist von diesem Server aus nicht erreichbar.")) from None
        body = b"".join(chunks)
        encoding = response.headers.get("content-encoding", "identity").lower()
        if encoding not in {"identity", ""}:
            body = _decode(body, encoding, limit)
        return response.status_code, response.headers, body


class _TooLarge(Exception):
    pass


# --- where requests may go ---------------------------------------------------------------

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def configured_hosts(settings: Settings) -> frozenset[str]:
    """Hosts the operator wrote down as IP literals or ``localhost``: trusted as configured."""
    hosts = {urlsplit(settings.vimeo_oembed_url).hostname or ""}
    hosts |= {urlsplit(f"//{entry}").hostname or "" for entry in settings.vimeo_thumbnail_hosts}
    return frozenset(h.lower() for h in hosts if _is_ip_literal(h) or is_loopback_host(h))


class UnsafeAddress(httpx.ConnectError):
    """The name leads to a private, local or reserved address; nothing was sent."""


class Unresolvable(httpx.ConnectError):
    """The name does not resolve."""


def _direct_transport() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(
            max_connections=MAX_CONCURRENT_REQUESTS, max_keepalive_connections=MAX_CONCURRENT_REQUESTS
        ),
        retries=0,
    )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Dials only public addresses, and exactly the address it checked.

    Each request's host is resolved here; if the table in :mod:`gallery.addresses` refuses any of
    its addresses, the request is refused.
    The request then goes to the first checked address (the URL's host replaced by it, with
    ``Host`` and TLS SNI kept on the name), so a second DNS answer (rebinding) cannot redirect
    the connection. IP literals pass only when the operator configured exactly that host
    (the stand-in on 127.0.0.1); so does ``localhost``.
    """

    def __init__(
        self,
        make_transport: Callable[[], httpx.AsyncBaseTransport],
        resolver: Resolver,
        settings: Settings,
    ) -> None:
        self.make_transport = make_transport
        self.resolver = resolver
        self.trusted = configured_hosts(settings)
        # One connection pool per name: a pooled TLS connection is only reused for its own SNI.
        self._pools: dict[str, httpx.AsyncBaseTransport] = {}

    def _pool(self, host: str) -> httpx.AsyncBaseTransport:
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = self.make_transport()
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.lower()
        if host in self.trusted:
            return await self._pool(host).handle_async_request(request)
        if _is_ip_literal(host):
            raise UnsafeAddress(f"IP literal {host} is not a configured host", request=request)
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except (OSError, UnicodeError):
            raise Unresolvable(f"{host} does not resolve", request=request) from None
        if not addresses:
            raise UnsafeAddress(f"{host} resolves to no address", request=request)
        for address in addresses:
            if why := why_refused(address):
                raise UnsafeAddress(f"{host} resolves to {address}: {why}", request=request)
        request.url = request.url.copy_with(host=addresses[0].split("%", 1)[0])
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._pool(host).handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in {id(p): p for p in pools}.values():
            await pool.aclose()


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo gzip/deflate with a cap, so a small compressed bomb cannot fill memory."""
    import zlib

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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    if when.tzinfo is None:  # "-0000" or no zone at all: HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _read_oembed(ref: VideoRef, data: Any) -> OEmbed:
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
