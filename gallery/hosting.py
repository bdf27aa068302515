"""Hosting several towns: which town a request is for (by its Host), and each town's site made on first use.

Between the outermost layers (forwarded headers) and a town's own app: the gate looks up the
town, the directory keeps each town's app for its current revision, and pictures are only
served on the host of a town that shows them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from .content.towns import town_settings
from .i18n import DEFAULT_LANGUAGE, translations
from .i18n import gettext_noop as N_
from .models import Town
from .services import Services
from .settings import Settings
from .web.assets import send_status
from .web.errors import RETRY_AFTER
from .web.hosts import AllowedHosts, TownHosts

NO_SUCH_SITE = N_("Unter dieser Adresse gibt es hier keine Seite.")
TRY_LATER = N_("Bitte versuchen Sie es später noch einmal.")


class TownDirectory:
    """The towns of the installation by host name; each town's app is made on its first request.

    A town's app is made anew when the town was changed (its revision moved), so that new links,
    texts or host names take effect on every instance without a restart.
    """

    def __init__(self, first: Services, base: Settings, build: Callable[[Services], ASGIApp]) -> None:
        self.first = first
        self.base = base
        self.build = build
        self.first_app: ASGIApp | None = None  # the first town's app as made with the installation
        self._built: dict[int, tuple[tuple[int, bool], ASGIApp]] = {}
        self._hosts: dict[int, tuple[int, AllowedHosts]] = {}
        self._lock = threading.Lock()
        # Until the towns were read (and while the database cannot be read): the first town's.
        self._last = Routing(first.several_towns, TownHosts((first.town, AllowedHosts(first.settings)), []))

    def routing(self) -> Routing:
        """The towns and their host names, read again whenever the data changed."""
        try:
            routing: Routing = self.first.pages.value(("towns",), self._read)
        except self.first.storage.errors:
            # The pages already made go on being served; the town's own pages say what failed.
            return self._last
        self._last = routing
        return routing

    def _read(self) -> Routing:
        towns = self.first.storage.towns()
        several = len(towns) > 1
        first = next(t for t in towns if t.is_default)
        hosts = TownHosts(
            (first, self._hosts_of(first)),
            [(t, self._hosts_of(t)) for t in towns if not t.is_default],
        )
        return Routing(several, hosts)

    def _hosts_of(self, town: Town) -> AllowedHosts:
        """A town's host names, worked out again only when the town changed (any write re-reads the list)."""
        found = self._hosts.get(town.id)
        if found is None or found[0] != town.revision:
            found = self._hosts[town.id] = (town.revision, AllowedHosts(town_settings(self.base, town)))
        return found[1]

    def app_for(self, town: Town, several: bool) -> ASGIApp:
        """The app of one town (made now if it has none for the town's current revision)."""
        version = (town.revision, several)
        found = self._built.get(town.id)
        if found is not None and found[0] == version:
            return found[1]
        with self._lock:
            found = self._built.get(town.id)
            if found is not None and found[0] == version:
                return found[1]
            if town.is_default and version == (self.first.town.revision, self.first.several_towns):
                assert self.first_app is not None
                app = self.first_app
            else:
                app = self.build(self.first.for_town(town, self.base, several_towns=several))
            self._built[town.id] = (version, app)
            return app


@dataclass(frozen=True, slots=True)
class Routing:
    several: bool
    hosts: TownHosts[Town]


class TownGate:
    """Hands each request to the app of the town its Host names.

    With one town, that town's own host check answers as it always has (400 to a host not
    configured); with several, a host of no town gets a plain 404 that names no town.
    """

    def __init__(self, first: ASGIApp, towns: TownDirectory) -> None:
        self.first = first
        self.towns = towns
        # Nothing tells which language the sender reads: German first, then English.
        english = translations("en").gettext(NO_SUCH_SITE)
        self.body = f"{translations(DEFAULT_LANGUAGE).gettext(NO_SUCH_SITE)}\n{english}\n".encode()
        later = translations("en").gettext(TRY_LATER)
        self.unavailable = f"{translations(DEFAULT_LANGUAGE).gettext(TRY_LATER)}\n{later}\n".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan: the installation's own
            await self.first(scope, receive, send)
            return
        routing = self.towns.routing()
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        town = routing.hosts.town_for(host) if host is not None else None
        if town is None:
            if not routing.several:
                assert self.towns.first_app is not None
                await self.towns.first_app(scope, receive, send)  # its host check refuses it
                return
            await send_plain(scope, send, 404, self.body)
            return
        app = self.towns._built.get(town.id)
        if app is None or app[0] != (town.revision, routing.several):
            await self.towns_app(scope, receive, send, town, routing.several)
            return
        await app[1](scope, receive, send)

    async def towns_app(self, scope: Scope, receive: Receive, send: Send, town: Town, several: bool) -> None:
        try:
            app = await to_thread.run_sync(self.towns.app_for, town, several)
        except self.towns.first.storage.errors:
            await send_plain(scope, send, 503, self.unavailable, [RETRY_AFTER])
            return
        await app(scope, receive, send)


async def send_plain(
    scope: Scope, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A short text answer with no page around it (nothing in it says which towns there are)."""
    headers = [
        *(extra or []),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


class TownImages:
    """Thumbnails, posters and logos of this town only: another town's pictures are not here."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.s = services

    def allowed(self) -> tuple[frozenset[str], frozenset[str]]:
        def read() -> tuple[frozenset[str], frozenset[str]]:
            with self.s.storage.read() as reads:
                return frozenset(reads.town_images()), frozenset(reads.referenced_thumbnails())

        found: tuple[frozenset[str], frozenset[str]] = self.s.pages.value(("images",), read)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path_params"]["name"]
        mine, used = await to_thread.run_sync(self.allowed)
        # A picture no statement uses yet (an editor's preview) is nobody's; one used only by
        # other towns is theirs.
        if name in used and name not in mine:
            await send_status(
                scope, send, 404, "Dieses Vorschaubild gibt es nicht.", self.s.security.for_asset(scope)
            )
            return
        await self.app(scope, receive, send)
