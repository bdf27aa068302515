"""What an error page is headed with, the same for visitors and editors."""

from __future__ import annotations

from ..i18n import gettext_noop as N_

ERROR_HEADINGS = {
    400: N_("Ungültige Anfrage"),
    403: N_("Nicht erlaubt"),
    404: N_("Nicht gefunden"),
    405: N_("Methode nicht erlaubt"),
    409: N_("Konflikt"),
    413: N_("Anfrage zu groß"),
    415: N_("Falsches Format"),
    500: N_("Ein Fehler ist aufgetreten"),
    503: N_("Vorübergehend nicht erreichbar"),
}
FALLBACK_HEADING = N_("Fehler")
# When the database cannot be reached (503): how soon a browser or a load balancer may ask again.
RETRY_AFTER = (b"retry-after", b"10")


def error_heading(status: int) -> str:
    """The heading (German message id) of the error page for ``status``."""
    return ERROR_HEADINGS.get(status, FALLBACK_HEADING)
