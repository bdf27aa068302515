"""Every area's user error has one shape: a message saying why, shown as it was given."""

from __future__ import annotations

import pytest

from gallery.admin.accounts import AccountError
from gallery.cli.common import CommandError, RefusedInput
from gallery.content.curate import CurateError
from gallery.content.posters import PosterError
from gallery.errors import UserError
from gallery.i18n import Filled, translate
from gallery.settings import SettingsError
from gallery.vimeo.errors import VideoNotFound, VimeoError
from gallery.vimeo.links import InvalidVideoLink, parse_video_link

MESSAGE = "Das ist keine Adresse von vimeo.com."  # a message id with an English translation

# (class, still a ValueError for callers that catch those)
KINDS = [
    (AccountError, True),
    (InvalidVideoLink, True),
    (PosterError, True),
    (SettingsError, True),
    (CurateError, False),
    (VimeoError, False),
    (VideoNotFound, False),
    (CommandError, False),
    (RefusedInput, False),
]


@pytest.mark.parametrize(("kind", "value_error"), KINDS)
def test_each_area_raises_a_user_error_with_its_message(kind: type[UserError], value_error: bool) -> None:
    with pytest.raises(kind) as info:
        raise kind(MESSAGE)
    assert isinstance(info.value, UserError)
    assert isinstance(info.value, ValueError) is value_error
    assert info.value.message == MESSAGE == str(info.value)
    assert translate("en", info.value.message) == "This is not a vimeo.com address."


@pytest.mark.parametrize("kind", [SettingsError, CommandError])
def test_errors_with_values_keep_them_for_translation(kind: type[SettingsError | CommandError]) -> None:
    error = kind("„%(value)s“ ist keine Vimeo-Videonummer.", value="abc")
    assert error.message == str(error) == "„abc“ ist keine Vimeo-Videonummer."
    assert isinstance(error.message, Filled) and error.message.params == {"value": "abc"}


def test_a_refused_link_says_why() -> None:
    with pytest.raises(InvalidVideoLink) as info:
        parse_video_link("https://example.org/5")
    assert info.value.message == MESSAGE


def test_vimeo_errors_keep_retry_after() -> None:
    assert VimeoError(MESSAGE, retry_after=30.0).retry_after == 30.0
    assert VimeoError(MESSAGE).retry_after is None
