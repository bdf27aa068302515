"""The door to Vimeo: link parsing, the oEmbed client, thumbnail downloads and image sniffing.

Upstream answers come from an ``httpx.MockTransport``; nothing here opens a socket. The three
recorded oEmbed answers below are verbatim copies of /work/shared/reference/vimeo-recorded/
(real Vimeo answers recorded in other projects' test suites), so the suite runs anywhere.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import itertools
import json
import re
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from io import BytesIO
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from gallery.models import FetchStatus, Image, sniff_image
from gallery.settings import Settings
from gallery.vimeo.answers import RESTRICTED_WARNING, OEmbed
from gallery.vimeo.client import (
    MAX_OEMBED_BYTES,
    MAX_REDIRECTS,
    MAX_THUMBNAIL_BYTES,
    TOTAL_DEADLINE,
    USER_AGENT,
    VimeoClient,
)
from gallery.vimeo.errors import (
    BadAnswer,
    EmbeddingDisabled,
    ThumbnailRefused,
    VideoNotFound,
    VimeoError,
    VimeoUnavailable,
)
from gallery.vimeo.links import MAX_LINK_LENGTH, InvalidVideoLink, VideoRef, parse_video_link, video_id

# The client and the parsers on their own: nothing here reads or writes storage.
pytestmark = pytest.mark.storage_free

@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- recorded answers (copies of vimeo-recorded/*.json) ---------------------------------

FULL_2021: dict[str, Any] = {
    "type": "video",
    "version": "1.0",
    "provider_name": "Vimeo",
    "provider_url": "https://vimeo.com/",
    "title": "Vimeo Live is here",
    "author_name": "Vimeo",
    "author_url": "https://vimeo.com/vimeomarketing",
    "is_plus": "0",
    "account_type": "live_premium",
    "html": '<iframe src="https://player.vimeo.com/video/235352744?app_id=122963" width="640" '
    'height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" '
    'allowfullscreen title="Vimeo Live is here"></iframe>',
    "width": 640,
    "height": 360,
    "duration": 75,
    "description": "Professional live streaming is here. \n\nLearn more at vimeo.com/live",
    "thumbnail_url": "https://i.vimeocdn.com/video/657162424_640.jpg",
    "thumbnail_width": 640,
    "thumbnail_height": 360,
    "thumbnail_url_with_play_button": "https://i.vimeocdn.com/filter/overlay?src0=https%3A%2F%2F"
    "i.vimeocdn.com%2Fvideo%2F657162424_640.jpg&src1=http%3A%2F%2Ff.vimeocdn.com%2Fp%2Fimages%2F"
    "crawler_play.png",
    "upload_date": "2017-09-25 10:36:56",
    "video_id": 235352744,
    "uri": "/videos/235352744",
}

TRUNCATED_2024: dict[str, Any] = {
    "type": "video",
    "version": "1.0",
    "provider_name": "Vimeo",
    "provider_url": "https://vimeo.com/",
    "html": '<iframe src="https://player.vimeo.com/video/235352744?app_id=122963" width="640" '
    'height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture; '
    'clipboard-write"></iframe>',
    "width": 640,
    "height": 360,
    "video_id": 235352744,
    "uri": "/videos/235352744:ebd66989cc",
}

WEBP_THUMBNAIL: dict[str, Any] = {
    "type": "video",
    "version": "1.0",
    "provider_name": "Vimeo",
    "provider_url": "https://vimeo.com/",
    "title": "Bathtub IV",
    "author_name": "Keith Loutit",
    "author_url": "https://vimeo.com/keithloutit",
    "is_plus": "0",
    "account_type": "pro",
    "html": '<iframe src="https://player.vimeo.com/video/3156959?app_id=122963" width="480" '
    'height="270" frameborder="0" allow="autoplay; fullscreen" allowfullscreen '
    'title="Bathtub IV"></iframe>',
    "width": 480,
    "height": 270,
    "duration": 213,
    "description": "This is a personal project that would not have been possible without the "
    "support of the Westpac Rescue Helicopter Service.",
    "thumbnail_url": "https://i.vimeocdn.com/video/453022_295x166.webp",
    "thumbnail_width": 295,
    "thumbnail_height": 166,
    "thumbnail_url_with_play_button": "https://i.vimeocdn.com/filter/overlay?src0=https%3A%2F%2F"
    "i.vimeocdn.com%2Fvideo%2F453022_295x166.webp&src1=http%3A%2F%2Ff.vimeocdn.com%2Fp%2Fimages"
    "%2Fcrawler_play.png",
    "upload_date": "2009-02-10 02:29:39",
    "video_id": 3156959,
    "uri": "/videos/3156959",
}

FULL_REF = VideoRef(235352744)
WEBP_REF = VideoRef(3156959)
THUMB_URL = "https://i.vimeocdn.com/video/657162424_640.jpg"


# --- helpers -----------------------------------------------------------------------------


def reply(
    status: int = 200,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> httpx.Response:
    """An upstream response as a real transport hands it over: an unread byte stream.

    (``httpx.Response(content=...)`` would arrive already read, and the client's
    ``aiter_raw()`` would then raise ``StreamConsumed``.)
    """
    all_headers: dict[str, str] = {}
    if content_type:
        all_headers["content-type"] = content_type
    if length:
        all_headers["content-length"] = str(len(body))
    all_headers.update(headers or {})
    return httpx.Response(status, headers=all_headers, stream=httpx.ByteStream(body))


def json_reply(data: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> httpx.Response:
    body = json.dumps(data).encode()
    return reply(status, body, content_type="application/json", headers=headers)


class Drip(httpx.AsyncByteStream):
    """A body sent chunk by chunk, remembering how much the client actually pulled."""

    def __init__(self, chunks: Iterable[bytes], *, pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause
        self.pulled = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.pause:
                await asyncio.sleep(self.pause)
            self.pulled += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


class Upstream:
    """A MockTransport handler that records every request it sees."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def always(response: Callable[[], httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: response()


async def fetch_oembed(
    settings: Settings, respond: Callable[[httpx.Request], httpx.Response], ref: VideoRef = FULL_REF
) -> tuple[OEmbed, Upstream]:
    upstream = Upstream(respond)
    async with VimeoClient(settings, upstream.transport()) as vimeo:
        result = await vimeo.oembed(ref)
    return result, upstream


async def oembed_error(
    settings: Settings,
    respond: Callable[[httpx.Request], httpx.Response],
    ref: VideoRef = FULL_REF,
    deadline: float = TOTAL_DEADLINE,
) -> VimeoError:
    upstream = Upstream(respond)
    async with VimeoClient(settings, upstream.transport(), deadline=deadline) as vimeo:
        with pytest.raises(VimeoError) as info:
            await vimeo.oembed(ref)
    assert len(upstream.requests) == 1  # never retried, never redirected
    assert info.value.message
    assert str(info.value) == info.value.message
    return info.value


