"""What the last look at Vimeo says about a video, in words for editors (a label and a sentence)."""

from __future__ import annotations

from ..i18n import DEFAULT_LANGUAGE, format_date, translate, translations
from ..i18n import gettext_noop as N_
from ..models import FetchStatus, Video

# What the last look at Vimeo said, in a word or two for editors (keys: FetchStatus values).
STATUS_LABELS = {
    "ok": N_("in Ordnung"),
    "restricted": N_("eingeschränkt"),
    "not_found": N_("nicht gefunden"),
    "forbidden": N_("Einbetten ausgeschaltet"),
    "error": N_("nicht erreichbar"),
}


def status_line(video: Video, lang: str = DEFAULT_LANGUAGE) -> str:
    """What editors should know about a video's last look at Vimeo; empty when all is well."""
    _ = translations(lang).gettext
    reason = translate(lang, video.fetch_message)  # stored as German message ids
    if video.fetch_status is FetchStatus.ERROR:
        shown = (
            _("Angezeigt werden die Angaben vom %(date)s.") % {"date": format_date(video.good_at, lang)}
            if video.good_at
            else _("Es gibt noch keine Angaben von Vimeo.")
        )
        return _("Letzte Aktualisierung fehlgeschlagen: %(reason)s") % {"reason": reason} + " " + shown
    if video.fetch_status is FetchStatus.NOT_FOUND or video.fetch_status is FetchStatus.FORBIDDEN:
        return _("Für Besucher ausgeblendet: %(reason)s") % {"reason": reason}
    return reason
