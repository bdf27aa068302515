"""What every admin page shares: the signed-in editor, CSRF checks, rendering, the error page."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anyio import to_thread
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import i18n
from ..content.curate import Curator
from ..i18n import DEFAULT_LANGUAGE
from ..i18n import gettext_noop as N_
from ..models import Editor
from ..storage.engine import DatabaseUnavailable
from ..web.checks import own_origin, safe_next
from ..web.errors import RETRY_AFTER, error_heading
from ..web.responses import Page, html_response
from . import session_cookie, sessions
from .devices import DeviceCookies
from .hashing import HashingLane
from .messages import DATABASE_GONE, DATABASE_GONE_UNSAVED, DEFAULT_DETAILS, FORGED, FORM_LABELS, NOTICES

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Runtime, Services

# Form limits per kind of request: small for forms, one file only where a poster is uploaded.
FORM: dict[str, Any] = {"max_files": 0, "max_fields": 30, "max_part_size": 8 * 1024}
TEXT_FORM: dict[str, Any] = {"max_files": 0, "max_fields": 30, "max_part_size": 512 * 1024}
UPLOAD_FORM: dict[str, Any] = {"max_files": 1, "max_fields": 10, "max_part_size": 8 * 1024}
SMALL_BODY = 16 * 1024
TEXT_BODY = 1024 * 1024
UPLOAD_BODY = 11 * 1024 * 1024

try:
    LOCAL_TIME: Any = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
    LOCAL_TIME = UTC


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    editor: Editor
    lang: str
    csrf: str


Endpoint = Callable[[Request, Session], Awaitable[Response]]


def pick_language(wanted: str | None, fallback: str | None = None) -> str:
    """A language the renderer knows: the one asked for, else the remembered one, else German."""
    for lang in (wanted, fallback):
        if lang in i18n.LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def local_time(value: str | None) -> str:
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


class Admin:
    """Shared by every admin view: one per app, holding the app's services."""

    def __init__(self, services: Services) -> None:
        self.s = services
        settings = services.settings
        self.cookie = session_cookie.SessionCookie(settings.secret_keys, settings.session_idle_minutes * 60)
        self.devices = DeviceCookies(settings.secret_keys)
        self.max_age = settings.session_max_hours * 3600
        self.throttle = services.throttle
        self.hashing = HashingLane()

    def curator(self, request: Request) -> Curator:
        """This town's curator, with the app's one Vimeo client made when the app started."""
        runtime: Runtime = request.state.runtime
        return runtime.curator_for(self.s)

    # --- sessions ------------------------------------------------------------------------

    def remembered_language(self, request: Request) -> str:
        """The language from the cookie's signed content, without asking the database."""
        content = self.cookie.read(request.cookies.get(session_cookie.COOKIE_NAME), max_age=self.max_age)
        return pick_language(request.query_params.get("lang"), content.lang if content else None)

    async def session(self, request: Request) -> Session | None:
        content = self.cookie.read(request.cookies.get(session_cookie.COOKIE_NAME))
        if content is None:
            return None

        def find() -> Editor | None:
            with self.s.storage.read() as reads:
                return sessions.session_editor(reads, content.token, self.max_age)

        editor = await to_thread.run_sync(find)
        if editor is None:
            return None
        lang = pick_language(request.query_params.get("lang"), content.lang)
        return Session(content.token, editor, lang, sessions.csrf_token(content.token))

    def protect(
        self, endpoint: Endpoint, form: dict[str, Any] = FORM
    ) -> Callable[[Request], Awaitable[Response]]:
        """Signed-in editors only; POSTs must come from our pages and carry the session's token."""

        async def run(request: Request) -> Response:
            session = await self.session(request)
            if session is None:
                return self.to_sign_in(request)
            try:
                if request.method == "POST":
                    self.refuse_cross_site(request)
                    if _content_type(request) not in FORM_TYPES:
                        raise HTTPException(403, FORGED)  # no form, so no token
                    data = await self.read_form(request, form)
                    token = data.get("csrf_token")
                    if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
                        raise HTTPException(403, FORGED)
                response = await endpoint(request, session)
            finally:
                await request.close()  # uploaded files spooled to disk go at once, also on a refusal
            if not any(
                name == b"set-cookie" and value.startswith(session_cookie.COOKIE_NAME.encode())
                for name, value in response.raw_headers
            ):
                # Re-signing moves the idle limit on: the session lives while the editor works.
                response.raw_headers.append(
                    self.cookie.header(session_cookie.CookieContent(session.token, session.lang))
                )
            return response

        return self.errors_in_admin_look(run)

    def errors_in_admin_look(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint's refusals as admin pages (in the editor's language), not the public ones."""

        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except HTTPException as exc:
                return self.error_page(request, exc.status_code, exc.detail)
            except DatabaseUnavailable:  # the storage logged it once; the editor is told plainly
                return self.unavailable_page(request)

        return run

    def to_sign_in(self, request: Request) -> Response:
        params = {}
        if request.method == "GET" and request.url.path != self.url("admin:index"):
            params["next"] = request.url.path
        if request.cookies.get(session_cookie.COOKIE_NAME):
            params["expired"] = "1"
            lang = self.remembered_language(request)
            if lang != DEFAULT_LANGUAGE:  # the sign-in page stays in the editor's language
                params["lang"] = lang
        query = f"?{urlencode(params)}" if params else ""
        response = RedirectResponse(self.url("admin:login") + query, status_code=303)
        if request.cookies.get(session_cookie.COOKIE_NAME):
            response.raw_headers.append(self.cookie.header(None))
        return response

    # --- forms ---------------------------------------------------------------------------

    def refuse_cross_site(self, request: Request) -> None:
        """Besides the token: a browser that says the request came from elsewhere is refused."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site != "same-origin":
            raise HTTPException(403, FORGED)
        # A present Origin decides, as for sign-in: "null" (an opaque origin) is not ours either.
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() != own_origin(request, self.s.settings):
            raise HTTPException(403, FORGED)

    async def read_form(self, request: Request, limits: dict[str, Any]) -> FormData:
        if _content_type(request) not in FORM_TYPES:
            raise HTTPException(415, N_("Bitte senden Sie das Formular der Seite ab."))
        try:
            return await request.form(**limits)
        except HTTPException as exc:
            if exc.status_code == 413:  # the route's body limit: let the gate render the page
                raise HTTPException(413, DEFAULT_DETAILS[413]) from None
            raise HTTPException(400, N_("Das Formular ist zu groß oder beschädigt.")) from None

    # --- rendering -----------------------------------------------------------------------

    def url(self, name: str, /, **params: Any) -> str:
        return self.s.renderer.url(name, **params)

    def t(self, lang: str, message: str, **params: Any) -> str:
        """Translate an editor-facing message (German msgid, or one made with ``fill``), then fill
        in its values."""
        text = i18n.translate(lang, message)
        return text % params if params else text

    def page(
        self,
        request: Request,
        template: str,
        session: Session | None,
        *,
        status: int = 200,
        lang: str | None = None,
        **context: Any,
    ) -> Response:
        lang = session.lang if session else pick_language(lang)
        others = [code for code in i18n.LANGUAGES if code != lang]
        done = request.query_params.get("done", "")
        context.setdefault("notice", self.t(lang, NOTICES[done]) if done in NOTICES else "")
        context.setdefault("nav", "")
        html = self.s.renderer.render(
            template,
            lang,
            labels={name: self.t(lang, label) for name, label in FORM_LABELS.items()},
            session=session,
            editor=session.editor if session else None,
            csrf=session.csrf if session else "",
            switch_languages=[(code, switch_language(request, code)) for code in others],
            local_time=local_time,
            idle_minutes=self.s.settings.session_idle_minutes,
            **context,
        )
        return html_response(request, Page.of(html, status), self.s.security)

    def done(self, route: str, notice: str, anchor: str = "", *, page: int = 1, **params: Any) -> Response:
        """After a change: back to a page (303; ``page`` of a list), with a fixed notice code."""
        query = f"page={page}&" if page > 1 else ""
        return RedirectResponse(f"{self.url(route, **params)}?{query}done={notice}{anchor}", status_code=303)

    def error_page(self, request: Request, status: int, detail: str) -> Response:
        lang = self.remembered_language(request)
        if not detail or detail == _phrase(status):
            detail = DEFAULT_DETAILS.get(status, "")
        heading = error_heading(status)
        return self.page(
            request,
            "admin/error.html",
            None,
            status=status,
            lang=lang,
            heading=self.t(lang, heading),
            message=self.t(lang, detail) if detail else "",
        )

    def unavailable_page(self, request: Request) -> Response:
        """The database cannot be reached: say so, and that a form sent now was not saved."""
        unsaved = request.method not in {"GET", "HEAD"}
        response = self.error_page(request, 503, DATABASE_GONE_UNSAVED if unsaved else DATABASE_GONE)
        response.raw_headers.append(RETRY_AFTER)
        return response

    def safe_admin_next(self, value: str | None) -> str:
        target = safe_next(value)
        index = self.url("admin:index")
        return target if target and target.startswith(index) else index


def switch_language(request: Request, lang: str) -> str:
    """This page in another language; keeps where sign-in leads (``next``) but not a one-off notice."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"lang", "done"}]
    return f"{request.url.path}?{urlencode([*params, ('lang', lang)])}"


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
