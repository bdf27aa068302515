"""Fixed texts of the admin area (German message ids, translated where they are shown)."""

from __future__ import annotations

from ..i18n import gettext_noop as N_

FORGED = N_(
    "Das Formular ist abgelaufen oder kam nicht von dieser Seite. Es wurde nichts geändert. "
    "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
)
DEFAULT_DETAILS = {
    404: N_("Diese Seite gibt es im Redaktionsbereich nicht."),
    405: N_("Diese Adresse kann so nicht aufgerufen werden."),
    413: N_("Die Anfrage ist zu groß. Bilder dürfen höchstens 10 MB groß sein."),
    500: N_("Bitte versuchen Sie es später noch einmal."),
}
# The database cannot be reached: nothing was changed, and the editor's input is one step back.
DATABASE_GONE = N_("Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es in Kürze noch einmal.")
DATABASE_GONE_UNSAVED = N_(
    "Die Datenbank ist gerade nicht erreichbar, daher wurde nichts gespeichert. Gehen Sie im Browser "
    "zurück (Ihre Eingaben stehen dort noch) und senden Sie das Formular in Kürze noch einmal ab."
)
# After a change the browser is sent back with ?done=<code>; only these fixed texts are shown.
NOTICES = {
    "saved": N_("Gespeichert."),
    "unchanged": N_("Es gab keine Änderungen; es wurde nichts gespeichert."),
    "added": N_("Das Statement ist gespeichert und veröffentlicht."),
    "added-draft": N_(
        "Das Statement ist als Entwurf gespeichert. Besucher sehen es erst nach dem Veröffentlichen."
    ),
    "published": N_("Das Statement ist veröffentlicht."),
    "unpublished": N_("Das Statement ist zurückgezogen. Besucher sehen es nicht mehr."),
    "moved": N_("Die Reihenfolge ist geändert."),
    "not-moved": N_("Das Statement steht schon am Rand der Liste."),
    "poster": N_("Das eigene Vorschaubild ist gespeichert."),
    "poster-removed": N_("Das eigene Vorschaubild ist entfernt."),
    "deleted": N_("Das Statement ist gelöscht, mit seinen Texten und Bildern."),
    "gallery-created": N_("Die Galerie ist angelegt."),
    "gallery-saved": N_("Die Einstellungen der Galerie sind gespeichert."),
    "town-saved": N_("Die Angaben der Stadt sind gespeichert; die Seiten zeigen sie ab sofort."),
    "logo": N_("Das Logo ist gespeichert."),
    "logo-removed": N_("Das Logo ist entfernt."),
}
FORM_LABELS = {
    "link": N_("Vimeo-Link oder Videonummer"),
    "slug": N_("Kurzadresse"),
    "title": N_("Titel"),
    "intro": N_("Einleitung"),
    "lang": N_("Sprache der Galerie"),
    "frame_ancestors": N_("Erlaubte Websites"),
    "accent": N_("Akzentfarbe"),
    "logo": N_("Logo"),
    "logo_alt": N_("Text des Logos"),
    "title_override": N_("Eigener Titel"),
    "speaker_name": N_("Name der sprechenden Person"),
    "speaker_role": N_("Funktion oder Rolle"),
    "quote": N_("Zitat"),
    "transcript": N_("Abschrift"),
    "alt_text": N_("Beschreibung des Vorschaubilds (Alternativtext)"),
    "caption_lang": N_("Sprache der Untertitel"),
    "poster": N_("Bilddatei"),
}
