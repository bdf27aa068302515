"""One language per run: the ``gallery`` command follows the locale as gettext programs do.

German for a German locale, English otherwise, in everything it prints: argparse's usage, help and
errors, status words, success lines, warnings, refusals and configuration errors. The tests read
the output of real processes and look for words of the other language.
"""

from __future__ import annotations

import argparse
import gettext
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gallery.cli.demo.samples import sample_videos
from gallery.i18n import environ_language
from gallery.vimeo.standin import OEMBED_PATH
from tests.cli.test_cli import (  # noqa: F401 - fixtures
    BY_ID,
    PLAIN,
    RESTRICTED,
    LiveStandIn,
    Operator,
    Result,
    closed_port,
    live_standin,
    make_operator,
    standin,
)
from tests.helpers import locale_env

ROOT = Path(__file__).resolve().parents[2]
ARGPARSE_CATALOGS = ROOT / "gallery" / "locale"

ENGLISH = [
    {"LANG": "C.UTF-8"},
    {"LANG": "en_US.UTF-8"},
    {},  # no locale at all
    {"LC_ALL": "C", "LANG": "de_DE.UTF-8"},  # LC_ALL comes first
    {"LANGUAGE": "en:de", "LANG": "de_DE.UTF-8"},  # a preference list: English first
    {"LANG": "fr_FR.UTF-8"},  # a language we have no catalog for
]
GERMAN = [
    {"LANG": "de_DE.UTF-8"},
    {"LC_ALL": "de_AT.UTF-8", "LANG": "en_US.UTF-8"},
    {"LC_MESSAGES": "de_CH.UTF-8"},
    {"LANGUAGE": "fr:de", "LANG": "en_US.UTF-8"},
]
LOCALES = [("en", loc) for loc in ENGLISH] + [("de", loc) for loc in GERMAN]
LOCALE_IDS = [f"{lang}:{' '.join(f'{k}={v}' for k, v in loc.items()) or 'none'}" for lang, loc in LOCALES]
ONE_EACH = [("en", {"LANG": "en_US.UTF-8"}), ("de", {"LANG": "de_DE.UTF-8"})]

# Words that exist in only one of the two languages (lower case), as our texts use them.
GERMAN_ONLY = {
    "und", "oder", "nicht", "der", "die", "das", "ist", "ein", "eine", "einen", "für", "mit", "von",
    "aus", "gibt", "es", "fehler", "galerie", "galerien", "datei", "ordner", "datenordner", "befehl",
    "aufruf", "optionen", "positionsargumente", "hinzugefügt", "entwurf", "veröffentlicht", "konto",
    "passwort", "gesichert", "sicherung", "anzeigen", "beenden", "vorschaubild", "vorschaubilder",
    "zeichen", "standard", "sonst", "dienst", "dienstes", "abschrift", "zitat", "rolle", "videonummer",
    "warnung", "geändert", "ordnung", "entfernt", "exportiert", "importiert", "neu", "unverändert",
    "angaben", "fehlgeschlagen", "angezeigt", "zwischen", "muss", "darf", "eingeschränkt", "gefunden",
    "erreichbar", "konfiguration", "anlegen", "angelegt", "sitzungen", "zu", "ungültige",
    "argumente", "fehlen", "möglich", "noch", "keine", "konten", "letzte", "aktualisierung",
}  # fmt: skip
ENGLISH_ONLY = {
    "the", "and", "or", "not", "is", "usage", "options", "error", "show", "this", "help", "message",
    "exit", "arguments", "required", "invalid", "choice", "choose", "added", "removed", "published",
    "draft", "folder", "file", "does", "exist", "please", "must", "between", "warning", "untitled",
    "changed", "account", "password", "created", "backed", "default", "service", "with", "from",
    "into", "only", "new", "unchanged", "exported", "imported", "failed", "showing", "details", "fetch",
    "again", "following", "positional", "restricted", "found", "unreachable", "configuration",
    "create", "sessions", "too", "long", "yet", "no", "last", "ok",
}  # fmt: skip
# Internal names that human output must not show (``--json`` keeps its documented keys).
INTERNAL = (
    "fetch_status",
    "not_found",
    "speaker_name",
    "speaker_role",
    "alt_text",
    "author_name",
    "status_text",
)
# Texts that are data, not ours: the stand-in's sample titles, names typed by the operator.
DATA = sorted(
    [video.title for video, _ in sample_videos()] + ["Neuer Titel", "anna", "Eine Sprecherin"],
    key=len,
    reverse=True,
)


