"""Jinja environments (one per language), their filters and globals."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from ..content.colours import AccentStyle
from ..i18n import LANG_PARAM, LANGUAGE_NAMES, LANGUAGES, format_date, translations
from ..models import Statement, Variant
from ..settings import Settings
from .paths import TEMPLATES_DIR

# What the ``sizes`` of a picture say: the width it is shown at, following gallery.css. Cards: one
# column below 43.5rem (body padding 1rem each side), two up to 65rem, three beyond, with gaps of
# 1.5rem, and main at most 72rem wide. The statement page's picture: the whole width below 60rem,
# then three fifths of main less the 3rem gap. tests/browser/test_images.py holds them to the layout.
CARD_SIZES = (
    "(min-width: 74rem) 23rem, (min-width: 65rem) calc(33.33vw - 1.67rem), "
    "(min-width: 43.5rem) calc(50vw - 1.75rem), calc(100vw - 2rem)"
)
STAGE_SIZES = "(min-width: 74rem) 41.4rem, (min-width: 60rem) calc(60vw - 3rem), calc(100vw - 2rem)"
FALLBACK_WIDTH = 640  # the JPEG copy in ``src``, for browsers that read no srcset


@dataclass(frozen=True, slots=True)
class Picture:
    """A statement's picture as a page offers it: srcsets of its smaller copies, and one ``src``."""

    src: str  # a JPEG copy, or the stored picture (copies not made yet), or the placeholder
    webp: str = ""  # srcset of the WebP copies; "" without copies
    jpeg: str = ""  # srcset of the JPEG copies


RATIOS = {"16x9": 16 / 9, "4x3": 4 / 3, "1x1": 1.0, "4x5": 4 / 5, "9x16": 9 / 16, "21x9": 21 / 9}
PLACEHOLDER = "placeholder.svg"


def duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: int) -> str:
    """Seconds as an ISO 8601 duration, as schema.org wants it: 83 -> ``PT1M23S``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else ""]
    parts.append(f"{secs}S" if secs or not (hours or minutes) else "")
    return "PT" + "".join(parts)


# Inside <script> nothing is escaped by HTML: these characters as \u escapes mean "</script>" and
# "<!--" can never occur, whatever a title or transcript says; JSON reads them back unchanged.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def json_ld(data: object) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block that no text in it can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)
    return Markup(text)  # noqa: S704 - escaped for a script element above, where HTML escaping is wrong


def paragraphs(text: str) -> Markup:
    """Plain editor text to escaped paragraphs: blank lines split, single newlines break."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks
    )


SECTION = re.compile(r'<h2\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h2>', re.S)


def sections(html: str) -> list[tuple[str, str]]:
    """(id, text) of every second-level heading with an id: a page's table of contents."""
    # Markup here only reads rendered HTML back into plain text, which the template escapes again.
    found = SECTION.finditer(str(html))
    return [(Markup(m[1]).unescape(), Markup(m[2]).striptags()) for m in found]  # noqa: S704


def ratio_class(s: Statement) -> str:
    w, h = s.aspect_ratio
    actual = w / h
    best = min(RATIOS, key=lambda name: abs(RATIOS[name] - actual))
    return f"ratio-{best}"