async def fetch_thumbnail(
    settings: Settings, respond: Callable[[httpx.Request], httpx.Response], url: str = THUMB_URL
) -> tuple[Image, Upstream]:
    upstream = Upstream(respond)
    async with VimeoClient(settings, upstream.transport()) as vimeo:
        image = await vimeo.thumbnail(url)
    return image, upstream


async def thumbnail_error(
    settings: Settings, respond: Callable[[httpx.Request], httpx.Response], url: str = THUMB_URL
) -> tuple[VimeoError, Upstream]:
    upstream = Upstream(respond)
    async with VimeoClient(settings, upstream.transport()) as vimeo:
        with pytest.raises(VimeoError) as info:
            await vimeo.thumbnail(url)
    assert info.value.message
    return info.value, upstream


def picture(fmt: str) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", (2, 2), "red").save(buffer, format=fmt)
    return buffer.getvalue()


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.url}")


# --- parse_video_link: accepted forms ----------------------------------------------------

H = "abcdef0123"

ACCEPTED = [
    # text, vimeo_id, unlisted_hash, start
    ("76979871", 76979871, None, None),
    ("  76979871\n", 76979871, None, None),
    ("\t76979871 ", 76979871, None, None),
    ("https://vimeo.com/76979871", 76979871, None, None),
    ("http://vimeo.com/76979871", 76979871, None, None),
    ("https://www.vimeo.com/76979871", 76979871, None, None),
    ("http://www.vimeo.com/76979871", 76979871, None, None),
    ("vimeo.com/123", 123, None, None),
    ("www.vimeo.com/123", 123, None, None),
    ("  https://vimeo.com/76979871  ", 76979871, None, None),
    ("HTTPS://VIMEO.COM/76979871", 76979871, None, None),
    ("https://vimeo.com./76979871", 76979871, None, None),
    ("https://vimeo.com:443/76979871", 76979871, None, None),
    ("https://vimeo.com/76979871/", 76979871, None, None),
    ("https://vimeo.com/video/76979871", 76979871, None, None),
    (f"https://vimeo.com/123456789/{H}", 123456789, H, None),
    (f"https://vimeo.com/123456789/{H}/", 123456789, H, None),
    (f"vimeo.com/123456789/{H}", 123456789, H, None),
    # the first number wins, a 10-digit hash is still a hash (yt-dlp's test case)
    ("https://vimeo.com/581039021/9603038895", 581039021, "9603038895", None),
    ("https://vimeo.com/76979871?share=copy", 76979871, None, None),
    (f"https://vimeo.com/123456789/{H}?share=copy", 123456789, H, None),
    ("https://vimeo.com/76979871#t=1m30s", 76979871, None, "1m30s"),
    ("https://vimeo.com/76979871#t=90s", 76979871, None, "90s"),
    ("https://vimeo.com/76979871#t=90", 76979871, None, "90"),
    ("https://vimeo.com/76979871#t=1h2m3s", 76979871, None, "1h2m3s"),
    ("https://vimeo.com/76979871?share=copy#t=45s", 76979871, None, "45s"),
    ("https://vimeo.com/76979871#t=", 76979871, None, None),
    ("https://vimeo.com/76979871#t=soon", 76979871, None, None),
    ("https://vimeo.com/76979871#comments", 76979871, None, None),
    ("https://vimeo.com/channels/staffpicks/76979871", 76979871, None, None),
    (f"https://vimeo.com/channels/staffpicks/76979871/{H}", 76979871, H, None),
    ("https://vimeo.com/groups/shortfilms/videos/76979871", 76979871, None, None),
    ("https://vimeo.com/album/2838732/video/76979871", 76979871, None, None),
    ("https://vimeo.com/showcase/2838732/video/76979871", 76979871, None, None),
    ("https://vimeo.com/showcase/2838732/video/76979871#t=10s", 76979871, None, "10s"),
    ("https://player.vimeo.com/video/76979871", 76979871, None, None),
    (f"https://player.vimeo.com/video/76979871?h={H}&badge=0", 76979871, H, None),
    (f"https://player.vimeo.com/video/76979871?badge=0&h={H}&autopause=0", 76979871, H, None),
    (f"player.vimeo.com/video/76979871?h={H}", 76979871, H, None),
    ("https://player.vimeo.com/video/76979871/", 76979871, None, None),
    ("https://player.vimeo.com/video/76979871#t=30s", 76979871, None, "30s"),
    (f"https://vimeo.com/76979871?h={H}", 76979871, H, None),
    # ?hash= is not how Vimeo spells it: ignored, not a hash
    (f"https://vimeo.com/76979871?hash={H}", 76979871, None, None),
    ("999999999999", 999999999999, None, None),
]


@pytest.mark.parametrize(("text", "vimeo_id", "unlisted_hash", "start"), ACCEPTED)
def test_accepted_link_forms(text: str, vimeo_id: int, unlisted_hash: str | None, start: str | None) -> None:
    ref = parse_video_link(text)
    assert ref == VideoRef(vimeo_id, unlisted_hash, start)
    expected = f"https://vimeo.com/{vimeo_id}" + (f"/{unlisted_hash}" if unlisted_hash else "")
    assert ref.canonical_url == expected


@pytest.mark.parametrize(("text", "vimeo_id", "unlisted_hash", "start"), ACCEPTED)
def test_canonical_url_parses_back_to_the_same_video(
    text: str, vimeo_id: int, unlisted_hash: str | None, start: str | None
) -> None:
    ref = parse_video_link(text)
    assert parse_video_link(ref.canonical_url) == VideoRef(vimeo_id, unlisted_hash)


# A bare video number, as the public pages, the command line and a pasted link read it.
BARE_NUMBERS = [
    ("1", 1),
    ("007", 7),
    ("999999999999", 999_999_999_999),
    ("0", None),
    ("000000", None),
    ("1234567890123", None),  # 13 digits
    ("12a", None),
    ("-5", None),
    ("\u0661\u0662", None),  # Arabic-Indic digits: str.isdigit() says yes
    ("\u00b2", None),
]


@pytest.mark.parametrize(("raw", "expected"), BARE_NUMBERS)
def test_a_bare_video_number_is_one_rule(raw: str, expected: int | None) -> None:
    assert video_id(raw) == expected
    if expected is None:
        with pytest.raises(InvalidVideoLink):
            parse_video_link(raw)
    else:
        assert parse_video_link(raw) == VideoRef(expected)


