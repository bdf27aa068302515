"""Warnings about a statement in words an editor can act on, and the visitor's-eye preview."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..content.curate import NO_THUMBNAIL
from ..content.editing import LONG_TITLE
from ..i18n import format_date
from ..i18n import gettext_noop as N_
from ..models import FetchStatus, Gallery, Statement
from ..vimeo.answers import RESTRICTED_WARNING

if TYPE_CHECKING:  # handed in when the app is built: named here for annotations only
    from ..services import Services

RESTRICTED = N_(
    "Eingeschränkt: Vimeo gibt für dieses Video weder Titel noch Vorschaubild heraus – meist, weil es "
    "nur auf bestimmten Websites eingebettet werden darf. Bitten Sie die Person, der das Video auf "
    "Vimeo gehört, diese Adresse freizugeben: %(origin)s. Legen Sie bis dahin einen eigenen Titel und "
    "ein eigenes Vorschaubild fest."
)
GONE = N_(
    "Vimeo findet dieses Video nicht mehr (gelöscht, privat oder Link ohne Freigabe-Hash). "
    "Besucher sehen es nicht."
)
FORBIDDEN = N_("Bei Vimeo ist das Einbetten für dieses Video ausgeschaltet. Besucher sehen es nicht.")
UNREACHABLE = N_("Vimeo war beim letzten Abruf nicht erreichbar; es gelten die zuletzt abgerufenen Angaben.")
REFRESH_FAILED = N_(
    "Letzte Aktualisierung von Vimeo fehlgeschlagen (%(when)s): %(reason)s Besucher sehen weiter die "
    "Angaben vom %(good)s. Der Dienst versucht es von selbst erneut."
)
NO_PICTURE = N_(
    "Kein Vorschaubild: Die Galerie zeigt einen Platzhalter. Laden Sie ein eigenes Vorschaubild hoch."
)
NO_PICTURE_YET = N_(
    "Kein Vorschaubild: Die Galerie zeigt einen Platzhalter. Nach dem Speichern können Sie ein eigenes "
    "Vorschaubild hochladen."
)
LONG = N_(
    "Der Titel ist sehr lang (%(n)s Zeichen) und läuft auf Karten über viele Zeilen. Legen Sie einen "
    "kürzeren eigenen Titel fest."
)
UNLISTED = N_("Nicht gelistetes Video: Es wird mit dem Freigabe-Hash aus Ihrem Link eingebunden.")
NO_CAPTIONS = N_(
    "Keine Untertitelsprache angegeben. Jedes Video braucht Untertitel – für Menschen, die nicht hören "
    "können, und für alle, die ohne Ton schauen."
)
NO_TRANSCRIPT = N_(
    "Noch keine Abschrift: Wer Vimeo nicht lädt oder nicht hören kann, erfährt sonst nichts vom Inhalt."
)
CAPTIONS_REMINDER = N_(
    "Jedes Video braucht Untertitel (Barrierefreiheit nach BITV/WCAG). Prüfen Sie auf Vimeo, dass "
    "Untertitel in dieser Sprache hinterlegt sind und dass Sprechende und wichtige Geräusche genannt werden."
)


@dataclass(frozen=True, slots=True)
class Hint:
    level: str  # "warning" or "info"
    message: str  # msgid
    params: dict[str, object]


def hints(s: Statement, origin: str, *, saved: bool = True, extra: tuple[str, ...] = ()) -> list[Hint]:
    """What an editor should know before visitors see this statement."""
    found: list[Hint] = []
    status = s.video.fetch_status
    if status is FetchStatus.RESTRICTED:
        found.append(Hint("warning", RESTRICTED, {"origin": origin}))
    elif status is FetchStatus.NOT_FOUND:
        found.append(Hint("warning", GONE, {}))
    elif status is FetchStatus.FORBIDDEN:
        found.append(Hint("warning", FORBIDDEN, {}))
    elif status is FetchStatus.ERROR and s.video.good_at:
        when, good = format_date(s.video.fetched_at), format_date(s.video.good_at)
        found.append(
            Hint("warning", REFRESH_FAILED, {"when": when, "reason": s.video.fetch_message, "good": good})
        )
    elif status is FetchStatus.ERROR:
        found.append(Hint("warning", UNREACHABLE, {}))
    for message in extra:
        if message not in {RESTRICTED_WARNING, NO_THUMBNAIL}:
            found.append(Hint("warning", message, {}))
    if not s.poster and not s.video.thumbnail:
        found.append(Hint("warning", NO_PICTURE if saved else NO_PICTURE_YET, {}))
    title = s.title_override or s.title
    if len(title) > LONG_TITLE:
        found.append(Hint("warning", LONG, {"n": len(title)}))
    if not s.caption_lang:
        found.append(Hint("warning", NO_CAPTIONS, {}))
    if not s.transcript:
        found.append(Hint("warning", NO_TRANSCRIPT, {}))
    if s.video.unlisted_hash:
        found.append(Hint("info", UNLISTED, {}))
    return found


def preview(services: Services, s: Statement, gallery: Gallery) -> Markup:
    """The visitor's card for this statement, from the public template, in the gallery's language."""
    lang = gallery.lang
    html = services.renderer.render(
        "admin/_preview.html",
        lang,
        s=s,
        remembered=False,
        lazy=False,
        first=True,  # the picture the editor looks at first, as visitors do with a gallery's first card
        pictures=services.storage.variants([s.poster or s.video.thumbnail or ""]),
        notice_short=services.notice.short_for(lang),
        lang_query="",  # visitors see the gallery in its own language without a ?lang= query
    )
    return inert(html)


class _Inert(HTMLParser):
    """Copies markup tag by tag, taking out everything that would act when clicked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # entities pass through exactly as written
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, ">"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, " />"))

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{'div' if tag == 'form' else tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # template comments never reach a page anyway

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], end: str) -> str:
        if tag == "input" and dict(attrs).get("type") == "hidden":
            return ""  # the fields of a form that no longer exists
        drop = {"autofocus", "formaction", "formmethod", "formtarget", "name", "value"}
        added: list[tuple[str, str | None]] = []
        if tag == "form":
            tag, drop = "div", drop | {"method", "action", "target", "enctype"}
        elif tag == "a":
            drop |= {"href", "target", "rel", "hreflang", "download", "ping"}  # text, not a link
        elif tag == "button":
            drop |= {"type", "disabled"}
            added = [("type", "button"), ("disabled", None)]
        kept = [(name, value) for name, value in attrs if name not in drop] + added
        return f"<{tag}" + "".join(
            f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in kept
        ) + end


def inert(html: str) -> Markup:
    """The same card, inert: forms become plain boxes, links plain text, buttons disabled.

    Not the ``inert`` attribute: that would hide the whole card from screen readers, and an
    editor using one needs to hear the preview too. Disabled buttons are still announced.
    """
    parser = _Inert()
    parser.feed(html)
    parser.close()
    return Markup("".join(parser.out))  # noqa: S704 - our own escaped markup, re-emitted
