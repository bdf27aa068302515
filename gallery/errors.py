"""The one shape of an error a person can act on: a message saying why, in their words."""

from __future__ import annotations


class UserError(Exception):
    """What was asked cannot be done; ``message`` (German: a message id, or text made with fill) says why.

    Each area has its own subclass (accounts, links, uploads, settings, commands …), so callers
    catch exactly the errors of what they called and show ``message`` in the reader's language.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
