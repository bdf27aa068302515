"""Response headers for every answer, origin checks for POSTs, and safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings

# Scope key through which a view can set a narrower or wider frame-ancestors for its response.
FRAME_ANCESTORS_KEY = "gallery.frame_ancestors"
HTML_CACHE_CONTROL = b"private, no-store"


def content_security_policy(player_origin: str, frame_ancestors: tuple[str, ...]) -> str:
    """No inline script or style; frames only from the player; framing only by approved sites."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            f"frame-src {player_origin}",
            f"frame-ancestors {' '.join(frame_ancestors)}",
        ]
    )


def permissions_policy(player_origin: str) -> str:
    allowed = f'(self "{player_origin}")'
    granted = ["fullscreen", "autoplay", "picture-in-picture", "encrypted-media"]
    denied = ["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"]
    return ", ".join([f"{f}={allowed}" for f in granted] + [f"{f}=()" for f in denied])


class SecurityHeadersMiddleware:
    """Adds the fixed security headers to every response, precomputed once (no per-request work).

    Pure ASGI rather than BaseHTTPMiddleware: this sits on the hot path of every request.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        player = settings.player_origin
        self._csp_prefix = content_security_policy(player, ()).rsplit("; ", 1)[0]
        self._default_csp = content_security_policy(player, settings.frame_ancestors).encode()
        self._common: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", permissions_policy(player).encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"x-dns-prefetch-control", b"off"),
        ]
        public = settings.public_url or ""
        self._hsts_always = public.startswith("https://")

    def csp_for(self, frame_ancestors: tuple[str, ...] | None) -> bytes:
        if frame_ancestors is None:
            return self._default_csp
        return f"{self._csp_prefix}; frame-ancestors {' '.join(frame_ancestors)}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(self._common)
                if b"content-security-policy" not in present:
                    csp = self.csp_for(scope.get(FRAME_ANCESTORS_KEY))
                    headers.append((b"content-security-policy", csp))
                if b"cross-origin-resource-policy" not in present:
                    headers.append((b"cross-origin-resource-policy", b"same-origin"))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", HTML_CACHE_CONTROL))
                if self._hsts_always or scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def own_origin(request: Request, settings: Settings) -> str:
    """The origin visitors use: GALLERY_PUBLIC_URL behind a proxy, else what the request says."""
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}".lower()


def is_same_origin_post(request: Request, settings: Settings) -> bool:
    """Forgery check that needs no cookie (none may exist before consent).

    Browsers mark their own requests with ``Sec-Fetch-Site``; where that is missing (older
    browsers), Origin or Referer must be our origin. ``Origin: null`` never passes.
    """
    headers: Headers = request.headers
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    ours = own_origin(request, settings)
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        return origin.lower() == ours
    referer = headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == ours
    return False


def safe_next(value: str | None) -> str | None:
    """A local path to redirect to, or None: never another host, scheme or protocol-relative URL."""
    if not value or len(value) > 1000:
        return None
    if any(ord(c) < 33 or ord(c) == 127 for c in value) or "\\" in value:
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
