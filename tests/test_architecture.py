"""The package map stays true: imports run down the floors, never sideways, never in a circle.

Every module of ``gallery/`` is read with :mod:`ast` (nothing is imported). The floors below are
the map in docs/development.md; a new package or top-level module fails here until it is placed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gallery"
DEVELOPMENT = ROOT / "docs" / "development.md"

# Highest floor first. A module may import from any floor below its own, and within its own
# package (or module); a name needed on two floors moves down, never sideways.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("gallery.__main__",),
    ("gallery.cli",),  # the command line, and the offline demo
    ("gallery.app",),  # create_app(): builds the services and the route table
    ("gallery.hosting",),  # several towns: the town a request is for, each town's site
    ("gallery.services",),  # everything the endpoints share, built once per app
    ("gallery.admin", "gallery.public"),  # the editors' area; what visitors see
    ("gallery.web",),  # what public and admin pages share
    ("gallery.content",),  # what editors do to galleries and statements
    ("gallery.storage", "gallery.vimeo"),  # where data lives; the only door to Vimeo
    ("gallery.obligations",),  # which settings a public body must still give
    ("gallery.settings",),
    ("gallery.origins",),
    ("gallery.i18n", "gallery.models", "gallery.private", "gallery.errors", "gallery"),
)
# Named below its floor only in annotations (under ``if TYPE_CHECKING:``): the object itself is
# handed down when the app is built, never imported by the pages that use it.
ANNOTATION_ONLY = frozenset({"gallery.services"})


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # the importing module
    target: str  # the imported gallery module
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``
    local: bool  # inside a function


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit(module: str) -> str:
    """The package or top-level module a module belongs to: the longest name on the map."""
    found = [name for floor in FLOORS for name in floor if module == name or module.startswith(name + ".")]
    return max(found, key=len)


def floor(module: str) -> int:
    """0 for the top floor, growing downwards."""
    return next(n for n, names in enumerate(FLOORS) if unit(module) in names)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The gallery modules an import statement loads (a submodule when a name is one)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == "gallery":
                yield alias.name
        return
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    if source.split(".")[0] != "gallery":
        return
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        yield submodule if submodule in MODULES else source


def imports_of(module: str) -> list[Import]:
    """Every import of a gallery module in ``module``, with where it stands."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool, local: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(module, node):
                found.append(Import(module, target, node.lineno, typing_only, local))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True, local)
            for child in node.orelse:
                visit(child, typing_only, local)
            return
        inner = local or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only, inner)

    visit(tree, False, False)
    return found


ALL_IMPORTS = [found for module in MODULES for found in imports_of(module)]


def test_every_module_is_on_the_map() -> None:
    unplaced = [m for m in MODULES if not any(m == n or m.startswith(n + ".") for f in FLOORS for n in f)]
    assert not unplaced
    top_level = {".".join(m.split(".")[:2]) for m in MODULES if m != "gallery"}
    named = {name for names in FLOORS for name in names}
    assert top_level <= named, f"place these on a floor: {sorted(top_level - named)}"


def describe(found: Import, why: str) -> str:
    units = f"{unit(found.source)} → {unit(found.target)}"
    return f"{found.source}:{found.line} imports {found.target} ({units}: {why})"


def test_imports_point_down_never_up_or_sideways() -> None:
    wrong = []
    for found in ALL_IMPORTS:
        source, target = unit(found.source), unit(found.target)
        if source == target:
            continue
        if found.typing_only and target in ANNOTATION_ONLY:
            continue
        if floor(found.target) > floor(found.source):
            continue
        why = "sideways" if floor(found.target) == floor(found.source) else "upwards"
        wrong.append(describe(found, why))
    assert not wrong, "\n".join(wrong)


