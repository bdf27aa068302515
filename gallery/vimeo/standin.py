"""An offline stand-in for Vimeo: oEmbed, thumbnails and a minimal player, on loopback only.

It answers in the shapes recorded from the real service (see shared/reference/vimeo.md and
vimeo-recorded/): full answers, truncated answers for domain-restricted videos, 404 for unknown
or hash-less unlisted videos, 403 when embedding is disabled. Tests and ``gallery demo`` use it.

It can also misbehave the way Vimeo and its CDN do (:class:`Fault`), switched at run time through
``StandIn.fault`` or, for a stand-in in another process, the loopback-only control endpoint.

One module although past 300 lines: it is one fake service, which tests and the demo start whole.
"""

from __future__ import annotations

import asyncio
import collections
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..settings import is_loopback_host

OEMBED_PATH = "/api/oembed.json"
PLAYER_PATH = "/player/video/"
CONTROL_PATH = "/_standin/"
CANONICAL_RE = re.compile(r"^https://vimeo\.com/(\d+)(?:/([0-9a-f]{10}))?$")
NO_STORE = {"cache-control": "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"}
CAPTCHA_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<h1>Checking if the site connection is secure</h1><p>Please complete the captcha.</p>"
    "</body></html>"
)


class Fault(StrEnum):
    """Ways the stand-in can misbehave; thumbnail faults also make oEmbed name a new picture."""

    NONE = "none"
    SERVER_ERROR = "500"  # oEmbed answers 500
    RATE_LIMITED = "429"  # oEmbed answers 429 with Retry-After
    TIMEOUT = "timeout"  # oEmbed never answers (until the mode changes)
    SLOW_DRIP = "slow"  # oEmbed trickles its answer one byte at a time
    REFUSED = "refused"  # the connection is refused (in-process transport only; else a closed port)
    TRUNCATED = "truncated"  # 200 with JSON cut off midway
    CAPTCHA = "captcha"  # 403 with an HTML captcha page: our server's IP is blocked
    OVERSIZED = "oversized"  # 200 with valid JSON far larger than any real answer
    THUMB_NOT_IMAGE = "thumb-not-image"  # the thumbnail is an HTML page labelled image/jpeg
    THUMB_HUGE = "thumb-huge"  # the thumbnail is a JPEG header followed by 12 MB
    THUMB_REDIRECT = "thumb-redirect"  # the thumbnail redirects to a cloud metadata address

    @property
    def thumbnail(self) -> bool:
        return self.value.startswith("thumb-")


@dataclass
class FakeVideo:
    vimeo_id: int
    title: str
    author_name: str = "Stand-in"
    duration: int = 90
    width: int = 1920
    height: int = 1080
    picture: str = "sample1.jpg"  # file in standin_media/
    unlisted_hash: str | None = None
    restricted: bool = False  # truncated answer unless the Referer is allowed
    allowed_referers: tuple[str, ...] = ()
    embeddable: bool = True
    upload_date: str = "2025-05-21 10:00:00"
    description: str = ""

    @property
    def picture_id(self) -> str:
        # Like Vimeo: the thumbnail URL carries a picture id that is not the video id.
        return f"{1_400_000_000 + self.vimeo_id % 100_000_000}-{self.picture.split('.')[0]}-d_640"