def test_canonical_url_never_carries_the_start_time() -> None:
    assert VideoRef(5, None, "1m30s").canonical_url == "https://vimeo.com/5"
    assert VideoRef(5, H, "1m30s").canonical_url == f"https://vimeo.com/5/{H}"


# --- parse_video_link: refused forms -----------------------------------------------------

EMPTY = "Vimeo-Link oder eine Videonummer"
NOT_VIMEO = "keine Adresse von vimeo.com"
LIKE_THIS = "https://vimeo.com/123456789"
COLLECTION = "Sammlung"
NOT_A_HASH = "kein Freigabe-Hash"
BAD_H = "(h=…)"
ZERO = "größer als null"
SPACES = "Leerzeichen oder Steuerzeichen"
PLAYER = "player.vimeo.com/video/NUMMER"
INVALID = "kein gültiger Link"

REFUSED = [
    # text, a fragment of the reason
    ("", EMPTY),
    ("   ", EMPTY),
    ("\n\t ", EMPTY),
    ("https://vimeo.com/event/123", "Live-Events"),
    ("vimeo.com/event/123", "Live-Events"),
    ("https://vimeo.com/events/123/embed", "Live-Events"),
    ("https://vimeo.com/ondemand/foo", "On-Demand"),
    ("https://vimeo.com/ondemand/foo/76979871", "On-Demand"),
    ("https://vimeo.com/user/review/123/abc", "Review-Links"),
    (f"https://vimeo.com/user123/review/76979871/{H}", "Review-Links"),
    ("https://vimeo.com/live/abc", "Live-Seiten"),
    ("https://vimeo.com/showcase/123", COLLECTION),
    ("https://vimeo.com/showcase/123/video", COLLECTION),
    ("https://vimeo.com/album/123", COLLECTION),
    ("https://vimeo.com/channels/staffpicks", COLLECTION),
    ("https://vimeo.com/channels/staffpicks/page:2", COLLECTION),
    ("https://vimeo.com/groups/shortfilms", COLLECTION),
    ("https://vimeo.com/groups/shortfilms/76979871", COLLECTION),
    ("https://vimeo.com/someuser", COLLECTION),
    ("vimeo.com/someuser/videos", COLLECTION),
    ("https://vimeo.com/video", COLLECTION),
    ("https://vimeo.com", "Startseite"),
    ("https://vimeo.com/", "Startseite"),
    ("vimeo.com", LIKE_THIS),
    # lookalike hosts and tricks around the host
    ("https://vimeo.com.evil.example/123", NOT_VIMEO),
    ("vimeo.com.evil.example/123", LIKE_THIS),
    ("https://evilvimeo.com/123", NOT_VIMEO),
    ("https://vimeo.co/123", NOT_VIMEO),
    ("https://vimeopro.com/u/p/video/123", NOT_VIMEO),
    ("https://player.vimeo.com.evil.example/video/123", NOT_VIMEO),
    ("https://vimeo.com@evil.example/123", NOT_VIMEO),
    ("https://evil.example/vimeo.com/123", NOT_VIMEO),
    ("https://evil.example/?u=https://vimeo.com/123", NOT_VIMEO),
    ("https://i.vimeocdn.com/video/123", NOT_VIMEO),
    ("//vimeo.com/123", LIKE_THIS),
    # other schemes
    ("ftp://vimeo.com/123", LIKE_THIS),
    ("javascript:alert(1)", LIKE_THIS),
    ("javascript://vimeo.com/%0Aalert(1)", LIKE_THIS),
    ("data:text/html,<script>alert(1)</script>", LIKE_THIS),
    ("file:///vimeo.com/123", LIKE_THIS),
    # userinfo and ports
    ("https://user:pass@vimeo.com/123", NOT_VIMEO),
    ("https://user@vimeo.com/123", NOT_VIMEO),
    ("user:pass@vimeo.com/123", LIKE_THIS),
    ("https://vimeo.com:8080/123", NOT_VIMEO),
    ("vimeo.com:8080/123", LIKE_THIS),
    ("https://vimeo.com:99999/123", INVALID),
    ("https://vimeo.com:abc/123", INVALID),
    # the hash
    ("https://player.vimeo.com/video/123?h=xyz", BAD_H),
    ("https://player.vimeo.com/video/123?h=", BAD_H),
    ("https://player.vimeo.com/video/123?h=ABCDEF0123", BAD_H),
    ("https://player.vimeo.com/video/123?h=abcdef01234", BAD_H),
    ("https://player.vimeo.com/video/123?h=abcdef0123%0A", BAD_H),
    ("https://vimeo.com/123?h=abcdef0123%0a", BAD_H),
    ("https://vimeo.com/123/abc", NOT_A_HASH),
    ("https://vimeo.com/123/ABCDEF0123", NOT_A_HASH),
    ("https://vimeo.com/123/abcdef01234", NOT_A_HASH),
    ("https://vimeo.com/123/456", NOT_A_HASH),
    (f"https://vimeo.com/123/{H}/extra", NOT_A_HASH),
    ("https://vimeo.com/123/embed", NOT_A_HASH),
    # the id
    ("0", ZERO),
    ("000", ZERO),
    ("https://vimeo.com/0", ZERO),
    ("https://player.vimeo.com/video/0", ZERO),
    ("1234567890123", LIKE_THIS),
    ("https://vimeo.com/1234567890123", COLLECTION),
    ("https://vimeo.com/-5", COLLECTION),
    ("https://vimeo.com/\u0661\u0662\u0663", COLLECTION),  # Arabic-Indic digits
    # length, spaces, control characters
    ("https://vimeo.com/123?x=" + "a" * MAX_LINK_LENGTH, "zu lang"),
    ("1" * (MAX_LINK_LENGTH + 1), "zu lang"),
    ("https://vimeo.com/12 3", SPACES),
    ("https://vimeo.com/123 Mein Statement", SPACES),
    ("12 3", SPACES),
    ("https://vimeo.com/12\n3", SPACES),
    ("https://vimeo.com/12\r\n3", SPACES),
    ("https://vim\teo.com/123", SPACES),
    ("https://vimeo.com/123\x00", SPACES),
    ("https://vimeo.com/123?x=\x01", SPACES),
    ("https://vimeo.com/123#t=1m\x00", SPACES),
    # the player needs /video/
    ("https://player.vimeo.com/123", PLAYER),
    ("player.vimeo.com/123", PLAYER),
    ("https://player.vimeo.com/video/", PLAYER),
    ("https://player.vimeo.com/video/abc", PLAYER),
    (f"https://player.vimeo.com/video/123/{H}", PLAYER),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_link_forms(text: str, reason: str) -> None:
    with pytest.raises(InvalidVideoLink) as info:
        parse_video_link(text)
    assert info.value.message
    assert str(info.value) == info.value.message
    assert reason in info.value.message
    assert isinstance(info.value, ValueError)


def test_length_limit_is_on_the_trimmed_text() -> None:
    padded = " " * (MAX_LINK_LENGTH * 2) + "https://vimeo.com/123" + "\n" * MAX_LINK_LENGTH
    assert parse_video_link(padded) == VideoRef(123)
    longest = "https://vimeo.com/123?x="
    longest += "a" * (MAX_LINK_LENGTH - len(longest))
    assert parse_video_link(longest) == VideoRef(123)


CANONICAL_RE = re.compile(r"https://vimeo\.com/[1-9][0-9]{0,11}(/[0-9a-f]{10})?")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.builds(
            "".join,
            st.lists(
                st.sampled_from(
                    [
                        "https://",
                        "http://",
                        "vimeo.com",
                        "player.vimeo.com",
                        "www.",
                        "/",
                        "video",
                        "channels",
                        "showcase",
                        "review",
                        "event",
                        "123",
                        "0",
                        "abcdef0123",
                        "?h=",
                        "&",
                        "#t=",
                        "1m",
                        "30s",
                        ":",
                        "@",
                        " ",
                        "\n",
                        "%0A",
                        ".",
                        "evil",
                        "\x00",
                        "é",
                    ]
                ),
                max_size=12,
            ),
        ),
    )
)
def test_any_text_gives_a_clean_ref_or_a_reason(text: str) -> None:
    try:
        ref = parse_video_link(text)
    except InvalidVideoLink as exc:
        assert exc.message
        return
    assert CANONICAL_RE.fullmatch(ref.canonical_url), ref
    assert ref.start is None or re.fullmatch(r"(\d+h)?(\d+m)?(\d+s?)?", ref.start)


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "status", "definite"),
    [
        (VideoNotFound, FetchStatus.NOT_FOUND, True),
        (EmbeddingDisabled, FetchStatus.FORBIDDEN, True),
        (VimeoUnavailable, FetchStatus.ERROR, False),
        (BadAnswer, FetchStatus.ERROR, False),
        (ThumbnailRefused, FetchStatus.ERROR, False),
    ],
)
def test_error_classes(cls: type[VimeoError], status: FetchStatus, definite: bool) -> None:
    assert issubclass(cls, VimeoError)
    err = cls("Nachricht", retry_after=3.0)
    assert (err.status, err.definite, err.message, err.retry_after) == (
        status,
        definite,
        "Nachricht",
        3.0,
    )


