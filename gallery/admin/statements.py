"""Adding a statement (paste a link, see the visitor's card, write the texts) and editing one.

One module although past 300 lines: adding and editing share loading a statement, its preview
and the page of the gallery's list it returns to.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from anyio import to_thread
from itsdangerous import BadData
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..content import audit, editing
from ..content.curate import CurateError
from ..content.editing import CAPTION_LANGUAGES, EDITABLE, LIMITS, EditError, StaleRevision
from ..i18n import gettext_noop as N_
from ..models import FetchStatus, Gallery, Statement, Video
from ..web import signing
from ..web.checks import body_limit, own_origin
from ..web.paging import page_of
from .base import TEXT_BODY, TEXT_FORM, Admin, Session
from .hints import CAPTIONS_REMINDER, hints, preview

PREVIEW_SALT = "gallery.admin-preview"
EXPIRED_PREVIEW = N_("Die Vorschau ist abgelaufen oder beschädigt. Bitte laden Sie sie noch einmal.")
NOT_FOUND = N_("Dieses Statement gibt es nicht (mehr).")
NO_GALLERY = N_("Diese Galerie gibt es nicht.")
MAX_ID = 2**62
# A gallery's list in the editors' area: a small picture and two lines per statement, so 50 still
# read as one list; a search (``?q=``) finds any statement among more.
LIST_PAGE_SIZE = 50
SEARCH_PARAM = "q"


class Statements:
    def __init__(self, admin: Admin) -> None:
        self.a = admin
        # What Vimeo said, carried from the preview to the save, so Vimeo is asked only once.
        self.previews = signing.serializer(admin.s.settings.secret_keys, PREVIEW_SALT)

    def routes(self) -> list[BaseRoute]:
        p = self.a.protect
        return [
            Route("/g/{slug}/add", p(self.add_form), methods=["GET"], name="add"),
            Route(
                "/g/{slug}/add", p(self.add, TEXT_FORM), methods=["POST"], middleware=body_limit(TEXT_BODY)
            ),
            Route("/s/{id:int}", p(self.edit_form), methods=["GET"], name="statement"),
            Route("/s/{id:int}", p(self.save, TEXT_FORM), methods=["POST"], middleware=body_limit(TEXT_BODY)),
        ]

    # --- loading -------------------------------------------------------------------------

    async def gallery(self, slug: str) -> Gallery:
        def find() -> Gallery | None:
            return self.a.s.storage.gallery_by_slug(slug)

        gallery = await to_thread.run_sync(find)
        if gallery is None:
            raise HTTPException(404, NO_GALLERY)
        return gallery

    async def statement(self, statement_id: int) -> tuple[Statement, Gallery]:
        def find() -> tuple[Statement, Gallery] | None:
            if not 0 < statement_id < MAX_ID:
                return None
            with self.a.s.storage.read() as reads:
                s = reads.statement_by_id(statement_id)
                gallery = reads.gallery_by_slug(s.gallery_slug) if s else None
            return (s, gallery) if s and gallery else None

        found = await to_thread.run_sync(find)
        if found is None:
            raise HTTPException(404, NOT_FOUND)
        return found

    async def list_page(self, statement_id: int) -> int:
        """The page of its gallery's list that holds the statement (the first, if it is gone)."""

        def find() -> int:
            with self.a.s.storage.read() as reads:
                s = reads.statement_by_id(statement_id)
                return page_of(reads.rank(s), LIST_PAGE_SIZE) if s else 1

        page: int = await to_thread.run_sync(find)
        return page

    # --- rendering -----------------------------------------------------------------------

    def context(
        self, request: Request, session: Session, s: Statement, gallery: Gallery, **more: Any
    ) -> dict[str, Any]:
        lang = session.lang
        extra = more.pop("fetch_warnings", ())
        found = hints(s, own_origin(request, self.a.s.settings), saved=s.id > 0, extra=extra)
        return {
            "s": s,
            "gallery": gallery,
            "card": preview(self.a.s, s, gallery),
            "hints": [(h.level, self.a.t(lang, h.message, **h.params)) for h in found],
            "captions_reminder": self.a.t(lang, CAPTIONS_REMINDER),
            # Stored as the German message id; anything else (an imported text) shows as it is.
            "fetch_message": self.a.t(lang, s.video.fetch_message) if s.video.fetch_message else "",
            "caption_languages": [(code, self.a.t(lang, label)) for code, label in CAPTION_LANGUAGES.items()],
            "limits": LIMITS,
            "values": {name: getattr(s, name) for name in EDITABLE},
            "revision": s.revision,
            "errors": {},
            "conflict": None,
            "refreshed": None,
            **more,
        }

    def field_errors(self, lang: str, exc: EditError) -> dict[str, str]:
        return {
            name: self.a.t(lang, message, limit=LIMITS.get(name, 0)) for name, message in exc.errors.items()
        }

    # --- adding --------------------------------------------------------------------------

    async def add_form(self, request: Request, session: Session) -> Response:
        gallery = await self.gallery(request.path_params["slug"])
        return self.a.page(
            request, "admin/add.html", session, gallery=gallery, link="", errors={}, step="link"
        )

    async def add(self, request: Request, session: Session) -> Response:
        gallery = await self.gallery(request.path_params["slug"])
        form = await request.form()
        step = _text(form, "step")
        link = _text(form, "link")[:4096]
        if step == "preview":
            try:
                fetched = await self.a.curator(request).fetch(link, gallery.slug)
            except CurateError as exc:
                return self.link_error(request, session, gallery, link, exc.message)
            blob = self.previews.dumps({"video": _dump(fetched.video), "warnings": list(fetched.warnings)})
            s = _draft(gallery, fetched.video, {})
            return self.texts_page(request, session, gallery, s, link, blob, fetched.warnings)
        if step not in {"update", "draft", "publish"}:
            raise HTTPException(400, N_("Bitte nutzen Sie die Schaltflächen des Formulars."))
        blob = _text(form, "preview")
        try:
            data = self.previews.loads(blob, max_age=self.a.max_age)
            video, warnings = _load(data["video"]), tuple(str(w) for w in data["warnings"])
        except (BadData, KeyError, TypeError, ValueError):
            return self.link_error(request, session, gallery, link, EXPIRED_PREVIEW)
        raw = {name: _text(form, name) for name in EDITABLE}
        try:
            values = editing.check_statement_values(raw)
        except EditError as exc:
            s = _draft(gallery, video, {k: v for k, v in raw.items()})
            errors = self.field_errors(session.lang, exc)
            return self.texts_page(request, session, gallery, s, link, blob, warnings, errors, status=400)
        if step == "update":
            return self.texts_page(
                request, session, gallery, _draft(gallery, video, values), link, blob, warnings
            )
        try:
            outcome = await self.a.curator(request).place(
                gallery.slug, video, published=step == "publish", texts=values, actor=session.editor.name
            )
        except CurateError as exc:
            return self.link_error(request, session, gallery, link, exc.message)
        notice = "added" if step == "publish" else "added-draft"
        page = await self.list_page(outcome.statement_id) if outcome.statement_id else 1
        return self.a.done("admin:gallery", notice, f"#s{outcome.statement_id}", page=page, slug=gallery.slug)

    def link_error(
        self, request: Request, session: Session, gallery: Gallery, link: str, message: str
    ) -> Response:
        errors = {"link": self.a.t(session.lang, message)}
        return self.a.page(
            request,
            "admin/add.html",
            session,
            status=400,
            gallery=gallery,
            link=link,
            errors=errors,
            step="link",
        )

    def texts_page(
        self,
        request: Request,
        session: Session,
        gallery: Gallery,
        s: Statement,
        link: str,
        blob: str,
        warnings: tuple[str, ...],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        context = self.context(request, session, s, gallery, fetch_warnings=warnings)
        context["values"] = {name: getattr(s, name) for name in EDITABLE}
        context["errors"] = errors or {}
        return self.a.page(
            request, "admin/add.html", session, status=status, step="texts", link=link, blob=blob, **context
        )

    # --- editing -------------------------------------------------------------------------

    async def edit_form(self, request: Request, session: Session) -> Response:
        s, gallery = await self.statement(request.path_params["id"])
        context = self.context(request, session, s, gallery)
        return self.a.page(request, "admin/edit.html", session, **context)

    async def save(self, request: Request, session: Session) -> Response:
        s, gallery = await self.statement(request.path_params["id"])
        form = await request.form()
        raw = {name: _text(form, name) for name in EDITABLE}
        revision = _text(form, "revision").strip()
        # ASCII digits of a size SQLite can hold: int() alone takes "١٢" and 2**63 (a 500).
        if not (revision.isascii() and revision.isdigit() and len(revision) < 18):
            raise HTTPException(400, N_("Bitte nutzen Sie das Formular der Seite."))
        loaded = int(revision)
        try:
            values = editing.check_statement_values(raw)
        except EditError as exc:
            context = self.context(request, session, s, gallery, values=raw, revision=loaded)
            context["errors"] = self.field_errors(session.lang, exc)
            return self.a.page(request, "admin/edit.html", session, status=400, **context)

        def work() -> editing.Saved:
            with self.a.s.storage.transaction() as tx:
                return editing.save_statement(tx, s.id, loaded, values, session.editor.name)

        try:
            saved = await to_thread.run_sync(work)
        except LookupError:
            raise HTTPException(404, NOT_FOUND) from None
        except StaleRevision as stale:
            return self.conflict(request, session, stale, gallery, values)
        notice = "saved" if saved.changed else "unchanged"
        return self.a.done("admin:statement", notice, id=s.id)

    def conflict(
        self,
        request: Request,
        session: Session,
        stale: StaleRevision,
        gallery: Gallery,
        values: dict[str, str],
    ) -> Response:
        """Keep what this editor typed, show what the other saved; saving again is a deliberate choice."""
        current = stale.current
        lang = session.lang
        differing = [name for name in EDITABLE if getattr(current, name) != values[name]]
        edits = [
            {
                "who": e.actor,
                "when": e.at,
                "fields": ", ".join(
                    self.a.t(lang, audit.FIELD_LABELS[f]) for f in e.fields if f in audit.FIELD_LABELS
                ),
            }
            for e in stale.edits
        ]
        context = self.context(request, session, current, gallery, values=values, revision=current.revision)
        context.update(conflict={"edits": edits, "differing": differing})
        return self.a.page(request, "admin/edit.html", session, status=409, **context)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _dump(video: Video) -> dict[str, Any]:
    data = asdict(video)
    data["fetch_status"] = video.fetch_status.value
    return data


def _load(data: Any) -> Video:
    if not isinstance(data, dict):
        raise TypeError("preview")
    return Video(**{**data, "fetch_status": FetchStatus(data["fetch_status"])})


def _draft(gallery: Gallery, video: Video, values: dict[str, str]) -> Statement:
    """A statement not yet saved, for the preview."""
    blank = Statement(
        id=0,
        gallery_id=gallery.id,
        gallery_slug=gallery.slug,
        position=0,
        published=False,
        speaker_name="",
        speaker_role="",
        quote="",
        transcript="",
        alt_text="",
        revision=0,
        video=video,
    )
    texts: dict[str, Any] = {k: v for k, v in values.items() if k in EDITABLE}
    return replace(blank, **texts)
