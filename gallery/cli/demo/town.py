"""The demo's example town: its page embedding the gallery, its imprint and privacy pages, example dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from ...settings import Settings, origin_of
from ...web.paths import TEMPLATES_DIR
from ...web.snippet import EMBED_ALLOW

# What the demo's footer links and its accessibility statement show: examples, set only here.
EXAMPLE_STATEMENT_CREATED = date(2026, 11, 27)
EXAMPLE_STATEMENT_REVIEWED = date(2026, 12, 1)
_EXAMPLE_PAGES = {
    "/impressum": ("Impressum", "das Impressum", "GALLERY_IMPRINT_URL"),
    "/datenschutz": ("Datenschutzerklärung", "die Datenschutzerklärung", "GALLERY_PRIVACY_POLICY_URL"),
}
SECOND_TOWN_PAGES = "/moelln"  # the second town's imprint and privacy policy, on the same example site
_EXAMPLE_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} (Beispiel) – {town}</title>
<style>body {{ margin: 0 auto; max-width: 48rem; padding: 1rem; font: 16px/1.5 system-ui; }}</style>
</head><body><main>
<h1>{title} (Beispiel)</h1>
<p><strong>Demo:</strong> Hier stünde {named} der Stadt {town}. Die Galerie verlinkt diese Seite in jeder
Fußzeile; im echten Betrieb trägt die IT ihre Adresse in <code>{variable}</code> ein.</p>
<p><a href="/">Zur Beispiel-Stadtseite</a></p>
</main></body></html>"""


def example_town_site(host_page: Starlette) -> Starlette:
    """The example town's site: its page embedding the gallery, and its imprint and privacy policy."""
    headers = {
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
    }

    async def page(request: Request) -> Response:
        path = request.url.path
        town = "Mölln" if path.startswith(SECOND_TOWN_PAGES + "/") else "Beispielstadt"
        title, named, variable = _EXAMPLE_PAGES[path.removeprefix(SECOND_TOWN_PAGES)]
        if town == "Mölln":  # a further town's links are its own, set with `gallery town edit`
            variable = "--" + variable.removeprefix("GALLERY_").lower().replace("_", "-")
        body = _EXAMPLE_PAGE.format(title=title, named=named, variable=variable, town=town)
        return HTMLResponse(body, headers=headers)

    paths = [*_EXAMPLE_PAGES, *(SECOND_TOWN_PAGES + path for path in _EXAMPLE_PAGES)]
    return Starlette(routes=[*(Route(path, page) for path in paths), Mount("", app=host_page)])


def example_public_body(settings: Settings, town_origin: str) -> Settings:
    """The demo's town pages and statement dates, where the environment sets none."""
    return replace(
        settings,
        imprint_url=settings.imprint_url or f"{town_origin}/impressum",
        privacy_policy_url=settings.privacy_policy_url or f"{town_origin}/datenschutz",
        accessibility_created=settings.accessibility_created or EXAMPLE_STATEMENT_CREATED,
        accessibility_reviewed=settings.accessibility_reviewed
        or max(EXAMPLE_STATEMENT_REVIEWED, settings.accessibility_created or EXAMPLE_STATEMENT_REVIEWED),
    ).checked()


def host_page_app(gallery_url: str, title: str, host_origin: str) -> Starlette:
    """A stand-in for a town's web page on another origin, embedding the gallery (demo only)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))
    gallery_origin = origin_of(gallery_url)
    html = env.get_template("embed/host_page.html").render(
        gallery_url=gallery_url,
        gallery_origin=gallery_origin,
        host_origin=host_origin,
        title=title,
        allow=EMBED_ALLOW,
    )
    headers = {
        # What a town's own CSP needs to embed the gallery: frame-src and script-src for its origin.
        "content-security-policy": (
            f"default-src 'none'; frame-src {gallery_origin}; script-src {gallery_origin}; "
            "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
        ),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
    }

    async def page(request: Request) -> Response:
        return HTMLResponse(html, headers=headers)

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", page), Route("/favicon.ico", no_icon)])