# --- oEmbed: the request -----------------------------------------------------------------

# What httpx adds by itself plus what the client sets; nothing else may leave this server.
ALLOWED_REQUEST_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("ref", "canonical"),
    [
        (VideoRef(235352744), "https://vimeo.com/235352744"),
        (VideoRef(123456789, H), f"https://vimeo.com/123456789/{H}"),
        (VideoRef(123456789, H, "1m30s"), f"https://vimeo.com/123456789/{H}"),
    ],
)
async def test_oembed_request_is_fixed_and_anonymous(
    settings: Settings, ref: VideoRef, canonical: str
) -> None:
    answer = {**FULL_2021, "video_id": ref.vimeo_id}
    _, upstream = await fetch_oembed(settings, always(lambda: json_reply(answer)), ref)
    [request] = upstream.requests
    assert request.method == "GET"
    assert str(request.url.copy_with(query=None)) == settings.vimeo_oembed_url
    assert request.url.params.multi_items() == [("url", canonical), ("dnt", "1")]
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["accept"] == "application/json"
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert set(request.headers.keys()) <= ALLOWED_REQUEST_HEADERS
    for name in ("cookie", "referer", "x-forwarded-for", "forwarded", "x-real-ip", "origin"):
        assert name not in request.headers
    assert request.content == b""


@pytest.mark.anyio
async def test_referer_is_sent_exactly_when_configured(settings: Settings) -> None:
    with_referer = replace(settings, vimeo_referer="https://www.stadt.de/")
    _, upstream = await fetch_oembed(with_referer, always(lambda: json_reply(FULL_2021)))
    [request] = upstream.requests
    assert request.headers.get_list("referer") == ["https://www.stadt.de/"]
    assert set(request.headers.keys()) <= ALLOWED_REQUEST_HEADERS | {"referer"}
    assert request.headers["user-agent"] == USER_AGENT

    _, upstream = await fetch_oembed(settings, always(lambda: json_reply(FULL_2021)))
    assert "referer" not in upstream.requests[0].headers


@pytest.mark.anyio
async def test_oembed_goes_to_the_configured_endpoint(settings: Settings) -> None:
    standin = replace(settings, vimeo_oembed_url="http://127.0.0.1:9/api/oembed.json")
    _, upstream = await fetch_oembed(standin, always(lambda: json_reply(FULL_2021)))
    url = upstream.requests[0].url
    assert (url.scheme, url.host, url.port, url.path) == (
        "http",
        "127.0.0.1",
        9,
        "/api/oembed.json",
    )


@pytest.mark.anyio
async def test_cookies_from_vimeo_are_never_sent_back(settings: Settings) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == "i.vimeocdn.com":
            return reply(200, picture("JPEG"), content_type="image/jpeg")
        body = json.dumps(FULL_2021).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("set-cookie", "__cf_bm=abc123; Domain=.vimeo.com; Path=/; Secure; HttpOnly"),
            ("set-cookie", "vuid=pl123.456; Path=/; Max-Age=31536000"),
        ]
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    upstream = Upstream(respond)
    async with VimeoClient(settings, upstream.transport()) as vimeo:
        await vimeo.oembed(FULL_REF)
        await vimeo.oembed(FULL_REF)
        await vimeo.thumbnail(THUMB_URL)
    assert len(upstream.requests) == 3
    for request in upstream.requests:
        assert "cookie" not in request.headers


# --- oEmbed: good answers ----------------------------------------------------------------


@pytest.mark.anyio
async def test_full_recorded_answer(settings: Settings) -> None:
    result, _ = await fetch_oembed(settings, always(lambda: json_reply(FULL_2021)))
    assert result == OEmbed(
        vimeo_id=235352744,
        title="Vimeo Live is here",
        author_name="Vimeo",
        duration=75,
        width=640,
        height=360,
        upload_date="2017-09-25 10:36:56",
        thumbnail_url="https://i.vimeocdn.com/video/657162424_640.jpg",
        restricted=False,
        warnings=(),
    )


