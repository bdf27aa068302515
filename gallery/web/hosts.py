"""Which host a request is addressed to, and which client sent it: the host gate and trusted proxies."""

from __future__ import annotations

import ipaddress
import re
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..i18n import DEFAULT_LANGUAGE, translations
from ..i18n import gettext_noop as N_
from ..settings import Settings

UNKNOWN_HOST = N_(
    "Unbekannte Adresse: Dieser Dienst antwortet nur unter den eingestellten Namen "
    "(GALLERY_PUBLIC_URL, GALLERY_ALLOWED_HOSTS)."
)
T = TypeVar("T")
LOOPBACK_NAMES = frozenset({b"localhost", b"127.0.0.1", b"[::1]"})
_LOCALHOST_LABELS = re.compile(rb"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+localhost")


class AllowedHosts:
    """The Host header values the service answers for, decided from precomputed sets.

    Names from GALLERY_ALLOWED_HOSTS given with a port match only that port, names without one
    (and the public URL's host) any port. With nothing configured: loopback names only.
    """

    def __init__(self, settings: Settings) -> None:
        names = list(settings.allowed_hosts)
        if settings.public_url:
            public = urlsplit(settings.public_url).hostname or ""
            names.append(f"[{public}]" if ":" in public else public)
        self.loopback_only = not names
        self.exact = frozenset(n.encode() for n in names)
        self.any_port = frozenset(n.encode() for n in names if n.endswith("]") or ":" not in n)

    def allows(self, host: bytes) -> bool:
        if host in self.exact:
            return True
        host = host.lower()
        name, port = host, b""
        if not host.endswith(b"]"):
            before, colon, after = host.rpartition(b":")
            if colon:
                name, port = before, after
                if not (port.isdigit() and len(port) <= 5):
                    return False
        if self.loopback_only:
            return name in LOOPBACK_NAMES or _LOCALHOST_LABELS.fullmatch(name) is not None
        return host in self.exact or name in self.any_port


class HostGate:
    """Answers a short 400 to any request whose Host is not ours, before anything else runs.

    Without it a request could name any host and the service would take that for its own
    origin (forgery checks, snippets, redirects): DNS rebinding makes a browser do just that.
    """

    def __init__(self, app: ASGIApp, hosts: AllowedHosts) -> None:
        self.app = app
        self.hosts = hosts
        # Nothing tells which language the sender reads: German first, then English.
        english = translations("en").gettext(UNKNOWN_HOST)
        self.body = f"{translations(DEFAULT_LANGUAGE).gettext(UNKNOWN_HOST)}\n{english}\n".encode()
        self.headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(self.body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = None
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value
                    break
            if host is None or not self.hosts.allows(host):
                body = b"" if scope["method"] == "HEAD" else self.body
                await send({"type": "http.response.start", "status": 400, "headers": self.headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class TrustedProxies:
    """The addresses and networks of GALLERY_TRUSTED_PROXIES, matched against a peer address."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        networks = [ipaddress.ip_network(e) for e in entries]
        # Most set-ups name single addresses: those are a set lookup, no parsing.
        self.addresses = frozenset(str(n.network_address) for n in networks if n.num_addresses == 1)
        self.networks = tuple(n for n in networks if n.num_addresses > 1)

    def __bool__(self) -> bool:
        return bool(self.addresses or self.networks)

    def trusts(self, address: str) -> bool:
        if address in self.addresses:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers this way
        return str(ip) in self.addresses or any(ip in n for n in self.networks)


class ForwardedHeaders:
    """Client address and scheme from X-Forwarded-For/-Proto, only when the peer is a trusted proxy.

    Anyone else can write these headers: believed from them, X-Forwarded-For would give every
    guess at a password a fresh address. Applied inside the app so that every way of running
    it behaves the same (``gallery serve`` switches uvicorn's own handling off).
    """

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self.proxies.trusts(client[0]):
            forwarded_for: list[str] = []
            forwarded_proto: list[str] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    forwarded_proto.append(value.decode("latin-1"))
            if forwarded_proto:
                # The last value is the one our own proxy wrote.
                proto = ",".join(forwarded_proto).rsplit(",", 1)[-1].strip().lower()
                if proto in {"http", "https"}:
                    scope = {**scope, "scheme": proto}
            if forwarded_for:
                address = self.client_address(",".join(forwarded_for))
                if address:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)

    def client_address(self, forwarded_for: str) -> str | None:
        """The nearest address not itself a trusted proxy (further left is the client's own say)."""
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop and not self.proxies.trusts(hop):
                return hop
        return hops[0] or None


class TownHosts(Generic[T]):
    """Which town a Host header names: the other towns' exact names first, the first town's rules last.

    Exact names (with a port: that port only; without: any port) are looked up in dictionaries,
    so that many towns cost no more per request than one.
    """

    def __init__(self, first: tuple[T, AllowedHosts], others: list[tuple[T, AllowedHosts]]) -> None:
        self.first, self.first_hosts = first
        self.exact: dict[bytes, T] = {}
        self.any_port: dict[bytes, T] = {}
        for town, hosts in others:
            self.exact.update(dict.fromkeys(hosts.exact, town))
            self.any_port.update(dict.fromkeys(hosts.any_port, town))

    def town_for(self, host: bytes) -> T | None:
        found = self.exact.get(host)
        if found is not None:
            return found
        if self.exact:
            lower = host.lower()
            name = lower
            if not lower.endswith(b"]"):
                before, colon, port = lower.rpartition(b":")
                if colon:
                    if not (port.isdigit() and len(port) <= 5):
                        return None
                    name = before
            found = self.exact.get(lower) or self.any_port.get(name)
            if found is not None:
                return found
        return self.first if self.first_hosts.allows(host) else None
