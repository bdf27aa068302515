"""Everything the endpoints share, built once per app and passed explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .assets import StaticAssets
from .consent import ConsentSigner
from .curate import Curator
from .db import Database
from .notice import Notice
from .refresher import Refresher
from .render import PageCache, Renderer
from .schedule import RefreshPolicy
from .security import SecurityHeaders
from .settings import Settings
from .thumbnails import ThumbnailStore
from .vimeo import VimeoClient


@dataclass
class Services:
    settings: Settings
    db: Database
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
        return Curator(self.db, self.thumbnails, self.vimeo, self.refresh_policy)
