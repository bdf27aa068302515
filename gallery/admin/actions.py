"""One-button actions on a statement: publish, move, refresh from Vimeo, poster, delete."""

from __future__ import annotations

from anyio import to_thread
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..content import editing
from ..content.audit import FIELD_LABELS
from ..content.curate import CurateError
from ..content.posters import MAX_UPLOAD_BYTES, PosterError, reencode
from ..content.status import STATUS_LABELS
from ..content.variants import store_variants, unused_with_variants
from ..i18n import gettext_noop as N_
from ..web.checks import body_limit
from ..web.render import duration
from .base import SMALL_BODY, UPLOAD_BODY, UPLOAD_FORM, Admin, Session
from .statements import NOT_FOUND, Statements


class Actions:
    def __init__(self, admin: Admin, statements: Statements) -> None:
        self.a = admin
        self.statements = statements

    def routes(self) -> list[BaseRoute]:
        p = self.a.protect
        post = ["POST"]
        return [
            Route(
                "/s/{id:int}/publish",
                p(self.publish),
                methods=post,
                name="publish",
                middleware=body_limit(SMALL_BODY),
            ),
            Route(
                "/s/{id:int}/move", p(self.move), methods=post, name="move", middleware=body_limit(SMALL_BODY)
            ),
            Route(
                "/s/{id:int}/refresh",
                p(self.refresh),
                methods=post,
                name="refresh",
                middleware=body_limit(SMALL_BODY),
            ),
            Route(
                "/s/{id:int}/poster",
                p(self.poster, UPLOAD_FORM),
                methods=post,
                name="poster",
                middleware=body_limit(UPLOAD_BODY),
            ),
            Route("/s/{id:int}/delete", p(self.confirm_delete), methods=["GET"], name="delete"),
            Route("/s/{id:int}/delete", p(self.delete), methods=post, middleware=body_limit(SMALL_BODY)),
        ]

    async def publish(self, request: Request, session: Session) -> Response:
        s, _ = await self.statements.statement(request.path_params["id"])
        form = await request.form()
        wanted = form.get("published")
        if wanted not in {"0", "1"}:
            raise HTTPException(400, N_("Bitte nutzen Sie die Schaltflächen der Seite."))

        def work() -> None:
            with self.a.s.storage.transaction() as tx:
                editing.set_published(tx, s, wanted == "1", session.editor.name)

        await to_thread.run_sync(work)
        back = _text(form, "back")
        notice = "published" if wanted == "1" else "unpublished"
        if back == "statement":
            return self.a.done("admin:statement", notice, id=s.id)
        page = await self.statements.list_page(s.id)
        return self.a.done("admin:gallery", notice, f"#s{s.id}", page=page, slug=s.gallery_slug)

    async def move(self, request: Request, session: Session) -> Response:
        s, _ = await self.statements.statement(request.path_params["id"])
        direction = (await request.form()).get("direction")
        if direction not in {"up", "down"}:
            raise HTTPException(400, N_("Bitte nutzen Sie die Schaltflächen der Seite."))

        def work() -> bool:
            with self.a.s.storage.transaction() as tx:
                return editing.move(tx, s, str(direction), session.editor.name)

        moved = await to_thread.run_sync(work)
        page = await self.statements.list_page(s.id)  # where it is now: perhaps the page before or after
        return self.a.done(
            "admin:gallery", "moved" if moved else "not-moved", f"#s{s.id}", page=page, slug=s.gallery_slug
        )

    async def refresh(self, request: Request, session: Session) -> Response:
        """Ask Vimeo again and show, field by field, what changed."""
        s, gallery = await self.statements.statement(request.path_params["id"])
        lang = session.lang
        try:
            curator = self.a.curator(request)
            outcome = await curator.refresh(s.vimeo_id, actor=session.editor.name, statement_id=s.id)
        except CurateError as exc:
            raise HTTPException(404, exc.message) from None
        before, after = outcome.previous, outcome.video
        changes = []
        for name in outcome.changed:
            old, new = getattr(before, name, None), getattr(after, name)
            if name == "thumbnail":
                old = self.a.t(lang, N_("vorhanden") if old else N_("keins"))
                new = self.a.t(lang, N_("neu") if new else N_("keins"))
            elif name == "duration":
                old, new = duration(old), duration(new)
            elif name == "fetch_status":
                old = self.a.t(lang, STATUS_LABELS[before.fetch_status.value]) if before else ""
                new = self.a.t(lang, STATUS_LABELS[after.fetch_status.value])
            changes.append((self.a.t(lang, _label(name)), str(old or "–"), str(new or "–")))
        s, gallery = await self.statements.statement(s.id)
        context = self.statements.context(request, session, s, gallery)
        context["refreshed"] = {
            "changes": changes,
            "warnings": [self.a.t(lang, w) for w in outcome.warnings],
            "status": self.a.t(lang, STATUS_LABELS[after.fetch_status.value]),
        }
        return self.a.page(request, "admin/edit.html", session, **context)

    async def poster(self, request: Request, session: Session) -> Response:
        """Upload (checked and re-encoded) or remove the editor's own preview image."""
        s, gallery = await self.statements.statement(request.path_params["id"])
        form = await request.form()
        name: str | None = None
        if form.get("remove") != "1":
            upload = form.get("poster")
            try:
                if not isinstance(upload, UploadFile):
                    raise PosterError(N_("Bitte eine Bilddatei auswählen."))
                data = await upload.read(MAX_UPLOAD_BYTES + 1)
                image = await to_thread.run_sync(reencode, data)
            except PosterError as exc:
                context = self.statements.context(request, session, s, gallery)
                context["errors"] = {"poster": self.a.t(session.lang, exc.message)}
                return self.a.page(request, "admin/edit.html", session, status=400, **context)
            name = await to_thread.run_sync(self.a.s.thumbnails.save, image)
            # The smaller copies pages offer, made now: never on a visitor's request.
            await to_thread.run_sync(store_variants, self.a.s.storage, self.a.s.thumbnails, name, image.data)

        def work() -> set[str]:
            with self.a.s.storage.transaction() as tx:
                old = editing.set_poster(tx, s, name, session.editor.name)
                keep = tx.images_in_use()
                return unused_with_variants(tx, {old} if old else set(), keep)

        for unused in await to_thread.run_sync(work):
            await to_thread.run_sync(self.a.s.thumbnails.discard, unused)
        return self.a.done("admin:statement", "poster" if name else "poster-removed", id=s.id)

    async def confirm_delete(self, request: Request, session: Session) -> Response:
        s, gallery = await self.statements.statement(request.path_params["id"])

        def others() -> list[str]:
            with self.a.s.storage.read() as reads:
                return [
                    g.title
                    for g in reads.galleries()
                    if g.id != s.gallery_id and reads.statement(g.id, s.vimeo_id)
                ]

        context = self.statements.context(request, session, s, gallery)
        return self.a.page(
            request, "admin/delete.html", session, elsewhere=await to_thread.run_sync(others), **context
        )

    async def delete(self, request: Request, session: Session) -> Response:
        s, _ = await self.statements.statement(request.path_params["id"])
        form = await request.form()
        if form.get("confirm") != "1":
            raise HTTPException(400, N_("Bitte bestätigen Sie das Löschen mit der Schaltfläche der Seite."))
        try:
            await self.a.curator(request).delete(
                s.id, everywhere=form.get("everywhere") == "1", actor=session.editor.name
            )
        except CurateError:
            raise HTTPException(404, NOT_FOUND) from None
        return self.a.done("admin:gallery", "deleted", slug=s.gallery_slug)


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def _text(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, str) else ""
