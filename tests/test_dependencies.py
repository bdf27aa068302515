"""The declared dependencies are what the code uses: every library it imports, and no extras it does not."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gallery.cli.serve import SERVER_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME_RE = re.compile(r"^[A-Za-z0-9._-]+")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extra: str | None = None) -> dict[str, str]:
    """Name → the whole requirement, for every runtime dependency (or those of one extra)."""
    found = {}
    for requirement in PROJECT["optional-dependencies"][extra] if extra else PROJECT["dependencies"]:
        match = NAME_RE.match(requirement)
        assert match, requirement
        found[normal(match.group())] = requirement
    return found


def imported_distributions() -> set[str]:
    """The distributions behind every third-party module ``gallery/`` imports."""
    modules: set[str] = set()
    for path in (ROOT / "gallery").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"gallery", "__future__"}
    owners = packages_distributions()
    return {normal(dist) for module in third_party for dist in owners.get(module, [module])}


def test_every_library_the_code_imports_is_declared() -> None:
    missing = imported_distributions() - set(declared()) - set(declared("postgres"))
    assert not missing, f"imported but not in pyproject's dependencies: {sorted(missing)}"


def test_postgresql_is_an_extra_that_the_tests_install() -> None:
    postgres = declared("postgres")
    assert set(postgres) == {"psycopg", "psycopg-pool"}
    assert postgres["psycopg"].startswith("psycopg[binary]>=3"), "the binary wheel: no compiler, no libpq-dev"
    assert not set(postgres) & set(declared()), "SQLite installations do without them"
    assert f"{PROJECT['name']}[postgres]" in PROJECT["optional-dependencies"]["test"]


def test_uvicorn_comes_without_extras_and_with_the_loop_and_parser_it_runs_on() -> None:
    deps = declared()
    assert deps["uvicorn"].startswith("uvicorn>"), "no extras: they bring file watchers, websockets, YAML"
    assert {"uvloop", "httptools"} <= set(deps)
    for unused in ("watchfiles", "websockets", "python-dotenv", "pyyaml"):
        assert unused not in deps


def test_gallery_serve_runs_on_uvloop_and_httptools() -> None:
    async def app(scope: object, receive: object, send: object) -> None:  # pragma: no cover
        pass

    config = uvicorn.Config(app, **SERVER_OPTIONS)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop"), type(loop)
    finally:
        loop.close()
