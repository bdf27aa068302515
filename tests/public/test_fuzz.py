"""Property-based hostile input: links, the public forms, paths, query strings and cookies.

Each test states what must hold for *any* input: a 2xx/3xx/4xx with a readable message, never
a 500, no cookie on a refusal, redirects only to our own paths, and no change to stored data.
Seeds are fixed (the "ci" profile in conftest), so a failure reproduces. ``CASES`` are the
example counts; together they exceed 10,000.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gallery.public.consent import COOKIE_NAME, ConsentSigner
from gallery.settings import Secret, Settings
from gallery.vimeo.links import InvalidVideoLink, VideoRef, parse_video_link
from tests.admin_helpers import snapshot, stored_images
from tests.conftest import TEST_KEY
from tests.htmlparse import fetched_urls, parse

CASES = {
    "link": 4000,
    "consent": 2200,
    "revoke": 800,
    "paths": 2200,
    "cookies": 1400,
}
IDS = ["900000001", "900000002", "900000003", "900000006"]
CANONICAL_RE = re.compile(r"https://vimeo\.com/[1-9][0-9]{0,11}(/[0-9a-f]{10})?")
TEST_KEY_SECRET = Secret(TEST_KEY)


def fuzz(examples: int) -> settings:
    # The app fixture is shared by all examples of a test, on purpose: nothing may change it.
    return settings(
        max_examples=examples,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Text that is hostile in the ways that matter here: controls, separators, encodings, markup.
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\t",
        "\r\n",
        "%00",
        "%0d%0a",
        "..",
        "../",
        "..%2f",
        "%2e%2e",
        "/",
        "//",
        "\\",
        "@",
        ":",
        "?",
        "#",
        "&",
        "=",
        ";",
        ",",
        '"',
        "'",
        "<script>",
        "</p>",
        "javascript:",
        "https://evil.example",
        "//evil.example",
        "é",
        "\u202e",
        "\ufeff",
        "𝔳",
        "0",
        "-1",
        "9" * 40,
        "900000001",
        "videos",
        "once",
        "always",
        "x" * 3000,
    ]
)
TEXT = st.one_of(st.text(max_size=60), NASTY, st.lists(NASTY, max_size=6).map("".join))
# Header values must be latin-1 without CR/LF to be sent at all; anything else is fair game.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80
)


def fingerprint(settings: Settings) -> str:
    """Everything stored: every table's rows and the stored pictures' names."""
    everything = (snapshot(settings), sorted(stored_images(settings)))
    return hashlib.sha256(repr(everything).encode()).hexdigest()


@pytest.fixture
def guarded(populated: TestClient, curated_settings: Settings) -> Iterator[TestClient]:
    """The populated app; afterwards nothing stored may have changed."""
    before = fingerprint(curated_settings)
    yield populated
    assert fingerprint(curated_settings) == before


def latin1(headers: dict[str, str]) -> dict[str, bytes]:
    """Header values as the raw bytes a client may send (httpx would refuse non-ASCII text)."""
    return {name: value.encode("latin-1", "replace") for name, value in headers.items()}


def assert_sane(r: object, method: str = "GET") -> None:
    """Any answer: not a 5xx; refusals carry a message and no cookie; redirects stay home."""
    status = r.status_code  # type: ignore[attr-defined]
    headers = r.headers  # type: ignore[attr-defined]
    assert status < 500, (status, r.text)  # type: ignore[attr-defined]
    if status >= 400:
        assert "set-cookie" not in headers
        if method != "HEAD":
            text = r.text  # type: ignore[attr-defined]
            assert text.strip(), status
            if headers.get("content-type", "").startswith("text/html"):
                doc = parse(text)
                assert doc.find("h1").text and doc.find("p").text
    location = headers.get("location")
    if location is not None:  # a local path, or (slash redirects) an absolute URL to ourselves
        local = location.removeprefix("https://gallery.test")
        assert local.startswith("/") and not local.startswith("//") and "\\" not in local, location


# --- the link parser ---------------------------------------------------------------------

HOSTS = st.sampled_from(
    [
        "vimeo.com",
        "www.vimeo.com",
        "player.vimeo.com",
        "VIMEO.COM",
        "vimeo.com.",
        "vimeo.com.evil.example",
        "evilvimeo.com",
        "vimeo.co",
        "i.vimeocdn.com",
        "127.0.0.1",
        "[::1]",
        "user:pw@vimeo.com",
        "vimeo.com:443",
        "vimeo.com:8080",
        "vimeo.com:99999",
        "xn--vimeo-9ta.com",
        "vímeo.com",
    ]
)
SEGMENTS = st.sampled_from(
    [
        "123",
        "900000001",
        "0",
        "00012",
        "9" * 13,
        "abcdef0123",
        "ABCDEF0123",
        "abcdef012",
        "video",
        "videos",
        "channels",
        "staffpicks",
        "groups",
        "name",
        "album",
        "showcase",
        "event",
        "review",
        "ondemand",
        "live",
        "",
        "..",
        "%2e%2e",
        "١٢٣",
    ]
)
LINKS = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, path, query, fragment: f"{scheme}{host}/{path}{query}{fragment}",
        st.sampled_from(["https://", "http://", "", "ftp://", "//", "https:/", "javascript:"]),
        HOSTS,
        st.lists(st.one_of(SEGMENTS, TEXT), max_size=5).map("/".join),
        st.one_of(
            st.just(""),
            st.builds(
                lambda q: "?" + q,
                st.sampled_from(["h=abcdef0123", "h=", "share=copy", "h=abcdef0123&h=0000000000"]),
            ),
            TEXT.map(lambda t: "?" + t),
        ),
        st.one_of(
            st.just(""), st.sampled_from(["#t=1m30s", "#t=90", "#t=", "#x"]), TEXT.map(lambda t: "#" + t)
        ),
    ),
)


@settings(max_examples=CASES["link"])
@given(LINKS)
def test_any_link_gives_a_canonical_video_or_a_reason(text: str) -> None:
    try:
        ref = parse_video_link(text)
    except InvalidVideoLink as exc:
        assert exc.message and exc.message.strip()
        return
    assert CANONICAL_RE.fullmatch(ref.canonical_url), (text, ref)
    assert parse_video_link(ref.canonical_url) == VideoRef(ref.vimeo_id, ref.unlisted_hash)
    # Accepted only from a Vimeo host (or as a bare number).
    host = re.sub(r"^[a-z]+://", "", text.strip().lower()).split("/")[0]
    assert text.strip().isdigit() or host.rstrip(".").split(":")[0] in {
        "vimeo.com",
        "www.vimeo.com",
        "player.vimeo.com",
    }, text


# --- forms -------------------------------------------------------------------------------

FORM_FIELDS = st.dictionaries(
    st.one_of(st.sampled_from(["scope", "next", "video", "gallery"]), TEXT),
    st.one_of(
        TEXT,
        st.sampled_from(["once", "always", "/", "/g/videos", "/privacy", "//evil.example", *IDS]),
    ),
    max_size=6,
)
ORIGIN_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "sec-fetch-site": st.one_of(
            st.sampled_from(["same-origin", "same-site", "cross-site", "none"]), HEADER_TEXT
        ),
        "origin": st.one_of(
            st.sampled_from(["https://gallery.test", "null", "https://evil.example"]), HEADER_TEXT
        ),
        "referer": st.one_of(
            st.sampled_from(["https://gallery.test/", "https://evil.example/"]), HEADER_TEXT
        ),
        "content-type": st.one_of(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=utf-8",
                    "multipart/form-data; boundary=x",
                    "multipart/form-data",
                    "text/plain",
                    "application/json",
                ]
            ),
            HEADER_TEXT,
        ),
    },
)
BODIES = st.one_of(
    FORM_FIELDS.map(lambda d: urlencode(d).encode()),
    st.binary(max_size=300),
    st.builds(
        lambda d: (
            "--x\r\n"
            + "".join(
                f'Content-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n--x\r\n' for k, v in d.items()
            )
            + "--\r\n"
        ).encode("utf-8", "replace"),
        FORM_FIELDS,
    ),
    st.integers(8_000, 40_000).map(lambda n: b"scope=always&next=/&pad=" + b"x" * n),
)


def check_consent_answer(r: object, signer: ConsentSigner) -> None:
    assert_sane(r, "POST")
    status, headers = r.status_code, r.headers  # type: ignore[attr-defined]
    cookies = headers.get_list("set-cookie")
    if cookies:
        assert status == 303 and len(cookies) == 1
        value = cookies[0].split(";", 1)[0].split("=", 1)[1]
        assert cookies[0].startswith(COOKIE_NAME + "=") and signer.is_valid(value)
    if status == 200:  # "once": the page with the player, nothing remembered
        assert "<iframe" in r.text  # type: ignore[attr-defined]


@fuzz(CASES["consent"])
@given(body=BODIES, headers=ORIGIN_HEADERS)
def test_consent_form_takes_any_input(guarded: TestClient, body: bytes, headers: dict[str, str]) -> None:
    guarded.cookies.clear()
    r = guarded.post("/consent", content=body, headers=latin1(headers), follow_redirects=False)
    check_consent_answer(r, guarded.app.services.signer)  # type: ignore[attr-defined]
    if r.status_code in {200, 303}:
        same_origin = headers.get("sec-fetch-site") == "same-origin" or (
            "sec-fetch-site" not in headers
            and (
                headers.get("origin") == "https://gallery.test"
                or (
                    "origin" not in headers and headers.get("referer", "").startswith("https://gallery.test/")
                )
            )
        )
        assert same_origin, headers


@fuzz(CASES["revoke"])
@given(body=BODIES, headers=ORIGIN_HEADERS)
def test_revoke_form_takes_any_input(guarded: TestClient, body: bytes, headers: dict[str, str]) -> None:
    r = guarded.post("/consent/revoke", content=body, headers=latin1(headers), follow_redirects=False)
    assert_sane(r, "POST")
    cookies = r.headers.get_list("set-cookie")
    if r.status_code == 303:
        # only ever deletes (in both cookie modes' spelling, so a changed mode leaves nothing behind)
        assert cookies and all("Max-Age=0" in c for c in cookies)
    else:
        assert not cookies


# --- paths, query strings, methods -------------------------------------------------------

SEGMENT = st.one_of(TEXT, st.sampled_from(["videos", *IDS, "gallery.css", "placeholder.svg"])).map(
    lambda t: quote(t, safe="")
)
PATHS = st.one_of(
    st.builds(lambda s: f"/g/{s}", SEGMENT),
    st.builds(lambda s, v: f"/g/{s}/v/{v}", SEGMENT, SEGMENT),
    st.builds(lambda v: f"/v/{v}", SEGMENT),
    st.builds(lambda n: f"/thumbs/{n}", SEGMENT),
    st.builds(lambda n: f"/static/{n}", SEGMENT),
    st.sampled_from(
        ["/", "/privacy", "/healthz", "/consent", "/consent/revoke", "/g/videos", "/thumbs/", "/static/"]
    ),
    st.lists(SEGMENT, max_size=5).map(lambda parts: "/" + "/".join(parts)),
    st.lists(
        st.sampled_from(["..", "%2e%2e", "%2f", "%5c", "thumbs", "static", "gallery.sqlite3", "secret_key"]),
        max_size=6,
    ).map(lambda parts: "/" + "/".join(parts)),
)
QUERIES = st.one_of(
    st.just(""),
    st.lists(st.tuples(TEXT, TEXT), max_size=5).map(lambda pairs: urlencode(pairs)),
    st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="#"), max_size=60),
)
METHODS = st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])


@fuzz(CASES["paths"])
@given(path=PATHS, query=QUERIES, method=METHODS)
def test_any_path_and_query(guarded: TestClient, path: str, query: str, method: str) -> None:
    # Absolute, so that a path like "////" is sent as a path, not read as "//host" by the client.
    url = "https://gallery.test" + path + ("?" + query if query else "")
    r = guarded.request(method, url, headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert_sane(r, method)
    assert "set-cookie" not in r.headers
    if r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html") and method == "GET":
        for tag, attr, value in fetched_urls(parse(r.text)):
            assert value.startswith("/") and not value.startswith("//"), (tag, attr, value)
    if path.startswith(("/thumbs/", "/static/")) and r.status_code == 200:
        assert not r.content.startswith(b"SQLite") and b"import " not in r.content


# --- cookies -----------------------------------------------------------------------------


def mutate(valid: str, how: int, position: int, text: str) -> str:
    position %= max(1, len(valid))
    if how == 0:
        return valid[:position]  # truncated
    if how == 1:  # one character changed
        return valid[:position] + ("A" if valid[position] != "A" else "B") + valid[position + 1 :]
    if how == 2:
        return valid + text  # something appended
    if how == 3:
        return text + valid
    return valid.replace(".", text, 1)


COOKIE_VALUES = st.one_of(
    TEXT,
    st.text(st.sampled_from("ABCDEFabcdef0123456789-_.="), max_size=200),
    st.integers(1, 120_000).map(lambda n: "x" * n),
)


@fuzz(CASES["cookies"])
@given(
    how=st.integers(0, 5),
    position=st.integers(0, 400),
    text=st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=';,\\"'), max_size=40),
    other=COOKIE_VALUES,
    extra=st.lists(st.tuples(HEADER_TEXT, HEADER_TEXT), max_size=3),
)
def test_any_cookie_is_simply_no_consent(
    guarded: TestClient, how: int, position: int, text: str, other: str, extra: list[tuple[str, str]]
) -> None:
    valid = ConsentSigner((TEST_KEY_SECRET,), guarded.app.services.notice.version, 3600).issue()  # type: ignore[attr-defined]
    value = mutate(valid, how, position, text) if how < 5 else other
    assume(value != valid)
    pairs = [f"{k}={v}" for k, v in extra] + [f"{COOKIE_NAME}={value}"]
    r = guarded.get("/", headers=latin1({"cookie": "; ".join(pairs)}))
    assert r.status_code == 200
    assert "set-cookie" not in r.headers
    assert parse(r.text).find("form", action="/consent/revoke") is None  # not remembered
