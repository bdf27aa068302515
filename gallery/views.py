"""Public pages: the gallery, one statement, consent and its withdrawal, privacy, health."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from anyio import to_thread
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from . import store
from .assets import accepts_gzip
from .consent import COOKIE_NAME, delete_cookie_header, set_cookie_header
from .i18n import DEFAULT_LANGUAGE, translations
from .i18n import gettext_noop as N_
from .models import Gallery, Statement
from .render import Page
from .security import body_limit, is_same_origin_post, safe_next
from .services import Services

COOKIE_NAME_BYTES = COOKIE_NAME.encode()
MAX_VIMEO_ID_DIGITS = 12
FORM_LIMITS: dict[str, Any] = {"max_files": 0, "max_fields": 20, "max_part_size": 2048}
NOT_FOUND_STATEMENT = N_("Dieses Videostatement gibt es hier nicht (mehr).")
NOT_FOUND_GALLERY = N_("Diese Galerie gibt es nicht.")
RENDER_STRIPES = 64


class PageResponse(Response):
    """A response whose headers are complete lists already: no per-request header parsing."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.raw_headers = headers
        self.background = None


PAGE_HEADERS = {
    False: [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"cache-control", b"private, no-store"),
        (b"vary", b"accept-encoding, cookie"),
    ],
}
PAGE_HEADERS[True] = [*PAGE_HEADERS[False], (b"content-encoding", b"gzip")]


