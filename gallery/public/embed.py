"""Embedding into town websites: ``/embed.js`` and the snippet page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..models import Gallery
from ..origins import valid_ancestors
from ..web.assets import Asset, refuse_other_methods, send_bytes, send_status
from ..web.checks import own_origin
from ..web.headers import SecurityHeaders
from ..web.responses import Page, html_response
from ..web.snippet import embed_snippet
from .context import page_context
from .views import NOT_FOUND_GALLERY
from .visit import read_visit

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

# An unversioned URL that town CMSs paste once: cached an hour, then revalidated by its ETag.
EMBED_CACHE_CONTROL = b"public, max-age=3600"


class EmbedScript:
    """``/embed.js``: the one file other sites load, so it alone is ``CORP: cross-origin``."""

    def __init__(self, asset: Asset, security: SecurityHeaders) -> None:
        self.asset = asset
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = self.security.for_shared_asset(scope)
        if scope["path_params"]["name"]:  # the lane matched a prefix: /embed.jsx is not us
            await send_status(scope, send, 404, "Diese Datei gibt es nicht.", extra)
            return
        if await refuse_other_methods(scope, send, extra):
            return
        await send_bytes(
            scope,
            send,
            self.asset.body,
            content_type=self.asset.media_type.encode(),
            etag=self.asset.etag,
            cache_control=EMBED_CACHE_CONTROL,
            gzipped=self.asset.gzipped,
            extra=extra,
        )


class EmbedViews:
    """``/g/{slug}/embed``: the snippet for one gallery and who may embed it."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def routes(self) -> list[BaseRoute]:
        return [Route("/g/{slug}/embed", self.embed_page, name="embed")]

    async def embed_page(self, request: Request) -> Response:
        slug = request.path_params["slug"]

        def find() -> Gallery | None:
            return self.s.storage.gallery_by_slug(slug)

        gallery = await to_thread.run_sync(find)
        if gallery is None:
            raise HTTPException(404, NOT_FOUND_GALLERY)
        visit = read_visit(request.scope, self.s.signer)
        lang = visit.language(gallery.lang)
        own = valid_ancestors(gallery.frame_ancestors)
        ancestors = own or self.s.settings.frame_ancestors
        origin = own_origin(request, self.s.settings)
        path = self.s.renderer.url("gallery", slug=slug)
        # Rendered per request: it shows this request's origin, and nobody visits it often.
        html = self.s.renderer.render(
            "embed.html",
            lang,
            gallery=gallery,
            origin=origin,
            code=embed_snippet(origin, path, gallery),
            allowed=[a for a in ancestors if a not in {"'self'", "'none'"}],
            own_list=bool(own),
            **page_context(self.s, visit, lang, self.s.renderer.url("embed", slug=slug), ancestors),
        )
        return html_response(request, Page.of(html, frame_ancestors=ancestors), self.s.security)
