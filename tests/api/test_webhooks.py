"""Webhooks: events signed per Standard Webhooks reach an organization's endpoint, are retried
with backoff (time-travelled, not slept), logged attempt by attempt, redelivered on request;
endpoints that keep failing are disabled and the owner is emailed; URLs into the server's own
network are refused (SSRF)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar, Request, Response, post
from standardwebhooks import Webhook

from api.webhooks.ssrf import UnsafeUrl, check_url
from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.http_server import serve
from tests.services import Inbox


class Receiver:
    """An integration's endpoint on 127.0.0.1 that fails the first ``failures`` requests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.arrived = asyncio.Event()

    def app(self) -> Litestar:
        @post("/hook", status_code=200)
        async def hook(request: Request[Any, Any, Any]) -> Any:
            status = 500 if len(self.received) < self.failures else 200
            self.received.append((dict(request.headers), await request.body(), status))
            self.arrived.set()
            return Response({"ok": status == 200}, status_code=status)

        return Litestar([hook])

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(20):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Receiver]]:
    r = Receiver(failures=3)
    async with serve(r.app()) as url:
        yield f"{url}/hook", r


async def time_travel(db: Any) -> None:
    """Make the pending retries due now, and wake the delivery loop."""
    await db.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'"
    )
    await db.execute("SELECT pg_notify('webhook_deliveries', '')")


class TestDelivery:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, webhooks_allow_private=True)  # the receiver is on 127.0.0.1

    async def test_signed_event_survives_three_failures(
        self, api: ApiClient, db: Any, receiver: tuple[str, Receiver]
    ) -> None:
        url, r = receiver
        await api.sign_up()
        created = await api.post(
            "/api/v1/webhooks", json={"url": url, "events": ["invitation.created"]}
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()
        assert endpoint["secret"].startswith("whsec_")
        _, _token = await interview_with_candidate(api)

        gaps = []
        for n in range(1, 5):
            await r.wait_for(n)
            if n < 4:  # a failure: the next try is scheduled by the backoff
                async with asyncio.timeout(10):
                    while not await db.fetchval(
                        "SELECT attempts FROM webhook_deliveries WHERE attempts = $1", n
                    ):
                        await asyncio.sleep(0.05)
                gaps.append(
                    await db.fetchval(
                        "SELECT d.next_attempt_at - max(a.at) FROM webhook_deliveries d"
                        " JOIN webhook_attempts a ON a.delivery_id = d.id GROUP BY d.id"
                    )
                )
                await time_travel(db)
        for gap, expected in zip(gaps, (5, 300, 1800), strict=True):
            assert abs(gap - timedelta(seconds=expected)) < timedelta(seconds=2), gaps

        statuses = [status for _, _, status in r.received]
        assert statuses == [500, 500, 500, 200]
        ids = {headers["webhook-id"] for headers, _, _ in r.received}
        assert len(ids) == 1  # the same id every time: receivers de-duplicate by it
        headers, body, _ = r.received[-1]
        event = Webhook(endpoint["secret"]).verify(body, headers)  # raises if the signature is bad
        assert event["type"] == "invitation.created" and event["data"]["candidate_id"]
        with pytest.raises(Exception):  # noqa: B017  (any verification error)
            Webhook(endpoint["secret"]).verify(body.replace(b"created", b"deleted"), headers)

        deliveries = (await api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries")).json()
        (delivery,) = deliveries["items"]
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 4)
        log = delivery["attempt_log"]
        assert [a["status_code"] for a in log] == [500, 500, 500, 200]
        assert [a["error"] for a in log] == ["HTTP 500"] * 3 + [None]

        # Redelivery on request, and a test event.
        redelivered = await api.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver")
        assert redelivered.status_code == 204
        await r.wait_for(5)
        assert r.received[4][0]["webhook-id"] == headers["webhook-id"]
        test = (await api.post(f"/api/v1/webhooks/{endpoint['id']}/test")).json()
        await r.wait_for(6)
        test_event = Webhook(endpoint["secret"]).verify(r.received[5][1], r.received[5][0])
        assert test_event["type"] == "webhook.test"
        assert r.received[5][0]["webhook-id"] == test["event_id"]

    async def test_an_endpoint_failing_for_a_day_is_disabled_and_the_owner_told(
        self, api: ApiClient, db: Any, inbox: Inbox
    ) -> None:
        await api.sign_up()
        dead = "http://127.0.0.1:9/nothing-listens"
        endpoint = (
            await api.post("/api/v1/webhooks", json={"url": dead, "events": ["invitation.created"]})
        ).json()
        test = (await api.post(f"/api/v1/webhooks/{endpoint['id']}/test")).json()
        # Seven tries have failed already (about 28 hours): the next failure is the last.
        await db.execute("UPDATE webhook_deliveries SET attempts = 7")
        await time_travel(db)
        mail = await inbox.wait_for(lambda m: "webhook" in m["Subject"].lower(), timeout_s=20)
        assert mail["To"] == "ada@example.com" and dead in mail.get_body().get_content()
        endpoints = (await api.get("/api/v1/webhooks")).json()["items"]
        assert endpoints[0]["status"] == "disabled"
        assert "kept failing" in endpoints[0]["disabled_reason"]
        deliveries = (await api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries")).json()
        assert deliveries["items"][0]["status"] == "failed"
        assert deliveries["items"][0]["event_id"] == test["event_id"]
        # Enabled again, it receives events again.
        r = await api.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"status": "active"})
        assert r.json()["status"] == "active" and r.json()["disabled_reason"] is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/hook",  # a name that resolves to loopback
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
    ],
)
async def test_urls_into_the_servers_network_are_refused(url: str, api: ApiClient, db: Any) -> None:
    await api.sign_up()
    r = await api.post("/api/v1/webhooks", json={"url": url, "events": ["evaluation.ready"]})
    assert (r.status_code, r.json()["error"]) == (422, "unsafe_url"), r.text
    assert await db.fetchval("SELECT count(*) FROM webhook_endpoints") == 0


async def test_the_operator_may_allow_private_addresses() -> None:
    with pytest.raises(UnsafeUrl):
        await check_url("http://10.0.0.1/hook")
    await check_url("http://10.0.0.1/hook", allow_private=True)