def without_data(text: str) -> str:
    for data in DATA:
        text = text.replace(data, " ")
    return text


def words(text: str) -> set[str]:
    """The words of ``text`` in lower case, leaving out data, options, names of variables and paths."""
    text = without_data(text)
    text = re.sub(r"\S+://\S*", " ", text)  # URLs
    text = re.sub(r"(?<![\w-])--?[a-z][\w-]*", " ", text)  # options such as --data-dir, -h
    text = re.sub(r"\bGALLERY_\w+|\bmkdir\b|\bgallery(?: \w+)?", " ", text)  # variables, commands
    text = re.sub(r"[^\s:;,(]*/[^\s:;,)]*", " ", text)  # paths
    text = re.sub(r"'[^']*'", " ", text)  # values as Python writes them ('lst')
    text = re.sub(r"\w+\[\d+\][\w.\[\]]*", " ", text)  # places in an import file: galleries[0].lang
    return {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß]+", text)}


def assert_language(text: str, lang: str) -> None:
    assert text.strip(), "said nothing"
    found = words(text)
    if lang == "en":
        assert not found & GERMAN_ONLY, (sorted(found & GERMAN_ONLY), text)
        assert not re.search("[äöüßÄÖÜ„]", without_data(text)), text  # nor German letters or quotes
    else:
        assert not found & ENGLISH_ONLY, (sorted(found & ENGLISH_ONLY), text)
        assert "”" not in text, text  # an English closing quote
    for name in INTERNAL:
        assert name not in text, (name, text)


def gallery(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def operator(tmp_path: Path, standin: LiveStandIn) -> Operator:  # noqa: F811 - fixture above
    return make_operator(tmp_path, standin)


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "locale"), LOCALES, ids=LOCALE_IDS)
def test_help_is_in_the_locales_language(operator: Operator, lang: str, locale: dict[str, str]) -> None:
    env = locale_env(operator.env, **locale)
    result = gallery(env, operator.cwd, "--help")
    assert result.code == 0, result.err
    assert_language(result.out, lang)
    if lang == "en":
        assert result.out.startswith("usage: gallery [-h] [--data-dir FOLDER] COMMAND ...")
        assert "show this help message and exit" in result.out and "\noptions:\n" in result.out
    else:
        assert result.out.startswith("Aufruf: gallery [-h] [--data-dir ORDNER] BEFEHL ...")
        assert "diese Hilfe anzeigen und beenden" in result.out and "\nOptionen:\n" in result.out


HELP_PAGES = [
    ("add", "--help"),
    ("list", "--help"),
    ("refresh", "--help"),
    ("backup", "--help"),
    ("export", "--help"),
    ("demo", "--help"),
    ("serve", "--help"),
    ("editor", "--help"),
    ("editor", "passwd", "--help"),
]


@pytest.mark.parametrize(("lang", "locale"), ONE_EACH, ids=["en", "de"])
def test_every_commands_help_is_in_one_language(
    operator: Operator, lang: str, locale: dict[str, str]
) -> None:
    env = locale_env(operator.env, **locale)
    for args in HELP_PAGES:
        result = gallery(env, operator.cwd, *args)
        assert result.code == 0, result.err
        assert_language(result.out, lang)


# --- refusals and errors -------------------------------------------------------------------