@pytest.mark.anyio
async def test_webp_recorded_answer(settings: Settings) -> None:
    result, _ = await fetch_oembed(settings, always(lambda: json_reply(WEBP_THUMBNAIL)), WEBP_REF)
    assert result == OEmbed(
        vimeo_id=3156959,
        title="Bathtub IV",
        author_name="Keith Loutit",
        duration=213,
        width=480,
        height=270,
        upload_date="2009-02-10 02:29:39",
        thumbnail_url="https://i.vimeocdn.com/video/453022_295x166.webp",
        restricted=False,
        warnings=(),
    )


@pytest.mark.anyio
async def test_truncated_recorded_answer_is_restricted(settings: Settings) -> None:
    result, _ = await fetch_oembed(settings, always(lambda: json_reply(TRUNCATED_2024)))
    assert result == OEmbed(
        vimeo_id=235352744,
        title="",
        author_name="",
        duration=None,
        width=640,
        height=360,
        upload_date=None,
        thumbnail_url=None,
        restricted=True,
        warnings=(RESTRICTED_WARNING,),
    )
    [warning] = result.warnings
    assert "GALLERY_VIMEO_REFERER" in warning


@pytest.mark.anyio
@pytest.mark.parametrize(
    "change",
    [
        {"domain_status_code": 403},
        {"title": None},
        {"title": "   "},
        {"thumbnail_url": None},
        {"thumbnail_url": ""},
    ],
    ids=["domain_status_code", "no-title", "blank-title", "no-thumbnail", "empty-thumbnail"],
)
async def test_partial_answers_are_restricted(settings: Settings, change: dict[str, Any]) -> None:
    answer = copy.deepcopy(FULL_2021)
    for key, value in change.items():
        if value is None:
            del answer[key]
        else:
            answer[key] = value
    result, _ = await fetch_oembed(settings, always(lambda: json_reply(answer)))
    assert result.restricted is True
    assert result.warnings == (RESTRICTED_WARNING,)
    assert result.vimeo_id == 235352744
    if "domain_status_code" in change:
        assert result.title == "Vimeo Live is here"  # what Vimeo did send is kept


@pytest.mark.anyio
async def test_answer_details(settings: Settings) -> None:
    answer = {**FULL_2021, "title": "  " + "T" * 600 + "  ", "author_name": " Stadt "}
    del answer["video_id"]  # optional: an answer without it still belongs to the asked video
    result, _ = await fetch_oembed(settings, always(lambda: json_reply(answer)))
    assert result.title == "T" * 500
    assert result.author_name == "Stadt"
    assert result.vimeo_id == 235352744


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json ;"]
)
async def test_json_content_type_variants(settings: Settings, content_type: str) -> None:
    body = json.dumps(FULL_2021).encode()
    result, _ = await fetch_oembed(settings, always(lambda: reply(200, body, content_type=content_type)))
    assert result.title == "Vimeo Live is here"


@pytest.mark.anyio
async def test_answer_exactly_at_the_cap_is_read(settings: Settings) -> None:
    body = json.dumps(FULL_2021).encode()
    body += b" " * (MAX_OEMBED_BYTES - len(body))
    assert len(body) == MAX_OEMBED_BYTES
    result, _ = await fetch_oembed(
        settings, always(lambda: reply(200, body, content_type="application/json"))
    )
    assert result.title == "Vimeo Live is here"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("GZIP", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_answer_is_decoded(
    settings: Settings, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = compress(json.dumps(FULL_2021).encode())
    result, _ = await fetch_oembed(
        settings,
        always(
            lambda: reply(200, body, content_type="application/json", headers={"content-encoding": encoding})
        ),
    )
    assert result.title == "Vimeo Live is here"
    assert result.duration == 75


# --- oEmbed: statuses --------------------------------------------------------------------


@pytest.mark.anyio
async def test_404_is_not_found_and_mentions_the_hash(settings: Settings) -> None:
    err = await oembed_error(settings, always(lambda: reply(404, b"404 Not Found")))
    assert type(err) is VideoNotFound
    assert err.status == FetchStatus.NOT_FOUND
    assert err.definite is True
    assert "Freigabe-Hash" in err.message
    assert "vimeo.com/NUMMER/HASH" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    "response",
    [
        lambda: json_reply({"domain_status_code": 403}, status=403),
        lambda: reply(403),
        lambda: reply(403, length=False),
        lambda: reply(403, b"Forbidden", content_type="text/plain"),
    ],
    ids=["json", "empty", "empty-no-length", "text"],
)
async def test_403_without_a_web_page_is_embedding_disabled(
    settings: Settings, response: Callable[[], httpx.Response]
) -> None:
    err = await oembed_error(settings, always(response))
    assert type(err) is EmbeddingDisabled
    assert err.status == FetchStatus.FORBIDDEN
    assert err.definite is True
    assert "Einbetten ist deaktiviert" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=UTF-8", "TEXT/HTML"])
async def test_403_captcha_page_is_unavailable(settings: Settings, content_type: str) -> None:
    page = b"<!DOCTYPE html><title>Just a moment...</title><p>Checking your browser"
    err = await oembed_error(settings, always(lambda: reply(403, page, content_type=content_type)))
    assert type(err) is VimeoUnavailable
    assert err.definite is False
    assert err.status == FetchStatus.ERROR
    assert "Captcha" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("120", 120.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),  # zone-less date
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
async def test_429_is_unavailable_with_retry_after(
    settings: Settings, retry_after: str | None, expected: float | None
) -> None:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    err = await oembed_error(settings, always(lambda: reply(429, headers=headers)))
    assert type(err) is VimeoUnavailable
    assert err.definite is False
    assert err.retry_after == expected
    assert "zu viele Anfragen" in err.message


@pytest.mark.anyio
async def test_retry_after_as_a_future_date(settings: Settings) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    err = await oembed_error(settings, always(lambda: reply(429, headers={"retry-after": when})))
    assert err.retry_after is not None
    assert 540 < err.retry_after <= 600


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_unavailable(settings: Settings, status: int) -> None:
    err = await oembed_error(
        settings,
        always(
            lambda: reply(status, b"<h1>oops</h1>", content_type="text/html", headers={"retry-after": "30"})
        ),
    )
    assert type(err) is VimeoUnavailable
    assert err.definite is False
    assert err.retry_after == 30.0
    assert "gestört" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_not_followed(settings: Settings, status: int) -> None:
    location = "https://evil.example/api/oembed.json"
    err = await oembed_error(settings, always(lambda: reply(status, headers={"location": location})))
    assert type(err) is BadAnswer
    # oembed_error already checked there was exactly one request: the redirect was not followed


@pytest.mark.anyio
@pytest.mark.parametrize("status", [201, 204, 400, 401, 410, 418])
async def test_other_statuses_are_bad_answers(settings: Settings, status: int) -> None:
    err = await oembed_error(settings, always(lambda: json_reply(FULL_2021, status=status)))
    assert type(err) is BadAnswer


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type", ["text/html", "text/html; charset=utf-8", None, "text/xml", "application/javascript"]
)
async def test_200_that_is_not_json_is_unavailable(settings: Settings, content_type: str | None) -> None:
    body = json.dumps(FULL_2021).encode() if content_type != "text/html" else b"<html>captcha"
    err = await oembed_error(settings, always(lambda: reply(200, body, content_type=content_type)))
    assert type(err) is VimeoUnavailable
    assert err.definite is False
    assert "Webseite" in err.message


