"""Languages: message ids are German (the default); other languages come from gettext catalogs.

Catalogs live in ``gallery/locale/<lang>/LC_MESSAGES/messages.{po,mo}``; the compiled ``.mo`` is
committed so that Babel stays a development tool (docs/development.md; ``scripts/i18n``).
"""

from __future__ import annotations

import errno
import gettext
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

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


DATE_FORMATS = {"de": "{d.day:02d}.{d.month:02d}.{d.year}", "en": "{d.day} {month} {d.year}"}
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def format_date(value: str | None, lang: str = "de") -> str:
    """A date as people of that language write it (no locale settings needed)."""
    if not value:
        return ""
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        return value
    return DATE_FORMATS.get(lang, DATE_FORMATS["de"]).format(d=d, month=MONTHS_EN[d.month - 1])


# --- texts made from message ids, shown later in another language ---------------------------


class Filled(str):
    """German text made from a message id and values; keeps both, so it can be shown in another language.

    It is a ``str`` (the German text), so code that only passes messages along needs no change.
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Filled:
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        return self


def fill(msgid: str, /, **params: object) -> str:
    """``msgid % params`` in German that :func:`translate` can still show in another language."""
    if not params and isinstance(msgid, Filled):
        return msgid  # already made: keep its message id and values
    return Filled(msgid, **params)


def translate(lang: str, text: str) -> str:
    """``text`` (a message id, a :func:`fill` result, or stored notes) in ``lang``.

    Notes stored with a video are message ids joined by single spaces; each is translated. Text
    that is none of these (a title, a name) comes back unchanged.
    """
    if lang == DEFAULT_LANGUAGE or not text:
        return str(text)  # gettext("") would be the catalog's header
    catalog = translations(lang)
    if isinstance(text, Filled):
        values = {k: translate(lang, v) if isinstance(v, Filled) else v for k, v in text.params.items()}
        found = catalog.gettext(text.msgid)
        return found % values if values else found
    found = catalog.gettext(text)
    return found if found != text else _joined(catalog, text)


MAX_JOINED_WORDS = 400  # longer notes are shown as stored rather than searched


def _joined(catalog: gettext.NullTranslations, text: str) -> str:
    """Translate ``text`` if it is message ids joined by single spaces, else return it as it is."""
    cuts = [i for i, c in enumerate(text) if c == " "]
    if not cuts or len(cuts) > MAX_JOINED_WORDS:
        return text
    ends = [*cuts, len(text)]
    # rest[i]: the translation of text[i:] when it splits into message ids, found from the end.
    rest: dict[int, list[str]] = {len(text) + 1: []}
    for start in reversed([0, *(c + 1 for c in cuts)]):
        for end in (e for e in ends if e > start):
            piece = text[start:end]
            if end + 1 in rest and (found := catalog.gettext(piece)) != piece:
                rest[start] = [found, *rest[end + 1]]
                break
    return " ".join(rest[0]) if 0 in rest else text


N_ = gettext_noop  # the name scripts/i18n looks for

# The operating system's reasons in our words: its own (strerror) are English whatever the locale.
OS_REASONS = {
    errno.ENOENT: N_("Datei oder Ordner nicht gefunden"),
    errno.EACCES: N_("keine Berechtigung"),
    errno.EPERM: N_("keine Berechtigung"),
    errno.EEXIST: N_("das gibt es schon"),
    errno.ENOTDIR: N_("ein Teil des Pfads ist kein Ordner"),
    errno.EISDIR: N_("das ist ein Ordner"),
    errno.ENOSPC: N_("kein Platz mehr auf dem Datenträger"),
    errno.EROFS: N_("nur lesbares Dateisystem"),
    errno.ENAMETOOLONG: N_("der Name ist zu lang"),
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in a few words (a message id where we know the reason)."""
    if exc.errno in OS_REASONS:
        return fill(OS_REASONS[exc.errno])
    return exc.strerror or str(exc)


# --- the language of a command run -----------------------------------------------------------

# argparse's own texts (usage, help headings, errors) are translated in this gettext domain. The
# "en" catalog repeats argparse's English: gettext takes a missing text from the next language of
# a list such as LANGUAGE=en:de, so English must have every text too.
ARGPARSE_DOMAIN = "argparse"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def locale_dir() -> str:
    """The folder with the compiled catalogs (``<lang>/LC_MESSAGES/*.mo``)."""
    with resources.as_file(resources.files("gallery") / "locale") as path:
        return str(path)


def environ_language(environ: Mapping[str, str]) -> str:
    """German for a German locale, English otherwise: chosen as gettext chooses a catalog.

    The first of LANGUAGE (a list such as ``de:en``), LC_ALL, LC_MESSAGES and LANG that is set
    decides; ``C`` and ``POSIX`` mean English.
    """
    languages: list[str] = []
    for name in LOCALE_VARIABLES:
        if value := environ.get(name):
            languages = value.split(":")
            break
    found = gettext.find(ARGPARSE_DOMAIN, locale_dir(), languages=[*languages, "C"])
    if found is None:
        return "en"
    return Path(found).parent.parent.name
