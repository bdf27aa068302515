"""Which hosts and proxies are trusted, response headers for every answer, origin checks for
POSTs, and safe redirect targets."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import DEFAULT_LANGUAGE, translations
from ..i18n import gettext_noop as N_
from ..origins import OriginError, origin_of_url
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


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with a 413 from the app's own error page.

    Starlette's ``Route(max_body_size=...)`` answers an over-long Content-Length by replacing
    whatever the app sent with a plain English text and none of our headers; this one raises
    :class:`HTTPException` instead, so the refusal looks like every other one. Bodies without a
    length (chunked) are counted as they arrive.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and not (length.isascii() and length.isdigit()):
            raise HTTPException(400)
        if length is not None and int(length) > self.limit:
            raise HTTPException(413)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, counted, send)


def body_limit(limit: int) -> list[Middleware]:
    """``Route(..., middleware=body_limit(8192))``: every POST route gets one."""
    return [Middleware(BodyLimit, limit=limit)]


def own_origin(request: Request, settings: Settings) -> str:
    """The origin visitors use: GALLERY_PUBLIC_URL when set, else the request's host, which
    :class:`HostGate` has already checked against the configured (or loopback) names."""
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    scheme = request.url.scheme
    host = request.headers.get("host", "").lower()
    # Browsers leave the default port out of Origin; a client that names it must still match.
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host.removesuffix(default_port)
    return f"{scheme}://{host}"


def is_same_origin_post(request: Request, settings: Settings) -> bool:
    """Forgery check that needs no cookie (none may exist before consent).

    Browsers mark their own requests with ``Sec-Fetch-Site``; where that is missing (older
    browsers), Origin or Referer must be our origin. An Origin header that is present decides
    alone, so ``Origin: null`` (sandboxed frames, opaque origins) never passes.
    """
    headers: Headers = request.headers
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    ours = own_origin(request, settings)
    origin = headers.get("origin")
    if origin is not None:
        return origin.lower() == ours
    referer = headers.get("referer")
    if referer:
        try:
            return origin_of_url(referer) == ours
        except OriginError:  # a malformed Referer is not ours
            return False
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


def relative_slash_redirects(router: Router) -> Router:
    """Starlette's redirect between ``/path`` and ``/path/``, with a relative Location.

    Starlette builds an absolute URL from the request's Host header and scheme, which behind a
    proxy may be neither the address visitors use nor its scheme; a path is always right.
    """

    async def redirect_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        route_path = path[len(root_path) :] if root_path and path.startswith(root_path) else path
        if scope["type"] == "http" and route_path not in {"", "/"}:
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            # "//host" would be read as another host: such paths are never redirected.
            if other.startswith("/") and not other.startswith("//"):
                moved = {**scope, "path": other}
                if any(route.matches(moved)[0] is not Match.NONE for route in router.routes):
                    query = scope.get("query_string", b"").decode("latin-1")
                    location = other.replace("?", "%3F").replace("#", "%23") + (f"?{query}" if query else "")
                    await RedirectResponse(location, status_code=307)(scope, receive, send)
                    return
        await router.not_found(scope, receive, send)

    router.redirect_slashes = False
    router.default = redirect_or_not_found
    return router


# --- which host and which client ---------------------------------------------------------------

UNKNOWN_HOST = N_(
    "Unbekannte Adresse: Dieser Dienst antwortet nur unter den eingestellten Namen "
    "(GALLERY_PUBLIC_URL, GALLERY_ALLOWED_HOSTS)."
)
LOOPBACK_NAMES = frozenset({b"localhost", b"127.0.0.1", b"[::1]"})
_LOCALHOST_LABELS = re.compile(rb"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+localhost")


class AllowedHosts:
    """The Host header values the service answers for, decided from precomputed sets.

    Names from GALLERY_ALLOWED_HOSTS given with a port match only that port, names without one
    (and the public URL's host) any port. With nothing configured: loopback names only.
    """

    def __init__(self, settings: Settings) -> None:
        names = list(settings.allowed_hosts)
        if settings.public_url:
            public = urlsplit(settings.public_url).hostname or ""
            names.append(f"[{public}]" if ":" in public else public)
        self.loopback_only = not names
        self.exact = frozenset(n.encode() for n in names)
        self.any_port = frozenset(n.encode() for n in names if n.endswith("]") or ":" not in n)

    def allows(self, host: bytes) -> bool:
        if host in self.exact:
            return True
        host = host.lower()
        name, port = host, b""
        if not host.endswith(b"]"):
            before, colon, after = host.rpartition(b":")
            if colon:
                name, port = before, after
                if not (port.isdigit() and len(port) <= 5):
                    return False
        if self.loopback_only:
            return name in LOOPBACK_NAMES or _LOCALHOST_LABELS.fullmatch(name) is not None
        return host in self.exact or name in self.any_port


class HostGate:
    """Answers a short 400 to any request whose Host is not ours, before anything else runs.

    Without it a request could name any host and the service would take that for its own
    origin (forgery checks, snippets, redirects): DNS rebinding makes a browser do just that.
    """

    def __init__(self, app: ASGIApp, hosts: AllowedHosts) -> None:
        self.app = app
        self.hosts = hosts
        # Nothing tells which language the sender reads: German first, then English.
        english = translations("en").gettext(UNKNOWN_HOST)
        self.body = f"{translations(DEFAULT_LANGUAGE).gettext(UNKNOWN_HOST)}\n{english}\n".encode()
        self.headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(self.body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = None
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value
                    break
            if host is None or not self.hosts.allows(host):
                body = b"" if scope["method"] == "HEAD" else self.body
                await send({"type": "http.response.start", "status": 400, "headers": self.headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class TrustedProxies:
    """The addresses and networks of GALLERY_TRUSTED_PROXIES, matched against a peer address."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        networks = [ipaddress.ip_network(e) for e in entries]
        # Most set-ups name single addresses: those are a set lookup, no parsing.
        self.addresses = frozenset(str(n.network_address) for n in networks if n.num_addresses == 1)
        self.networks = tuple(n for n in networks if n.num_addresses > 1)

    def __bool__(self) -> bool:
        return bool(self.addresses or self.networks)

    def trusts(self, address: str) -> bool:
        if address in self.addresses:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers this way
        return str(ip) in self.addresses or any(ip in n for n in self.networks)


class ForwardedHeaders:
    """Client address and scheme from X-Forwarded-For/-Proto, only when the peer is a trusted proxy.

    Anyone else can write these headers: believed from them, X-Forwarded-For would give every
    guess at a password a fresh address. Applied inside the app so that every way of running
    it behaves the same (``gallery serve`` switches uvicorn's own handling off).
    """

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self.proxies.trusts(client[0]):
            forwarded_for: list[str] = []
            forwarded_proto: list[str] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    forwarded_proto.append(value.decode("latin-1"))
            if forwarded_proto:
                # The last value is the one our own proxy wrote.
                proto = ",".join(forwarded_proto).rsplit(",", 1)[-1].strip().lower()
                if proto in {"http", "https"}:
                    scope = {**scope, "scheme": proto}
            if forwarded_for:
                address = self.client_address(",".join(forwarded_for))
                if address:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)

    def client_address(self, forwarded_for: str) -> str | None:
        """The nearest address not itself a trusted proxy (further left is the client's own say)."""
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop and not self.proxies.trusts(hop):
                return hop
        return hops[0] or None