def html_response(
    request: Request, page: Page, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> Response:
    """Send a rendered page, gzipped when the browser accepts it; never cached by anyone."""
    services: Services = request.app.state.services
    gzip_ok = accepts_gzip(request.scope)
    body = page.gzipped if gzip_ok else page.body
    headers = [
        *PAGE_HEADERS[gzip_ok],
        (b"content-length", str(len(body)).encode()),
        *services.security.for_document(request.scope),
    ]
    if extra_headers:
        headers.extend(extra_headers)
    return PageResponse(body, page.status, headers)


def consent_cookie(scope: Scope) -> str | None:
    """The consent cookie's value, looked for only when the Cookie header can hold it."""
    for name, value in scope["headers"]:
        if name == b"cookie" and COOKIE_NAME_BYTES in value:
            return cookie_parser(value.decode("latin-1")).get(COOKIE_NAME)
    return None


def parse_vimeo_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_VIMEO_ID_DIGITS or int(raw) == 0:
        raise HTTPException(404, NOT_FOUND_STATEMENT)
    return int(raw)


class PublicViews:
    """Endpoints hold a reference to the app's services; no globals."""

    def __init__(self, services: Services) -> None:
        self.s = services
        # After a write every cached page is gone and many visitors miss at once: one render
        # per page (per stripe) serves them all, instead of one render each.
        self._render_locks = [asyncio.Lock() for _ in range(RENDER_STRIPES)]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, name="home"),
            Route("/g/{slug}", self.gallery, name="gallery"),
            Route("/g/{slug}/v/{vimeo_id}", self.statement, name="statement"),
            Route("/v/{vimeo_id}", self.statement_short, name="statement_short"),
            Route("/consent", self.consent, methods=["POST"], name="consent", middleware=body_limit(8192)),
            Route(
                "/consent/revoke",
                self.revoke,
                methods=["POST"],
                name="consent_revoke",
                middleware=body_limit(8192),
            ),
            Route("/privacy", self.privacy, name="privacy"),
            Route("/healthz", self.healthz, name="healthz"),
        ]

    # --- helpers -------------------------------------------------------------------------

    def remembered(self, request: Request) -> bool:
        return self.s.signer.is_valid(consent_cookie(request.scope))

    def language(self, request: Request) -> str:
        return DEFAULT_LANGUAGE

    async def cached_page(self, key: tuple[Any, ...], render: Any, *args: Any) -> Page:
        page, generation = self.s.pages.get(key)
        if page is not None:
            return page
        async with self._render_locks[hash(key) % RENDER_STRIPES]:
            page, generation = self.s.pages.get(key)  # rendered while we waited?
            if page is None:
                page = Page.of(await to_thread.run_sync(render, *args))
                self.s.pages.put(key, page, generation)
        return page

    def base_context(self, lang: str, remembered: bool, current_path: str) -> dict[str, Any]:
        return {
            "remembered": remembered,
            "current_path": current_path,
            "notice_short": self.s.notice.short_for(lang),
            "site_title": translations(lang).gettext("Videostatements"),
        }

    # --- rendering (in a worker thread: these read the database) -------------------------

    def _render_gallery(self, slug: str | None, lang: str, remembered: bool, path: str) -> str:
        with self.s.db.connect() as conn:
            gallery = store.default_gallery(conn) if slug is None else store.gallery_by_slug(conn, slug)
            if gallery is None:
                raise HTTPException(404, NOT_FOUND_GALLERY)
            statements = store.statements(conn, gallery.id, visible_only=True)
        return self.s.renderer.render(
            "gallery/index.html",
            lang,
            gallery=gallery,
            statements=statements,
            **self.base_context(lang, remembered, path),
        )

    def _find_statement(
        self, conn: sqlite3.Connection, slug: str, vimeo_id: int
    ) -> tuple[Gallery, Statement]:
        gallery = store.gallery_by_slug(conn, slug)
        statement = store.statement(conn, gallery.id, vimeo_id) if gallery else None
        if gallery is None or statement is None or not statement.visible:
            raise HTTPException(404, NOT_FOUND_STATEMENT)
        return gallery, statement

    def _render_statement(self, slug: str, vimeo_id: int, lang: str, remembered: bool, player: bool) -> str:
        with self.s.db.connect() as conn:
            gallery, statement = self._find_statement(conn, slug, vimeo_id)
        path = self.s.renderer.url("statement", slug=slug, vimeo_id=vimeo_id)
        return self.s.renderer.render(
            "gallery/statement.html",
            lang,
            gallery=gallery,
            s=statement,
            player=player,
            **self.base_context(lang, remembered, path),
        )

    def _render_privacy(self, lang: str, remembered: bool) -> str:
        return self.s.renderer.render(
            "privacy.html",
            lang,
            notice_full=self.s.notice.full_for(lang),
            notice_version=self.s.notice.version,
            notice_date=self.s.notice_date,
            cookie_name=COOKIE_NAME,
            max_age_days=self.s.settings.consent_max_age_days,
            **self.base_context(lang, remembered, self.s.renderer.url("privacy")),
        )

    # --- endpoints -----------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        lang, remembered = self.language(request), self.remembered(request)
        page = await self.cached_page(
            ("gallery", None, lang, remembered), self._render_gallery, None, lang, remembered, "/"
        )
        return html_response(request, page)

    async def gallery(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        lang, remembered = self.language(request), self.remembered(request)
        path = request.url.path
        page = await self.cached_page(
            ("gallery", slug, lang, remembered), self._render_gallery, slug, lang, remembered, path
        )
        return html_response(request, page)

    async def statement(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        vimeo_id = parse_vimeo_id(request.path_params["vimeo_id"])
        lang, remembered = self.language(request), self.remembered(request)
        key = ("statement", slug, vimeo_id, lang, remembered)
        page = await self.cached_page(
            key, self._render_statement, slug, vimeo_id, lang, remembered, remembered
        )
        return html_response(request, page)

    async def statement_short(self, request: Request) -> Response:
        vimeo_id = parse_vimeo_id(request.path_params["vimeo_id"])

        def find() -> list[Gallery]:
            with self.s.db.connect() as conn:
                return store.galleries_holding(conn, vimeo_id)

        holding = await to_thread.run_sync(find)
        if not holding:
            raise HTTPException(404, NOT_FOUND_STATEMENT)
        target = self.s.renderer.url("statement", slug=holding[0].slug, vimeo_id=vimeo_id)
        return RedirectResponse(target, status_code=302)

    async def privacy(self, request: Request) -> Response:
        lang, remembered = self.language(request), self.remembered(request)
        page = await self.cached_page(("privacy", lang, remembered), self._render_privacy, lang, remembered)
        return html_response(request, page)

    async def healthz(self, request: Request) -> Response:
        def check() -> int:
            with self.s.db.connect() as conn:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])

        try:
            schema = await to_thread.run_sync(check)
        except sqlite3.Error:
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "schema": schema, "notice": self.s.notice.version})

    async def read_form(self, request: Request) -> FormData:
        if not is_same_origin_post(request, self.s.settings):
            raise HTTPException(
                403,
                N_(
                    "Diese Anfrage kam nicht von dieser Seite und wurde deshalb abgelehnt. "
                    "Bitte nutzen Sie die Schaltflächen auf der Seite."
                ),
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type not in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            raise HTTPException(415, N_("Bitte senden Sie das Formular der Seite ab."))
        return await request.form(**FORM_LIMITS)

    def next_target(self, form: FormData) -> str:
        """Where to go after a POST: a local path from the form, or the start page."""
        raw = _text(form, "next")
        if not raw:
            return "/"
        target = safe_next(raw)
        if target is None:
            raise HTTPException(400, N_("Das Ziel der Weiterleitung ist ungültig."))
        return target

    async def consent(self, request: Request) -> Response:
        """``always``: remember (cookie) and go on. ``once``: show the player now, remember nothing."""
        form = await self.read_form(request)
        scope = form.get("scope")
        if scope not in {"once", "always"}:
            raise HTTPException(400, N_("Bitte wählen Sie „Video laden“ oder „Vimeo-Videos immer laden“."))
        if scope == "always":
            response = RedirectResponse(self.next_target(form), status_code=303)
            response.raw_headers.append(
                set_cookie_header(self.s.signer.issue(), self.s.settings.consent_max_age_seconds)
            )
            return response
        raw_id = _text(form, "video") or ""
        vimeo_id = parse_vimeo_id(raw_id)
        slug = _text(form, "gallery")
        lang, remembered = self.language(request), self.remembered(request)

        def render() -> str:
            nonlocal slug
            if not slug:
                with self.s.db.connect() as conn:
                    holding = store.galleries_holding(conn, vimeo_id)
                if not holding:
                    raise HTTPException(404, NOT_FOUND_STATEMENT)
                slug = holding[0].slug
            return self._render_statement(slug, vimeo_id, lang, remembered, True)

        return html_response(request, Page.of(await to_thread.run_sync(render)))

    async def revoke(self, request: Request) -> Response:
        form = await self.read_form(request)
        response = RedirectResponse(self.next_target(form), status_code=303)
        response.raw_headers.append(delete_cookie_header())
        return response


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None
