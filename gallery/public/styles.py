"""``/g/{slug}/style.css``: a gallery's own colour as a stylesheet from our origin.

The CSP allows no inline style (``style-src 'self'``), so the colour comes as a file: tiny,
versioned by its content in the page's link (cached for a year), revalidated by ETag otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anyio import to_thread
from starlette.types import Receive, Scope, Send

from ..content.colours import AccentStyle
from ..web.assets import cache_for, refuse_other_methods, send_bytes, send_status
from ..web.headers import HEADERS_DONE_KEY

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services


class GalleryStyle:
    """A raw ASGI endpoint, like the other files: no page machinery needed."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def _style(self, slug: str) -> AccentStyle | None:
        def compute() -> AccentStyle | None:
            gallery = self.s.storage.gallery_by_slug(slug)
            return AccentStyle.of(gallery.accent) if gallery and gallery.accent else None

        # Kept until the data changes, like the pages that link it.
        style: AccentStyle | None = self.s.pages.value(("style", slug), compute)
        return style

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = self.s.security.for_asset(scope)
        scope[HEADERS_DONE_KEY] = True
        if await refuse_other_methods(scope, send, extra):
            return
        style = await to_thread.run_sync(self._style, scope["path_params"]["slug"])
        if style is None:
            await send_status(scope, send, 404, "Diese Galerie hat keine eigene Farbe.", extra)
            return
        await send_bytes(
            scope,
            send,
            style.css,
            content_type=b"text/css; charset=utf-8",
            etag=f'"{style.version}"'.encode(),
            cache_control=cache_for(scope, style.version),
            extra=extra,
        )
