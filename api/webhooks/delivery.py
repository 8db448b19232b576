"""Webhook delivery: domain events become signed HTTP POSTs to the organizations' endpoints.

Fan-out (consumer group ``webhooks`` on ``events``): each subscribed event becomes one delivery
per active endpoint, once (unique by endpoint and event id). Delivery (a loop woken by
LISTEN/NOTIFY): due deliveries are claimed with ``FOR UPDATE SKIP LOCKED``, signed per the
Standard Webhooks spec (``webhook-id`` = the event id, stable across retries, for the receiver
to de-duplicate; ``webhook-timestamp``; ``webhook-signature``) and POSTed with a 10 s timeout.
A 2xx is success; anything else is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
(about 28 hours in all). A delivery that fails every retry is marked failed, its endpoint is
disabled and the organization's owners are emailed. Every attempt is logged.

Ordering: deliveries to one endpoint are made in the order of their due time, but a retry does
not hold back later events; receivers order by the payload's ``timestamp`` and de-duplicate by
``webhook-id``.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import httpx
import structlog
from standardwebhooks import Webhook

from api.notification.repository import queue_email
from api.notification.templates import render
from api.webhooks import repository as repo
from api.webhooks.schemas import EventType
from api.webhooks.ssrf import UnsafeUrl, check_url
from storage.db import Database
from storage.wakeup import Wakeup
from streaming.bus import EventBus, handle_events

log = structlog.get_logger("fairview.webhooks")

EVENT_TYPES = frozenset(get_args(EventType))
RETRY_AFTER = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
TIMEOUT_S = 10.0


def payload_of(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": event["type"],
        "timestamp": datetime.now(UTC).isoformat(),
        "data": event["data"],
    }


async def fan_out(db: Database, event: dict[str, Any]) -> int:
    if event.get("type") not in EVENT_TYPES or "organization_id" not in event:
        return 0
    async with db.platform() as conn:
        return await repo.add_deliveries(conn, event["organization_id"], event, payload_of(event))


async def run_fan_out(db: Database, bus: EventBus) -> None:
    await handle_events(bus, "webhooks", lambda event: fan_out(db, event))


def sign(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
        "user-agent": "Fairview-Webhooks/1",
    }


async def attempt(d: dict[str, Any], allow_private: bool) -> tuple[int | None, str | None]:
    """POST one delivery: (status code, error); a 2xx code with no error is success."""
    body = json.dumps(d["payload"], separators=(",", ":"))
    try:
        await check_url(d["url"], allow_private)
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as http:
            r = await http.post(
                d["url"],
                content=body,
                headers=sign(d["secret"], d["event_id"], body, datetime.now(UTC)),
            )
    except UnsafeUrl as e:
        return None, str(e)
    except httpx.HTTPError as e:
        return None, f"{type(e).__name__}: {e}"[:500]
    return r.status_code, None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"


async def deliver_due(db: Database, allow_private: bool, public_url: str, batch: int = 20) -> int:
    async with db.platform() as conn:
        due = await repo.claim_due(conn, batch)
        for d in due:
            started = time.perf_counter()
            code, error = await attempt(d, allow_private)
            ms = int((time.perf_counter() - started) * 1000)
            if error is None:
                await repo.record_attempt(conn, d, "succeeded", None, code, None, ms)
                continue
            retries_done = d["attempts"]  # before this one
            if retries_done < len(RETRY_AFTER):
                later = datetime.now(UTC) + RETRY_AFTER[retries_done]
                await repo.record_attempt(conn, d, "pending", later, code, error, ms)
                continue
            await repo.record_attempt(conn, d, "failed", None, code, error, ms)
            reason = f"Deliveries kept failing for a day (last: {error})."
            for owner in await repo.disable_endpoint(conn, d["endpoint_id"], reason):
                mail = render("webhook_disabled", "en", f"{public_url}/webhooks", url=d["url"])
                await queue_email(conn, owner, "webhook_disabled", mail)
        return len(due)


async def run_delivery(
    db: Database, allow_private: bool, public_url: str, poll_s: float = 2.0
) -> None:
    async with Wakeup(db.pool, "webhook_deliveries") as wakeup:
        while True:
            try:
                while await deliver_due(db, allow_private, public_url):
                    pass
            except Exception:
                log.exception("webhook_delivery_failed")
                await asyncio.sleep(1)
            await wakeup.wait(poll_s)
