"""``/healthz`` (the process is alive), ``/readyz`` (its dependencies answer), ``/metrics``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.plugins.prometheus import PrometheusController

from api.context import services


class Check(msgspec.Struct):
    ok: bool
    latency_ms: float
    error: str | None = None


class Readiness(msgspec.Struct):
    ready: bool
    checks: dict[str, Check]


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
    ready = all(c.ok for c in checks.values())
    return Response(Readiness(ready, checks), status_code=200 if ready else 503)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
