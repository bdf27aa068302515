"""What can go wrong when the service asks Vimeo, as exceptions whose message an editor can act on.

The tree::

    VimeoError                  message for editors, status for storage, retry_after
    ├── VideoNotFound           404: gone, private, or unlisted without its hash (definite)
    ├── EmbeddingDisabled       403 from the API: the owner forbids embedding (definite)
    ├── VimeoUnavailable        network, 5xx, 429, a captcha page: try again later
    ├── BadAnswer               an answer we cannot read (malformed, too large, cut off)
    └── ThumbnailRefused        a thumbnail that cannot be fetched safely
"""

from __future__ import annotations

from ..errors import UserError
from ..i18n import gettext_noop as N_
from ..models import FetchStatus


class VimeoError(UserError):
    """Vimeo could not give us a usable answer; ``message`` is for editors, ``status`` for storage."""

    status = FetchStatus.ERROR
    definite = False  # True when Vimeo positively said the video cannot be shown

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VideoNotFound(VimeoError):
    status = FetchStatus.NOT_FOUND
    definite = True


class EmbeddingDisabled(VimeoError):
    status = FetchStatus.FORBIDDEN
    definite = True


class VimeoUnavailable(VimeoError):
    """Network trouble, 5xx, 429, a captcha page: try again later, keep the old data."""


class BadAnswer(VimeoError):
    """Vimeo answered, but not with anything we can read."""


class ThumbnailRefused(VimeoError):
    """The thumbnail could not be fetched safely (host, size, not an image)."""


UNSAFE_ADDRESS = N_(
    "Die Adresse führt in ein internes Netz (privat, lokal oder reserviert); der Server fragt dort nicht an."
)
UNRESOLVABLE = N_("Der Servername lässt sich nicht auflösen. Später erneut versuchen.")
