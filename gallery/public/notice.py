"""The consent notice: its texts (replaceable by the operator) and the version derived from them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ..i18n import DEFAULT_LANGUAGE
from ..web.paths import TEMPLATES_DIR

# Everything besides the text that the visitor consents to. Changing any of it must re-ask.
PROVIDER_TERMS = "provider=Vimeo.com, Inc. (USA); purpose=playback; player-params=dnt=1"


@dataclass(frozen=True, slots=True)
class Notice:
    version: str
    short: dict[str, Markup]  # by language
    full: dict[str, Markup]

    def short_for(self, lang: str) -> Markup:
        return self.short.get(lang) or self.short[DEFAULT_LANGUAGE]

    def full_for(self, lang: str) -> Markup:
        return self.full.get(lang) or self.full[DEFAULT_LANGUAGE]


def load_notice(
    data_dir: Path | None, languages: tuple[str, ...], own: Mapping[tuple[str, str, str], str] | None = None
) -> Notice:
    """Read ``notice/<lang>/{short,full}.html``: the town's own text (``own``), else the operator's
    copy in the data dir (None: not this town's), else the shipped one.

    The version is a hash of the German (binding) texts and the provider terms, so a translation
    never changes it, while any change to what German visitors read does.
    """
    short: dict[str, Markup] = {}
    full: dict[str, Markup] = {}
    for lang in languages:
        for name, target in (("short", short), ("full", full)):
            text = read_operator_text(data_dir, "notice", lang, name, own)
            if text is not None:
                target[lang] = Markup(text)  # noqa: S704 - operator-owned HTML, not visitor input
    if DEFAULT_LANGUAGE not in short or DEFAULT_LANGUAGE not in full:
        raise FileNotFoundError("the German consent notice (short.html, full.html) is missing")
    digest = hashlib.sha256()
    for part in (PROVIDER_TERMS, short[DEFAULT_LANGUAGE], full[DEFAULT_LANGUAGE]):
        digest.update(part.strip().encode())
        digest.update(b"\0")
    return Notice(version=digest.hexdigest()[:12], short=short, full=full)


def read_operator_text(
    data_dir: Path | None,
    kind: str,
    lang: str,
    name: str,
    own: Mapping[tuple[str, str, str], str] | None = None,
) -> str | None:
    """``<kind>/<lang>/<name>.html``: the town's own, else the data folder's, else the shipped one."""
    if own and (kind, lang, name) in own:
        return own[(kind, lang, name)]
    folders = [TEMPLATES_DIR / kind / lang]
    if data_dir is not None:
        folders.insert(0, data_dir / kind / lang)
    for folder in folders:
        path = folder / f"{name}.html"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def load_operator_texts(
    data_dir: Path | None,
    kind: str,
    name: str,
    languages: tuple[str, ...],
    own: Mapping[tuple[str, str, str], str] | None = None,
) -> dict[str, Markup]:
    """One operator-replaceable text in every language that has it."""
    texts = {}
    for lang in languages:
        text = read_operator_text(data_dir, kind, lang, name, own)
        if text is not None:
            texts[lang] = Markup(text)  # noqa: S704 - operator-owned HTML, not visitor input
    return texts
