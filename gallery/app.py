"""``create_app()``: builds the services, the route table and the middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from http import HTTPStatus
from typing import Any

import httpx
from markupsafe import escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from . import admin
from .admin import PREFIX as ADMIN_PREFIX
from .admin.passwords import PasswordChecker
from .admin.throttle import LoginThrottle
from .content.schedule import RefreshPolicy
from .content.towns import town_settings
from .hosting import TRY_LATER, TownDirectory, TownGate, TownImages
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, translate, translations
from .i18n import gettext_noop as N_
from .private import secure_data_dir
from .public.choice import ConsentChoice
from .public.consent import COOKIE_NAME, ConsentSigner
from .public.context import all_ancestors, page_context
from .public.embed import EmbedScript, EmbedViews
from .public.notice import load_notice
from .public.styles import GalleryStyle
from .public.views import PublicViews
from .public.visit import consent_cookie, read_visit
from .services import Runtime, Services, State
from .settings import Settings
from .storage.engine import DatabaseUnavailable
from .storage.store import Storage
from .storage.thumbnails import image_store
from .web.assets import AssetLane, StaticAssets, ThumbnailEndpoint
from .web.cache import PageCache
from .web.checks import relative_slash_redirects
from .web.errors import RETRY_AFTER, error_heading
from .web.headers import FRAME_ANCESTORS_KEY, SecurityHeaders, SecurityHeadersMiddleware
from .web.hosts import AllowedHosts, ForwardedHeaders, HostGate, TrustedProxies
from .web.lane import PageLane
from .web.paths import STATIC_DIR
from .web.render import PLACEHOLDER, Renderer
from .web.responses import Page, html_response

log = logging.getLogger("gallery")

DEFAULT_MESSAGES = {
    404: N_("Diese Seite gibt es nicht. Vielleicht ist der Link veraltet."),
    405: N_("Diese Adresse kann so nicht aufgerufen werden."),
    413: N_("Die Anfrage ist zu groß."),
    503: N_(
        "Diese Seite kann gerade nicht geladen werden. Bitte versuchen Sie es in einer Minute noch einmal."
    ),
}
FALLBACK_ERROR = (
    '<!doctype html><html lang="{lang}"><meta charset="utf-8">'
    "<title>{heading}</title><h1>{heading}</h1><p>{message}</p></html>"
)


class TownApp(Starlette):
    """One town's pages, with the security headers outside even the 500 handler: every answer has them.

    Before the pages, the asset lane (static files, the town's thumbnails and ``/embed.js``),
    then the page lane, which answers the pages it has recorded.
    """

    def __init__(self, *args: Any, services: Services, **kwargs: Any) -> None:
        self.services = services
        super().__init__(*args, **kwargs)
        relative_slash_redirects(self.router)

    def build_middleware_stack(self) -> ASGIApp:
        s = self.services
        pages = SecurityHeadersMiddleware(super().build_middleware_stack(), s.security)
        shared = PageLane(
            pages,
            s.pages,
            cookie=COOKIE_NAME.encode(),
            consented=lambda scope: s.signer.is_valid(consent_cookie(scope)),
            excluded=(ADMIN_PREFIX,),
        )
        thumbnails: ASGIApp = ThumbnailEndpoint(s.thumbnails, s.static.assets[PLACEHOLDER], s.security)
        if s.several_towns:
            thumbnails = TownImages(thumbnails, s)
        embed = EmbedScript(s.static.assets["embed.js"], s.security)
        return AssetLane(shared, {"/thumbs/": thumbnails, "/static/": s.static, "/embed.js": embed})


class GalleryApp(TownApp):
    """The installation: the first town's app, which also runs the lifespan and routes by Host.

    Outermost: forwarded headers (from trusted proxies only), then the gate that finds the town a
    request is addressed to (or refuses a host that is none of ours).
    """

    def __init__(self, *args: Any, services: Services, towns: TownDirectory, **kwargs: Any) -> None:
        self.towns = towns
        super().__init__(*args, services=services, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        own = super().build_middleware_stack()
        self.towns.first_app = HostGate(own, AllowedHosts(self.services.settings))
        gated = TownGate(own, self.towns)
        proxies = TrustedProxies(self.services.settings.trusted_proxies)
        return ForwardedHeaders(gated, proxies) if proxies else gated


def build_services(
    settings: Settings,
    url_path_for: Callable[..., str],
    *,
    demo: bool = False,
    refresh_policy: RefreshPolicy | None = None,
    throttle: LoginThrottle | None = None,
    passwords: PasswordChecker | None = None,
    renderer: type[Renderer] = Renderer,
    storage: Storage | None = None,
) -> Services:
    """Open the database (migrating it), load the notice, and prepare everything pages need."""
    secure_data_dir(settings.data_dir)
    storage = storage or Storage.from_settings(settings)
    storage.migrate()
    towns = storage.towns()
    first = next(t for t in towns if t.is_default)
    settings = town_settings(settings, first)
    security = SecurityHeaders(settings)
    texts = storage.town_texts(first.id)
    notice = load_notice(settings.data_dir, LANGUAGES, texts)
    with storage.transaction() as tx:
        notice_date = tx.record_notice_version(
            notice.version,
            notice.short_for(DEFAULT_LANGUAGE),
            notice.full_for(DEFAULT_LANGUAGE),
        )
    static = StaticAssets(STATIC_DIR, security)
    return Services(
        settings=settings,
        storage=storage,
        notice=notice,
        notice_date=notice_date,
        signer=ConsentSigner(settings.secret_keys, notice.version, settings.consent_max_age_seconds),
        static=static,
        security=security,
        thumbnails=image_store(storage, settings),
        pages=PageCache(storage),
        renderer=renderer(settings, url_path_for, static.url, demo=demo),
        refresh_policy=refresh_policy or RefreshPolicy.from_settings(settings),
        throttle=(throttle or LoginThrottle()).counting_in(storage, settings.secret_keys[0].value),
        passwords=passwords or PasswordChecker(),
        town=first,
        texts=texts,
        several_towns=len(towns) > 1,
    )


def create_app(
    settings: Settings | None = None,
    *,
    vimeo_transport: httpx.AsyncBaseTransport | None = None,
    demo: bool = False,
    refresh_policy: RefreshPolicy | None = None,
    throttle: LoginThrottle | None = None,
    passwords: PasswordChecker | None = None,
    renderer: type[Renderer] = Renderer,
    storage: Storage | None = None,
) -> Starlette:
    """The ASGI app. ``demo`` is only ever set by ``gallery demo``, never by settings.

    The other keywords replace a part for tests and benchmarks: ``refresh_policy`` the timing of
    the background refresh (seconds where production uses GALLERY_REFRESH_HOURS), ``throttle``
    the sign-in throttle (with a clock moved by hand, or its own policy), ``passwords`` the
    password checker (one that counts or holds its checks), ``renderer`` the page renderer,
    ``storage`` the data (an engine that fails, or erases with less patience).
    """
    settings = settings or Settings.from_environ()
    # The renderer links to routes whose endpoints need the finished services: it is given the
    # route table's lookup now, and the table is filled just below, before any page is rendered.
    router = Router()
    services = build_services(
        settings,
        router.url_path_for,
        demo=demo,
        refresh_policy=refresh_policy,
        throttle=throttle,
        passwords=passwords,
        renderer=renderer,
        storage=storage,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        runtime = Runtime.start(services, vimeo_transport)
        try:
            yield {"runtime": runtime}
        finally:
            await runtime.stop()
            services.storage.close()

    router.routes.extend(town_routes(services))

    def town_app(town: Services) -> ASGIApp:
        app = TownApp(routes=town_routes(town), services=town, exception_handlers=error_handlers(town))
        return app.build_middleware_stack()

    return GalleryApp(
        routes=router.routes,
        services=services,
        towns=TownDirectory(services, settings, town_app),
        exception_handlers=error_handlers(services),
        lifespan=lifespan,
    )


def town_routes(services: Services) -> list[BaseRoute]:
    """Every route of one town's site, its endpoints bound to that town's services."""
    public = PublicViews(services)
    return [
        *public.routes(),
        *ConsentChoice(services, public).routes(),
        admin.mount(services),
        *EmbedViews(services).routes(),
        Route("/g/{slug}/style.css", GalleryStyle(services), name="gallery_style"),
        # Served by the AssetLane before routing; listed so that url_path_for knows them.
        Route("/thumbs/{name}", _never, name="thumbnail"),
        Route("/static/{name:path}", _never, name="static"),
        Route("/embed.js", _never, name="embed_script"),
    ]


def error_handlers(services: Services) -> dict[Any, Callable[[Request, Exception], Any]]:
    """Error pages in the town's look, for every 4xx and 5xx, and the database being away."""

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else ""
        return error_page(services, request, status, detail)

    async def unavailable(request: Request, exc: Exception) -> Response:
        # The database is gone for now (the storage logged it once): a page cached before still
        # answers; this one could not be made. No traceback, and a hint when to ask again.
        return error_page(services, request, 503, "")

    return {HTTPException: http_error, 500: http_error, DatabaseUnavailable: unavailable}


async def _never(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    raise RuntimeError("the AssetLane answers these paths before routing")


def error_page(services: Services, request: Request, status: int, detail: str) -> Response:
    """A page in the site's look that says what went wrong, for every 4xx and 5xx."""
    visit = replace(read_visit(request.scope, services.signer), note=None)
    lang = visit.language(services.town.lang or None)
    gettext = translations(lang).gettext
    heading = gettext(error_heading(status))
    if status >= 500:
        detail = DEFAULT_MESSAGES.get(status, TRY_LATER)
    elif not detail or detail == HTTPStatus(status).phrase:
        detail = DEFAULT_MESSAGES.get(status, "")
    try:
        # An area that narrowed who may frame it (the admin: nobody) keeps that for its errors.
        ancestors = request.scope.get(FRAME_ANCESTORS_KEY) or all_ancestors(services)
    except services.storage.errors:  # the very reason for a 500, perhaps: fall back to the global list
        ancestors = services.settings.frame_ancestors
    try:
        html = services.renderer.render(
            "error.html",
            lang,
            heading=heading,
            message=translate(lang, detail),
            **{**page_context(services, visit, lang, "/", ancestors), "site_title": heading},
        )
    except Exception:
        log.exception("error page could not be rendered")
        html = FALLBACK_ERROR.format(
            lang=lang, heading=escape(heading), message=escape(translate(lang, detail))
        )
    headers = {405: [(b"allow", b"GET, HEAD")], 503: [RETRY_AFTER]}.get(status)
    return html_response(request, Page.of(html, status, ancestors), services.security, headers)
