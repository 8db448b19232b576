"""Webhook URLs must not reach inside the network Fairview runs in (SSRF).

A URL is accepted only when every address its host resolves to is a global (public internet)
address, and so is every IPv4 address embedded in it (IPv4-mapped, 6to4, Teredo): loopback,
private, shared (100.64.0.0/10, carrier-grade NAT and cloud metadata such as 100.100.100.200),
link-local, benchmarking, documentation, multicast and reserved addresses are refused. The
operator may allow non-global addresses (FAIRVIEW_WEBHOOKS_ALLOW_PRIVATE, for endpoints on the
same network, and for tests). A malformed port or host name is refused as such.

Checked when an endpoint is saved and again before every delivery (DNS answers change), and a
delivery connects only to the addresses that were checked (``pinned_client``): the host name is
not resolved a second time, so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot redirect it. The request still carries the URL's host name in its Host
header and as the TLS server name, whose certificate is verified against it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(ValueError):
    """A URL deliveries may not use. ``permanent``: the URL itself is malformed, so no retry can
    succeed; otherwise (it does not resolve, or resolves to a refused address) DNS may change."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses a delivery may connect to."""

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def embedded_ipv4(ip: IP) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries, which routers may deliver to."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    if ip in NAT64:  # the well-known prefix of NAT64 gateways
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def refusal(ip: IP) -> str | None:
    """Why a connection to ``ip`` is not allowed, or None for a global address."""
    for candidate in (*embedded_ipv4(ip), ip):  # what it carries names the reason best
        if candidate.is_loopback:
            return "loopback"
        if candidate.is_link_local:
            return "link-local (cloud metadata)"
        if candidate.is_multicast:
            return "multicast"
        if not candidate.is_global:
            return "non-public (private, shared or reserved)"
    return None


def _host(hostname: str) -> str:
    """The host name in ASCII (IDNA), or UnsafeUrl when it is not a valid one."""
    try:
        ipaddress.ip_address(hostname)
        return hostname
    except ValueError:
        pass
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as e:
        raise UnsafeUrl(f"{hostname!r} is not a valid host name.", permanent=True) from e
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(LABEL.match(label) for label in labels):
        raise UnsafeUrl(f"{hostname!r} is not a valid host name.", permanent=True)
    return ascii_host


async def check_url(url: str, allow_private: bool = False) -> Target:
    """The URL's target with its resolved addresses, or UnsafeUrl."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise UnsafeUrl("Use an http(s):// URL with a host name.", permanent=True)
    if parts.username or parts.password:
        raise UnsafeUrl("Put credentials in the signing secret, not in the URL.", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise UnsafeUrl("The port must be a number from 1 to 65535.", permanent=True) from e
    host = _host(parts.hostname)
    try:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        reason = e.strerror if isinstance(e, socket.gaierror) else str(e)
        raise UnsafeUrl(f"{host} does not resolve: {reason}") from e
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    if not allow_private:
        for address in addresses:
            kind = refusal(ipaddress.ip_address(address))
            if kind:
                raise UnsafeUrl(
                    f"{host} resolves to {address}, a {kind} address; webhooks go to the"
                    " public internet only."
                )
    if not addresses:
        raise UnsafeUrl(f"{host} does not resolve.")
    return Target(url=url, host=host, port=port, addresses=addresses)


def same_host(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.strip("[]")) == ipaddress.ip_address(b.strip("[]"))
    except ValueError:
        return a.lower().removesuffix(".") == b.lower().removesuffix(".")


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the checked addresses, whatever the host name resolves to now."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if port != self.target.port or not same_host(host, self.target.host):
            raise httpcore.ConnectError(f"{host}:{port} is not the checked webhook host")
        error: Exception | None = None
        for address in self.target.addresses:
            try:
                return await self.backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None
        raise error

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that dials only the checked addresses; TLS
    still names and verifies the URL's host (httpcore passes it as the server name)."""

    def __init__(self, target: Target, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, max_connections=1, network_backend=PinnedBackend(target)
        )


def pinned_client(
    target: Target, timeout_s: float, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    """A client for one checked target: no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        transport=PinnedTransport(target, verify),
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
    )
