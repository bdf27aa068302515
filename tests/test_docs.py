"""The README and the guides in docs/ say what the service really does, and their links lead somewhere.

A reader follows the README's commands, clicks its links, and looks up settings and commands in
the guides; each test here fails when one of those would leave the reader stranded.
"""

from __future__ import annotations

import argparse
import re
import socket
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from gallery.cli.demo.run import default_demo_dir
from gallery.cli.main import build_parser
from gallery.settings import Settings
from tests.cli.test_demo import running
from tests.processes import clean_env

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
RUN_COMMAND = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/gallery demo"
TEST_COMMAND = "scripts/test"

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_LINK = re.compile(r"\b(?:src|href)=\"([^\"]+)\"")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """The text without code blocks and code spans, where links are only examples."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for _, heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        name, n = base, 0
        while name in found:  # GitHub numbers repeated headings: name, name-1, name-2 …
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def links(page: Path) -> Iterator[str]:
    text = prose(page.read_text(encoding="utf-8"))
    yield from MD_LINK.findall(text)
    yield from HTML_LINK.findall(text)


def section(text: str, heading: str) -> str:
    """The body of a ``## heading`` up to the next heading of that level."""
    body = text.split(f"\n{heading}\n", 1)[1]
    return re.split(r"\n## ", body, maxsplit=1)[0]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)\n```$", text, re.M | re.S)


def test_the_pages_exist() -> None:
    assert README.is_file()
    assert {p.name for p in DOCS.glob("*.md")} >= {
        "operations.md",
        "editors.md",
        "embedding.md",
        "security.md",
        "accessibility.md",
        "development.md",
        "benchmarks.md",
        "command-line.md",
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_leads_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … are not ours to check
            continue
        path, _, anchor = target.partition("#")
        file = page if not path else (ROOT / path.lstrip("/") if path.startswith("/") else page.parent / path)
        if not file.resolve().is_relative_to(ROOT) or not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with this anchor in {file.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_every_guide() -> None:
    linked = {target.partition("#")[0] for target in links(README)}
    assert {f"docs/{p.name}" for p in DOCS.glob("*.md")} <= linked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_internal_terms(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    found = re.findall(r"design card|\bissues? #?\d+|\bhelpers?\b", text, re.I)
    assert found == []


# --- the two set-up commands ----------------------------------------------------------------


def test_the_readme_gives_exactly_the_two_set_up_commands() -> None:
    setup = section(README.read_text(encoding="utf-8"), "## Set-up: two commands")
    assert code_blocks(setup, "sh") == [RUN_COMMAND, TEST_COMMAND]


def test_the_run_command_installs_the_gallery_command_and_starts_the_demo_where_the_tour_looks() -> None:
    """``pip install .`` puts ``gallery`` into .venv/bin; ``gallery demo`` serves where the tour says."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["gallery"] == "gallery.cli.main:main"
    readme = README.read_text(encoding="utf-8")
    assert f"Python {project['requires-python'].removeprefix('>=')} or newer" in readme
    demo = build_parser().parse_args(["demo"])
    assert (demo.host, demo.port) == ("127.0.0.1", 8000)
    assert default_demo_dir() == Path("demo-data").resolve()
    tour = prose(section(readme, "## A three-minute tour of the demo"))  # the links, not the sample
    assert f"<http://{demo.host}:{demo.port}/>" in tour and f"<http://{demo.host}:{demo.port}/admin/>" in tour
    assert f"<http://localhost:{demo.port + 1}/>" in tour  # the example town page: the gallery's port + 1
    # Every link into the running demo, anywhere in the README, goes where the demo really is.
    demo_links = set(re.findall(r"<(http://(?:127\.0\.0\.1|localhost):\d+)[^>]*>", prose(readme)))
    assert demo_links == {f"http://{demo.host}:{demo.port}", f"http://localhost:{demo.port + 1}"}
    assert "`./demo-data`" in section(readme, "## Set-up: two commands")


def test_the_test_command_is_what_ci_runs_and_does_what_the_readme_says() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == f"exec ./{TEST_COMMAND}", "CI ends by running the README's test command"
    script = ROOT / TEST_COMMAND
    assert script.stat().st_mode & stat.S_IXUSR, "the README runs it as scripts/test"
    body = script.read_text(encoding="utf-8")
    # "installs Chromium and wrk via apt-get (needs root or sudo) and the Python test packages,
    # then runs the linters, the type check and every test"
    assert re.search(r"command -v chromium .*missing\+=\(chromium\)", body)
    assert re.search(r"command -v wrk .*missing\+=\(wrk\)", body)
    assert re.search(r'apt-get install .*"\$\{missing\[@\]\}"', body) and 'sudo="sudo"' in body
    steps = [line for line in body.splitlines() if line.startswith(".venv/bin/python -m ")]
    assert steps == [
        ".venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'",
        ".venv/bin/python -m ruff check gallery tests bench",
        ".venv/bin/python -m mypy",
        '.venv/bin/python -m pytest -n auto --dist worksteal "$@"',
    ]


def two_free_ports() -> int:
    """A port P with P + 1 free too, so the demo's town page lands where the README says."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            if port < 65535:
                with socket.socket() as b:
                    try:
                        b.bind(("127.0.0.1", port + 1))
                    except OSError:
                        continue
                    return port
    raise AssertionError("no two free neighbouring ports")


@pytest.mark.slow
def test_the_tour_shows_what_the_demo_prints(tmp_path: Path) -> None:
    """The console lines in the README are the demo's, in English, up to ports, password and path."""
    shown = code_blocks(
        section(README.read_text(encoding="utf-8"), "## A three-minute tour of the demo"), "text"
    )
    assert len(shown) == 1
    expected = shown[0].splitlines()
    port = two_free_ports()
    env = clean_env(LANG="C.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    data_dir = tmp_path / "demo-data"
    log = tmp_path / "demo.log"
    with running(["demo", "--data-dir", str(data_dir), "--port", str(port)], env, port, log):
        printed = [line for line in log.read_text().splitlines() if not line.startswith(("WARNING", "INFO"))]
    password = (data_dir / "demo-editor-password").read_text().strip()
    standin = re.search(r"stand-in at (http://127\.0\.0\.1:\d+)", printed[0])
    readme_standin = re.search(r"stand-in at (http://127\.0\.0\.1:\d+)", expected[0])
    readme_password = re.search(r"password: (\S+)", "\n".join(expected))
    assert standin and readme_standin and readme_password, printed
    normalised = [
        line.replace(standin.group(1), readme_standin.group(1))
        .replace(f":{port + 1}/", ":8001/")
        .replace(f":{port}/", ":8000/")
        .replace(password, readme_password.group(1))
        .replace(str(tmp_path), "…")
        for line in printed[: len(expected)]
    ]
    assert normalised == expected


# --- settings and commands are documented -----------------------------------------------------


class Recording(Mapping[str, str]):
    """An environment that notes every name the settings ask for."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self.values[key]

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return self.values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def variables_read(tmp_path: Path) -> set[str]:
    env = Recording({"GALLERY_DATA_DIR": str(tmp_path), "GALLERY_SECRET_KEYS": "k" * 32})
    Settings.from_environ(env)
    return {name for name in env.asked if name.startswith("GALLERY_")}


def test_every_setting_the_service_reads_is_in_the_settings_table(tmp_path: Path) -> None:
    read = variables_read(tmp_path)
    assert len(read) > 15  # the recording works: the settings read their variables through it
    table = section((DOCS / "operations.md").read_text(encoding="utf-8"), "## Settings")
    documented = set(re.findall(r"^\| `(GALLERY_[A-Z_]+)` \|", table, re.M))
    assert documented == read


def test_the_readme_names_every_setting_and_where_it_is_documented(tmp_path: Path) -> None:
    read = variables_read(tmp_path)
    settings = section(README.read_text(encoding="utf-8"), "## Settings")
    assert "(docs/operations.md#settings)" in settings
    named = set(re.findall(r"GALLERY_[A-Z_]+", settings))
    assert read <= named
    development = (DOCS / "development.md").read_text(encoding="utf-8")
    for extra in named - read:  # variables only the tests read: documented with the tests
        assert extra in development
        assert any(extra in p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_command_is_documented() -> None:
    commands = subcommands(build_parser())
    names = [*commands, *(f"editor {action}" for action in subcommands(commands["editor"]))]
    names.remove("editor")
    reference = (DOCS / "command-line.md").read_text(encoding="utf-8")
    overview = section(README.read_text(encoding="utf-8"), "## Command line")
    for name in names:
        assert f"| `gallery {name}" in reference, name
        assert re.search(rf"`(gallery )?{name.split()[-1]}\b", overview), name
