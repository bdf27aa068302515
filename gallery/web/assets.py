"""Serving bytes from memory: static files (versioned URLs) and stored thumbnails.

Both are raw ASGI apps: they sit on the hottest paths and need nothing from Starlette's
request machinery.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from ..storage.thumbnails import ImageStore, is_stored_name, media_type
from .headers import SecurityHeaders

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"public, max-age=300"
COMPRESSIBLE = {"text/css", "application/javascript", "text/javascript", "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: bytes  # quoted, ready for the header
    version: str


def accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """True if an If-None-Match header names ``etag`` (a quoted tag), i.e. the copy is current."""
    return if_none_match is not None and etag in {t.strip() for t in if_none_match.split(b",")}


async def send_bytes(
    scope: Scope,
    send: Send,
    body: bytes,
    *,
    content_type: bytes,
    etag: bytes,
    cache_control: bytes,
    gzipped: bytes | None = None,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with 304 on a matching If-None-Match, else with the (possibly gzipped) bytes."""
    headers = [
        (b"content-type", content_type),
        (b"etag", etag),
        (b"cache-control", cache_control),
    ]
    if extra:
        headers.extend(extra)
    if gzipped is not None:
        headers.append((b"vary", b"accept-encoding"))
    if etag_matches(_header(scope, b"if-none-match"), etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    if gzipped is not None and accepts_gzip(scope):
        body = gzipped
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def cache_for(scope: Scope, version: str) -> bytes:
    """Forever for the URL a page links (``?v=<version>``), briefly for any other spelling."""
    return IMMUTABLE if scope.get("query_string", b"") == f"v={version}".encode() else REVALIDATE


async def refuse_other_methods(scope: Scope, send: Send, extra: list[tuple[bytes, bytes]]) -> bool:
    """Answers 405 unless the request is a GET or HEAD, the only methods a file has; True if it did."""
    if scope["method"] in {"GET", "HEAD"}:
        return False
    await send_status(scope, send, 405, "Nur GET und HEAD sind hier erlaubt.", extra)
    return True


async def send_status(
    scope: Scope, send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    if status == 405:
        headers.append((b"allow", b"GET, HEAD"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AssetLane:
    """Static files and thumbnails go straight to their endpoints, past the page machinery.

    They are raw ASGI apps that need no routing, sessions, form limits or exception pages, and
    add their own (precomputed) security headers. On the two hottest paths this halves the
    per-request work (see bench/). Everything else goes on to the full app.
    """

    def __init__(self, app: ASGIApp, lanes: dict[str, ASGIApp]) -> None:
        self.app = app
        self.lanes = tuple(lanes.items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            for prefix, endpoint in self.lanes:
                if path.startswith(prefix):
                    scope["path_params"] = {"name": path[len(prefix) :]}
                    await endpoint(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class StaticAssets:
    """Every file of static/ read once at start; URLs carry a content hash, so cache forever."""

    def __init__(self, folder: Path, security: SecurityHeaders) -> None:
        self.security = security
        self.assets: dict[str, Asset] = {}
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            name = path.relative_to(folder).as_posix()
            body = path.read_bytes()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind == "application/javascript":
                kind += "; charset=utf-8"
            compress = kind.split(";")[0] in COMPRESSIBLE
            digest = hashlib.sha256(body).hexdigest()[:12]
            self.assets[name] = Asset(
                body=body,
                gzipped=gzip.compress(body, 9, mtime=0) if compress else None,
                media_type=kind,
                etag=f'"{digest}"'.encode(),
                version=digest,
            )

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.assets[name].version}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = self.security.for_asset(scope)
        if await refuse_other_methods(scope, send, extra):
            return
        asset = self.assets.get(scope["path_params"]["name"])
        if asset is None:
            await send_status(scope, send, 404, "Diese Datei gibt es nicht.", extra)
            return
        await send_bytes(
            scope,
            send,
            asset.body,
            content_type=asset.media_type.encode(),
            etag=asset.etag,
            cache_control=cache_for(scope, asset.version),
            gzipped=asset.gzipped,
            extra=extra,
        )


class ThumbnailEndpoint:
    """``/thumbs/{name}``: names are content hashes, so a name's bytes never change."""

    def __init__(self, store: ImageStore, placeholder: Asset, security: SecurityHeaders) -> None:
        self.store = store
        self.placeholder = placeholder
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = self.security.for_asset(scope)
        if await refuse_other_methods(scope, send, extra):
            return
        name = scope["path_params"]["name"]
        if not is_stored_name(name):
            await send_status(scope, send, 404, "Dieses Vorschaubild gibt es nicht.", extra)
            return
        data = self.store.cached(name)
        if data is None:
            data = await to_thread.run_sync(self.store.load, name)
        if data is None:
            # A lost file never leaves a hole, and never sends the visitor to Vimeo's CDN.
            await send_bytes(
                scope,
                send,
                self.placeholder.body,
                content_type=self.placeholder.media_type.encode(),
                etag=self.placeholder.etag,
                cache_control=b"no-store",
                gzipped=self.placeholder.gzipped,
                extra=extra,
            )
            return
        await send_bytes(
            scope,
            send,
            data,
            content_type=media_type(name).encode(),
            etag=f'"{name.split(".")[0]}"'.encode(),
            cache_control=IMMUTABLE,
            extra=extra,
        )
