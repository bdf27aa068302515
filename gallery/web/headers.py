"""Security headers for every answer: computed once, then only concatenated per response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings

# Scope key through which a view can set a narrower or wider frame-ancestors for its response.
FRAME_ANCESTORS_KEY = "gallery.frame_ancestors"
# Set by responses that already carry every security header (pages): nothing left to add.
HEADERS_DONE_KEY = "gallery.security_headers_done"
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


class SecurityHeaders:
    """Every security header, computed once; responses only concatenate ready-made lists."""

    def __init__(self, settings: Settings) -> None:
        self.player = settings.player_origin
        self.frame_ancestors = settings.frame_ancestors
        self.hsts_always = (settings.public_url or "").startswith("https://")
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", permissions_policy(self.player).encode()),
        ]
        # Documents also get the headers that only mean something for a browsing context.
        document_only = [
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"x-dns-prefetch-control", b"off"),
        ]
        hsts = [(b"strict-transport-security", b"max-age=31536000")]
        self._common = {False: common, True: common + hsts}
        self._document = {False: common + document_only, True: common + document_only + hsts}
        self._csp: dict[tuple[str, ...], tuple[bytes, bytes]] = {}

    def csp(self, frame_ancestors: tuple[str, ...] | None = None) -> tuple[bytes, bytes]:
        ancestors = frame_ancestors or self.frame_ancestors
        header = self._csp.get(ancestors)
        if header is None:
            value = content_security_policy(self.player, ancestors).encode()
            header = self._csp[ancestors] = (b"content-security-policy", value)
        return header

    def https(self, scope: Scope) -> bool:
        return self.hsts_always or scope.get("scheme") == "https"

    def for_document(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """Everything an HTML page needs but its cache-control; marks the scope as handled."""
        scope[HEADERS_DONE_KEY] = True
        return [
            *self._document[self.https(scope)],
            self.csp(scope.get(FRAME_ANCESTORS_KEY)),
            CORP_SAME_ORIGIN,
        ]

    def for_asset(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """Headers for images, CSS and JS (no browsing context): a fixed list."""
        return [*self._common[self.https(scope)], self.csp(), CORP_SAME_ORIGIN]

    def for_shared_asset(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """Like :meth:`for_asset`, for the one file other sites load (``/embed.js``)."""
        return [*self._common[self.https(scope)], self.csp(), CORP_CROSS_ORIGIN]

    def for_response(self, scope: Scope, present: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """What to add to a response that already has ``present`` (names are lower case)."""
        has_csp = has_corp = has_cache = False
        for name, _ in present:
            if name == b"content-security-policy":
                has_csp = True
            elif name == b"cross-origin-resource-policy":
                has_corp = True
            elif name == b"cache-control":
                has_cache = True
        extra = list(self._document[self.https(scope)])
        if not has_csp:
            extra.append(self.csp(scope.get(FRAME_ANCESTORS_KEY)))
        if not has_corp:
            extra.append(CORP_SAME_ORIGIN)
        if not has_cache:
            extra.append((b"cache-control", HTML_CACHE_CONTROL))
        return extra


CORP_SAME_ORIGIN = (b"cross-origin-resource-policy", b"same-origin")
CORP_CROSS_ORIGIN = (b"cross-origin-resource-policy", b"cross-origin")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response that passes through the app.

    Pure ASGI rather than BaseHTTPMiddleware: this sits on the hot path of every request.
    """

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and not scope.get(HEADERS_DONE_KEY):
                present = list(message.get("headers", ()))
                message["headers"] = present + self.headers.for_response(scope, present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