class Renderer:
    """Renders templates; everything a page needs besides its data comes from here."""

    def __init__(
        self,
        settings: Settings,
        url_path_for: Callable[..., str],
        static_url: Callable[[str], str],
        *,
        demo: bool = False,
    ) -> None:
        self.settings = settings
        self.demo = demo
        self._url_path_for = url_path_for
        self.static_url = static_url
        self.environments = {lang: self._environment(lang) for lang in LANGUAGES}
        self.town_values = self._town_values(settings)

    @staticmethod
    def _town_values(settings: Settings) -> dict[str, Any]:
        """What differs from town to town, given to every template beside its own context."""
        return {
            "imprint_url": settings.imprint_url,
            "privacy_policy_url": settings.privacy_policy_url,
            "operator_name": settings.operator_name,
        }

    def for_town(self, settings: Settings) -> Renderer:
        """A renderer for one town: the same compiled templates, the town's own links and names."""
        other = copy.copy(self)
        other.settings = settings
        other.town_values = self._town_values(settings)
        return other

    def _environment(self, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(
            duration=duration,
            paragraphs=paragraphs,
            json_ld=json_ld,
            date=lambda value: format_date(value, lang),
        )
        env.globals.update(
            url=self.url,
            static=self.static_url,
            thumb_url=self.thumb_url,
            thumb_size=self.thumb_size,
            picture=self.picture,
            card_sizes=CARD_SIZES,
            stage_sizes=STAGE_SIZES,
            player_src=self.player_src,
            title_of=lambda s: self.title_of(s, lang),
            ratio_class=ratio_class,
            sections_of=sections,
            accent_version=lambda accent: AccentStyle.of(accent).version,
            demo=self.demo,
            lang=lang,
            languages=LANGUAGE_NAMES,
            link=self.link,
            switch_language=switch_language,
        )
        return env

    def url(self, route: str, /, **params: Any) -> str:
        """A root-relative path: pages never depend on the Host header they were asked with."""
        return str(self._url_path_for(route, **params))

    @pass_context
    def link(
        self, context: Context, route: str, /, _query: str = "", _anchor: str = "", **params: Any
    ) -> str:
        """A link to one of our pages that keeps the visitor's language (no cookie needed)."""
        path = self.url(route, **params) + (f"?{_query}" if _query else "")
        return with_language(path + (f"#{_anchor}" if _anchor else ""), context.get("lang_query", ""))

    def thumb_url(self, s: Statement) -> str:
        """The editor's poster, else Vimeo's thumbnail (both from our origin), else a placeholder."""
        if s.poster:
            return self.url("thumbnail", name=s.poster)
        if s.video.thumbnail:
            return self.url("thumbnail", name=s.video.thumbnail)
        return self.static_url(PLACEHOLDER)

    def picture(self, s: Statement, variants: Mapping[str, tuple[Variant, ...]]) -> Picture:
        """The statement's picture with the smaller copies ``variants`` (by picture) names, if any."""
        name = s.poster or s.video.thumbnail
        copies = variants.get(name, ()) if name else ()
        jpegs = [v for v in copies if v.format == "jpg"]
        if not jpegs:
            return Picture(self.thumb_url(s))

        def srcset(kind: str) -> str:
            found = sorted((v for v in copies if v.format == kind), key=lambda v: v.width)
            return ", ".join(f"{self.url('thumbnail', name=v.name)} {v.width}w" for v in found)

        fallback = min(jpegs, key=lambda v: (v.width < FALLBACK_WIDTH, abs(v.width - FALLBACK_WIDTH)))
        return Picture(self.url("thumbnail", name=fallback.name), srcset("webp"), srcset("jpg"))

    def thumb_size(self, s: Statement) -> tuple[int, int]:
        w, h = s.aspect_ratio
        scale = 640 / w
        return 640, max(1, round(h * scale))

    def player_src(self, s: Statement, autoplay: bool = False) -> str:
        """The player URL: our configured base, the id, the unlisted hash, and dnt=1 always;
        captions switched on in the language the editor noted.

        ``autoplay`` only where the visitor has just clicked to play (no sound before a click).
        """
        query = f"h={s.video.unlisted_hash}&dnt=1" if s.video.unlisted_hash else "dnt=1"
        if s.caption_lang:
            query += f"&texttrack={s.caption_lang}"
        if autoplay:
            query += "&autoplay=1"
        return f"{self.settings.vimeo_player_url}{s.vimeo_id}?{query}"

    def title_of(self, s: Statement, lang: str) -> str:
        """The editor's title, else Vimeo's, else a neutral one (restricted videos come without)."""
        if s.title_override:
            return s.title_override
        if s.title:
            return s.title
        fallback = translations(lang).gettext("Videostatement")
        return f"{fallback} – {s.speaker_name}" if s.speaker_name else fallback

    def render(self, template: str, lang: str, **context: Any) -> str:
        env = self.environments.get(lang) or self.environments[LANGUAGES[0]]
        return env.get_template(template).render({**self.town_values, **context})


def with_language(path: str, lang_query: str) -> str:
    """``path`` with ``lang=…`` added to its query (before any fragment)."""
    if not lang_query:
        return path
    path, hash_, fragment = path.partition("#")
    return f"{path}{'&' if '?' in path else '?'}{lang_query}{hash_}{fragment}"


def switch_language(path: str, lang: str) -> str:
    """The current page in another language."""
    return f"{path}{'&' if '?' in path else '?'}{LANG_PARAM}={lang}"
