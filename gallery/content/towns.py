"""Towns on one installation: their checked values, what a town's settings are, adding and removing.

A town is described by plain strings (from the command line, the admin form or a script); every
value is checked here, with one sentence per problem, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..i18n import LANGUAGES, fill
from ..i18n import gettext_noop as N_
from ..models import Town
from ..origins import OriginError, origin_of_url, parse_frame_ancestor
from ..settings import Settings, SettingsError, check_allowed_host
from ..storage.store import Storage, Transaction
from ..storage.towns import TOWN_COLUMNS
from .galleries import check_accent
from .towntexts import TownError, check_text

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


def town_settings(base: Settings, town: Town) -> Settings:
    """The settings a town's pages are made with: the installation's, with the town's own values.

    The default town falls back to the settings for what it leaves empty (an installation for one
    town is configured by them alone); any other town has only what it was given.
    """
    own = town.is_default

    def pick(value: str, fallback: str | None) -> str | None:
        return value or (fallback if own else None)

    return replace(
        base,
        public_url=pick(town.public_url, base.public_url),
        allowed_hosts=town.hosts or (base.allowed_hosts if own else ()),
        imprint_url=pick(town.imprint_url, base.imprint_url),
        privacy_policy_url=pick(town.privacy_policy_url, base.privacy_policy_url),
        accessibility_contact=pick(town.accessibility_contact, base.accessibility_contact),
        accessibility_created=_day(town.accessibility_created)
        or (base.accessibility_created if own else None),
        accessibility_reviewed=_day(town.accessibility_reviewed)
        or (base.accessibility_reviewed if own else None),
        operator_name=town.operator_name or (base.operator_name if own else town.name),
        frame_ancestors=town.frame_ancestors or (base.frame_ancestors if own else ("'self'",)),
        cookie_mode=town.cookie_mode or base.cookie_mode,
        vimeo_referer=pick(town.vimeo_referer, base.vimeo_referer),
    ).checked()


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def host_names(settings: Settings) -> set[str]:
    """The host names (without port) a town's settings answer for."""
    names = {h.rsplit(":", 1)[0] if not h.endswith("]") else h for h in settings.allowed_hosts}
    if settings.public_url:
        names.add(origin_of_url(settings.public_url).split("://", 1)[1].rsplit(":", 1)[0])
    return names


def _refuse_shared_hosts(tx: Transaction, base: Settings, key: str, values: Mapping[str, Any]) -> None:
    """A host name routes to exactly one town: none may be another town's too."""
    mine = town_settings(
        base, Town(0, key, hosts=values.get("hosts", ()), public_url=values.get("public_url", ""))
    )
    wanted = host_names(mine)
    for other in tx.towns():
        if other.key == key:
            continue
        clash = wanted & host_names(town_settings(base, other))
        if clash:
            raise TownError(
                N_("Der Hostname %(host)s gehört schon zur Stadt %(town)s."),
                host=sorted(clash)[0],
                town=other.key,
            )


def add_town(
    storage: Storage,
    base: Settings,
    key: str,
    raw: Mapping[str, str],
    texts: Mapping[tuple[str, str, str], str] | None = None,
) -> Town:
    """A new town with its default gallery (and its own texts: (kind, language, name) → HTML)."""
    key = check_key(key)
    values = check_town_values(raw)
    checked_texts = {k: check_text(k[0], k[2], k[1], v) for k, v in (texts or {}).items()}
    if not values.get("hosts") and not values.get("public_url"):
        raise TownError(N_("Eine neue Stadt braucht mindestens einen Hostnamen (--host)."))
    with storage.transaction() as tx:
        if tx.town_by_key(key) is not None:
            raise TownError(N_("Die Stadt %(town)s gibt es schon."), town=key)
        _refuse_shared_hosts(tx, base, key, values)
        town = tx.add_town(key, **values)
        for (kind, lang, name), text in checked_texts.items():
            tx.set_town_text(town.id, kind, lang, name, text)
        scoped = tx.for_town(town.id)
        scoped.ensure_default_gallery()
        if values.get("accent") or values.get("lang"):
            gallery = scoped.default_gallery()
            scoped.update_gallery(
                gallery.id, accent=values.get("accent", ""), lang=values.get("lang") or "de"
            )
        found = tx.town(town.id)
    assert found is not None
    return found


def edit_town(
    storage: Storage,
    base: Settings,
    town: Town,
    raw: Mapping[str, str],
    texts: Mapping[tuple[str, str, str], str] | None = None,
) -> Town:
    """Change a town's values (``key`` renames it) and texts; the rest stays."""
    raw = dict(raw)
    new_key = check_key(raw.pop("key")) if "key" in raw else town.key
    values = check_town_values(raw)
    checked_texts = {k: check_text(k[0], k[2], k[1], v) for k, v in (texts or {}).items()}
    with storage.transaction() as tx:
        if new_key != town.key and tx.town_by_key(new_key) is not None:
            raise TownError(N_("Die Stadt %(town)s gibt es schon."), town=new_key)
        if "hosts" in values or "public_url" in values:
            merged = {"hosts": town.hosts, "public_url": town.public_url, **values}
            _refuse_shared_hosts(tx, base, town.key, merged)
        if new_key != town.key:
            values["key"] = new_key
        if values:
            tx.update_town(town.id, **values)
        for (kind, lang, name), text in checked_texts.items():
            tx.set_town_text(town.id, kind, lang, name, text)
        found = tx.town(town.id)
    assert found is not None
    return found


def remove_town(storage: Storage, town: Town) -> None:
    """A town and everything only it had: galleries, statements, editors, audit trail, texts."""
    if town.is_default:
        raise TownError(N_("Die erste Stadt der Installation kann nicht entfernt werden."))
    with storage.transaction() as tx:
        tx.delete_for_good()
        tx.remove_town(town.id)