def test_the_services_type_is_named_below_the_wiring_only_in_annotations() -> None:
    run_time = [
        describe(found, "imported at run time")
        for found in ALL_IMPORTS
        if unit(found.target) in ANNOTATION_ONLY
        and floor(found.source) > floor(found.target)
        and not found.typing_only
    ]
    assert not run_time, "\n".join(run_time)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_no_module_imports_itself_in_a_circle() -> None:
    """Counting imports inside functions too: a deferred import is still a dependency."""
    edges: dict[str, set[str]] = {}
    for found in ALL_IMPORTS:
        if not found.typing_only:
            edges.setdefault(found.source, set()).add(found.target)
    assert not cycles(edges)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"a"}}, [["a"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_imports_inside_functions_say_why() -> None:
    """An import deferred into a function carries a comment (on its line or just above it)."""
    silent = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _explained(lines, node.lineno):
                    silent.append(f"{module}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not silent, "\n".join(silent)


def _explained(lines: list[str], lineno: int) -> bool:
    if "#" in lines[lineno - 1]:
        return True
    for line in reversed(lines[: lineno - 1]):
        text = line.strip()
        if not text or text.startswith(("import ", "from ")):
            continue  # a group of deferred imports shares one comment
        return text.startswith("#")
    return False


def test_a_module_past_300_lines_says_why_in_its_docstring() -> None:
    """Past ~300 lines a module is asking to be split along a responsibility, unless it says why not."""
    long = [
        f"{module} ({lines} lines)"
        for module, path in MODULES.items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 300
        and "300 lines" not in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "")
    ]
    assert not long, f"split these, or say in the docstring why they stay whole: {long}"


def test_the_architecture_guide_names_every_package_on_the_map() -> None:
    guide = DEVELOPMENT.read_text(encoding="utf-8")
    missing = [
        name
        for names in FLOORS
        for name in names
        if name != "gallery"
        and f"`{name.replace('.', '/')}/`" not in guide
        and f"`{name.replace('.', '/')}.py`" not in guide
    ]
    assert not missing, f"docs/development.md does not name: {missing}"


# --- SQL lives in storage ----------------------------------------------------------------

STORAGE = "gallery.storage"
BENCH = ROOT / "bench"
# What an SQL statement starts with, as this code base writes it (upper case).
SQL_KEYWORDS = "SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|WITH|REPLACE|ALTER|DROP|VACUUM|BEGIN"
SQL_START = re.compile(rf"\s*({SQL_KEYWORDS})(\s|$)")


def outside_storage() -> dict[str, Path]:
    """Every product module outside the storage package, and the benchmarks (which seed through it)."""
    found = {name: path for name, path in MODULES.items() if unit(name) != STORAGE}
    found |= {f"bench/{path.name}": path for path in sorted(BENCH.glob("*.py"))}
    return found


DRIVERS = frozenset({"sqlite3", "psycopg", "psycopg_pool"})


def driver_imports(source: str) -> list[int]:
    """Lines that import a database driver: sqlite3, psycopg or its pool (or something from them)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        if any(name.split(".")[0] in DRIVERS for name in modules):
            lines.append(node.lineno)
    return lines


def sql_literals(source: str) -> list[tuple[int, str]]:
    """String literals (f-string parts too) that read like the start of an SQL statement."""
    return [
        (node.lineno, node.value.strip().splitlines()[0])
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_START.match(node.value)
    ]


def test_only_storage_imports_a_database_driver() -> None:
    wrong = [
        f"{name}:{line}"
        for name, path in outside_storage().items()
        for line in driver_imports(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, f"ask gallery.storage instead of opening SQLite or PostgreSQL here: {wrong}"


def test_only_storage_writes_sql() -> None:
    wrong = [
        f"{name}:{line}: {text}"
        for name, path in outside_storage().items()
        for line, text in sql_literals(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "SQL belongs in gallery/storage, asked for by name:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "imports", "literals"),
    [
        ("import sqlite3", [1], []),
        ("from sqlite3 import Row", [1], []),
        ("import sqlite3.dbapi2 as db", [1], []),
        ("import psycopg", [1], []),
        ("from psycopg.rows import dict_row", [1], []),
        ("from psycopg_pool import ConnectionPool", [1], []),
        ('q = "SELECT * FROM galleries"', [], [(1, "SELECT * FROM galleries")]),
        ('q = f"""\n  UPDATE statements SET {x} = ?"""', [], [(1, "UPDATE statements SET")]),
        ('q = "VACUUM"', [], [(1, "VACUUM")]),
        ('conn.execute("PRAGMA data_version")', [], [(1, "PRAGMA data_version")]),
        ('"""Delete a statement."""\nkind = "update"\nmethod = "DELETED"', [], []),
        ("import sqlite3_extra  # another module", [], []),
    ],
)
def test_the_sql_finders_find_sql(source: str, imports: list[int], literals: list[tuple[int, str]]) -> None:
    assert driver_imports(source) == imports
    assert sql_literals(source) == literals


# --- tests pass objects in -----------------------------------------------------------------

TESTS = ROOT / "tests"


def _gallery_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(every name bound to a gallery module or object, the ones that are modules)."""
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "gallery":
                    bound = alias.asname or alias.name.split(".")[0]
                    names.add(bound)
                    modules.add(bound)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "gallery":
            for alias in node.names:
                bound = alias.asname or alias.name
                names.add(bound)
                if f"{node.module}.{alias.name}" in MODULES:
                    modules.add(bound)
    return names, modules


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _chain(node: ast.expr) -> list[str]:
    """``app.services.renderer`` → ["renderer", "services", "app"]."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [*parts, node.id] if isinstance(node, ast.Name) else parts


def _is_monkeypatch(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "monkeypatch") or (
        isinstance(node, ast.Attribute) and node.attr == "monkeypatch"
    )


def gallery_patches(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, attribute) of each ``monkeypatch.setattr``/``delattr`` on a gallery module or object,
    and of each plain assignment to an attribute of a gallery module."""
    names, modules = _gallery_names(tree)

    def ours(target: ast.expr) -> bool:
        root = _root(target)
        if isinstance(root, ast.Constant):
            return isinstance(root.value, str) and root.value.split(".")[0] == "gallery"
        # ``app.services.renderer``: the app's own parts are gallery objects too.
        return (isinstance(root, ast.Name) and root.id in names) or "services" in _chain(target)

    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"setattr", "delattr"}
            and _is_monkeypatch(node.func.value)
            and node.args
            and ours(node.args[0])
        ):
            target = node.args[0]
            if isinstance(target, ast.Constant):
                attribute = str(target.value).rsplit(".", 1)[-1]
            elif len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                attribute = str(node.args[1].value)
            else:
                attribute = "?"
            found.append((node.lineno, attribute))
        elif isinstance(node, ast.Assign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Attribute):
                    root = _root(target)
                    if (isinstance(root, ast.Name) and root.id in modules) or "services" in _chain(target):
                        found.append((node.lineno, target.attr))
    return found


