"""Checks on what a request may do: body limits, forgery checks for POSTs, safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..origins import OriginError, origin_of_url
from ..settings import Settings


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
    :class:`~gallery.web.hosts.HostGate` has already checked against the configured (or loopback) names."""
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    # Read from the scope as Request.url would, without building a URL on every page view.
    scheme: str = request.scope.get("scheme", "http")
    host = next((v for n, v in request.scope["headers"] if n == b"host"), b"").decode("latin-1").lower()
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
