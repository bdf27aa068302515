"""Everything the endpoints share, built once per app and passed explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .content.curate import Curator
from .content.refresher import Refresher
from .content.schedule import RefreshPolicy
from .public.consent import ConsentSigner
from .public.notice import Notice
from .settings import Settings
from .storage.store import Storage
from .storage.thumbnails import ThumbnailStore
from .vimeo.client import VimeoClient
from .web.assets import StaticAssets
from .web.cache import PageCache
from .web.headers import SecurityHeaders
from .web.render import Renderer


@dataclass
class Services:
    settings: Settings
    storage: Storage
    notice: Notice
    notice_date: str
    signer: ConsentSigner
    static: StaticAssets
    thumbnails: ThumbnailStore
    pages: PageCache
    security: SecurityHeaders
    renderer: Renderer = field(init=False)
    refresh_policy: RefreshPolicy = field(default_factory=RefreshPolicy)
    # Bound to the event loop, so created in the lifespan, not at build time.
    vimeo: VimeoClient | None = None
    refresher: Refresher | None = None

    @property
    def curator(self) -> Curator:
        assert self.vimeo is not None, "the Vimeo client exists while the app runs"
        return Curator(self.storage, self.thumbnails, self.vimeo, self.refresh_policy)
