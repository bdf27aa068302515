"""The overview, one gallery's statements and embed snippet, gallery settings, the audit trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..content import audit
from ..content.editing import EditError
from ..content.galleries import GALLERY_LIMITS, check_gallery_values, create_gallery, edit_gallery
from ..content.status import STATUS_LABELS, status_line
from ..i18n import LANGUAGES, decimal
from ..i18n import gettext_noop as N_
from ..models import AuditEntry, FetchStatus, Gallery, Statement
from ..obligations import missing
from ..origins import valid_ancestors
from ..storage.statements import SEARCH_TERM_LIMIT
from ..web.checks import body_limit, own_origin
from ..web.paging import NO_SUCH_PAGE, offset_of, page_count, pager, requested_page, without_page
from ..web.snippet import embed_snippet
from .base import SMALL_BODY, TEXT_FORM, Admin, Session
from .statements import LIST_PAGE_SIZE, SEARCH_PARAM, Statements

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
PAGE_SIZE = 100
# Statuses editors are alerted to: hidden by a definite answer, or the last refresh failed.
TROUBLE = frozenset({FetchStatus.NOT_FOUND, FetchStatus.FORBIDDEN, FetchStatus.ERROR})
FORM_FIELDS = ("title", "intro", "lang", "frame_ancestors", "accent", "logo_alt")


class Galleries:
    def __init__(self, admin: Admin, statements: Statements) -> None:
        self.a = admin
        self.statements = statements

    def routes(self) -> list[BaseRoute]:
        p = self.a.protect
        return [
            Route("/", p(self.index), methods=["GET"], name="index"),
            Route("/galleries/new", p(self.new_form), methods=["GET"], name="gallery_new"),
            Route(
                "/galleries/new",
                p(self.create, TEXT_FORM),
                methods=["POST"],
                middleware=body_limit(SMALL_BODY * 4),
            ),
            Route("/g/{slug}", p(self.gallery), methods=["GET"], name="gallery"),
            Route("/g/{slug}/settings", p(self.settings_form), methods=["GET"], name="gallery_settings"),
            Route(
                "/g/{slug}/settings",
                p(self.save, TEXT_FORM),
                methods=["POST"],
                middleware=body_limit(SMALL_BODY * 4),
            ),
            Route("/audit", p(self.audit), methods=["GET"], name="audit"),
        ]

    def languages(self, lang: str) -> list[tuple[str, str]]:
        return [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES]

    async def index(self, request: Request, session: Session) -> Response:
        def load() -> list[tuple[Gallery, int, int]]:
            with self.a.s.storage.read() as reads:
                found = []
                for g in reads.galleries():
                    items = reads.statements(g.id)
                    found.append((g, sum(s.published for s in items), sum(not s.published for s in items)))
                return found

        def troubled() -> list[tuple[Statement, str]]:
            items = self.a.s.storage.statements()
            return [(s, status_line(s.video)) for s in items if s.video.fetch_status in TROUBLE]

        galleries = await to_thread.run_sync(load)
        return self.a.page(
            request,
            "admin/index.html",
            session,
            galleries=galleries,
            troubled=await to_thread.run_sync(troubled),
            missing=[(self.a.t(session.lang, m.what), m.variable) for m in missing(self.a.s.settings)],
            # The installation's first town has them from the IT's settings; any other from its editors.
            first_town=self.a.s.town.is_default,
            nav="galleries",
        )

    async def gallery(self, request: Request, session: Session) -> Response:
        """One page of the gallery's statements, all of them or those a search finds (``?q=``)."""
        number = requested_page(request)
        if number is None:  # ?page=1: the first page has one address
            return RedirectResponse(without_page(request), status_code=301)
        gallery = await self.statements.gallery(request.path_params["slug"])
        term = request.query_params.get(SEARCH_PARAM, "").strip()[:SEARCH_TERM_LIMIT]
        offset = offset_of(number, LIST_PAGE_SIZE)

        def load() -> tuple[list[Statement], int]:
            found = self.a.s.storage.statement_page(gallery.id, offset, LIST_PAGE_SIZE, search=term)
            return found.statements, found.total

        items, total = await to_thread.run_sync(load)
        if number > 1 and not items:
            raise HTTPException(404, NO_SUCH_PAGE)
        path = self.a.url("admin:gallery", slug=gallery.slug)
        if term:
            path += "?" + urlencode({SEARCH_PARAM: term})
        settings = self.a.s.settings
        origin = own_origin(request, settings)  # as on the public embed page: both show the same code
        ancestors = valid_ancestors(gallery.frame_ancestors) or settings.frame_ancestors  # as the header says
        return self.a.page(
            request,
            "admin/gallery.html",
            session,
            gallery=gallery,
            statements=items,
            total=total,
            offset=offset,
            term=term,
            pager=pager(path, number, page_count(total, LIST_PAGE_SIZE)),
            status_labels={k: self.a.t(session.lang, v) for k, v in STATUS_LABELS.items()},
            status_notes={s.id: status_line(s.video) for s in items if s.video.fetch_status in TROUBLE},
            snippet=embed_snippet(origin, self.a.url("gallery", slug=gallery.slug), gallery),
            only_self=set(ancestors) <= {"'self'", "'none'"},
            ancestors=ancestors,
            nav="galleries",
        )

    # --- gallery settings ----------------------------------------------------------------

    def form_page(
        self, request: Request, session: Session, gallery: Gallery | None, values: dict[str, Any], **more: Any
    ) -> Response:
        return self.a.page(
            request,
            "admin/gallery_form.html",
            session,
            gallery=gallery,
            values=values,
            languages=self.languages(session.lang),
            limits=GALLERY_LIMITS,
            errors=more.pop("errors", {}),
            **more,
        )

    def errors(self, lang: str, exc: EditError) -> dict[str, str]:
        return {
            k: self.a.t(
                lang,
                v,
                limit=GALLERY_LIMITS.get(k, 0),
                ratio=decimal(exc.ratios.get(k, 0), lang),
                **exc.params.get(k, {}),
            )
            for k, v in exc.errors.items()
        }

    def values_of(self, gallery: Gallery) -> dict[str, Any]:
        return {
            "title": gallery.title,
            "intro": gallery.intro,
            "lang": gallery.lang,
            "frame_ancestors": "\n".join(gallery.frame_ancestors),
            "accent": gallery.accent,
            "logo_alt": gallery.logo_alt,
        }

    async def new_form(self, request: Request, session: Session) -> Response:
        """An empty form, but for the town's look: a new gallery starts with its colour and logo."""
        town = await to_thread.run_sync(self.a.s.storage.own_town)
        values = dict.fromkeys(("slug", "title", "intro", "frame_ancestors"), "")
        look = {"accent": town.accent, "logo_alt": town.logo_alt, "lang": "de"}
        return self.form_page(request, session, None, {**values, **look})

    async def create(self, request: Request, session: Session) -> Response:
        form = await request.form()
        raw = {k: str(form.get(k) or "") for k in ("slug", *FORM_FIELDS)}
        try:
            values = check_gallery_values(raw)

            def work() -> Gallery:
                with self.a.s.storage.transaction() as tx:
                    return create_gallery(tx, values, session.editor.name)

            gallery = await to_thread.run_sync(work)
        except EditError as exc:
            return self.form_page(
                request, session, None, raw, status=400, errors=self.errors(session.lang, exc)
            )
        return self.a.done("admin:gallery", "gallery-created", slug=gallery.slug)

    async def settings_form(self, request: Request, session: Session) -> Response:
        gallery = await self.statements.gallery(request.path_params["slug"])
        return self.form_page(request, session, gallery, self.values_of(gallery))

    async def save(self, request: Request, session: Session) -> Response:
        gallery = await self.statements.gallery(request.path_params["slug"])
        form = await request.form()
        raw = {k: str(form.get(k) or "") for k in FORM_FIELDS}
        try:
            values = check_gallery_values(raw, slug=gallery.slug)
        except EditError as exc:
            return self.form_page(
                request, session, gallery, raw, status=400, errors=self.errors(session.lang, exc)
            )

        def work() -> tuple[str, ...]:
            with self.a.s.storage.transaction() as tx:
                current = tx.gallery_by_slug(gallery.slug)
                if current is None:
                    raise HTTPException(404, N_("Diese Galerie gibt es nicht."))
                return edit_gallery(tx, current, values, session.editor.name)

        changed = await to_thread.run_sync(work)
        return self.a.done("admin:gallery", "gallery-saved" if changed else "unchanged", slug=gallery.slug)

    # --- audit trail ---------------------------------------------------------------------

    async def audit(self, request: Request, session: Session) -> Response:
        raw = request.query_params.get("before", "")
        before = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None

        def load() -> tuple[list[AuditEntry], set[int]]:
            with self.a.s.storage.read() as reads:
                found = reads.audit_entries(PAGE_SIZE, before)
                live = reads.statement_ids()
            return found, live

        entries, live = await to_thread.run_sync(load)
        lang = session.lang
        rows = [
            {
                "entry": e,
                "actor": self.a.t(lang, e.actor) if e.actor == audit.CLI_ACTOR else e.actor,
                "action": self.a.t(lang, audit.ACTIONS.get(e.action, e.action)),
                "fields": ", ".join(self.a.t(lang, audit.FIELD_LABELS.get(f, f)) for f in e.fields),
                "live": e.statement_id in live,
            }
            for e in entries
        ]
        older = entries[-1].id if len(entries) == PAGE_SIZE else None
        return self.a.page(request, "admin/audit.html", session, rows=rows, older=older, nav="audit")
