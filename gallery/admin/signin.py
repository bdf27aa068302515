"""Signing in and out: checked passwords, throttled failures, a fresh session each time."""

from __future__ import annotations

import math

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..content import audit
from ..i18n import DEFAULT_LANGUAGE
from ..i18n import gettext_noop as N_
from ..models import Editor
from ..web.checks import body_limit, is_same_origin_post
from . import accounts, devices, passwords, session_cookie, sessions
from .base import FORM, SMALL_BODY, Admin, Session, pick_language
from .devices import Device

WRONG = N_("Name oder Passwort ist falsch.")  # the same words whether or not the name exists
TOO_MANY = N_(
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(wait)s und versuchen Sie es dann erneut."
)
BUSY = N_("Gerade werden sehr viele Anmeldungen geprüft. Bitte versuchen Sie es in ein paar Sekunden erneut.")
BUSY_RETRY_AFTER = 5  # seconds: the queue it found full drains in about three


class SignIn:
    def __init__(self, admin: Admin) -> None:
        self.a = admin

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/login", self.form, methods=["GET"], name="login"),
            Route(
                "/login",
                self.a.errors_in_admin_look(self.sign_in),
                methods=["POST"],
                middleware=body_limit(SMALL_BODY),
            ),
            Route(
                "/logout",
                self.a.protect(self.sign_out),
                methods=["POST"],
                name="logout",
                middleware=body_limit(SMALL_BODY),
            ),
        ]

    def render(
        self,
        request: Request,
        lang: str,
        *,
        status: int = 200,
        error: str = "",
        name: str = "",
        next_path: str = "",
    ) -> Response:
        notice = ""
        if request.query_params.get("expired"):
            notice = N_("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.")
        elif request.query_params.get("done") == "signed-out":
            notice = N_("Sie haben sich abgemeldet.")
        return self.a.page(
            request,
            "admin/login.html",
            None,
            status=status,
            lang=lang,
            error=error,
            notice=self.a.t(lang, notice) if notice else "",
            name=name,
            next_path=next_path,
        )

    async def form(self, request: Request) -> Response:
        if await self.a.session(request) is not None:
            return RedirectResponse(self.a.url("admin:index"), status_code=303)
        lang = self.a.remembered_language(request)
        response = self.render(request, lang, next_path=request.query_params.get("next", ""))
        if request.cookies.get(session_cookie.COOKIE_NAME):
            response.raw_headers.append(self.a.cookie.header(None))  # a dead session's cookie goes
        return response

    async def sign_in(self, request: Request) -> Response:
        # No session yet, so no token to check: the browser must say the form is ours.
        if not is_same_origin_post(request, self.a.s.settings):
            raise HTTPException(
                403, N_("Diese Anfrage kam nicht von dieser Seite und wurde deshalb abgelehnt.")
            )
        form = await self.a.read_form(request, FORM)
        name = _field(form.get("username"))[: accounts.MAX_NAME * 4]
        password = _field(form.get("password"))[: passwords.MAX_PASSWORD + 1]
        lang = pick_language(_field(form.get("lang")))
        next_path = _field(form.get("next"))
        client = request.client.host if request.client else None
        key = accounts.lookup_key(name)
        device = await self._known_device(request, name, key)
        seat = self.a.hashing.seat(known=device is not None)
        if seat is None:  # refused before counting: a full lane is no failed attempt
            return self._refuse(request, lang, 503, self.a.t(lang, BUSY), BUSY_RETRY_AFTER, name, next_path)
        with seat:
            # Each town counts its own accounts' failures: the same name elsewhere is another account.
            account = key if self.a.s.town.is_default else f"{self.a.s.town.key}|{key}"
            keys = self.a.throttle.keys(account, client, device.nonce if device else None)
            wait = await to_thread.run_sync(self.a.throttle.begin, keys)
            if wait > 0:
                return self._refuse(request, lang, 429, self._too_many(lang, wait), wait, name, next_path)
            found = await seat.run(self._check, name, password)
        if found is None:
            error = self.a.t(lang, WRONG)
            return self.render(request, lang, status=400, error=error, name=name, next_path=next_path)
        await to_thread.run_sync(self.a.throttle.succeeded, keys)
        editor, password_hash = found

        def open_session() -> str:
            with self.a.s.storage.transaction() as tx:
                token = sessions.open_session(tx, editor.id, self.a.max_age)
                audit.record(tx, editor.name, "signin")
            return token

        token = await to_thread.run_sync(open_session)
        response = RedirectResponse(self.a.safe_admin_next(next_path), status_code=303)
        response.raw_headers.append(self.a.cookie.header(session_cookie.CookieContent(token, lang)))
        response.raw_headers.append(self.a.devices.header(key, password_hash))  # a fresh nonce each time
        return response

    async def _known_device(self, request: Request, name: str, key: str) -> Device | None:
        """The browser's device cookie if it is intact and belongs to the account named; else None
        (the attempt then counts against the account, like any stranger's)."""
        device = self.a.devices.read(request.cookies.get(devices.COOKIE_NAME))
        if device is None or not key:
            return None

        def stored_hash() -> str | None:
            with self.a.s.storage.read() as reads:
                found = accounts.editor_for_sign_in(reads, name)
            return found[1] if found else None

        password_hash = await to_thread.run_sync(stored_hash)
        return device if password_hash and device.belongs_to(key, password_hash) else None

    def _check(self, name: str, password: str) -> tuple[Editor, str] | None:
        """In the hashing lane: the editor and their stored hash if the password is right."""
        with self.a.s.storage.read() as reads:
            found = accounts.editor_for_sign_in(reads, name) if name else None
        if found is None:
            self.a.s.passwords.verify_nobody(password)  # as slow as a real check: timing tells nothing
            return None
        return found if self.a.s.passwords.verify(found[1], password) else None

    def _refuse(
        self, request: Request, lang: str, status: int, error: str, wait: float, name: str, next_path: str
    ) -> Response:
        response = self.render(request, lang, status=status, error=error, name=name, next_path=next_path)
        response.raw_headers.append((b"retry-after", str(math.ceil(wait)).encode()))
        return response

    def _too_many(self, lang: str, wait: float) -> str:
        if wait < 90:
            amount = self.a.t(lang, N_("%(n)s Sekunden"), n=math.ceil(wait))
        else:
            amount = self.a.t(lang, N_("%(n)s Minuten"), n=math.ceil(wait / 60))
        return self.a.t(lang, TOO_MANY, wait=amount)

    async def sign_out(self, request: Request, session: Session) -> Response:
        def close() -> None:
            with self.a.s.storage.transaction() as tx:
                sessions.close_session(tx, session.token)
                audit.record(tx, session.editor.name, "signout")

        await to_thread.run_sync(close)
        query = "?done=signed-out" + (f"&lang={session.lang}" if session.lang != DEFAULT_LANGUAGE else "")
        response = RedirectResponse(self.a.url("admin:login") + query, status_code=303)
        response.raw_headers.append(self.a.cookie.header(None))
        return response


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""
