"""Who is calling. A request from one of the reverse proxies the operator named
(FAIRVIEW_TRUSTED_PROXIES) has its client address and scheme taken from ``X-Forwarded-For`` and
``X-Forwarded-Proto`` (uvicorn's ProxyHeadersMiddleware, the first middleware of the app); from
anyone else those headers are not believed. Rate limits and the log-in lockout key on the
result."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection

FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


def is_local_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The request comes straight from this machine: a loopback client and no forwarding header
    (a reverse proxy on this machine that is not configured as trusted still adds one, so the
    outside world it relays is not mistaken for a local caller)."""
    try:
        local = ipaddress.ip_address(client_ip(connection).split("%", 1)[0]).is_loopback
    except ValueError:
        return False
    return local and not any(name in connection.headers for name in FORWARDING_HEADERS)
