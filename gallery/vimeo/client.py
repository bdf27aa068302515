"""The Vimeo client: oEmbed and thumbnail downloads through one shared, guarded httpx client.

Nothing else in the service talks to Vimeo, and this client is only used when an editor adds or
refreshes a statement, never because a visitor asked for a page. Transport errors and odd answers
become :mod:`gallery.vimeo.errors` whose message an editor can act on.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpx

from ..i18n import gettext_noop as N_
from ..models import Image, sniff_image
from ..settings import Settings, is_loopback_host
from .answers import OEmbed, decompress, read_oembed, retry_after
from .errors import (
    UNRESOLVABLE,
    UNSAFE_ADDRESS,
    BadAnswer,
    EmbeddingDisabled,
    ThumbnailRefused,
    VideoNotFound,
    VimeoError,
    VimeoUnavailable,
)
from .guard import GuardedTransport, Resolver, Unresolvable, UnsafeAddress, system_resolver
from .links import VideoRef

MAX_OEMBED_BYTES = 256 * 1024
MAX_THUMBNAIL_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 3
TOTAL_DEADLINE = 30.0  # seconds for one request including a slow drip of bytes
MAX_CONCURRENT_REQUESTS = 4  # per process: the service never hits Vimeo with a burst
USER_AGENT = "statement-gallery/0.1 (server-side oEmbed; no visitor data)"


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
        deadline: float = TOTAL_DEADLINE,
    ) -> None:
        self.settings = settings
        self.deadline = deadline
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

    def with_referer(self, referer: str | None) -> VimeoClient:
        """The same client (connections, limits) asking with another town's Referer."""
        other = copy.copy(self)
        other.settings = replace(self.settings, vimeo_referer=referer)
        return other

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
            retry = retry_after(response_headers.get("retry-after"))
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
        return read_oembed(ref, data)

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
            async with asyncio.timeout(self.deadline):
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
            body = decompress(body, encoding, limit)
        return response.status_code, response.headers, body


class _TooLarge(Exception):
    pass


def _direct_transport() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(
            max_connections=MAX_CONCURRENT_REQUESTS, max_keepalive_connections=MAX_CONCURRENT_REQUESTS
        ),
        retries=0,
    )
