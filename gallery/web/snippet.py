"""The code an IT person pastes into the town's website to embed a gallery, built in one place."""

from __future__ import annotations

import html

from ..i18n import DEFAULT_LANGUAGE, known_language, translations
from ..i18n import gettext_noop as N_
from ..models import Gallery

EMBED_ALLOW = "fullscreen; autoplay; picture-in-picture; encrypted-media"
FRAME_TITLE = N_("Videostatements")  # the frame's accessible name starts with it


def attribute(value: str) -> str:
    """A value that stays inside its double quotes: markup, quotes and line breaks escaped."""
    # Line breaks as references too: a CMS that rewraps pasted code cannot change them.
    escaped = html.escape(value, quote=True)
    return escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def embed_snippet(origin: str, path: str, gallery: Gallery) -> str:
    """The iframe and its sizing script: the same on the embed page, in the admin and in the docs."""
    # In the gallery's language, as the framed pages are: not in the language of whoever looks.
    lang = known_language(gallery.lang) or DEFAULT_LANGUAGE
    prefix = translations(lang).gettext(FRAME_TITLE)
    title = gallery.title if gallery.title.startswith(prefix) else f"{prefix}: {gallery.title}"
    return (
        f'<iframe data-gallery-embed src="{attribute(origin + path)}" title="{attribute(title)}"\n'
        f'        width="100%" height="1600" style="border:0"\n'
        f'        allow="{attribute(EMBED_ALLOW)}"></iframe>\n'
        f'<script src="{attribute(origin + "/embed.js")}" async></script>'
    )
