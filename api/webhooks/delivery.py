"""Webhook delivery: domain events become signed HTTP POSTs to the organizations' endpoints.

Fan-out (consumer group ``webhooks`` on ``events``): each subscribed event becomes one delivery
per active endpoint, once (unique by endpoint and event id). Delivery (a loop woken by
LISTEN/NOTIFY): due deliveries are claimed (``FOR UPDATE SKIP LOCKED``, then committed: no lock
or transaction is held across HTTP), signed per the Standard Webhooks spec (``webhook-id`` = the
event id, stable across retries, for the receiver to de-duplicate; ``webhook-timestamp``;
``webhook-signature``) and POSTed concurrently, at most ``PER_ENDPOINT`` at a time to one
endpoint, each under an overall deadline of ``DEADLINE_S`` from DNS to the last byte read (an
endpoint that trickles its answer cannot hold the others); at most ``BODY_CAP`` bytes of the
response are read. Each outcome is recorded in a transaction of its own.

A 2xx is success; a failed request or another status is retried after 5 s, 5 min, 30 min, 2 h,
5 h, 10 h and 10 h (about 28 hours in all). A delivery that fails every retry is marked failed,
its endpoint is disabled and the organization's owners are emailed. A delivery that can never
succeed (an exception other than a network or HTTP failure) fails at once with its reason and
the others go on. Every attempt is logged.

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
from api.webhooks.ssrf import UnsafeUrl, check_url, pinned_client
from storage.db import Database
from storage.wakeup import Wakeup
from streaming.bus import EventBus, handle_events
from streaming.dead_letters import DeadLetters

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
TIMEOUT_S = 10.0  # connect, and each read or write
DEADLINE_S = 15.0  # the whole attempt
BODY_CAP = 64 * 1024
CONCURRENCY = 16
PER_ENDPOINT = 2
# A claim older than this is taken again (its sender died mid-call): well beyond the deadline.
CLAIM_LEASE_S = 120.0


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
    await handle_events(
        bus, "webhooks", lambda event: fan_out(db, event), dead_letters=DeadLetters(db)
    )


def sign(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
        "user-agent": "Fairview-Webhooks/1",
    }


async def attempt(d: dict[str, Any], allow_private: bool) -> tuple[int | None, str | None, bool]:
    """POST one delivery: (status code, error, whether a retry could succeed); a 2xx code with
    no error is success. Never raises (but for cancellation)."""
    body = json.dumps(d["payload"], separators=(",", ":"))
    try:
        async with asyncio.timeout(DEADLINE_S):
            target = await check_url(d["url"], allow_private)
            async with (
                pinned_client(target, TIMEOUT_S) as http,
                http.stream(
                    "POST",
                    d["url"],
                    content=body,
                    headers=sign(d["secret"], d["event_id"], body, datetime.now(UTC)),
                ) as r,
            ):
                read = 0
                async for chunk in r.aiter_raw():
                    read += len(chunk)
                    if read >= BODY_CAP:
                        break
    except TimeoutError:
        return None, f"No complete response within {DEADLINE_S:.0f} s.", True
    except UnsafeUrl as e:
        if e.permanent:
            return None, f"Cannot be delivered: {e}", False
        return None, str(e), True
    except httpx.HTTPError as e:
        return None, f"{type(e).__name__}: {e}"[:500], True
    except Exception as e:  # this delivery cannot be made as it stands (e.g. a malformed URL)
        log.exception("webhook_undeliverable", delivery=str(d["id"]))
        cause: BaseException = e
        while isinstance(cause, BaseExceptionGroup) and cause.exceptions:
            cause = cause.exceptions[0]  # the error itself, not the task group that carried it
        return None, f"Cannot be delivered: {type(cause).__name__}: {cause}"[:500], False
    return r.status_code, None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}", True


async def record_outcome(
    db: Database,
    d: dict[str, Any],
    outcome: tuple[int | None, str | None, bool],
    ms: int,
    public_url: str,
) -> None:
    code, error, retryable = outcome
    async with db.platform() as conn:
        if error is None:
            await repo.record_attempt(conn, d, "succeeded", None, code, None, ms)
            return
        retries_done = d["attempts"]  # before this one
        if retryable and retries_done < len(RETRY_AFTER):
            later = datetime.now(UTC) + RETRY_AFTER[retries_done]
            await repo.record_attempt(conn, d, "pending", later, code, error, ms)
            return
        await repo.record_attempt(conn, d, "failed", None, code, error, ms)
        if not retryable:
            return  # this delivery only: the endpoint itself may be fine
        reason = f"Deliveries kept failing for a day (last: {error})."
        for owner in await repo.disable_endpoint(conn, d["endpoint_id"], reason):
            mail = render("webhook_disabled", "en", f"{public_url}/webhooks", url=d["url"])
            await queue_email(conn, owner, "webhook_disabled", mail)


class Delivery:
    """The delivery loop: claims what is due while it has free slots and sends each claimed
    delivery in a task of its own."""

    def __init__(
        self,
        db: Database,
        allow_private: bool,
        public_url: str,
        concurrency: int = CONCURRENCY,
        per_endpoint: int = PER_ENDPOINT,
    ) -> None:
        self.db = db
        self.allow_private = allow_private
        self.public_url = public_url
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self._in_flight: set[asyncio.Task[None]] = set()

    async def deliver(self, d: dict[str, Any]) -> None:
        started = time.perf_counter()
        outcome = await attempt(d, self.allow_private)
        ms = int((time.perf_counter() - started) * 1000)
        try:
            await record_outcome(self.db, d, outcome, ms, self.public_url)
        except Exception:  # e.g. Postgres away: the claim's lease brings the delivery back
            log.exception("webhook_outcome_not_recorded", delivery=str(d["id"]))

    async def claim(self, free: int) -> int:
        async with self.db.platform() as conn:
            due = await repo.claim_due(conn, free, self.per_endpoint, CLAIM_LEASE_S)
        for d in due:
            task = asyncio.create_task(self.deliver(d), name=f"webhook-{d['id']}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(due)

    async def run(self, poll_s: float = 2.0) -> None:
        async with Wakeup(self.db.pool, "webhook_deliveries") as wakeup:
            try:
                while True:
                    free = self.concurrency - len(self._in_flight)
                    claimed = 0
                    if free > 0:
                        try:
                            claimed = await self.claim(free)
                        except Exception:
                            log.exception("webhook_claim_failed")
                    if free > 0 and claimed == free:
                        continue  # perhaps more is due
                    # Until something is queued, a delivery ends (a slot frees) or the poll.
                    woken = asyncio.create_task(wakeup.wait(poll_s))
                    await asyncio.wait({woken, *self._in_flight}, return_when="FIRST_COMPLETED")
                    woken.cancel()
            finally:
                for task in list(self._in_flight):
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)


async def run_delivery(
    db: Database, allow_private: bool, public_url: str, poll_s: float = 2.0
) -> None:
    await Delivery(db, allow_private, public_url).run(poll_s)
