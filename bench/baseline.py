"""A bare Starlette app: the ceiling the gallery service is compared with in bench/run.py.

Nothing here but Starlette's own routing and responses, served by uvicorn with the same
options as ``gallery serve`` (single worker, no access log, no server header, proxy headers):

* ``GET /page``          a small fixed HTML page (~1 kB), built once
* ``GET /thumb``         the thumbnail's bytes from memory (``Response``, ``image/jpeg``)
* ``GET /files/<name>``  the same file through ``StaticFiles`` (stat + open + read per request)
* ``GET /same``          the bytes of ``--page`` (the gallery page, uncompressed) from memory

Run: ``python bench/baseline.py --port P --thumbnail /path/to/<name>.jpg [--page FILE]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

_ITEMS = "".join(
    f'<li><a href="/g/videos/v/{800_000_001 + n}">Beispiel-Statement {n + 1}</a></li>\n'
    for n in range(10)
)
PAGE = (
    '<!doctype html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>Videostatements</title>\n</head>\n<body>\n<main>\n<h1>Videostatements</h1>\n"
    "<p>Eine kleine, feste Seite als Vergleichsmaß: Starlette ohne Datenbank, ohne Vorlagen "
    "und ohne Middleware.</p>\n<ul>\n" + _ITEMS + "</ul>\n</main>\n</body>\n</html>\n"
).encode()


def create_app(thumbnail: Path, page_file: Path | None = None) -> Starlette:
    data = thumbnail.read_bytes()
    same = page_file.read_bytes() if page_file else PAGE
    media_type = "image/png" if thumbnail.suffix == ".png" else "image/jpeg"
    if thumbnail.suffix == ".webp":
        media_type = "image/webp"

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def thumb(request: Request) -> Response:
        return Response(data, media_type=media_type)

    async def same_page(request: Request) -> Response:
        return HTMLResponse(same)

    return Starlette(
        routes=[
            Route("/page", page),
            Route("/thumb", thumb),
            Route("/same", same_page),
            Mount("/files", StaticFiles(directory=thumbnail.parent), name="files"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--thumbnail", type=Path, required=True)
    parser.add_argument("--page", type=Path, default=None)
    args = parser.parse_args()
    # The same uvicorn.run() options as gallery.cli.main.cmd_serve.
    uvicorn.run(
        create_app(args.thumbnail, args.page),
        host=args.host,
        port=args.port,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


if __name__ == "__main__":
    main()
