"""Where templates and static files are: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # gallery/, this file being gallery/web/paths.py


def _find(name: str) -> Path:
    installed = _PACKAGE / f"_{name}"  # placed there by the wheel build (pyproject force-include)
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # a source checkout or editable install


TEMPLATES_DIR = _find("templates")
STATIC_DIR = _find("static")
