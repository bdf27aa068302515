"""What a public body must publish beside the gallery, and which of it the operator has not set yet."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .i18n import gettext_noop as N_
from .settings import Settings


@dataclass(frozen=True, slots=True)
class Missing:
    """One operator setting that is still empty."""

    variable: str  # the environment variable the IT operator sets
    what: str  # German msgid naming it for editors
    effect: str  # for the log, in English: what visitors miss meanwhile, and what to set


def missing(settings: Settings) -> list[Missing]:
    """The imprint and privacy-policy links and the accessibility statement's dates not yet set."""
    found = []
    if not settings.imprint_url:
        found.append(
            Missing(
                "GALLERY_IMPRINT_URL",
                N_("Link zum Impressum der Stadt"),
                "no page links the town's imprint (Impressum), which the privacy notice refers to. "
                "Set it to the imprint's https address.",
            )
        )
    if not settings.privacy_policy_url:
        found.append(
            Missing(
                "GALLERY_PRIVACY_POLICY_URL",
                N_("Link zur Datenschutzerklärung der Stadt"),
                "no page links the town's privacy policy, which the privacy notice refers to. "
                "Set it to the policy's https address.",
            )
        )
    if settings.accessibility_created is None:
        found.append(
            Missing(
                "GALLERY_ACCESSIBILITY_CREATED",
                N_("Datum, an dem die Erklärung zur Barrierefreiheit erstellt wurde"),
                "the accessibility statement says that its date of creation is not given. "
                "Set it to the day the statement was made, as YYYY-MM-DD.",
            )
        )
    if settings.accessibility_reviewed is None:
        found.append(
            Missing(
                "GALLERY_ACCESSIBILITY_REVIEWED",
                N_("Datum, an dem die Erklärung zur Barrierefreiheit zuletzt überprüft wurde"),
                "the accessibility statement says that the date of its last review is not given. "
                "Set it to the day the statement was last reviewed, as YYYY-MM-DD.",
            )
        )
    return found


def warn_missing(settings: Settings, log: logging.Logger) -> None:
    """One warning per missing item, naming the variable to set."""
    for item in missing(settings):
        log.warning("%s is not set: %s", item.variable, item.effect)
