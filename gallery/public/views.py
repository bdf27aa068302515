"""Public pages: the gallery, one statement, privacy, accessibility, and the health check.

One module although past 300 lines: the pages share the render locks and the page cache, and
the gallery's pages and the statement pages must agree on which card stands on which page.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..i18n import DEFAULT_LANGUAGE, LANG_PARAM, LANGUAGES
from ..i18n import gettext_noop as N_
from ..models import Gallery, Statement
from ..origins import valid_ancestors
from ..storage.store import Reads
from ..vimeo.links import video_id
from ..web.paging import (
    CARDS_PER_PAGE,
    NO_SUCH_PAGE,
    PAGE_PARAM,
    offset_of,
    page_count,
    page_of,
    page_path,
    pager,
    requested_page,
    without_page,
)
from ..web.responses import PAGED_LIST_KEY, Page, html_response
from .consent import COOKIE_NAME
from .context import all_ancestors, page_context
from .findable import Findability, base_url, in_language
from .notice import load_operator_texts
from .sitemap import SiteFile
from .visit import Visit, add_query, read_visit

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

NOT_FOUND_STATEMENT = N_("Dieses Videostatement gibt es hier nicht (mehr).")
NOT_FOUND_GALLERY = N_("Diese Galerie gibt es nicht.")
RENDER_STRIPES = 64
# ``/g/<slug>?play=<id>``: the gallery with that card's player, where a visitor without script
# returns after choosing "always" or "play" on the gallery (never a player without consent).
PLAY_PARAM = "play"


def parse_vimeo_id(raw: str) -> int:
    vimeo_id = video_id(raw)
    if vimeo_id is None:
        raise HTTPException(404, NOT_FOUND_STATEMENT)
    return vimeo_id


class PublicViews:
    """Endpoints hold a reference to the app's services; no globals."""

    def __init__(self, services: Services) -> None:
        self.s = services
        # The accessibility statement is the operator's text (data dir), like the notice.
        self.accessibility_texts = {
            name: load_operator_texts(services.own_folder, "accessibility", name, LANGUAGES, services.texts)
            for name in ("statement", "enforcement")
        }
        # After a write every cached page is gone and many visitors miss at once: one render
        # per page (per stripe) serves them all, instead of one render each.
        self._render_locks = [asyncio.Lock() for _ in range(RENDER_STRIPES)]
        self.findability = Findability(services)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, name="home"),
            Route("/g/{slug}", self.gallery, name="gallery"),
            Route("/g/{slug}/v/{vimeo_id}", self.statement, name="statement"),
            Route("/v/{vimeo_id}", self.statement_short, name="statement_short"),
            Route("/privacy", self.privacy, name="privacy"),
            Route("/accessibility", self.accessibility, name="accessibility"),
            Route("/healthz", self.healthz, name="healthz"),
            Route("/sitemap.xml", SiteFile(self.s, self.findability, "sitemap"), name="sitemap"),
            Route("/robots.txt", SiteFile(self.s, self.findability, "robots"), name="robots"),
        ]

    # --- helpers -------------------------------------------------------------------------

    def visit(self, request: Request) -> Visit:
        return read_visit(request.scope, self.s.signer)

    def gallery_ancestors(self, gallery: Gallery) -> tuple[str, ...]:
        """The gallery's own embedding sites, or the global setting when it has none."""
        return valid_ancestors(gallery.frame_ancestors) or self.s.settings.frame_ancestors

    async def cached_page(self, key: tuple[Any, ...], render: Any, *args: Any) -> Page:
        page, generation = self.s.pages.get(key)
        if page is not None:
            return page
        async with self._render_locks[hash(key) % RENDER_STRIPES]:
            page, generation = self.s.pages.get(key)  # rendered while we waited?
            if page is None:
                html, ancestors = await to_thread.run_sync(render, *args)
                page = Page.of(html, frame_ancestors=ancestors)
                self.s.pages.put(key, page, generation)
        return page

    def context(self, visit: Visit, lang: str, path: str, ancestors: tuple[str, ...]) -> dict[str, Any]:
        return page_context(self.s, visit, lang, path, ancestors)

    # --- rendering (in a worker thread: these read the database) -------------------------

    def _render_gallery(
        self, slug: str | None, visit: Visit, target: int | None, base: str, page: int
    ) -> tuple[str, tuple[str, ...]]:
        with self.s.storage.read() as reads:
            gallery = reads.default_gallery() if slug is None else reads.gallery_by_slug(slug)
            if gallery is None:
                raise HTTPException(404, NOT_FOUND_GALLERY)
            found = reads.statement_page(gallery.id, offset_of(page), CARDS_PER_PAGE, visible_only=True)
            if page > 1 and not found.statements:
                raise HTTPException(404, NO_SUCH_PAGE)
            statements = found.statements
            names = [s.poster or s.video.thumbnail or "" for s in statements]
            pictures = reads.variants([*names, gallery.logo or ""])
        lang = visit.language(gallery.lang)
        ancestors = self.gallery_ancestors(gallery)
        path = "/" if slug is None else self.s.renderer.url("gallery", slug=slug)
        pages = page_count(found.total)
        context = self.context(visit, lang, page_path(path, page), ancestors)
        html = self.s.renderer.render(
            "gallery/index.html",
            lang,
            gallery=gallery,
            statements=statements,
            target=target,
            note_in_card=target is not None and visit.note is not None,
            pictures=pictures,
            findable=self.findability.gallery(
                base, gallery, statements, lang, pictures, page=page, total=found.total
            ),
            # The canonical address of each page (the default gallery's at "/"), as the head names it.
            pager=pager(self.findability.gallery_path(gallery), page, pages, context["lang_query"]),
            # Where the consent buttons return to without script: this page, at the chosen card.
            page_query=f"{PAGE_PARAM}={page}&" if page > 1 else "",
            **context,
        )
        return html, ancestors

    async def chosen_card(self, request: Request, slug: str | None, visit: Visit, page: int) -> int | None:
        """The card named by ``?play=``, if it is one on this page of the gallery, and there is
        consent or a note about the choice to show in it; else None (the plain page)."""
        raw = request.query_params.get(PLAY_PARAM) if request.scope.get("query_string") else None
        if raw is None or not (visit.remembered or visit.note):
            return None
        try:
            vimeo_id = parse_vimeo_id(raw)
        except HTTPException:
            return None

        def visible_ids() -> frozenset[int]:
            with self.s.storage.read() as reads:
                gallery = reads.default_gallery() if slug is None else reads.gallery_by_slug(slug)
                if gallery is None:
                    return frozenset()
                shown = reads.statement_page(gallery.id, offset_of(page), CARDS_PER_PAGE, visible_only=True)
                return frozenset(s.vimeo_id for s in shown.statements)

        # Cached until the data changes: only real cards become cache keys, whatever the query says.
        key = ("visible", slug, page)
        ids: frozenset[int] = await to_thread.run_sync(self.s.pages.value, key, visible_ids)
        return vimeo_id if vimeo_id in ids else None

    def _find_statement(self, reads: Reads, slug: str, vimeo_id: int) -> tuple[Gallery, Statement]:
        gallery = reads.gallery_by_slug(slug)
        statement = reads.statement(gallery.id, vimeo_id) if gallery else None
        if gallery is None or statement is None or not statement.visible:
            raise HTTPException(404, NOT_FOUND_STATEMENT)
        return gallery, statement

    def render_statement(
        self, slug: str, vimeo_id: int, visit: Visit, clicked: bool, base: str
    ) -> tuple[str, tuple[str, ...]]:
        """With the player when consent is remembered or the visitor has just clicked to play.

        ``base`` starts the page's absolute addresses (:func:`~gallery.public.findable.base_url`).
        """
        with self.s.storage.read() as reads:
            gallery, statement = self._find_statement(reads, slug, vimeo_id)
            around = reads.neighbours(statement)
            names = [statement.poster or statement.video.thumbnail or "", gallery.logo or ""]
            pictures = reads.variants(names)
        lang = visit.language(gallery.lang)
        ancestors = self.gallery_ancestors(gallery)
        path = self.s.renderer.url("statement", slug=slug, vimeo_id=vimeo_id)
        findable = self.findability.statement(base, gallery, statement, lang, pictures)
        back = page_of(around.index)
        html = self.s.renderer.render(
            "gallery/statement.html",
            lang,
            gallery=gallery,
            s=statement,
            pictures=pictures,
            player=clicked or visit.remembered,
            autoplay=clicked,
            previous=around.previous,
            following=around.following,
            # "All statements" leads back to the gallery's page that holds this one.
            gallery_query=f"{PAGE_PARAM}={back}" if back > 1 else "",
            # The visible link: absolute only with GALLERY_PUBLIC_URL (gallery.js completes it when copying).
            permalink=(self.s.settings.public_url or "") + in_language(path, lang, gallery),
            findable=findable,
            **self.context(visit, lang, path, ancestors),
        )
        return html, ancestors

    def _render_privacy(self, visit: Visit) -> tuple[str, tuple[str, ...]]:
        lang = visit.language(self.s.town.lang or None)  # pages of no gallery: the town's language
        ancestors = all_ancestors(self.s)
        html = self.s.renderer.render(
            "privacy.html",
            lang,
            notice_full=self.s.notice.full_for(lang),
            notice_version=self.s.notice.version,
            notice_date=self.s.notice_date,
            cookie_name=COOKIE_NAME,
            max_age_days=self.s.settings.consent_max_age_days,
            **self.context(visit, lang, self.s.renderer.url("privacy"), ancestors),
        )
        return html, ancestors

    def _render_accessibility(self, visit: Visit) -> tuple[str, tuple[str, ...]]:
        lang = visit.language(self.s.town.lang or None)
        ancestors = all_ancestors(self.s)
        texts = {
            name: by_lang.get(lang) or by_lang.get(DEFAULT_LANGUAGE) or Markup("")
            for name, by_lang in self.accessibility_texts.items()
        }
        html = self.s.renderer.render(
            "accessibility.html",
            lang,
            statement_text=texts["statement"],
            enforcement_text=texts["enforcement"],
            contact=contact_link(self.s.settings.accessibility_contact),
            created=_iso(self.s.settings.accessibility_created),
            reviewed=_iso(self.s.settings.accessibility_reviewed),
            **self.context(visit, lang, self.s.renderer.url("accessibility"), ancestors),
        )
        return html, ancestors

    # --- endpoints -----------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return await self.gallery_page(request, None)

    async def gallery(self, request: Request) -> Response:
        return await self.gallery_page(request, request.path_params["slug"])

    async def gallery_page(self, request: Request, slug: str | None) -> Response:
        number = requested_page(request)
        if number is None:  # ?page=1: the first page has one address, the gallery's own
            return RedirectResponse(without_page(request), status_code=301)
        visit = self.visit(request)
        target = await self.chosen_card(request, slug, visit, number)
        # Without GALLERY_PUBLIC_URL the absolute addresses come from the (checked) Host: part of the key.
        base = base_url(request, self.s)
        key = ("gallery", slug, visit, target, base, number)
        page = await self.cached_page(key, self._render_gallery, slug, visit, target, base, number)
        request.scope[PAGED_LIST_KEY] = True
        return html_response(
            request, page, self.s.security, revalidate=True, shared=visit.shared() and target is None
        )

    async def statement(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        vimeo_id = parse_vimeo_id(request.path_params["vimeo_id"])
        visit = self.visit(request)
        base = base_url(request, self.s)
        key = ("statement", slug, vimeo_id, visit, base)
        page = await self.cached_page(key, self.render_statement, slug, vimeo_id, visit, False, base)
        return html_response(request, page, self.s.security, revalidate=True, shared=visit.shared())

    async def statement_short(self, request: Request) -> Response:
        vimeo_id = parse_vimeo_id(request.path_params["vimeo_id"])

        def find() -> list[Gallery]:
            return self.s.storage.galleries_holding(vimeo_id)

        holding = await to_thread.run_sync(find)
        if not holding:
            raise HTTPException(404, NOT_FOUND_STATEMENT)
        target = self.s.renderer.url("statement", slug=holding[0].slug, vimeo_id=vimeo_id)
        lang = self.visit(request).lang
        if lang:
            target = add_query(target, LANG_PARAM, lang)
        return RedirectResponse(target, status_code=302)

    async def privacy(self, request: Request) -> Response:
        visit = self.visit(request)
        page = await self.cached_page(("privacy", visit), self._render_privacy, visit)
        return html_response(request, page, self.s.security, revalidate=True, shared=visit.shared())

    async def accessibility(self, request: Request) -> Response:
        visit = self.visit(request)
        page = await self.cached_page(("accessibility", visit), self._render_accessibility, visit)
        return html_response(request, page, self.s.security, revalidate=True, shared=visit.shared())

    async def healthz(self, request: Request) -> Response:
        try:
            schema = await to_thread.run_sync(self.s.storage.schema_version)
        except self.s.storage.errors:
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "schema": schema, "notice": self.s.notice.version})


def contact_link(contact: str | None) -> tuple[str, str] | None:
    """(href, text) for the accessibility feedback contact: an e-mail address or a web page."""
    if not contact:
        return None
    if "@" in contact and "://" not in contact:
        address = contact.removeprefix("mailto:")
        return f"mailto:{address}", address
    return contact, contact


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
