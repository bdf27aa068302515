"""Around every /admin route: never framed, never stored by a cache, and errors in the admin's look."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..storage.engine import DatabaseUnavailable
from ..web.headers import FRAME_ANCESTORS_KEY
from .base import Admin


class AdminGate:
    """Around every /admin route: never framed, never stored by any cache, errors in admin look."""

    def __init__(self, app: ASGIApp, admin: Admin) -> None:
        self.app = app
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[FRAME_ANCESTORS_KEY] = ("'none'",)
        started = False

        async def send_no_store(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        try:
            await self.app(scope, receive, send_no_store)
        except HTTPException as exc:
            if started:
                raise
            request = Request(scope)
            response = self.admin.error_page(request, exc.status_code, exc.detail)
            if exc.status_code == 405:
                response.raw_headers.append((b"allow", b"GET, POST"))
            await response(scope, receive, send_no_store)
        except DatabaseUnavailable:
            if started:
                raise
            # Not a fault of the service: the storage logged it once; the editor is told plainly.
            await self.admin.unavailable_page(Request(scope))(scope, receive, send_no_store)
        except Exception:
            if started:
                raise
            # Answered here, not by the app's 500 page: that one may be framed like public pages.
            await self.admin.error_page(Request(scope), 500, "")(scope, receive, send_no_store)
            raise  # on to the server's error log, as every other 500
