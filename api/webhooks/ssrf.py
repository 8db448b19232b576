"""Webhook URLs must not reach inside the network Fairview runs in (SSRF): a URL whose host
resolves to a loopback, private, link-local (cloud metadata), multicast or reserved address is
refused, unless the operator allows private addresses (FAIRVIEW_WEBHOOKS_ALLOW_PRIVATE, for
endpoints on the same network, and for tests). Checked when an endpoint is saved and again
before every delivery, since DNS answers change."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    pass


def _forbidden(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, bad in (
        ("loopback", ip.is_loopback),
        ("link-local (cloud metadata)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or ip.is_unspecified),
    ):
        if bad:
            return name
    return None


async def check_url(url: str, allow_private: bool = False) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise UnsafeUrl("Use an http(s):// URL with a host name.")
    if parts.username or parts.password:
        raise UnsafeUrl("Put credentials in the signing secret, not in the URL.")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UnsafeUrl(f"{parts.hostname} does not resolve: {e.strerror}") from e
    for info in infos:
        address = str(info[4][0])
        kind = _forbidden(address)
        if kind:
            raise UnsafeUrl(
                f"{parts.hostname} resolves to {address}, a {kind} address; webhooks go to the"
                " public internet only."
            )
