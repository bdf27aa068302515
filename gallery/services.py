"""Everything the endpoints share, built once per app and passed explicitly (no globals).

:class:`Services` is complete and frozen when the app is made; what is bound to the event loop
(the Vimeo client, the curator using it, the background refresher) is the :class:`Runtime`, made
when the app starts and closed when it stops. Views reach it as ``request.state.runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import httpx

from .admin.passwords import PasswordChecker
from .admin.throttle import LoginThrottle
from .content.curate import Curator
from .content.refresher import Refresher
from .content.schedule import RefreshPolicy
from .public.consent import ConsentSigner
from .public.notice import Notice
from .settings import Settings
from .storage.store import Storage
from .storage.thumbnails import ImageStore
from .vimeo.client import VimeoClient
from .web.assets import StaticAssets
from .web.cache import PageCache
from .web.headers import SecurityHeaders
from .web.render import Renderer


@dataclass(frozen=True, slots=True)
class Services:
    """Made complete by ``build_services`` when the app is built; nothing is added later."""

    settings: Settings
    storage: Storage
    notice: Notice
    notice_date: str
    signer: ConsentSigner
    static: StaticAssets
    thumbnails: ImageStore
    pages: PageCache
    security: SecurityHeaders
    renderer: Renderer
    refresh_policy: RefreshPolicy
    throttle: LoginThrottle
    passwords: PasswordChecker


@dataclass(frozen=True, slots=True)
class Runtime:
    """What needs a running event loop: one Vimeo client and one curator for the app's life."""

    vimeo: VimeoClient
    curator: Curator
    refresher: Refresher

    @classmethod
    def start(cls, services: Services, transport: httpx.AsyncBaseTransport | None = None) -> Runtime:
        """Open the Vimeo client and start the background refresher (its first pass comes later)."""
        vimeo = VimeoClient(services.settings, transport)
        curator = Curator(services.storage, services.thumbnails, vimeo, services.refresh_policy)
        refresher = Refresher(curator)
        refresher.start()  # returns at once; the first pass comes after a delay
        return cls(vimeo, curator, refresher)

    async def stop(self) -> None:
        await self.refresher.stop()
        await self.vimeo.aclose()


class State(TypedDict):
    """The lifespan's state, copied into every request as ``request.state``."""

    runtime: Runtime
