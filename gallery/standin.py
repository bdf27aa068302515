"""An offline stand-in for Vimeo: oEmbed, thumbnails and a minimal player, on loopback only.

It answers in the shapes recorded from the real service (see shared/reference/vimeo.md and
vimeo-recorded/): full answers, truncated answers for domain-restricted videos, 404 for unknown
or hash-less unlisted videos, 403 when embedding is disabled. Tests and ``gallery demo`` use it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

OEMBED_PATH = "/api/oembed.json"
PLAYER_PATH = "/player/video/"
CANONICAL_RE = re.compile(r"^https://vimeo\.com/(\d+)(?:/([0-9a-f]{10}))?$")


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

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.vimeo_id] = video
        return video

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(OEMBED_PATH, self.oembed),
                Route("/video/{picture}", self.thumbnail),
                Route(PLAYER_PATH + "{vimeo_id:int}", self.player),
            ]
        )

    def _record(self, request: Request) -> None:
        self.requests.append(request)
        if not self.base_url.endswith(request.url.netloc):
            self.base_url = f"{request.url.scheme}://{request.url.netloc}"

    async def oembed(self, request: Request) -> Response:
        self._record(request)
        match = CANONICAL_RE.match(request.query_params.get("url", ""))
        if not match:
            return Response("404 Not Found", status_code=404, media_type="text/plain")
        video = self.videos.get(int(match.group(1)))
        given_hash = match.group(2)
        if video is None or (video.unlisted_hash and given_hash != video.unlisted_hash):
            return Response("404 Not Found", status_code=404, media_type="text/plain")
        if not video.embeddable:
            return Response("", status_code=403, media_type="application/json")
        return JSONResponse(
            self.answer(video, request.headers.get("referer")),
            headers={"cache-control": "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"},
        )

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
        thumbnail = f"{self.base_url}/video/{video.picture_id}"
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
        self._record(request)
        picture = request.path_params["picture"]
        for video in self.videos.values():
            if video.picture_id == picture:
                data = (resources.files("gallery") / "standin_media" / video.picture).read_bytes()
                kind = {"jpg": "jpeg", "webp": "webp", "png": "png"}[video.picture.rsplit(".", 1)[1]]
                return Response(
                    data, media_type=f"image/{kind}", headers={"cache-control": "max-age=2592000"}
                )
        return Response("Not Found", status_code=404, media_type="text/plain")

    async def player(self, request: Request) -> Response:
        """A stand-in for player.vimeo.com: says plainly that it is not a real player."""
        self._record(request)
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
