"""``/healthz`` (the process is alive), ``/readyz`` (its dependencies answer), ``/metrics``.

What monitoring reads is not for everyone: the metrics name routes and counts, the readiness
details name services and their errors. Both are served to a caller on this machine (loopback,
not through a proxy) or to one that sends ``Authorization: Bearer <FAIRVIEW_METRICS_TOKEN>``;
anyone else gets ``/readyz`` as just ``{"ready": …}`` (and its status code) and ``/metrics`` a 403.
A process that runs background loops is not ready while one of them keeps failing; the details
name it (``failing``) and give every loop's state (``loops``).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from api.context import services
from api.errors import Forbidden
from api.identity.auth import bearer_token
from api.network import is_local_caller
from streaming.supervisor import Supervisor


class Check(msgspec.Struct):
    ok: bool
    latency_ms: float
    error: str | None = None


class LoopStatus(msgspec.Struct):
    """A background loop of this process (streaming/supervisor.py)."""

    state: str  # running | restarting | failing
    since: str
    restarts: int
    failing_since: str | None
    last_error: str | None  # the exception's type and where; the log has the traceback
    last_error_at: str | None


class Readiness(msgspec.Struct, omit_defaults=True):
    ready: bool
    # For monitoring only: the dependencies, and the background loops of a process that runs
    # them (`fairview run`, `fairview worker`) with the names of those failing (the process is
    # then not ready).
    checks: dict[str, Check] | None = None
    loops: dict[str, LoopStatus] | None = None
    failing: list[str] | None = None


def monitoring_allowed(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A direct loopback caller, or the monitoring token (compared in constant time)."""
    if is_local_caller(connection):
        return True
    expected = services(connection.app.state).metrics_token
    given = bearer_token(connection)
    return bool(expected and given and hmac.compare_digest(given.encode(), expected.encode()))


def monitoring_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not monitoring_allowed(connection):
        raise Forbidden(
            "Metrics are for monitoring: call from this machine or send the metrics token.",
            code="monitoring_only",
        )


async def _check(probe: Callable[[], Awaitable[Any]], timeout_s: float = 2.0) -> Check:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), timeout_s)
    except Exception as exc:
        return Check(
            False,
            round((time.perf_counter() - started) * 1000, 1),
            f"{type(exc).__name__}: {exc}"[:300],
        )
    return Check(True, round((time.perf_counter() - started) * 1000, 1))


@get("/healthz", tags=["system"], include_in_schema=True)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["system"])
async def readyz(request: Request[Any, Any, Any]) -> Response[Readiness]:
    svc = services(request.app.state)
    probes: dict[str, Callable[[], Awaitable[Any]]] = {
        "postgres": svc.db.ping,
        "redis": svc.redis.ping,
        "kafka": svc.bus.ping,
        "object_store": svc.objects.ping,
    }
    results = await asyncio.gather(*(_check(p) for p in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    supervisor: Supervisor | None = getattr(request.app.state, "supervisor", None)
    failing = [] if supervisor is None else supervisor.failing
    ready = all(c.ok for c in checks.values()) and not failing
    if not monitoring_allowed(request):
        return Response(Readiness(ready), status_code=200 if ready else 503)
    loops = (
        None
        if supervisor is None
        else {n: msgspec.convert(s.as_json(), LoopStatus) for n, s in supervisor.states.items()}
    )
    body = Readiness(ready, checks, loops, None if supervisor is None else failing)
    return Response(body, status_code=200 if ready else 503)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    guards = [monitoring_only]
