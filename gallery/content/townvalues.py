"""A town's values as an operator gives them: each checked, with one sentence per problem.

A town is described by plain strings (from the command line, the admin form or a script); every
value is checked here before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..i18n import LANGUAGES, fill
from ..i18n import gettext_noop as N_
from ..origins import OriginError, origin_of_url, parse_frame_ancestor
from ..settings import SettingsError, check_allowed_host
from ..storage.towns import TOWN_COLUMNS
from .galleries import check_accent
from .towntexts import TownError

KEY_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
URL_FIELDS = ("public_url", "imprint_url", "privacy_policy_url", "vimeo_referer")
LIMITS = {"name": 200, "operator_name": 200, "logo_alt": 120}
MAX_HOSTS = 20


def check_key(raw: str) -> str:
    key = raw.strip().lower()
    if not KEY_RE.fullmatch(key):
        raise TownError(
            N_(
                "Der Kurzname einer Stadt darf nur Kleinbuchstaben a–z, Ziffern und Bindestriche "
                "enthalten (höchstens 40 Zeichen), nicht %(value)s."
            ),
            value=repr(raw),
        )
    return key


def check_town_values(raw: Mapping[str, str]) -> dict[str, Any]:
    """The stored form of every value given (strings as typed); raises :class:`TownError`."""
    values: dict[str, Any] = {}
    for name, given in raw.items():
        if name not in TOWN_COLUMNS or name in {"key", "logo"}:
            raise TownError(N_("Eine Stadt hat keine Angabe %(name)s."), name=repr(name))
        text = " ".join(str(given).split())
        values[name] = _checked(name, text)
    created = values.get("accessibility_created")
    reviewed = values.get("accessibility_reviewed")
    if created and reviewed and reviewed < created:
        raise TownError(
            N_(
                "Die Überprüfung der Erklärung (%(reviewed)s) darf nicht vor ihrer Erstellung "
                "(%(created)s) liegen."
            ),
            reviewed=reviewed,
            created=created,
        )
    return values


def _checked(name: str, text: str) -> Any:
    if name in LIMITS:
        if len(text) > LIMITS[name]:
            raise TownError(
                N_("%(name)s ist zu lang (höchstens %(limit)s Zeichen)."), name=name, limit=LIMITS[name]
            )
        return text
    if not text:
        return () if name in {"hosts", "frame_ancestors"} else ""
    if name == "hosts":
        entries = text.replace(",", " ").split()
        if len(entries) > MAX_HOSTS:
            raise TownError(N_("Eine Stadt hat höchstens %(limit)s Hostnamen."), limit=MAX_HOSTS)
        try:
            return tuple(dict.fromkeys(check_allowed_host(entry) for entry in entries))
        except SettingsError:
            raise TownError(
                N_(
                    "Hostnamen müssen genau sein wie videos.stadt.de oder host:port (ohne Sternchen, "
                    "Schema oder Pfad), nicht %(value)s."
                ),
                value=repr(text),
            ) from None
    if name in URL_FIELDS:
        _check_url(name, text)
        return text.rstrip("/") if name == "public_url" else text
    if name == "accessibility_contact":
        if not re.fullmatch(r"(mailto:)?[^@\s:/]+@[^@\s/]+\.[^@\s/]+", text):
            _check_url(name, text)
        return text
    if name in {"accessibility_created", "accessibility_reviewed"}:
        return _check_date(name, text)
    if name == "frame_ancestors":
        try:
            return tuple(dict.fromkeys(parse_frame_ancestor(s) for s in text.replace(",", " ").split()))
        except OriginError as exc:
            raise TownError(
                N_("Einbettende Seiten: %(value)s geht nicht, sie %(reason)s."),
                value=exc.shown,
                reason=fill(exc.reason),
            ) from None
    if name == "cookie_mode":
        if text not in {"same-site", "cross-site"}:
            raise TownError(
                N_("Der Cookie-Modus ist same-site oder cross-site, nicht %(value)s."), value=repr(text)
            )
        return text
    if name == "lang":
        if text not in LANGUAGES:
            raise TownError(
                N_("Die Sprache ist eine von %(known)s, nicht %(value)s."),
                known=", ".join(LANGUAGES),
                value=repr(text),
            )
        return text
    if name == "accent":
        colour, problem, ratio = check_accent(text)
        if problem is not None:
            raise TownError(problem, ratio=str(ratio)) if ratio is not None else TownError(problem)
        return colour
    raise AssertionError(name)


def _check_url(name: str, url: str) -> None:
    try:
        origin_of_url(url)
    except OriginError as exc:
        raise TownError(
            N_("%(name)s muss eine absolute http(s)-Adresse sein, nicht %(value)s: sie %(reason)s."),
            name=name,
            value=exc.shown,
            reason=fill(exc.reason),
        ) from None
    if "?" in url and name == "public_url":
        raise TownError(N_("public_url darf keine Abfrage (?…) haben."))


def _check_date(name: str, text: str) -> str:
    message = N_("%(name)s muss ein Datum in der Form JJJJ-MM-TT sein, etwa 2026-11-27, nicht %(value)s.")
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise TownError(message, name=name, value=repr(text))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise TownError(message, name=name, value=repr(text)) from None
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise TownError(N_("%(name)s liegt in der Zukunft (%(date)s)."), name=name, date=text)
    return text