ERRORS = {
    "missing argument": (("add",), {}),
    "unknown command": (("lst",), {}),
    "not a number": (("serve", "--port", "acht"), {}),
    "unknown option": (("list", "--bunt"), {}),
    "missing data folder": (("--data-dir", "fehlt", "list"), {}),
    "setting out of range": (("list",), {"GALLERY_CONSENT_MAX_AGE_DAYS": "999"}),
    "setting not a number": (("list",), {"GALLERY_SESSION_IDLE_MINUTES": "viele"}),
    "malformed origin": (("list",), {"GALLERY_FRAME_ANCESTORS": "https://www.stadt.de/videos"}),
    "plain http to Vimeo": (("list",), {"GALLERY_VIMEO_OEMBED_URL": "http://vimeo.com/api/oembed.json"}),
    "refused link": (("add", "https://vimeo.com/abc"), {}),
    "unknown video": (("add", "https://vimeo.com/123456789"), {}),
    "unknown gallery": (("list", "--gallery", "fehlt"), {}),
    "not a video number": (("remove", "abc"), {}),
    "too long": (("add", str(PLAIN), "--quote", "x" * 1001), {}),
    "unreadable transcript": (("add", str(PLAIN), "--transcript-file", "fehlt.txt"), {}),
    "malformed import": (("import", "kaputt.json"), {}),
    "no backup parent": (("backup", "fehlt/sicherungen/"), {}),
    "export over a file": (("export", "vorhanden.json"), {}),
    "unknown account": (("editor", "remove", "niemand"), {}),
    "weak password": (("editor", "add", "anna", "--password-stdin"), {}),
}


@pytest.mark.parametrize(("lang", "locale"), ONE_EACH, ids=["en", "de"])
@pytest.mark.parametrize(("args", "extra"), ERRORS.values(), ids=ERRORS.keys())
def test_refusals_and_errors_are_in_the_locales_language(
    operator: Operator, lang: str, locale: dict[str, str], args: tuple[str, ...], extra: dict[str, str]
) -> None:
    bad = {"format": "statement-gallery-export", "version": 1, "galleries": [{"slug": "Ä Ö"}]}
    (operator.cwd / "kaputt.json").write_text(json.dumps(bad), encoding="utf-8")
    (operator.cwd / "vorhanden.json").write_text("{}", encoding="utf-8")
    env = locale_env({**operator.env, **extra}, **locale)
    result = gallery(env, operator.cwd, *args, stdin="kurz\n")
    assert result.code in {1, 2}, result
    assert result.out == ""
    lines = result.err.strip().splitlines()
    if lines[0].startswith(("usage:", "Aufruf:")):  # argparse: its usage, then one line saying why
        assert re.match(r"gallery( \w+)?: (error|Fehler): ", lines[-1]), result.err
    else:
        assert len(lines) == 1, result.err
    assert_language(result.err, lang)
    prefix = {
        "en": ("usage: ", "Error: ", "Configuration error: "),
        "de": ("Aufruf: ", "Fehler: ", "Fehler in"),
    }
    assert lines[0].startswith(prefix[lang]), result.err


# --- what a working session shows ----------------------------------------------------------


