"""The one origin parser: exact origins in, one clean spelling or one sentence out, whatever the input."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gallery.i18n import translate
from gallery.origins import OriginError, origin_of_url, parse_frame_ancestor, parse_origin

# What may reach a CSP header: nothing that could end a directive or start another source.
CLEAN = re.compile(r"https?://(\[[0-9a-f:.]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*\.?)(:[0-9]{1,5})?")


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("https://www.stadt.de", "https://www.stadt.de"),
        ("https://www.stadt.de/", "https://www.stadt.de"),
        ("HTTPS://WWW.Stadt.DE", "https://www.stadt.de"),
        ("http://localhost:8001", "http://localhost:8001"),
        ("https://videos.kreis-b.de:8443", "https://videos.kreis-b.de:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
        ("https://[::ffff:192.0.2.1]", "https://[::ffff:192.0.2.1]"),
        ("https://xn--strae-oqa.de", "https://xn--strae-oqa.de"),
        ("https://www.stadt.de.", "https://www.stadt.de."),
    ],
)
def test_exact_origins_are_accepted_in_lower_case(value: str, parsed: str) -> None:
    assert parse_origin(value) == parsed
    assert parse_frame_ancestor(value) == parsed
    assert parse_origin(parsed) == parsed


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://[not-ipv6]", "not an IPv6 address"),
        ("https://[abc]", "not an IPv6 address"),
        ("https://[:::]", "not an IPv6 address"),
        ("https://[1.2.3.4]", "not an IPv6 address"),
        ("https://[fe80::1%eth0]", "not an IPv6 address"),
        ("https://[]", "not an IPv6 address"),
        ("http://[::1", "without its closing ]"),
        ("http://[::1]x", "other than a port"),
        ("https://example.org:99999", "from 1 to 65535"),
        ("https://example.org:0", "from 1 to 65535"),
        ("https://example.org:", "from 1 to 65535"),
        ("https://example.org:８０", "from 1 to 65535"),
        ("https://[::1]:65536", "from 1 to 65535"),
        ("https://exa mple.org", "spaces or control characters"),
        ("https://example.org\n", "spaces or control characters"),
        ("https://example.org/videos", "path"),
        ("https://example.org?x=1", "path"),
        ("https://example.org#top", "path"),
        ("https://example.org\\", "path"),
        ("https://*.stadt.de", "wildcard"),
        ("*", "does not start with"),
        ("www.stadt.de", "does not start with"),
        ("javascript:alert(1)", "does not start with"),
        ("ftp://www.stadt.de", "does not start with"),
        ("https://user@www.stadt.de", "user name"),
        ("https://", "no host name"),
        ("https://:443", "no host name"),
        ("https://straße.de", "xn-- form"),
        ("https://www.stadt.de;script-src", "a-z, 0-9, hyphens and dots"),
        ("https://www..stadt.de", "a-z, 0-9, hyphens and dots"),
        ("https://" + "a" * 64 + ".de", "a-z, 0-9, hyphens and dots"),
        ("https://1.2.3.999", "neither a name nor an IPv4 address"),
        ("https://www.0x1", "neither a name nor an IPv4 address"),
        ("https://01.2.3.4", "neither a name nor an IPv4 address"),
        ("https://" + "a." * 200 + "de", "too long"),
    ],
)
def test_malformed_origins_are_refused_with_one_sentence(value: str, reason: str) -> None:
    with pytest.raises(OriginError) as caught:
        parse_frame_ancestor(value)
    message = translate("en", caught.value.message)  # German by default, the same sentence in English
    assert reason in message
    for sentence in (message, str(caught.value)):
        assert sentence.endswith(".") and "\n" not in sentence
        assert sentence.startswith(repr(value)[:20]), "it names the value it refuses"


def test_self_and_none_are_the_only_keywords() -> None:
    assert parse_frame_ancestor("'self'") == "'self'"
    assert parse_frame_ancestor("'none'") == "'none'"
    for keyword in ("'unsafe-inline'", "self", "'SELF'"):
        with pytest.raises(OriginError):
            parse_frame_ancestor(keyword)


def test_a_long_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(OriginError) as caught:
        parse_origin("https://" + "x" * 5000)
    assert len(str(caught.value)) < 200


def assert_one_sentence(exc: OriginError) -> None:
    message = str(exc)
    assert type(exc) is OriginError
    assert message.endswith(".") and "\n" not in message and len(message) < 300, message


# Near-misses are where parsers break: build origins from plausible and hostile parts.
SCHEMES = st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "https:/", "", "https://https://"])
HOSTS = st.one_of(
    st.sampled_from(["www.stadt.de", "localhost", "127.0.0.1", "[::1]", "[", "]", "[]", "xn--bcher-kva.de"]),
    st.text(alphabet="abcdef0123456789:.[]%-x", max_size=20).map(lambda s: f"[{s}]"),
    st.text(alphabet="abcdef0123456789:.[]%-x", max_size=20),
    st.text(max_size=12),
)
PORTS = st.one_of(
    st.just(""),
    st.integers(-5, 70000).map(lambda n: f":{n}"),
    st.text(alphabet="0123456789:+-٣", max_size=7).map(lambda s: f":{s}"),
)
TAILS = st.sampled_from(["", "/", "//", "/x", "?", "#", "\\", "@x", " ", "\t", ";"])
ORIGIN_LIKE = st.one_of(st.builds(lambda *p: "".join(p), SCHEMES, HOSTS, PORTS, TAILS), st.text(max_size=60))


@settings(max_examples=2000)
@given(value=ORIGIN_LIKE)
def test_any_input_gives_a_clean_origin_or_one_sentence(value: str) -> None:
    try:
        parsed = parse_frame_ancestor(value)
    except OriginError as exc:
        assert_one_sentence(exc)
        return
    assert parsed in {"'self'", "'none'"} or CLEAN.fullmatch(parsed), parsed
    assert parse_frame_ancestor(parsed) == parsed  # one spelling: parsing again changes nothing
    if parsed.startswith("http"):
        parts = urlsplit(parsed)  # never raises for what we accept
        assert parts.port is None or 0 < parts.port < 65536


@settings(max_examples=1000)
@given(value=ORIGIN_LIKE, rest=st.sampled_from(["", "/", "/g/videos?lang=en", "#x", "/a\\b", "?u=@x"]))
def test_a_url_gives_the_origin_urlsplit_sees_or_one_sentence(value: str, rest: str) -> None:
    url = value + rest
    try:
        origin = origin_of_url(url)
    except OriginError as exc:
        assert_one_sentence(exc)
        return
    parts = urlsplit(url)  # never raises for a URL whose origin we accepted
    assert origin == f"{parts.scheme}://{parts.netloc}".lower()
    assert parts.port is None or 0 < parts.port < 65536