# --- oEmbed: answers we cannot read ------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    return {**FULL_2021, **changes}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        json.dumps(FULL_2021).encode()[:-20],
        b"",
        b"{",
        b"not json",
        b'\xff\xfe{"type": "video"}',
        b"\x89PNG\r\n\x1a\n",
    ],
    ids=["truncated", "empty", "brace", "words", "bad-utf8", "binary"],
)
async def test_broken_json_is_a_bad_answer(settings: Settings, body: bytes) -> None:
    err = await oembed_error(settings, always(lambda: reply(200, body, content_type="application/json")))
    assert type(err) is BadAnswer
    assert "unvollständig oder beschädigt" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    "data",
    [
        [FULL_2021],
        "video",
        42,
        None,
        {},
        _with(type="rich"),
        _with(type="photo"),
        _with(type=None),
        {k: v for k, v in FULL_2021.items() if k != "type"},
        _with(video_id=1),
        _with(video_id=3156959),
        _with(video_id="235352744"),
        _with(video_id=235352744.0),
        _with(title=["Vimeo Live is here"]),
        _with(title=42),
        _with(title={"de": "x"}),
        _with(author_name=7),
        _with(thumbnail_url=["https://i.vimeocdn.com/x.jpg"]),
        _with(upload_date=20170925),
        _with(duration="75"),
        _with(duration=75.5),
        _with(duration=-1),
        _with(duration=True),
        _with(duration=10**7),
        _with(width="640"),
        _with(height=[360]),
    ],
)
async def test_wrong_shapes_are_bad_answers(settings: Settings, data: Any) -> None:
    err = await oembed_error(settings, always(lambda: json_reply(data)))
    assert type(err) is BadAnswer


# --- oEmbed: size caps, compression bombs, transport trouble -----------------------------


@pytest.mark.anyio
async def test_body_over_the_cap_is_refused(settings: Settings) -> None:
    body = json.dumps(FULL_2021).encode()
    body += b" " * (MAX_OEMBED_BYTES + 1 - len(body))
    err = await oembed_error(settings, always(lambda: reply(200, body, content_type="application/json")))
    assert type(err) is BadAnswer
    assert "unerwartet groß" in err.message


@pytest.mark.anyio
async def test_content_length_over_the_cap_is_refused_before_reading(settings: Settings) -> None:
    drip = Drip([b"{}"])

    def respond(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-length": str(10**9)}
        return httpx.Response(200, headers=headers, stream=drip)

    err = await oembed_error(settings, respond)
    assert type(err) is BadAnswer
    assert drip.pulled == 0
    assert drip.closed


@pytest.mark.anyio
@pytest.mark.parametrize("claimed_length", ["100", None])
async def test_streamed_body_over_the_cap_is_cut_off(settings: Settings, claimed_length: str | None) -> None:
    chunk = b" " * (64 * 1024)
    endless = (chunk for _ in range(10_000))  # 640 MiB if anybody read it all
    drip = Drip(endless)

    def respond(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if claimed_length:
            headers["content-length"] = claimed_length  # a lie
        return httpx.Response(200, headers=headers, stream=drip)

    err = await oembed_error(settings, respond)
    assert type(err) is BadAnswer
    assert "unerwartet groß" in err.message
    assert drip.pulled == MAX_OEMBED_BYTES // len(chunk) + 1
    assert drip.closed


@pytest.mark.anyio
async def test_gzip_bomb_is_refused(settings: Settings) -> None:
    inflated = b'{"type": "video", "title": "' + b"A" * (50 * MAX_OEMBED_BYTES) + b'"}'
    body = gzip.compress(inflated)
    assert len(body) < MAX_OEMBED_BYTES // 10
    err = await oembed_error(
        settings,
        always(
            lambda: reply(200, body, content_type="application/json", headers={"content-encoding": "gzip"})
        ),
    )
    assert type(err) is BadAnswer
    assert "unerwartet groß" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", b"\x1f\x8b\x08\x00garbage-not-gzip"),
        ("gzip", json.dumps(FULL_2021).encode()),  # says gzip, is not
        ("deflate", b"not deflate at all"),
        ("br", b"\x0b\x02\x80{}\x03"),
        ("gzip, gzip", gzip.compress(gzip.compress(b"{}"))),
    ],
    ids=["corrupt-gzip", "plain-as-gzip", "corrupt-deflate", "brotli", "stacked"],
)
async def test_undecodable_encodings_are_bad_answers(settings: Settings, encoding: str, body: bytes) -> None:
    err = await oembed_error(
        settings,
        always(
            lambda: reply(200, body, content_type="application/json", headers={"content-encoding": encoding})
        ),
    )
    assert type(err) is BadAnswer


def _raise(exc: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=request)

    return respond


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (httpx.ConnectError, "nicht erreichbar"),
        (httpx.ConnectTimeout, "nicht rechtzeitig"),
        (httpx.ReadTimeout, "nicht rechtzeitig"),
        (httpx.PoolTimeout, "nicht rechtzeitig"),
        (httpx.ReadError, "nicht erreichbar"),
        (httpx.RemoteProtocolError, "nicht erreichbar"),
        (httpx.ProxyError, "nicht erreichbar"),
    ],
)
async def test_transport_errors_are_unavailable(
    settings: Settings, exc: type[httpx.TransportError], fragment: str
) -> None:
    err = await oembed_error(settings, _raise(exc))
    assert type(err) is VimeoUnavailable
    assert err.definite is False
    assert fragment in err.message


class _Broken(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"type": "vid'
        raise httpx.ReadError("connection reset")


@pytest.mark.anyio
async def test_connection_lost_mid_body_is_unavailable(settings: Settings) -> None:
    err = await oembed_error(
        settings,
        always(lambda: httpx.Response(200, headers={"content-type": "application/json"}, stream=_Broken())),
    )
    assert type(err) is VimeoUnavailable


@pytest.mark.anyio
async def test_slow_drip_hits_the_total_deadline(settings: Settings) -> None:
    drip = Drip((b" " for _ in range(1000)), pause=0.05)  # would take 50 s

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=drip)

    loop = asyncio.get_running_loop()
    started = loop.time()
    err = await oembed_error(settings, respond, deadline=0.2)
    assert loop.time() - started < 5
    assert type(err) is VimeoUnavailable
    assert "nicht rechtzeitig" in err.message
    assert 0 < drip.pulled < 1000


