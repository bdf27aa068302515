"""Towns on one installation: what a town's settings are, adding, changing and removing towns.

Every value is checked first (townvalues.py), with one sentence per problem, before anything is
stored; a town's look (accent colour, logo) is its first gallery's too (townlooks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from ..i18n import gettext_noop as N_
from ..models import Image as StoredImage
from ..models import Town
from ..origins import origin_of_url
from ..settings import Settings
from ..storage.store import Storage, Transaction
from ..storage.thumbnails import ImageStore
from .townlooks import discard_unused, pass_on, stored_logo
from .towntexts import TownError, check_text
from .townvalues import check_key, check_town_values


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
    *,
    logo: StoredImage | None = None,
    images: ImageStore | None = None,
) -> Town:
    """A new town with its default gallery (and its own texts: (kind, language, name) → HTML).

    ``logo`` (checked: :func:`.townlooks.checked_logo`) is stored in ``images``; the default
    gallery takes the town's accent colour and logo.
    """
    key = check_key(key)
    values = check_town_values(raw)
    checked_texts = {k: check_text(k[0], k[2], k[1], v) for k, v in (texts or {}).items()}
    if not values.get("hosts") and not values.get("public_url"):
        raise TownError(N_("Eine neue Stadt braucht mindestens einen Hostnamen (--host)."))
    with stored_logo(storage, images, logo) as name, storage.transaction() as tx:
        if tx.town_by_key(key) is not None:
            raise TownError(N_("Die Stadt %(town)s gibt es schon."), town=key)
        _refuse_shared_hosts(tx, base, key, values)
        if name is not None:
            values["logo"] = name
        town = tx.add_town(key, **values)
        for (kind, lang, text_name), text in checked_texts.items():
            tx.set_town_text(town.id, kind, lang, text_name, text)
        scoped = tx.for_town(town.id)
        scoped.ensure_default_gallery()
        if values.get("lang"):
            scoped.update_gallery(scoped.default_gallery().id, lang=values["lang"])
        pass_on(scoped, values, None)
        found = tx.town(town.id)
    assert found is not None
    return found


def edit_town(
    storage: Storage,
    base: Settings,
    town: Town,
    raw: Mapping[str, str],
    texts: Mapping[tuple[str, str, str], str] | None = None,
    *,
    logo: StoredImage | None = None,
    remove_logo: bool = False,
    images: ImageStore | None = None,
    actor: str | None = None,
) -> Town:
    """Change a town's values (``key`` renames it) and texts; the rest stays.

    A new accent colour, logo (stored in ``images``) or logo text is the default gallery's too,
    recorded for ``actor`` as a change of its look; a logo nothing uses any more goes.
    """
    raw = dict(raw)
    new_key = check_key(raw.pop("key")) if "key" in raw else town.key
    values = check_town_values(raw)
    checked_texts = {k: check_text(k[0], k[2], k[1], v) for k, v in (texts or {}).items()}
    with stored_logo(storage, images, logo) as name, storage.transaction() as tx:
        if new_key != town.key and tx.town_by_key(new_key) is not None:
            raise TownError(N_("Die Stadt %(town)s gibt es schon."), town=new_key)
        if "hosts" in values or "public_url" in values:
            merged = {"hosts": town.hosts, "public_url": town.public_url, **values}
            _refuse_shared_hosts(tx, base, town.key, merged)
        old_logo = (tx.town(town.id) or town).logo
        if name is not None or remove_logo:
            values["logo"] = name
        replaced = pass_on(tx.for_town(town.id), values, actor)
        if new_key != town.key:
            values["key"] = new_key
        if values:
            tx.update_town(town.id, **values)
        for (kind, lang, text_name), text in checked_texts.items():
            tx.set_town_text(town.id, kind, lang, text_name, text)
        found = tx.town(town.id)
    assert found is not None
    if "logo" in values:
        discard_unused(storage, images, {old_logo, replaced})
    return found


def remove_town(storage: Storage, town: Town) -> None:
    """A town and everything only it had: galleries, statements, editors, audit trail, texts."""
    if town.is_default:
        raise TownError(N_("Die erste Stadt der Installation kann nicht entfernt werden."))
    with storage.transaction() as tx:
        tx.delete_for_good()
        tx.remove_town(town.id)
