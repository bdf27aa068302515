"""SSRF: the server only ever dials public addresses of allowlisted names, or hosts configured as is.

A fake resolver stands in for DNS; ``httpx.MockTransport`` records what would have been dialled.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address, ip_network

import httpx
import pytest

from gallery.settings import Settings
from gallery.vimeo.addresses import is_public_address
from gallery.vimeo.client import MAX_CONCURRENT_REQUESTS, VimeoClient
from gallery.vimeo.errors import UNSAFE_ADDRESS, ThumbnailRefused, VimeoUnavailable
from gallery.vimeo.links import VideoRef

# The guard decides before any request is made: nothing here reads or writes storage.
pytestmark = [pytest.mark.anyio, pytest.mark.storage_free]

JPEG = b"\xff\xd8\xff\xe0" + bytes(100)
PUBLIC = "151.101.2.217"  # a CDN address: globally routable
PUBLIC_V6 = "2a04:4e42::561"


class FakeDNS:
    """Answers from a table and remembers every question."""

    def __init__(self, table: dict[str, list[str] | list[list[str]]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise OSError(-2, "Name or service not known")
        if answer and isinstance(answer[0], list):  # one answer per question (rebinding)
            return list(answer.pop(0))  # type: ignore[arg-type]
        return list(answer)  # type: ignore[arg-type]


class Recorder:
    def __init__(self, respond: httpx.Response | None = None, redirect: str | None = None) -> None:
        self.seen: list[httpx.Request] = []
        self.respond = respond
        self.redirect = redirect

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.redirect and len(self.seen) == 1:
            return httpx.Response(302, headers={"location": self.redirect})
        return self.respond or httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})


def guarded(settings: Settings, dns: FakeDNS, recorder: Recorder, **changes: object) -> VimeoClient:
    settings = replace(settings, **changes).checked()  # type: ignore[arg-type]
    return VimeoClient(settings, httpx.MockTransport(recorder), resolver=dns)


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.8.8",
        "0.0.0.0",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "192.0.2.10",  # documentation
        "224.0.0.1",  # multicast
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::5",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:0a00:0001::1",  # 6to4 around 10.0.0.1
        "not an address",
    ],
)
async def test_private_local_and_reserved_addresses_are_refused(settings: Settings, address: str) -> None:
    assert not is_public_address(address)
    dns, recorder = FakeDNS({"i.vimeocdn.com": [address]}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(ThumbnailRefused) as caught:
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert caught.value.message == UNSAFE_ADDRESS
    assert recorder.seen == []  # nothing was sent anywhere
    assert dns.asked == ["i.vimeocdn.com"]


async def test_one_private_address_among_public_ones_is_enough_to_refuse(settings: Settings) -> None:
    dns, recorder = FakeDNS({"i.vimeocdn.com": [PUBLIC, "10.0.0.7"]}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(ThumbnailRefused):
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert recorder.seen == []


@pytest.mark.parametrize("address", [PUBLIC, PUBLIC_V6])
async def test_public_address_is_dialled_pinned_with_name_kept(settings: Settings, address: str) -> None:
    dns, recorder = FakeDNS({"i.vimeocdn.com": [address]}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        image = await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert image.data == JPEG
    (sent,) = recorder.seen
    assert sent.url.host == address  # the checked address is the one dialled
    assert sent.headers["host"] == "i.vimeocdn.com"
    assert sent.extensions["sni_hostname"] == "i.vimeocdn.com"  # TLS checks the name's certificate


async def test_dns_rebinding_cannot_redirect_a_later_request(settings: Settings) -> None:
    dns = FakeDNS({"i.vimeocdn.com": [[PUBLIC], ["127.0.0.1"]]})
    recorder = Recorder()
    async with guarded(settings, dns, recorder) as client:
        await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
        with pytest.raises(ThumbnailRefused):
            await client.thumbnail("https://i.vimeocdn.com/video/2-d_640")
    assert [r.url.host for r in recorder.seen] == [PUBLIC]


async def test_redirect_to_an_allowlisted_name_that_resolves_locally_is_refused(settings: Settings) -> None:
    dns = FakeDNS({"i.vimeocdn.com": [PUBLIC], "cdn.example": ["192.168.0.10"]})
    recorder = Recorder(redirect="https://cdn.example/video/1.jpg")
    async with guarded(settings, dns, recorder, vimeo_thumbnail_hosts=("i.vimeocdn.com", "cdn.example")) as c:
        with pytest.raises(ThumbnailRefused) as caught:
            await c.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert caught.value.message == UNSAFE_ADDRESS
    assert len(recorder.seen) == 1 and dns.asked == ["i.vimeocdn.com", "cdn.example"]


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/x.jpg",
        "https://[::1]/x.jpg",
        "https://127.0.0.1:9/x.jpg",
        "https://2130706433/x.jpg",  # 127.0.0.1 as one number
        "https://localhost/x.jpg",
    ],
)
async def test_redirects_to_addresses_or_other_names_are_refused(settings: Settings, location: str) -> None:
    dns = FakeDNS({"i.vimeocdn.com": [PUBLIC]})
    recorder = Recorder(redirect=location)
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(ThumbnailRefused):
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert len(recorder.seen) == 1  # only the first, allowlisted request went out


async def test_oembed_host_is_checked_too(settings: Settings) -> None:
    dns, recorder = FakeDNS({"vimeo.com": ["10.9.8.7"]}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(VimeoUnavailable) as caught:
            await client.oembed(VideoRef(123))
    assert caught.value.message == UNSAFE_ADDRESS and not caught.value.definite
    assert recorder.seen == []


async def test_a_name_that_does_not_resolve_is_a_temporary_failure(settings: Settings) -> None:
    dns, recorder = FakeDNS({}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(VimeoUnavailable, match="auflösen"):
            await client.oembed(VideoRef(123))
        with pytest.raises(VimeoUnavailable, match="auflösen"):
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert recorder.seen == []


async def test_configured_loopback_stand_in_is_trusted_without_resolving(settings: Settings) -> None:
    dns = FakeDNS({})
    answer = {"type": "video", "title": "T", "thumbnail_url": "http://127.0.0.1:9/video/1"}
    recorder = Recorder(respond=httpx.Response(200, json=answer))
    async with guarded(
        settings,
        dns,
        recorder,
        vimeo_oembed_url="http://127.0.0.1:9/api/oembed.json",
        vimeo_thumbnail_hosts=("127.0.0.1:9",),
    ) as client:
        oembed = await client.oembed(VideoRef(123))
        assert oembed.title == "T"
    assert dns.asked == [] and recorder.seen[0].url.host == "127.0.0.1"


async def test_production_client_refuses_before_opening_any_socket(settings: Settings) -> None:
    # No transport given: the real httpx transport behind the guard. A private answer must stop
    # the request before a connection is attempted (10.255.255.1 would hang until the timeout).
    dns = FakeDNS({"i.vimeocdn.com": ["10.255.255.1"], "vimeo.com": ["10.255.255.1"]})
    async with VimeoClient(settings, resolver=dns) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(ThumbnailRefused):
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
        with pytest.raises(VimeoUnavailable):
            await client.oembed(VideoRef(123))
        assert asyncio.get_running_loop().time() - started < 1


async def test_requests_to_vimeo_are_capped_per_process(settings: Settings) -> None:
    in_flight = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(404)

    async with VimeoClient(settings, httpx.MockTransport(slow)) as client:
        results = await asyncio.gather(
            *(client.oembed(VideoRef(n)) for n in range(1, 4 * MAX_CONCURRENT_REQUESTS)),
            return_exceptions=True,
        )
    assert len(results) == 4 * MAX_CONCURRENT_REQUESTS - 1
    assert peak == MAX_CONCURRENT_REQUESTS


# --- every refused range, through the client an editor's fetch uses -----------------------

# Written out here from IANA's special-purpose registries, not imported from the product, so a
# row missing from the product's table fails a test.
REFUSED_V4 = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
]
REFUSED_V6 = [
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",  # local-use NAT64: refused whatever it embeds
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001::/32",  # Teredo: refused whatever it embeds
    "2001:db8::/32",
    "2002::/16",  # 6to4: refused whatever it embeds
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",  # site-local, deprecated
    "ff00::/8",
    "4000::/3",  # outside 2000::/3, the only block allocated for global unicast
    "1000::/4",
]
# IPv6 forms that lead to the IPv4 address in their last 32 bits: judged as that address.
EMBEDDING = {"mapped": "::ffff:0:0", "nat64": "64:ff9b::", "compatible": "::"}


def first_middle_last(network: str) -> list[str]:
    net = ip_network(network)
    middle = net.network_address + net.num_addresses // 2
    return sorted({str(net.network_address), str(middle), str(net.broadcast_address)})


def embed(prefix: str, v4: str) -> str:
    return str(IPv6Address(int(IPv6Address(prefix)) | int(IPv4Address(v4))))


def teredo(server: str, client: str) -> str:
    """A Teredo address: server IPv4 in bits 32-63, client IPv4 inverted in the last 32 bits."""
    value = (0x2001 << 112) | (int(IPv4Address(server)) << 64) | (0x8000 << 48) | (0x63BF << 32)
    return str(IPv6Address(value | (int(IPv4Address(client)) ^ 0xFFFFFFFF)))


def sixtofour(v4: str) -> str:
    return str(IPv6Address((0x2002 << 112) | (int(IPv4Address(v4)) << 80) | 1))


REFUSED = [
    *(pytest.param(a, id=f"{net} {a}") for net in REFUSED_V4 + REFUSED_V6 for a in first_middle_last(net)),
    *(
        pytest.param(embed(prefix, a), id=f"{kind} {net} {a}")
        for kind, prefix in EMBEDDING.items()
        for net in REFUSED_V4
        for a in first_middle_last(net)
    ),
    # Transition forms refused whole: a private and a public IPv4 inside are refused alike.
    pytest.param(sixtofour("10.0.0.1"), id="6to4 private"),
    pytest.param(sixtofour("169.254.169.254"), id="6to4 link-local"),
    pytest.param(sixtofour(PUBLIC), id="6to4 public"),
    pytest.param(teredo("65.54.227.120", "10.0.0.1"), id="teredo private client"),
    pytest.param(teredo("65.54.227.120", "127.0.0.1"), id="teredo loopback client"),
    pytest.param(teredo("10.0.0.1", PUBLIC), id="teredo private server"),
    pytest.param(teredo("65.54.227.120", PUBLIC), id="teredo public"),
    pytest.param("64:ff9b:1::a00:1", id="local nat64 private"),
    pytest.param(f"64:ff9b:1::{PUBLIC}", id="local nat64 public"),
    pytest.param("fec0::1", id="site-local"),
    pytest.param("fe80::1%eth0", id="link-local with zone"),
]


@pytest.mark.parametrize("address", REFUSED)
async def test_every_refused_range_stops_thumbnail_and_oembed_fetches(
    settings: Settings, address: str
) -> None:
    dns, recorder = FakeDNS({"i.vimeocdn.com": [address], "vimeo.com": [address]}), Recorder()
    async with guarded(settings, dns, recorder) as client:
        with pytest.raises(ThumbnailRefused) as thumbnail:
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
        with pytest.raises(VimeoUnavailable) as oembed:
            await client.oembed(VideoRef(123))
    assert thumbnail.value.message == UNSAFE_ADDRESS
    assert oembed.value.message == UNSAFE_ADDRESS and not oembed.value.definite
    assert recorder.seen == []  # nothing was sent anywhere
    assert dns.asked == ["i.vimeocdn.com", "vimeo.com"]


PASSES = [
    PUBLIC,
    "151.101.0.217",
    "2a04:4e42::",
    PUBLIC_V6,
    # Just outside a refused range.
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "192.88.98.255",
    "192.88.100.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2001:200::1",  # after 2001::/23
    "2001:db9::1",
    "2003::1",  # after 6to4
    "3fff:1000::1",  # after 3fff::/20
    # A public IPv4 address inside the forms that really lead to it.
    embed("::ffff:0:0", PUBLIC),
    embed("64:ff9b::", PUBLIC),
    embed("::", PUBLIC),
]


@pytest.mark.parametrize("address", PASSES)
async def test_public_addresses_are_fetched_from(settings: Settings, address: str) -> None:
    answer = {"type": "video", "title": "T", "thumbnail_url": "https://i.vimeocdn.com/video/1-d_640"}
    dns = FakeDNS({"i.vimeocdn.com": [address], "vimeo.com": [address]})
    recorder = Recorder()
    async with guarded(settings, dns, recorder) as client:
        image = await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
        recorder.respond = httpx.Response(200, json=answer)
        oembed = await client.oembed(VideoRef(123))
    assert image.data == JPEG and oembed.title == "T"
    assert [ip_network(r.url.host) for r in recorder.seen] == [ip_network(address)] * 2


async def test_configured_stand_in_host_trusts_that_host_only(settings: Settings) -> None:
    # The stand-in on 127.0.0.1:9 is configured; a name answering 127.0.0.1 is still refused.
    dns = FakeDNS({"i.vimeocdn.com": ["127.0.0.1"]})
    recorder = Recorder()
    async with guarded(
        settings,
        dns,
        recorder,
        vimeo_oembed_url="http://127.0.0.1:9/api/oembed.json",
        vimeo_thumbnail_hosts=("127.0.0.1:9", "i.vimeocdn.com"),
    ) as client:
        assert (await client.thumbnail("http://127.0.0.1:9/video/1")).data == JPEG
        with pytest.raises(ThumbnailRefused) as caught:
            await client.thumbnail("https://i.vimeocdn.com/video/1-d_640")
    assert caught.value.message == UNSAFE_ADDRESS
    assert [r.url.host for r in recorder.seen] == ["127.0.0.1"] and dns.asked == ["i.vimeocdn.com"]