# --- thumbnails --------------------------------------------------------------------------

IMAGES = [
    ("JPEG", "image/jpeg", "jpg"),
    ("PNG", "image/png", "png"),
    ("WEBP", "image/webp", "webp"),
    ("GIF", "image/gif", "gif"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("fmt", "media_type", "extension"), IMAGES)
@pytest.mark.parametrize("claimed", ["image/jpeg", "text/html", "application/octet-stream", None])
async def test_thumbnail_type_comes_from_the_bytes(
    settings: Settings, fmt: str, media_type: str, extension: str, claimed: str | None
) -> None:
    data = picture(fmt)
    image, upstream = await fetch_thumbnail(settings, always(lambda: reply(200, data, content_type=claimed)))
    assert image == Image(data, media_type, extension)
    [request] = upstream.requests
    assert request.method == "GET"
    assert str(request.url) == THUMB_URL


@pytest.mark.anyio
async def test_thumbnail_request_is_anonymous(settings: Settings) -> None:
    data = picture("JPEG")
    with_referer = replace(settings, vimeo_referer="https://www.stadt.de/")
    _, upstream = await fetch_thumbnail(with_referer, always(lambda: reply(200, data)))
    [request] = upstream.requests
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["accept"] == "image/*"
    assert set(request.headers.keys()) <= ALLOWED_REQUEST_HEADERS
    assert "cookie" not in request.headers
    assert "referer" not in request.headers


@pytest.mark.anyio
async def test_gzipped_thumbnail_is_decoded(settings: Settings) -> None:
    data = picture("PNG")
    image, _ = await fetch_thumbnail(
        settings,
        always(lambda: reply(200, gzip.compress(data), headers={"content-encoding": "gzip"})),
    )
    assert image.data == data
    assert image.media_type == "image/png"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Just a moment...</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"",
        b"\xff\xd8",  # two bytes of a JPEG
        json.dumps(FULL_2021).encode(),
    ],
    ids=["html", "svg", "empty", "stub", "json"],
)
async def test_thumbnail_that_is_not_an_image_is_refused(settings: Settings, body: bytes) -> None:
    err, upstream = await thumbnail_error(
        settings, always(lambda: reply(200, body, content_type="image/jpeg"))
    )
    assert type(err) is ThumbnailRefused
    assert "keine Bilddatei" in err.message
    assert len(upstream.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("status", [204, 403, 404, 410, 500, 503])
async def test_thumbnail_error_statuses_are_refused(settings: Settings, status: int) -> None:
    data = picture("JPEG")  # even with image bytes: only a 200 counts
    err, _ = await thumbnail_error(settings, always(lambda: reply(status, data)))
    assert type(err) is ThumbnailRefused


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/video/1.jpg",
        "https://i.vimeocdn.com.evil.example/video/1.jpg",
        "https://evil.example/i.vimeocdn.com/video/1.jpg",
        "https://vimeocdn.com/video/1.jpg",
        "https://f.vimeocdn.com/p/images/crawler_play.png",
        "https://i.vimeocdn.com./video/1.jpg",
        "https://i.vimeocdn.com:8443/video/1.jpg",
        "https://i.vimeocdn.com:99999/video/1.jpg",
        "https://i.vimeocdn.com:x/video/1.jpg",
        "https://user:pass@i.vimeocdn.com/video/1.jpg",
        "https://user@i.vimeocdn.com/video/1.jpg",
        "https://i.vimeocdn.com@evil.example/video/1.jpg",
        "http://i.vimeocdn.com/video/1.jpg",
        "//i.vimeocdn.com/video/1.jpg",
        "ftp://i.vimeocdn.com/video/1.jpg",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "/video/1.jpg",
        "",
        "http://127.0.0.1/video/1.jpg",
        "http://localhost/video/1.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "https://i.vimeocdn.com/video/1\x00.jpg",
    ],
)
async def test_unsafe_thumbnail_urls_are_refused_without_a_request(settings: Settings, url: str) -> None:
    upstream = Upstream(never)
    async with VimeoClient(settings, upstream.transport()) as vimeo:
        with pytest.raises(ThumbnailRefused) as info:
            await vimeo.thumbnail(url)
    assert info.value.message
    assert upstream.requests == []


@pytest.mark.anyio
async def test_uppercase_allowlisted_host_and_default_port_are_fine(settings: Settings) -> None:
    data = picture("JPEG")
    for url in ("https://I.VIMEOCDN.COM/video/1.jpg", "https://i.vimeocdn.com:443/video/1.jpg"):
        image, upstream = await fetch_thumbnail(settings, always(lambda: reply(200, data)), url)
        assert image.data == data
        assert upstream.requests[0].url.host == "i.vimeocdn.com"


@pytest.mark.anyio
async def test_plain_http_only_for_loopback_hosts_on_the_allowlist(settings: Settings) -> None:
    local = replace(
        settings,
        vimeo_thumbnail_hosts=("i.vimeocdn.com", "127.0.0.1:8123", "thumbs.example:8080"),
    )
    data = picture("PNG")
    image, upstream = await fetch_thumbnail(
        local, always(lambda: reply(200, data)), "http://127.0.0.1:8123/thumbs/1.png"
    )
    assert image.media_type == "image/png"
    assert upstream.urls == ["http://127.0.0.1:8123/thumbs/1.png"]

    for url in (
        "http://127.0.0.1:8124/thumbs/1.png",  # other port
        "http://localhost:8123/thumbs/1.png",  # other name
        "http://127.0.0.1/thumbs/1.png",  # no port
        "http://thumbs.example:8080/1.png",  # allowlisted, but not loopback: https only
    ):
        upstream = Upstream(never)
        async with VimeoClient(local, upstream.transport()) as vimeo:
            with pytest.raises(ThumbnailRefused):
                await vimeo.thumbnail(url)
        assert upstream.requests == []
    _, upstream = await fetch_thumbnail(
        local, always(lambda: reply(200, data)), "https://thumbs.example:8080/1.png"
    )
    assert upstream.urls == ["https://thumbs.example:8080/1.png"]


