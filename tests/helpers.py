"""Small helpers shared by the tests of the visitor's pages."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from gallery.settings import Settings
from gallery.storage.store import Storage
from tests.htmlparse import Element

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def add_gallery(
    settings: Settings,
    slug: str,
    title: str,
    *,
    lang: str = "de",
    frame_ancestors: tuple[str, ...] = (),
    vimeo_ids: tuple[int, ...] = (),
) -> None:
    """A second gallery (the admin area of a later issue makes these), holding existing videos."""
    storage = Storage.sqlite(settings.database_path)
    with storage.transaction() as tx:
        gallery = tx.add_gallery(slug, title, lang=lang, frame_ancestors=frame_ancestors)
        for vimeo_id in vimeo_ids:
            tx.add_statement(gallery.id, vimeo_id, published=True, speaker_name="Sprecherin")
    storage.close()


def set_default_gallery(settings: Settings, **fields: object) -> None:
    storage = Storage.sqlite(settings.database_path)
    with storage.transaction() as tx:
        tx.update_gallery(tx.default_gallery().id, **fields)
    storage.close()


def csp(header: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")
    }


def internal_links(doc: Element) -> list[str]:
    """Every link to one of our own pages (not anchors, not other sites)."""
    out = []
    for a in doc.find_all("a"):
        href = a.attrs.get("href", "")
        parts = urlsplit(href)
        if href.startswith("/") and not href.startswith("//") and not parts.path.startswith("/static/"):
            out.append(href)
    return out


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def locale_env(env: Mapping[str, str], **locale: str) -> dict[str, str]:
    """``env`` with exactly these locale variables (``LANG="en_US.UTF-8"``, ``LANGUAGE="en:de"``…)."""
    found = {k: v for k, v in env.items() if k not in LOCALE_VARIABLES}
    found.update(locale)
    return found
