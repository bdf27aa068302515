"""Languages: message ids are German (the default); other languages come from gettext catalogs.

Catalogs live in ``gallery/locale/<lang>/LC_MESSAGES/messages.{po,mo}``; the compiled ``.mo`` is
committed so that Babel stays a development tool (README, "Languages"; ``scripts/i18n``).
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources

DEFAULT_LANGUAGE = "de"
LANGUAGES = ("de", "en")
# Each language named in itself: a visitor looks for their own language's name.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
LANG_PARAM = "lang"


def gettext_noop(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def known_language(value: str | None) -> str | None:
    """``value`` if it names a language we have, else None (unknown codes are simply ignored)."""
    return value if value in LANGUAGES else None


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``; German needs none because the message ids are German.

    A listed language without its compiled catalog is a packaging error, so it raises rather
    than silently showing German to someone who asked for English.
    """
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    if lang not in LANGUAGES:
        raise LookupError(f"no catalog for language {lang!r}")
    locale_dir = resources.files("gallery") / "locale"
    with resources.as_file(locale_dir) as path:
        return gettext.translation("messages", localedir=path, languages=[lang])


def decimal(value: float, lang: str) -> str:
    """A number with one decimal as that language writes it (3,2 in German, 3.2 in English)."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == DEFAULT_LANGUAGE else text