def redirects(
    chain: dict[str, str], final: bytes, status: int = 302
) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in chain:
            return reply(status, headers={"location": chain[url]})
        return reply(200, final, content_type="image/webp")

    return respond


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_within_the_allowlist_is_followed(settings: Settings, status: int) -> None:
    data = picture("WEBP")
    two_hosts = replace(settings, vimeo_thumbnail_hosts=("i.vimeocdn.com", "secure-b.vimeocdn.com"))
    chain = {
        THUMB_URL: "https://secure-b.vimeocdn.com/ts/1.webp",
        "https://secure-b.vimeocdn.com/ts/1.webp": "/ts/2.webp",  # relative
    }
    image, upstream = await fetch_thumbnail(two_hosts, redirects(chain, data, status))
    assert image == Image(data, "image/webp", "webp")
    assert upstream.urls == [
        THUMB_URL,
        "https://secure-b.vimeocdn.com/ts/1.webp",
        "https://secure-b.vimeocdn.com/ts/2.webp",
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/1.jpg",
        "//evil.example/1.jpg",
        "http://i.vimeocdn.com/video/1.jpg",  # downgrade
        "https://i.vimeocdn.com.evil.example/1.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://[::1",  # unparseable: httpx itself calls that a protocol error
    ],
)
async def test_redirect_off_the_allowlist_is_refused(settings: Settings, location: str) -> None:
    data = picture("JPEG")
    err, upstream = await thumbnail_error(settings, redirects({THUMB_URL: location}, data))
    assert type(err) is (VimeoUnavailable if "[" in location else ThumbnailRefused)
    assert upstream.urls == [THUMB_URL]  # the foreign address was never asked


@pytest.mark.anyio
async def test_redirect_without_location_is_refused(settings: Settings) -> None:
    err, upstream = await thumbnail_error(settings, always(lambda: reply(302)))
    assert type(err) is ThumbnailRefused
    assert len(upstream.requests) == 1


def _hops(count: int) -> dict[str, str]:
    urls = [f"https://i.vimeocdn.com/video/{n}.jpg" for n in range(count + 1)]
    return dict(itertools.pairwise(urls))


@pytest.mark.anyio
async def test_max_redirects_are_followed(settings: Settings) -> None:
    data = picture("GIF")
    chain = _hops(MAX_REDIRECTS)
    image, upstream = await fetch_thumbnail(
        settings, redirects(chain, data), "https://i.vimeocdn.com/video/0.jpg"
    )
    assert image.media_type == "image/gif"
    assert len(upstream.requests) == MAX_REDIRECTS + 1


@pytest.mark.anyio
async def test_more_than_max_redirects_are_refused(settings: Settings) -> None:
    data = picture("GIF")
    chain = _hops(MAX_REDIRECTS + 1)
    err, upstream = await thumbnail_error(
        settings, redirects(chain, data), "https://i.vimeocdn.com/video/0.jpg"
    )
    assert type(err) is ThumbnailRefused
    assert "zu oft weitergeleitet" in err.message
    assert len(upstream.requests) == MAX_REDIRECTS + 1
    assert f"https://i.vimeocdn.com/video/{MAX_REDIRECTS + 1}.jpg" not in upstream.urls


@pytest.mark.anyio
async def test_redirect_loop_is_refused(settings: Settings) -> None:
    chain = {THUMB_URL: THUMB_URL}
    err, upstream = await thumbnail_error(settings, redirects(chain, b""))
    assert type(err) is ThumbnailRefused
    assert len(upstream.requests) == MAX_REDIRECTS + 1


@pytest.mark.anyio
async def test_oversized_thumbnail_is_refused(settings: Settings) -> None:
    data = picture("JPEG")
    big = data + b"\x00" * (MAX_THUMBNAIL_BYTES + 1 - len(data))
    err, _ = await thumbnail_error(settings, always(lambda: reply(200, big)))
    assert isinstance(err, VimeoError)
    assert "unerwartet groß" in err.message


@pytest.mark.anyio
async def test_oversized_thumbnail_with_lying_length_is_cut_off(settings: Settings) -> None:
    chunk = picture("JPEG").ljust(1024 * 1024, b"\x00")
    drip = Drip(chunk for _ in range(1000))

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": "1000"}, stream=drip)

    err, _ = await thumbnail_error(settings, respond)
    assert isinstance(err, VimeoError)
    assert drip.pulled == MAX_THUMBNAIL_BYTES // len(chunk) + 1
    assert drip.closed


@pytest.mark.anyio
async def test_thumbnail_gzip_bomb_is_refused(settings: Settings) -> None:
    body = gzip.compress(picture("PNG") + b"\x00" * (2 * MAX_THUMBNAIL_BYTES))
    err, _ = await thumbnail_error(
        settings, always(lambda: reply(200, body, headers={"content-encoding": "gzip"}))
    )
    assert isinstance(err, VimeoError)
    assert "unerwartet groß" in err.message


@pytest.mark.anyio
@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ReadTimeout])
async def test_thumbnail_transport_errors(settings: Settings, exc: type[httpx.TransportError]) -> None:
    err, _ = await thumbnail_error(settings, _raise(exc))
    assert type(err) is VimeoUnavailable


# --- sniff_image -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("JPEG", ("image/jpeg", "jpg")),
        ("PNG", ("image/png", "png")),
        ("WEBP", ("image/webp", "webp")),
        ("GIF", ("image/gif", "gif")),
        ("AVIF", ("image/avif", "avif")),
    ],
)
def test_sniff_real_images(fmt: str, expected: tuple[str, str]) -> None:
    try:
        data = picture(fmt)
    except (KeyError, OSError):  # a Pillow build without this encoder
        data = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00" if fmt == "AVIF" else b""
    assert sniff_image(data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xdb" + b"\x00" * 10, ("image/jpeg", "jpg")),
        (b"GIF89a\x01\x00\x01\x00", ("image/gif", "gif")),
        (b"GIF87a\x01\x00\x01\x00", ("image/gif", "gif")),
        (b"RIFF\x24\x00\x00\x00WEBPVP8L", ("image/webp", "webp")),
        (b"\x00\x00\x00\x1cftypavis\x00\x00\x00\x00", ("image/avif", "avif")),
        (b"", None),
        (b"<html><body>captcha</body></html>", None),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b'<?xml version="1.0"?><svg/>', None),
        (b"\xff\xd8", None),
        (b"\x89PNG", None),
        (b"\x89PNG\r\n\x1a", None),
        (b"GIF90a", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"RIFF", None),
        (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00", None),
        (b"\x00\x00\x00\x1cftypmp42\x00\x00\x00\x00", None),
        (b"%PDF-1.7", None),
        (b'{"type": "video"}', None),
    ],
)
def test_sniff_bytes(data: bytes, expected: tuple[str, str] | None) -> None:
    assert sniff_image(data) == expected


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_sniff_refuses_other_image_formats(fmt: str) -> None:
    assert sniff_image(picture(fmt)) is None
