"""Languages: message ids are German (the default); other languages come from catalogs."""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources

DEFAULT_LANGUAGE = "de"
LANGUAGES = ("de",)


def gettext_noop(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``; German needs none because the message ids are German."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    locale_dir = resources.files("gallery") / "locale"
    try:
        with resources.as_file(locale_dir) as path:
            return gettext.translation("messages", localedir=path, languages=[lang])
    except OSError:
        return gettext.NullTranslations()
