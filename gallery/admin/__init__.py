"""The editors' area under /admin: routes as data, grouped by what they act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.middleware import Middleware
from starlette.routing import Mount, Router

from ..web.checks import relative_slash_redirects
from .actions import Actions
from .base import Admin
from .galleries import Galleries
from .gate import AdminGate
from .looks import Looks
from .signin import SignIn
from .statements import Statements
from .town import TownPage

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

PREFIX = "/admin"


def mount(services: Services) -> Mount:
    """``Mount("/admin", ...)`` with every admin route behind the :class:`AdminGate`."""
    admin = Admin(services)
    statements = Statements(admin)
    galleries = Galleries(admin, statements)
    routes = [
        *SignIn(admin).routes(),
        *galleries.routes(),
        *Looks(admin, galleries).routes(),
        *statements.routes(),
        *Actions(admin, statements).routes(),
        *TownPage(admin).routes(),
    ]
    return Mount(
        PREFIX,
        app=relative_slash_redirects(Router(routes)),
        name="admin",
        middleware=[Middleware(AdminGate, admin=admin)],
    )