def session(operator: Operator, lang: str, tmp_path: Path) -> str:
    """An IT person's afternoon: every command that succeeds, and a Vimeo outage; all its output."""
    env = locale_env(operator.env, LANG="en_US.UTF-8" if lang == "en" else "de_DE.UTF-8")
    shown: list[str] = []

    def ok(*args: str, stdin: str = "", code: int = 0, **extra: str) -> Result:
        result = gallery({**env, **extra}, operator.cwd, *args, stdin=stdin)
        assert result.code == code, (args, result)
        shown.append(result.out + result.err)
        return result

    ok("add", str(PLAIN), "--speaker", "Eine Sprecherin", "--draft")
    ok("add", str(BY_ID))
    ok("add", str(RESTRICTED))  # with a warning about the missing title and picture
    ok("list")
    ok("refresh", "--all")
    unreachable = f"http://127.0.0.1:{closed_port()}{OEMBED_PATH}"
    ok("refresh", str(BY_ID), code=1, GALLERY_VIMEO_OEMBED_URL=unreachable)
    listing = ok("list").out  # what failed, and how old the data shown is
    ok("remove", str(PLAIN))
    ok("editor", "add", "anna", "--password-stdin", stdin="ein-langes-passwort\n")
    ok("editor", "list")
    ok("editor", "passwd", "anna", "--password-stdin", stdin="ein-neues-langes-passwort\n")
    ok("export", str(tmp_path / "export.json"))
    ok("import", str(tmp_path / "export.json"))
    ok("backup", f"{tmp_path / 'sicherungen'}/")
    ok("editor", "remove", "anna")
    # The JSON keeps its documented keys and codes in every language.
    (item,) = [i for i in json.loads(ok("list", "--json").out) if i["vimeo_id"] == BY_ID]
    assert item["status"] == "error" and set(item) >= {"vimeo_id", "status", "status_text", "title"}
    shown.pop()
    return listing + "\n".join(shown)


def test_a_session_in_english(operator: Operator, tmp_path: Path) -> None:
    text = session(operator, "en", tmp_path)
    assert_language(text, "en")
    for phrase in ("Added as a draft:", "Added:", "Warning: Restricted", "Last refresh failed:", ": OK"):
        assert phrase in text, phrase
    assert "Showing the details from " in text and "cannot be reached" in text


def test_a_session_in_german(operator: Operator, tmp_path: Path) -> None:
    text = session(operator, "de", tmp_path)
    assert_language(text, "de")
    for phrase in ("Als Entwurf hinzugefügt:", "Hinzugefügt:", "Warnung: Eingeschränkt", ": in Ordnung"):
        assert phrase in text, phrase
    assert "Letzte Aktualisierung fehlgeschlagen: Vimeo ist von diesem Server aus nicht erreichbar." in text


# --- how the language is chosen, and argparse's catalog -------------------------------------


@pytest.mark.parametrize(("lang", "locale"), LOCALES, ids=LOCALE_IDS)
def test_the_locale_decides_as_gettext_does(lang: str, locale: dict[str, str]) -> None:
    assert environ_language(locale) == lang
    # argparse asks gettext itself: the same environment must give it the same language.
    parser_texts = gettext.translation(
        "argparse", ARGPARSE_CATALOGS, languages=[*locale_languages(locale), "C"], fallback=True
    )
    assert (parser_texts.gettext("usage: ") == "Aufruf: ") == (lang == "de")


def locale_languages(locale: dict[str, str]) -> list[str]:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if locale.get(name):
            return locale[name].split(":")
    return []


def argparse_messages() -> list[str]:
    """Every text this Python's argparse translates (``_()`` and ``ngettext()``)."""
    with open(argparse.__file__, "rb") as fh:
        found = extract("python", fh, keywords={"_": None, "ngettext": (1, 2)})
        return [message if isinstance(message, str) else message[0] for _line, message, _c, _x in found]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_argparse_text_of_this_python_is_in_both_catalogs(lang: str) -> None:
    """Fails on a Python whose argparse has new texts: add them to <lang>/LC_MESSAGES/argparse.po
    (German translated, English as it is) and run scripts/i18n compile."""
    folder = ARGPARSE_CATALOGS / lang / "LC_MESSAGES"
    with open(folder / "argparse.po", "rb") as fh:
        catalog = read_po(fh)
    messages = argparse_messages()
    assert len(messages) > 25
    missing = [m for m in messages if not catalog.get(m) or not catalog.get(m).string]
    assert not missing, missing
    if lang == "en":
        assert all(m.string == m.id for m in catalog if m.id), "English is argparse's own"
    else:
        assert all(m.string != m.id for m in catalog if m.id and m.id != "%(heading)s:"), "translated"
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    fresh = gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
    with open(folder / "argparse.mo", "rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert committed._catalog == fresh._catalog, "stale: run scripts/i18n compile"  # type: ignore[attr-defined]
