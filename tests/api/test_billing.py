"""Billing: plans' limits enforced at the moment of the action (402, nothing changed), never
cutting an interview in progress; usage metered from events; Stripe Checkout and Portal against
recorded responses; Stripe webhooks verified, handled once, in any order; billing off for
self-hosted installs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import CandidateClient
from tests.stripe_replay import StripeReplay, stripe_replay

SECRET = "whsec_test_fairview"
PLANS = """
default = "free"
grace_days = 7

[plans.free]
name = "Free"
price = "$0"
seats = 2
active_interviews = 1
completed_interviews_per_month = 2
ai_minutes_per_month = 5
storage_gb = 1

[plans.starter]
name = "Starter"
price = "$49 / month"
stripe_price = "price_starter"
seats = 5
active_interviews = 3
completed_interviews_per_month = 100
ai_minutes_per_month = 600
storage_gb = 50

[plans.enterprise]
name = "Enterprise"
price = "Contact us"
"""
TEXT_QUESTION = [{"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 300}]


@pytest.fixture
async def replay() -> AsyncIterator[tuple[str, StripeReplay]]:
    async with stripe_replay() as r:
        yield r


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, replay: tuple[str, StripeReplay]) -> Settings:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS)
    return replace(
        settings,
        billing="on",
        plans_file=str(plans),
        stripe_secret_key="sk_test_fairview",
        stripe_webhook_secret=SECRET,
        stripe_api_base=replay[0],
    )


def signed(event: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A webhook request as Stripe sends it: `Stripe-Signature: t=<time>,v1=<HMAC-SHA256 of
    "<time>.<payload>" with the endpoint's secret>`."""
    payload = json.dumps(event).encode()
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def event(
    event_id: str, kind: str, obj: dict[str, Any], created: int | None = None
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def subscription(org: str, status: str, price: str = "price_starter") -> dict[str, Any]:
    return {
        "id": "sub_test_1",
        "object": "subscription",
        "customer": "cus_test_1",
        "status": status,
        "cancel_at_period_end": False,
        "metadata": {"organization_id": org},
        "items": {"data": [{"price": {"id": price}, "current_period_end": 1798000000}]},
    }


async def send(server: str, e: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    payload, headers = signed(e, secret)
    async with httpx.AsyncClient(base_url=server) as http:
        return await http.post("/api/v1/billing/stripe/webhook", content=payload, headers=headers)


async def snapshot(db: Any) -> list[Any]:
    return [
        await db.fetch(f"SELECT * FROM {table} ORDER BY 1")
        for table in ("subscriptions", "stripe_events", "interviews", "candidates")
    ]


async def create_interview(api: ApiClient, title: str = "Support lead") -> str:
    r = await api.post("/api/v1/interviews", json={"title": title, "questions": TEXT_QUESTION})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def activate(api: ApiClient, interview_id: str) -> httpx.Response:
    return await api.post(f"/api/v1/interviews/{interview_id}/status", json={"status": "active"})


async def invite(api: ApiClient, interview_id: str, email: str) -> httpx.Response:
    return await api.post(
        f"/api/v1/interviews/{interview_id}/candidates",
        json={"name": email.split("@")[0], "email": email, "send_email": False},
    )


def refused(r: httpx.Response, words: str) -> None:
    assert r.status_code == 402, r.text
    body = r.json()
    assert body["error"] == "plan_limit_reached"
    assert words in body["detail"] and "Upgrade on the Billing page" in body["detail"]


async def test_each_limit_is_enforced_when_the_action_happens(
    api: ApiClient, server: str, db: Any
) -> None:
    await api.sign_up()
    # Seats: the owner and one pending invitation fill the Free plan's 2.
    r = await api.post("/api/v1/team-invitations", json={"email": "b@x.io", "role": "reviewer"})
    assert r.status_code == 201, r.text
    before = await db.fetch("SELECT * FROM team_invitations")
    r = await api.post("/api/v1/team-invitations", json={"email": "c@x.io", "role": "reviewer"})
    refused(r, "2 seats")
    assert await db.fetch("SELECT * FROM team_invitations") == before

    # Active interviews: one.
    first, second = await create_interview(api), await create_interview(api, "Second")
    assert (await activate(api, first)).status_code == 201
    state = await snapshot(db)
    refused(await activate(api, second), "1 active interviews")
    assert await snapshot(db) == state

    # Completed interviews per month: two, counting invited candidates who have not finished.
    links = []
    for email in ("a@x.io", "b@x.io"):
        r = await invite(api, first, email)
        assert r.status_code == 201, r.text
        links.append(r.json()["link"])
    state = await snapshot(db)
    refused(await invite(api, first, "c@x.io"), "2 completed interviews")
    r = await api.post(
        f"/api/v1/interviews/{first}/candidates/import",
        json={"csv": "name,email\nDee,d@x.io\n", "send_email": False},
    )
    assert r.json()["created"] == 0 and "2 completed interviews" in r.json()["errors"][0]["error"]
    assert await snapshot(db) == state

    # Both invited candidates finish, metered from the completion events.
    for link in links:
        c = CandidateClient(httpx.AsyncClient(base_url=server), link.rsplit("/", 1)[1])
        await c.consent(ai=False)
        q = (await c.session())["questions"][0]
        assert (
            await c.post(f"/questions/{q['id']}/text", json={"text": "Yes."})
        ).status_code == 201
        assert (await c.post("/finish")).status_code == 204
    usage = await wait_for_usage(api, "completed_interviews_per_month", 2)
    assert usage["allowed"] == 2
    refused(await invite(api, first, "c@x.io"), "2 completed interviews")

    # AI minutes and storage: refused once the month's allowance is spent.
    org = (await db.fetchrow("SELECT id FROM organizations"))["id"]
    await db.execute("UPDATE usage_counters SET value = 0 WHERE metric = 'completed_interviews'")
    await db.execute(
        "INSERT INTO usage_counters VALUES ($1, date_trunc('month', now())::date, 'ai_seconds',"
        " 300)",
        org,
    )
    refused(await invite(api, first, "e@x.io"), "5 minutes of AI transcription")
    await db.execute("DELETE FROM usage_counters WHERE metric = 'ai_seconds'")
    await db.execute(
        "INSERT INTO usage_counters VALUES ($1, '1970-01-01', 'storage_bytes', 1000000000)"
        " ON CONFLICT (organization_id, period, metric) DO UPDATE SET value = EXCLUDED.value",
        org,
    )
    refused(await invite(api, first, "e@x.io"), "1 GB of recordings")


async def wait_for_usage(api: ApiClient, limit: str, at_least: float) -> dict[str, Any]:
    for _ in range(300):
        usage = {u["limit"]: u for u in (await api.get("/api/v1/billing")).json()["usage"]}
        if usage[limit]["used"] >= at_least:
            return usage[limit]
        await asyncio.sleep(0.05)
    raise AssertionError(usage)


async def test_an_interview_in_progress_always_completes(
    api: ApiClient, server: str, db: Any
) -> None:
    """A candidate invited within the plan can finish even after the plan shrinks under them."""
    me = await api.sign_up()
    org = me["organization"]["id"]
    started = event("evt_1", "customer.subscription.created", subscription(org, "active"))
    assert (await send(server, started)).status_code == 200
    interviews = [await create_interview(api, f"Role {n}") for n in range(3)]
    links = []
    for interview_id in interviews:
        assert (await activate(api, interview_id)).status_code == 201
        links.append((await invite(api, interview_id, "ann@x.io")).json()["link"])
    c = CandidateClient(httpx.AsyncClient(base_url=server), links[2].rsplit("/", 1)[1])
    await c.consent(ai=False)
    # The subscription is cancelled: back to Free (1 active interview, 2 completed a month).
    r = await send(
        server, event("evt_2", "customer.subscription.deleted", subscription(org, "canceled"))
    )
    assert r.json()["outcome"] == "canceled"
    billing = (await api.get("/api/v1/billing")).json()
    assert billing["plan"]["id"] == "free"
    q = (await c.session())["questions"][0]
    assert (await c.post(f"/questions/{q['id']}/text", json={"text": "Yes."})).status_code == 201
    assert (await c.post("/finish")).status_code == 204
    assert await db.fetchval("SELECT count(*) FROM candidates WHERE status = 'completed'") == 1
    # New work is what the smaller plan refuses.
    refused(await invite(api, interviews[0], "bob@x.io"), "completed interviews")


async def test_stripe_webhooks_are_verified_handled_once_and_in_order(
    api: ApiClient, server: str, db: Any
) -> None:
    me = await api.sign_up()
    org = me["organization"]["id"]
    # An invoice before Checkout has linked the customer: refused (Stripe sends it again later).
    early = event(
        "evt_early_invoice",
        "invoice.paid",
        {
            "id": "in_0",
            "customer": "cus_test_1",
            "status": "paid",
            "amount_due": 4900,
            "amount_paid": 4900,
            "currency": "usd",
            "created": int(time.time()) - 5,
        },
    )
    r = await send(server, early)
    assert r.status_code == 409 and r.json()["error"] == "unknown_customer"
    assert await db.fetchval("SELECT count(*) FROM stripe_events") == 0
    linked = event(
        "evt_checkout",
        "checkout.session.completed",
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": org,
            "customer": "cus_test_1",
            "subscription": "sub_test_1",
        },
    )
    assert (await send(server, linked)).json() == {"received": True, "outcome": "linked"}

    now = int(time.time())
    active = event("evt_active", "customer.subscription.updated", subscription(org, "active"), now)
    assert (await send(server, active)).json()["outcome"] == "active"
    billing = (await api.get("/api/v1/billing")).json()
    assert (billing["plan"]["name"], billing["status"]) == ("Starter", "active")
    limits = {u["limit"]: u["allowed"] for u in billing["usage"]}
    assert limits["active_interviews"] == 3

    # The same event again (Stripe retries): handled once.
    state = await snapshot(db)
    assert (await send(server, active)).json()["outcome"] == "duplicate"
    assert await snapshot(db) == state

    # An older event arriving late never wins over a newer one.
    late = event(
        "evt_late", "customer.subscription.updated", subscription(org, "incomplete"), now - 60
    )
    assert (await send(server, late)).json()["outcome"] == "stale"
    assert (await api.get("/api/v1/billing")).json()["status"] == "active"

    # A bad signature is refused and changes nothing.
    state = await snapshot(db)
    forged = event("evt_forged", "customer.subscription.deleted", subscription(org, "canceled"))
    r = await send(server, forged, secret="whsec_someone_else")
    assert r.status_code == 422 and r.json()["error"] == "invalid_signature"
    payload, headers = signed(forged)
    async with httpx.AsyncClient(base_url=server) as http:
        tampered = payload.replace(b"canceled", b"cancelled")
        r = await http.post("/api/v1/billing/stripe/webhook", content=tampered, headers=headers)
    assert r.status_code == 422
    assert await snapshot(db) == state

    # Past due: the paid plan holds through the grace period, then lapses to Free.
    past_due = event(
        "evt_past_due", "customer.subscription.updated", subscription(org, "past_due"), now + 10
    )
    assert (await send(server, past_due)).json()["outcome"] == "past_due"
    billing = (await api.get("/api/v1/billing")).json()
    assert billing["plan"]["id"] == "starter" and billing["grace_until"] is not None
    await db.execute("UPDATE subscriptions SET past_due_since = now() - interval '8 days'")
    assert (await api.get("/api/v1/billing")).json()["plan"]["id"] == "free"

    # Invoices are listed from their events.
    invoice = {
        "id": "in_test_1",
        "object": "invoice",
        "customer": "cus_test_1",
        "number": "FV-0001",
        "status": "paid",
        "amount_due": 4900,
        "amount_paid": 4900,
        "currency": "usd",
        "hosted_invoice_url": "https://invoice.stripe.com/i/test_1",
        "created": now,
    }
    assert (await send(server, event("evt_invoice", "invoice.paid", invoice))).status_code == 200
    assert (await send(server, early)).json()["outcome"] == "invoice"  # its redelivery
    invoices = (await api.get("/api/v1/billing")).json()["invoices"]
    assert [(i["number"], i["amount_paid"], i["status"]) for i in invoices] == [
        ("FV-0001", 4900, "paid"),
        (None, 4900, "paid"),
    ]


async def test_checkout_and_portal_go_to_stripe(
    api: ApiClient, server: str, replay: tuple[str, StripeReplay]
) -> None:
    me = await api.sign_up()
    org = me["organization"]["id"]
    r = await api.post("/api/v1/billing/portal")
    assert r.status_code == 409 and r.json()["error"] == "no_subscription"
    r = await api.post("/api/v1/billing/checkout", json={"plan": "enterprise"})
    assert r.status_code == 422 and r.json()["error"] == "plan_not_for_sale"

    r = await api.post("/api/v1/billing/checkout", json={"plan": "starter"})
    assert r.status_code == 201, r.text
    assert r.json()["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    path, form, headers = replay[1].requests[-1]
    assert path == "checkout/sessions"
    assert headers["authorization"] == "Bearer sk_test_fairview"
    assert form["mode"] == "subscription" and form["client_reference_id"] == org
    assert form["line_items[0][price]"] == "price_starter"
    assert form["customer_email"] == "ada@example.com"
    assert form["success_url"].endswith("/billing?checkout=done")

    done = event(
        "evt_done",
        "checkout.session.completed",
        {"client_reference_id": org, "customer": "cus_test_9", "subscription": "sub_9"},
    )
    assert (await send(server, done)).status_code == 200
    r = await api.post("/api/v1/billing/portal")
    assert r.status_code == 201 and r.json()["url"].startswith("https://billing.stripe.com/p/")
    path, form, _ = replay[1].requests[-1]
    assert path == "billing_portal/sessions" and form["customer"] == "cus_test_9"


class TestBillingOff:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, billing="off")  # what `make run` does

    async def test_self_hosted_installs_have_no_limits(
        self, api: ApiClient, server: str, db: Any
    ) -> None:
        await api.sign_up()
        for n in range(3):  # the Free plan would allow one
            assert (
                await activate(api, await create_interview(api, f"Role {n}"))
            ).status_code == 201
        billing = (await api.get("/api/v1/billing")).json()
        assert billing["enabled"] is False
        assert all(u["allowed"] is None for u in billing["usage"])
        assert {u["limit"]: u["used"] for u in billing["usage"]}["active_interviews"] == 3
        r = await api.post("/api/v1/billing/checkout", json={"plan": "starter"})
        assert r.status_code == 409 and r.json()["error"] == "billing_off"
        payload, headers = signed(event("evt_x", "invoice.paid", {"customer": "cus_x"}))
        async with httpx.AsyncClient(base_url=server) as http:
            r = await http.post("/api/v1/billing/stripe/webhook", content=payload, headers=headers)
        assert r.status_code == 409
        assert await db.fetchval("SELECT count(*) FROM stripe_events") == 0


async def test_usage_is_metered_once_per_event(
    api: ApiClient, server: str, db: Any, settings: Settings
) -> None:
    """Events are delivered at least once: a redelivered event does not count twice."""
    from storage.db import Database
    from streaming.metering import Metering

    await api.sign_up()
    interview_id = await create_interview(api)
    assert (await activate(api, interview_id)).status_code == 201
    link = (await invite(api, interview_id, "ann@x.io")).json()["link"]
    c = CandidateClient(httpx.AsyncClient(base_url=server), link.rsplit("/", 1)[1])
    await c.consent(ai=False)
    q = (await c.session())["questions"][0]
    assert (await c.post(f"/questions/{q['id']}/text", json={"text": "Yes."})).status_code == 201
    assert (await c.post("/finish")).status_code == 204
    await wait_for_usage(api, "completed_interviews_per_month", 1)

    # The same event handled again, as after a redelivery.
    completed = json.loads(
        await db.fetchval(
            "SELECT payload FROM outbox WHERE payload->>'type' = 'interview.completed'"
        )
    )
    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    try:
        assert await Metering(database, bus=None).handle(completed) is False
    finally:
        await database.close()
    usage = {u["limit"]: u["used"] for u in (await api.get("/api/v1/billing")).json()["usage"]}
    assert usage["completed_interviews_per_month"] == 1
