"""Where the Vimeo client may connect: every name resolved here and checked against the address table."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from ..settings import Settings, is_loopback_host
from .addresses import why_refused

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_ip_literal(host: str) -> bool:
    """True for an IPv4 or IPv6 address written as such (no name to resolve)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def configured_hosts(settings: Settings) -> frozenset[str]:
    """Hosts the operator wrote down as IP literals or ``localhost``: trusted as configured."""
    hosts = {urlsplit(settings.vimeo_oembed_url).hostname or ""}
    hosts |= {urlsplit(f"//{entry}").hostname or "" for entry in settings.vimeo_thumbnail_hosts}
    return frozenset(h.lower() for h in hosts if is_ip_literal(h) or is_loopback_host(h))


class UnsafeAddress(httpx.ConnectError):
    """The name leads to a private, local or reserved address; nothing was sent."""


class Unresolvable(httpx.ConnectError):
    """The name does not resolve."""


class GuardedTransport(httpx.AsyncBaseTransport):
    """Dials only public addresses, and exactly the address it checked.

    Each request's host is resolved here; if the table in :mod:`gallery.vimeo.addresses` refuses any of
    its addresses, the request is refused.
    The request then goes to the first checked address (the URL's host replaced by it, with
    ``Host`` and TLS SNI kept on the name), so a second DNS answer (rebinding) cannot redirect
    the connection. IP literals pass only when the operator configured exactly that host
    (the stand-in on 127.0.0.1); so does ``localhost``.
    """

    def __init__(
        self,
        make_transport: Callable[[], httpx.AsyncBaseTransport],
        resolver: Resolver,
        settings: Settings,
    ) -> None:
        self.make_transport = make_transport
        self.resolver = resolver
        self.trusted = configured_hosts(settings)
        # One connection pool per name: a pooled TLS connection is only reused for its own SNI.
        self._pools: dict[str, httpx.AsyncBaseTransport] = {}

    def _pool(self, host: str) -> httpx.AsyncBaseTransport:
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = self.make_transport()
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.lower()
        if host in self.trusted:
            return await self._pool(host).handle_async_request(request)
        if is_ip_literal(host):
            raise UnsafeAddress(f"IP literal {host} is not a configured host", request=request)
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except (OSError, UnicodeError):
            raise Unresolvable(f"{host} does not resolve", request=request) from None
        if not addresses:
            raise UnsafeAddress(f"{host} resolves to no address", request=request)
        for address in addresses:
            if why := why_refused(address):
                raise UnsafeAddress(f"{host} resolves to {address}: {why}", request=request)
        request.url = request.url.copy_with(host=addresses[0].split("%", 1)[0])
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._pool(host).handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in {id(p): p for p in pools}.values():
            await pool.aclose()