# Patches that change no behaviour, each with its reason: (file, attribute).
SAME_BEHAVIOUR = {
    # The smaller copies of a picture are a pure function of its bytes: the suite keeps the ones
    # it made (most tests store the same six sample pictures) instead of encoding them again.
    ("tests/conftest.py", "derive"),
}


def test_tests_pass_objects_in_rather_than_patching_gallery() -> None:
    """A test that needs another clock, policy, renderer, key derivation or deadline hands it to
    the constructor (or ``create_app``) instead of patching what a gallery module holds."""
    found = [
        (str(path.relative_to(ROOT)), line, attribute)
        for path in sorted(TESTS.rglob("*.py"))
        for line, attribute in gallery_patches(ast.parse(path.read_text(encoding="utf-8")))
    ]
    patched = [
        f"{path}:{line}: {attribute}"
        for path, line, attribute in found
        if (path, attribute) not in SAME_BEHAVIOUR
    ]
    assert not patched, "pass an object in instead:\n" + "\n".join(patched)
    assert {(path, attribute) for path, _, attribute in found} >= SAME_BEHAVIOUR, "a listed patch is gone"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from gallery.admin import passwords\nmonkeypatch.setattr(passwords, 'kdf', f)", [(2, "kdf")]),
        ("from gallery.models import Image\nmonkeypatch.setattr(Image, 'of', f)", [(2, "of")]),
        ("import gallery.admin.throttle as t\nself.monkeypatch.delattr(t, 'Policy')", [(2, "Policy")]),
        ("monkeypatch.setattr('gallery.storage.queries.galleries', f)", [(1, "galleries")]),
        ("monkeypatch.setattr(app.services.renderer, 'render', f)", [(1, "render")]),
        ("app.services.renderer.render = f", [(1, "render")]),
        ("services.renderer.render = f", [(1, "render")]),
        ("from gallery.admin import passwords\npasswords.SCRYPT_N = 2", [(2, "SCRYPT_N")]),
        # not ours: the standard library, process input, third-party clocks, a test's own objects
        ("import os\nmonkeypatch.setattr(os, 'chmod', f)", []),
        ("import sys\nmonkeypatch.setattr(sys, 'stdin', io.StringIO(''))", []),
        ("import itsdangerous\nmonkeypatch.setattr(itsdangerous.timed.time, 'time', f)", []),
        ("from gallery.vimeo.standin import StandIn\nstandin.fault = Fault.NONE", []),
    ],
)
def test_the_patch_finder_finds_patches(source: str, expected: list[tuple[int, str]]) -> None:
    assert gallery_patches(ast.parse(source)) == expected
