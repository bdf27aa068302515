"""A gallery's logo: uploaded (checked and re-encoded), shown in its pages' header, or removed."""

from __future__ import annotations

from functools import partial

from anyio import to_thread
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..content.galleries import set_logo
from ..content.logos import reencode
from ..content.posters import MAX_UPLOAD_BYTES, PosterError
from ..content.variants import store_variants, unused_with_variants
from ..i18n import gettext_noop as N_
from ..web.checks import body_limit
from .base import UPLOAD_BODY, UPLOAD_FORM, Admin, Session
from .galleries import Galleries


class Looks:
    def __init__(self, admin: Admin, galleries: Galleries) -> None:
        self.a = admin
        self.galleries = galleries

    def routes(self) -> list[BaseRoute]:
        return [
            Route(
                "/g/{slug}/logo",
                self.a.protect(self.logo, UPLOAD_FORM),
                methods=["POST"],
                name="gallery_logo",
                middleware=body_limit(UPLOAD_BODY),
            ),
        ]

    async def logo(self, request: Request, session: Session) -> Response:
        """Upload a new logo, or remove it (``remove=1``); the old file goes when nothing uses it."""
        gallery = await self.galleries.statements.gallery(request.path_params["slug"])
        form = await request.form()
        name: str | None = None
        if form.get("remove") != "1":
            upload = form.get("logo")
            try:
                if not isinstance(upload, UploadFile):
                    raise PosterError(N_("Bitte eine Bilddatei auswählen."))
                image = await to_thread.run_sync(reencode, await upload.read(MAX_UPLOAD_BYTES + 1))
            except PosterError as exc:
                errors = {"logo": self.a.t(session.lang, exc.message)}
                values = self.galleries.values_of(gallery)
                return self.galleries.form_page(request, session, gallery, values, status=400, errors=errors)
            name = await to_thread.run_sync(self.a.s.thumbnails.save, image)
            await to_thread.run_sync(
                partial(store_variants, self.a.s.storage, self.a.s.thumbnails, name, image.data, logo=True)
            )

        def work() -> set[str]:
            with self.a.s.storage.transaction() as tx:
                current = tx.gallery_by_slug(gallery.slug)
                if current is None:
                    raise HTTPException(404, N_("Diese Galerie gibt es nicht."))
                old = set_logo(tx, current, name, session.editor.name)
                keep = tx.images_in_use()
                return unused_with_variants(tx, {old} if old else set(), keep)

        for unused in await to_thread.run_sync(work):
            await to_thread.run_sync(self.a.s.thumbnails.discard, unused)
        return self.a.done("admin:gallery_settings", "logo" if name else "logo-removed", slug=gallery.slug)