@dataclass
class StandIn:
    """The fake service's state; tests may change videos and inspect what was asked."""

    videos: dict[int, FakeVideo] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    base_url: str = "http://127.0.0.1"
    fault: Fault = Fault.NONE
    retry_after: int = 120  # seconds, sent with 429
    hang_seconds: float = 600.0  # TIMEOUT: longest a request is held (ends early on a mode change)
    drip_interval: float = 0.5  # SLOW_DRIP: seconds between bytes
    redirect_to: str = "http://169.254.169.254/latest/meta-data/"  # THUMB_REDIRECT target
    control: bool = False  # serve the control endpoint (loopback clients only)
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    keep_requests: bool = True  # a long-running stand-in may only count, not keep every request
    # Pictures by file name, served instead of standin_media/'s (tests and bench/ give photo-like ones).
    media: dict[str, bytes] = field(default_factory=dict)

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.vimeo_id] = video
        return video

    def app(self) -> Starlette:
        routes = [
            Route(OEMBED_PATH, self.oembed),
            Route("/video/{picture}", self.thumbnail),
            Route(PLAYER_PATH + "{vimeo_id:int}", self.player),
        ]
        if self.control:
            routes += [
                Route(CONTROL_PATH + "fault", self.control_fault, methods=["POST"]),
                Route(CONTROL_PATH + "stats", self.control_stats),
            ]
        return Starlette(routes=routes)

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport to this stand-in that can also refuse connections."""
        return _StandInTransport(self)

    def _record(self, request: Request, kind: str) -> None:
        self.counts[kind] += 1
        if self.keep_requests:
            self.requests.append(request)
        if not self.base_url.endswith(request.url.netloc):
            self.base_url = f"{request.url.scheme}://{request.url.netloc}"

    async def oembed(self, request: Request) -> Response:
        self._record(request, "oembed")
        fault = self.fault
        if fault is Fault.SERVER_ERROR:
            return HTMLResponse("<h1>500 Internal Server Error</h1>", status_code=500)
        if fault is Fault.RATE_LIMITED:
            return Response(
                "Too Many Requests",
                status_code=429,
                media_type="text/plain",
                headers={"retry-after": str(self.retry_after)},
            )
        if fault is Fault.CAPTCHA:
            return HTMLResponse(CAPTCHA_PAGE, status_code=403)
        if fault is Fault.TIMEOUT:
            await self._hold(Fault.TIMEOUT, self.hang_seconds)
        match = CANONICAL_RE.match(request.query_params.get("url", ""))
        if not match:
            return Response("404 Not Found", status_code=404, media_type="text/plain")
        video = self.videos.get(int(match.group(1)))
        given_hash = match.group(2)
        if video is None or (video.unlisted_hash and given_hash != video.unlisted_hash):
            return Response("404 Not Found", status_code=404, media_type="text/plain")
        if not video.embeddable:
            return Response("", status_code=403, media_type="application/json")
        answer = self.answer(video, request.headers.get("referer"))
        if fault is Fault.TRUNCATED:
            body = json.dumps(answer).encode()
            return Response(body[: len(body) // 2], media_type="application/json", headers=NO_STORE)
        if fault is Fault.OVERSIZED:
            answer["description"] = "Lorem ipsum dolor sit amet. " * 20_000  # ~560 kB
        if fault is Fault.SLOW_DRIP:
            return StreamingResponse(
                self._drip(json.dumps(answer).encode()), media_type="application/json", headers=NO_STORE
            )
        return JSONResponse(answer, headers=NO_STORE)

    async def _hold(self, fault: Fault, seconds: float) -> None:
        """Wait ``seconds``, or less if the mode changes meanwhile (a long load run moves on)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while self.fault is fault and loop.time() < end:
            await asyncio.sleep(min(0.25, end - loop.time()))

    async def _drip(self, body: bytes) -> AsyncIterator[bytes]:
        # Whitespace first (valid before JSON), so a client patient enough gets a good answer.
        for _ in range(240):
            if self.fault is not Fault.SLOW_DRIP:
                break
            yield b" "
            await asyncio.sleep(self.drip_interval)
        yield body

    def answer(self, video: FakeVideo, referer: str | None) -> dict[str, object]:
        uri_hash = video.unlisted_hash or ("ebd66989cc" if video.restricted else None)
        uri = f"/videos/{video.vimeo_id}" + (f":{uri_hash}" if uri_hash else "")
        src = f"https://player.vimeo.com/video/{video.vimeo_id}?" + (
            f"h={video.unlisted_hash}&amp;" if video.unlisted_hash else ""
        )
        frame = (
            f'<iframe src="{src}app_id=122963" width="640" height="360" frameborder="0" '
            f'allow="autoplay; fullscreen; picture-in-picture; clipboard-write"></iframe>'
        )
        truncated = video.restricted and not any(
            referer and referer.startswith(allowed) for allowed in video.allowed_referers
        )
        common: dict[str, object] = {
            "type": "video",
            "version": "1.0",
            "provider_name": "Vimeo",
            "provider_url": "https://vimeo.com/",
            "html": frame,
            "width": 640,
            "height": round(640 * video.height / video.width),
            "video_id": video.vimeo_id,
            "uri": uri,
        }
        if truncated:
            return common
        # Like an owner choosing a new thumbnail: the URL changes, so the service fetches it.
        picture = video.picture_id + ("-new" if self.fault.thumbnail else "")
        thumbnail = f"{self.base_url}/video/{picture}"
        return {
            **common,
            "title": video.title,
            "author_name": video.author_name,
            "author_url": "https://vimeo.com/standin",
            "is_plus": "0",
            "account_type": "basic",
            "duration": video.duration,
            "description": video.description,
            "thumbnail_url": thumbnail,
            "thumbnail_width": 640,
            "thumbnail_height": round(640 * video.height / video.width),
            "thumbnail_url_with_play_button": f"{self.base_url}/filter/overlay?src0={thumbnail}",
            "upload_date": video.upload_date,
        }

    async def thumbnail(self, request: Request) -> Response:
        self._record(request, "thumbnail")
        picture = request.path_params["picture"]
        if self.fault is Fault.THUMB_NOT_IMAGE:
            return Response(CAPTCHA_PAGE, media_type="image/jpeg")
        if self.fault is Fault.THUMB_HUGE:
            return StreamingResponse(_huge_jpeg(), media_type="image/jpeg")
        if self.fault is Fault.THUMB_REDIRECT:
            return Response(status_code=302, headers={"location": self.redirect_to})
        for video in self.videos.values():
            if picture in {video.picture_id, video.picture_id + "-new"}:
                data = self.media.get(video.picture) or (
                    resources.files("gallery.vimeo") / "standin_media" / video.picture
                ).read_bytes()
                kind = {"jpg": "jpeg", "webp": "webp", "png": "png"}[video.picture.rsplit(".", 1)[1]]
                return Response(
                    data, media_type=f"image/{kind}", headers={"cache-control": "max-age=2592000"}
                )
        return Response("Not Found", status_code=404, media_type="text/plain")

    async def player(self, request: Request) -> Response:
        """A stand-in for player.vimeo.com: says plainly that it is not a real player."""
        self._record(request, "player")
        video = self.videos.get(request.path_params["vimeo_id"])
        query = parse_qs(request.url.query)
        if video is None or (video.unlisted_hash and query.get("h", [""])[0] != video.unlisted_hash):
            return HTMLResponse("<!doctype html><title>Not found</title><p>Video not found.</p>", 404)
        dnt = query.get("dnt", ["0"])[0] == "1"
        body = f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{html.escape(video.title)} (Stand-in-Player)</title></head>
