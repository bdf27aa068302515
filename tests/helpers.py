"""Small helpers shared by the tests of the visitor's pages."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from gallery.settings import Settings
from gallery.storage import queries
from gallery.storage.database import Database, utcnow
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
    db = Database(settings.database_path)
    with db.transaction() as conn:
        now = utcnow()
        conn.execute(
            "INSERT INTO galleries (slug, title, intro, is_default, created_at, updated_at)"
            " VALUES (?, ?, '', 0, ?, ?)",
            (slug, title, now, now),
        )
        gallery = queries.gallery_by_slug(conn, slug)
        assert gallery is not None
        queries.update_gallery(conn, gallery.id, lang=lang, frame_ancestors=frame_ancestors)
        for vimeo_id in vimeo_ids:
            queries.add_statement(conn, gallery.id, vimeo_id, published=True, speaker_name="Sprecherin")
    db.close()


def set_default_gallery(settings: Settings, **fields: object) -> None:
    db = Database(settings.database_path)
    with db.transaction() as conn:
        queries.update_gallery(conn, queries.default_gallery(conn).id, **fields)
    db.close()


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
