"""Everything the endpoints share, built once per app and passed explicitly (no globals).

:class:`Services` is complete and frozen when the app is made; what is bound to the event loop
(the Vimeo client, the curator using it, the background refresher) is the :class:`Runtime`, made
when the app starts and closed when it stops. Views reach it as ``request.state.runtime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict

import httpx

from .admin.passwords import PasswordChecker
from .admin.throttle import LoginThrottle
from .content.curate import Curator
from .content.refresher import Refresher
from .content.schedule import RefreshPolicy
from .content.towns import town_settings
from .i18n import DEFAULT_LANGUAGE, LANGUAGES
from .models import DEFAULT_TOWN_ID, Town
from .public.consent import ConsentSigner
from .public.notice import Notice, load_notice, read_operator_text
from .settings import Settings
from .storage.store import Storage
from .storage.thumbnails import ImageStore
from .vimeo.client import VimeoClient
from .web.assets import StaticAssets
from .web.cache import PageCache
from .web.headers import SecurityHeaders
from .web.render import Renderer

FIRST_TOWN = Town(DEFAULT_TOWN_ID, "default", is_default=True)


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
    # The town these services serve; with one town, the installation's first.
    town: Town = FIRST_TOWN
    texts: Mapping[tuple[str, str, str], str] = field(default_factory=dict)  # the town's own texts
    several_towns: bool = False  # the installation hosts more than one town

    @property
    def own_folder(self) -> Path | None:
        """Where the operator's text files are: the data folder, for the installation's first town only."""
        return self.settings.data_dir if self.town.is_default else None

    def operator_text(self, kind: str, lang: str, name: str, own: Mapping[tuple[str, str, str], str]) -> str:
        """One of the town's texts as its pages use it (``own``: its texts as stored now)."""
        return read_operator_text(self.own_folder, kind, lang, name, own) or ""

    def for_town(self, town: Town, base: Settings, *, several_towns: bool) -> Services:
        """The services of one town: its settings, data, notice, consent record, caches and links.

        What does not differ between towns (static files, images, the throttle) is shared.
        """
        storage = self.storage.for_town(town.id)
        settings = town_settings(base, town)
        texts = storage.town_texts(town.id)
        notice = load_notice(settings.data_dir if town.is_default else None, LANGUAGES, texts)
        with storage.transaction() as tx:
            notice_date = tx.record_notice_version(
                notice.version, notice.short_for(DEFAULT_LANGUAGE), notice.full_for(DEFAULT_LANGUAGE)
            )
        return replace(
            self,
            settings=settings,
            storage=storage,
            notice=notice,
            notice_date=notice_date,
            signer=ConsentSigner(
                settings.secret_keys,
                notice.version,
                settings.consent_max_age_seconds,
                None if town.is_default else town.key,
            ),
            security=SecurityHeaders(settings),
            pages=PageCache(storage),
            renderer=self.renderer.for_town(settings),
            town=town,
            texts=texts,
            several_towns=several_towns,
        )


@dataclass(frozen=True, slots=True)
class Runtime:
    """What needs a running event loop: one Vimeo client and one curator for the app's life."""

    vimeo: VimeoClient
    curator: Curator
    refresher: Refresher
    # One curator per town, made on first use: each writes its own town's data and audit trail.
    curators: dict[int, tuple[Services, Curator]] = field(default_factory=dict)

    def curator_for(self, services: Services) -> Curator:
        """The curator working on ``services``' town, asking Vimeo with that town's Referer."""
        same_town = services.storage.town_id == self.curator.storage.town_id and services.town.is_default
        if same_town and services.settings.vimeo_referer == self.vimeo.settings.vimeo_referer:
            return self.curator
        found = self.curators.get(services.storage.town_id)
        if found is None or found[0] is not services:
            vimeo = self.vimeo.with_referer(services.settings.vimeo_referer)
            curator = Curator(services.storage, services.thumbnails, vimeo, services.refresh_policy)
            found = self.curators[services.storage.town_id] = (services, curator)
        return found[1]

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
