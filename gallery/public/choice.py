"""The visitor's choice: ``POST /consent`` (play once, or always) and ``POST /consent/revoke``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anyio import to_thread
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..i18n import gettext_noop as N_
from ..i18n import known_language
from ..web.checks import body_limit, is_same_origin_post, safe_next
from ..web.responses import Page, html_response
from .consent import delete_cookie_headers, set_cookie_header
from .findable import base_url
from .views import NOT_FOUND_STATEMENT, PublicViews, parse_vimeo_id
from .visit import CHECK_PARAM, REVOKED_PARAM, Visit, add_query

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

FORM_LIMITS: dict[str, Any] = {"max_files": 0, "max_fields": 20, "max_part_size": 2048}
CHOOSE_SCOPE = N_("Bitte wählen Sie „Video von Vimeo laden“ oder „Vimeo-Videos immer laden“.")


class ConsentChoice:
    """The two forms on every page; "once" answers with the statement's page and its player."""

    def __init__(self, services: Services, pages: PublicViews) -> None:
        self.s = services
        self.pages = pages

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/consent", self.consent, methods=["POST"], name="consent", middleware=body_limit(8192)),
            Route(
                "/consent/revoke",
                self.revoke,
                methods=["POST"],
                name="consent_revoke",
                middleware=body_limit(8192),
            ),
        ]

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
            raise HTTPException(400, CHOOSE_SCOPE)
        if scope == "always":
            # The marker lets the next page tell the visitor if the browser refused the cookie.
            target = add_query(self.next_target(form), CHECK_PARAM, self.s.signer.issue_check(CHECK_PARAM))
            response = RedirectResponse(target, status_code=303)
            settings = self.s.settings
            cookie = self.s.signer.issue()
            response.raw_headers.append(
                set_cookie_header(cookie, settings.consent_max_age_seconds, settings.cookie_mode)
            )
            return response
        vimeo_id = parse_vimeo_id(_text(form, "video") or "")
        slug = _text(form, "gallery")
        visit = Visit(known_language(_text(form, "lang")), self.pages.visit(request).remembered)
        base = base_url(request, self.s)

        def render() -> tuple[str, tuple[str, ...]]:
            nonlocal slug
            if not slug:
                holding = self.s.storage.galleries_holding(vimeo_id)
                if not holding:
                    raise HTTPException(404, NOT_FOUND_STATEMENT)
                slug = holding[0].slug
            return self.pages.render_statement(slug, vimeo_id, visit, True, base)

        html, ancestors = await to_thread.run_sync(render)
        return html_response(request, Page.of(html, frame_ancestors=ancestors), self.s.security)

    async def revoke(self, request: Request) -> Response:
        form = await self.read_form(request)
        marker = self.s.signer.issue_check(REVOKED_PARAM)
        response = RedirectResponse(add_query(self.next_target(form), REVOKED_PARAM, marker), status_code=303)
        response.raw_headers.extend(delete_cookie_headers(self.s.settings.cookie_mode))
        return response


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None
