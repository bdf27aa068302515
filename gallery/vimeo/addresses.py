"""Which IP addresses the server may dial when it fetches from Vimeo: an explicit table.

The decision rests on the networks written out below (IANA's IPv4 and IPv6 special-purpose
registries, multicast and the deprecated IPv6 site-local block), not on ``ipaddress`` flags such as
``is_private`` or ``is_global``: their tables changed between Python releases, and they judge IPv4
addresses hidden inside IPv6 differently from version to version. Only membership tests
(``address in network``) are used, which behave the same on every supported Python.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

# Never dialled: private, shared, loopback, link-local, documentation, benchmarking, protocol,
# multicast and reserved space. Blocks that IANA marks globally reachable but that hold no web
# server (AS112 192.31.196.0/24 and 192.175.48.0/24, AMT 192.52.193.0/24) are left out: refusing
# them would protect nothing.
REFUSED_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "this network (RFC 791)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
        ("127.0.0.0/8", "loopback (RFC 1122)"),
        ("169.254.0.0/16", "link-local, cloud metadata services (RFC 3927)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        # Includes two globally reachable anycast addresses (PCP, TURN): no thumbnail lives there.
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
        ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
        ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
        ("224.0.0.0/4", "multicast (RFC 5771)"),
        ("240.0.0.0/4", "reserved (RFC 1112)"),
        ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    )
)

# IPv6 forms that carry an IPv4 address in their last 32 bits and lead to that IPv4 host: judged
# as that IPv4 address, so a public one passes. Mapped addresses come from dual-stack resolvers,
# and DNS64 on an IPv6-only server answers with the NAT64 prefix for every IPv4-only name.
EMBEDDING_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
        ("64:ff9b::/96", "NAT64 well-known prefix (RFC 6052)"),
        ("::/96", "IPv4-compatible, deprecated (RFC 4291)"),
    )
)

# Never dialled, whatever they embed. 6to4 and Teredo are refused whole rather than judged by the
# IPv4 inside: both are deprecated client-side tunnels (RFC 7526; Teredo is NAT traversal for
# end hosts), no server we fetch from is addressed that way, and a Teredo address names two IPv4
# hosts (its server in bits 32-63, its client in the last 32 bits inverted), so passing on one would
# leave the other unchecked. The local-use NAT64 prefix is refused whole because where the IPv4
# address sits depends on the prefix length the local network chose (RFC 8215), so it cannot be read.
REFUSED_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("::/128", "unspecified (RFC 4291)"),
        ("::1/128", "loopback (RFC 4291)"),
        ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
        ("100::/64", "discard-only (RFC 6666)"),
        ("100:0:0:1::/64", "dummy prefix for examples (IANA, 2025)"),
        ("2001::/32", "Teredo (RFC 4380)"),
        ("2001::/23", "IETF protocol assignments (RFC 2928)"),
        ("2001:db8::/32", "documentation (RFC 3849)"),
        ("2002::/16", "6to4 (RFC 3056)"),
        ("3fff::/20", "documentation (RFC 9637)"),
        ("5f00::/16", "segment routing SIDs (RFC 9602)"),
        ("fc00::/7", "unique local (RFC 4193)"),
        ("fe80::/10", "link-local (RFC 4291)"),
        ("fec0::/10", "site-local, deprecated (RFC 3879)"),
        ("ff00::/8", "multicast (RFC 4291)"),
    )
)

# The only IPv6 block IANA allocates for global unicast; everything outside it is unassigned or
# special (RFC 4291 section 2.4), so an answer from there is refused even if no row above names it.
GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")


def why_refused(address: str) -> str | None:
    """Why the server must not dial ``address`` (a resolver's answer), or None if it may."""
    try:
        ip = ip_address(address.split("%", 1)[0])  # a zone index (fe80::1%eth0) is no part of it
    except ValueError:
        return "not an IP address"
    if isinstance(ip, IPv4Address):
        return next((why for net, why in REFUSED_V4 if ip in net), None)
    return _why_refused_v6(ip)


def _why_refused_v6(ip: IPv6Address) -> str | None:
    for net, why in REFUSED_V6:
        if ip in net:
            return why
    for net, why in EMBEDDING_V6:
        if ip in net:
            inner = why_refused(str(IPv4Address(int(ip) & 0xFFFFFFFF)))
            return f"{why} around {inner}" if inner else None
    if ip not in GLOBAL_UNICAST_V6:
        return "outside global unicast 2000::/3"
    return None


def is_public_address(address: str) -> bool:
    """True only for addresses no row of the tables refuses."""
    return why_refused(address) is None