<body style="margin:0;background:#111;color:#fff;font:16px system-ui,sans-serif;
display:grid;place-items:center;height:100vh">
<div style="text-align:center;padding:1rem">
<p style="font-size:2.5rem;margin:0" aria-hidden="true">&#9654;</p>
<p><strong>{html.escape(video.title)}</strong></p>
<p>Stand-in-Player (Demo, kein echtes Video). dnt={"1" if dnt else "fehlt"}</p>
</div></body></html>"""
        return HTMLResponse(body)

    # --- control (for a stand-in in another process, e.g. bench/load.py) ---------------

    async def control_fault(self, request: Request) -> Response:
        """``POST mode=<fault>``: switch the fault mode; answers the counts so far."""
        if not _loopback_client(request):
            return Response("loopback only", status_code=403, media_type="text/plain")
        raw = (await request.body()).decode("ascii", "replace").strip()
        mode = parse_qs(raw).get("mode", [raw])[0]
        try:
            fault = Fault(mode)
        except ValueError:
            return Response(f"unknown mode {mode!r}", status_code=400, media_type="text/plain")
        if fault is Fault.REFUSED:
            message = "refused needs a closed port: stop the stand-in instead"
            return Response(message, status_code=400, media_type="text/plain")
        self.fault = fault
        return JSONResponse({"fault": fault.value, "counts": dict(self.counts)})

    async def control_stats(self, request: Request) -> Response:
        if not _loopback_client(request):
            return Response("loopback only", status_code=403, media_type="text/plain")
        return JSONResponse({"fault": self.fault.value, "counts": dict(self.counts)})


def _loopback_client(request: Request) -> bool:
    return request.client is not None and is_loopback_host(request.client.host)


async def _huge_jpeg() -> AsyncIterator[bytes]:
    """A JPEG signature and 12 MB after it, streamed without a length (as a lying CDN might)."""
    yield b"\xff\xd8\xff\xe0" + bytes(65_532)
    chunk = bytes(65_536)
    for _ in range(12 * 16):
        yield chunk


class _StandInTransport(httpx.AsyncBaseTransport):
    """Routes requests to the stand-in in this process; in REFUSED mode the connection fails."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.inner = httpx.ASGITransport(app=standin.app(), client=("127.0.0.1", 50000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.standin.fault is Fault.REFUSED:
            self.standin.counts["refused"] += 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
