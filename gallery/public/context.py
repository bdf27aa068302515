"""What every public page shows besides its content, and who may frame the pages of no gallery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..i18n import translations
from ..origins import union_ancestors, valid_ancestors
from ..web.render import with_language
from .visit import Visit

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services


def all_ancestors(services: Services) -> tuple[str, ...]:
    """Who may embed pages that belong to no gallery (privacy, accessibility, errors).

    Every gallery links to them from inside its iframe, so every embedding site must be able
    to show them; they hold nothing gallery-specific.
    """

    def compute() -> tuple[str, ...]:
        lists = [valid_ancestors(g.frame_ancestors) for g in services.storage.galleries()]
        return union_ancestors([services.settings.frame_ancestors, *lists])

    result: tuple[str, ...] = services.pages.value("all_ancestors", compute)
    return result


def page_context(
    services: Services, visit: Visit, lang: str, path: str, ancestors: tuple[str, ...]
) -> dict[str, Any]:
    """What base.html needs on every page."""
    lang_query = visit.lang_query(lang)
    return {
        "remembered": visit.remembered,
        "note": visit.note,
        "current_path": path,
        "lang_query": lang_query,
        "here": with_language(path, lang_query),
        "notice_short": services.notice.short_for(lang),
        "site_title": translations(lang).gettext("Videostatements"),
        # Read by gallery.js: the only origins it will tell its height to (postMessage).
        "embed_origins": " ".join(ancestors),
    }
