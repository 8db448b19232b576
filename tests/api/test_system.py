from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx

from fairview.runtime import build_app
from fairview.settings import Settings
from streaming.bus import EVENTS, KafkaBus
from tests.api_client import ApiClient
from tests.http_server import serve
from tests.services import free_port


async def test_health_readiness_and_metrics(api: ApiClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    r = await api.get("/readyz")
    assert r.status_code == 200
    assert set(r.json()["checks"]) == {"postgres", "redis", "kafka", "object_store"}
    assert all(c["ok"] for c in r.json()["checks"].values())
    await api.get("/api/v1/auth/me")
    metrics = (await api.get("/metrics")).text
    assert "fairview_requests_total" in metrics
    assert r.headers["x-request-id"]


async def test_readiness_names_the_failing_dependency(
    settings: Settings, kafka: str, tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the object store directory should be")
    broken = replace(settings, object_store=str(blocker / "objects"), port=free_port())
    app = build_app(broken, roles=frozenset({"api"}), kafka=kafka)
    async with serve(app, broken.port) as url, httpx.AsyncClient() as client:
        r = await client.get(f"{url}/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["object_store"]["ok"] is False and checks["object_store"]["error"]
    assert checks["postgres"]["ok"] is True


async def test_errors_have_codes(api: ApiClient) -> None:
    r = await api.get("/api/v1/no-such-thing")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = await api.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"] in {"validation_error", "bad_request"}
    r = await api.get("/api/v1/auth/me", headers={"x-request-id": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"


async def test_openapi_documents_errors(api: ApiClient) -> None:
    schema = (await api.get("/api/docs/openapi.json")).json()
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert {"401", "429"} <= set(login["responses"])
    ref = login["responses"]["429"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorBody")


async def test_domain_events_reach_kafka_after_commit(api: ApiClient, kafka: str) -> None:
    me = await api.sign_up(org="Evented")
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    seen: dict[str, Any] = {}

    async def find() -> None:
        async for msg in bus.consume([EVENTS], group=f"t-{me['organization']['id']}"):
            if msg.key == me["organization"]["id"]:
                seen.update(msg.value)
                return

    await asyncio.wait_for(find(), 20)
    assert seen["type"] == "organization.created"
    assert seen["data"]["owner_id"] == me["user"]["id"]
    assert seen["id"]
