"""Dead letters: events a consumer group could not handle after its retries (``bus.handle_events``).

An event is parked here, with its error, before its offset is committed, so giving up on it
loses nothing: each group re-drives its own dead letters on a schedule (5 min, 30 min, 2 h,
6 h, 24 h after the failure, then only by command), and ``fairview dead-letters --redrive``
makes them due at once (picked up within ``POLL_S``). A re-drive runs the group's handler on the stored event in whichever
process of the group claims it first (handlers are idempotent, as for any redelivery).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from prometheus_client import Gauge

from storage.db import Database
from storage.wakeup import drain_forever

log = structlog.get_logger("fairview.dead_letters")

POLL_S = 10.0  # polled, not listened for: a listener per group would hold a pool connection
REDRIVE_AFTER_S = (300.0, 1800.0, 7200.0, 21600.0, 86400.0)
# A claimed re-drive is the claimant's for this long; if its process dies, it is due again.
LEASE_S = 1800.0
# Parking waits out a database outage (the usual reason an event failed): the offset stays
# uncommitted meanwhile, so the partition waits rather than losing the event.
PARK_RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)

OPEN = Gauge("fairview_dead_letters", "Dead letters not yet handled, per consumer group", ["group"])


def event_id(event: dict[str, Any]) -> str:
    """The event's own id (every outbox event has one), else a digest of its content."""
    if event.get("id"):
        return str(event["id"])
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:32]


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


class DeadLetters:
    def __init__(self, db: Database, redrive_after_s: Sequence[float] = REDRIVE_AFTER_S) -> None:
        self.db = db
        self.redrive_after_s = tuple(redrive_after_s)

    def _next_in_s(self, redrives: int) -> float | None:
        """Seconds to the next scheduled re-drive after ``redrives`` of them; None: by command."""
        return self.redrive_after_s[redrives] if redrives < len(self.redrive_after_s) else None

    async def park(self, group: str, topic: str, event: dict[str, Any], error: str) -> None:
        """Keep a failed event (the same event failing again updates its row); returns only
        once it is stored."""
        attempt = 0
        while True:
            try:
                async with self.db.platform() as conn:
                    await conn.execute(
                        "INSERT INTO dead_letters (consumer_group, topic, event_id, event_type,"
                        " event, error, next_redrive_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))"
                        " ON CONFLICT (consumer_group, event_id) DO UPDATE SET error = $6,"
                        " event = $5, failed_at = now(), resolved_at = NULL, redrives = 0,"
                        " next_redrive_at = now() + make_interval(secs => $7)",
                        group,
                        topic,
                        event_id(event),
                        event.get("type"),
                        event,
                        error,
                        self._next_in_s(0),
                    )
                log.error(
                    "event_dead_lettered",
                    group=group,
                    event_id=event_id(event),
                    type=event.get("type"),
                    error=error,
                )
                return
            except Exception as exc:  # the database is away: wait, the offset is not committed
                delay = PARK_RETRY_S[min(attempt, len(PARK_RETRY_S) - 1)]
                attempt += 1
                log.warning(
                    "dead_letter_waiting_for_database",
                    group=group,
                    event_id=event_id(event),
                    retry_in_s=delay,
                    error=describe(exc),
                )
                await asyncio.sleep(delay)

    async def redrive_due(
        self, group: str, handle: Callable[[dict[str, Any]], Awaitable[object]]
    ) -> int:
        """Re-drive one due dead letter of ``group``: 1 if there was one, else 0."""
        async with self.db.platform() as conn:
            row = await conn.fetchrow(
                "UPDATE dead_letters d SET next_redrive_at = now() + make_interval(secs => $2)"
                " FROM (SELECT id FROM dead_letters WHERE consumer_group = $1"
                "   AND resolved_at IS NULL AND next_redrive_at <= now()"
                "   ORDER BY next_redrive_at LIMIT 1 FOR UPDATE SKIP LOCKED) due"
                " WHERE d.id = due.id RETURNING d.id, d.event, d.redrives",
                group,
                LEASE_S,
            )
            if row is None:
                OPEN.labels(group).set(
                    await conn.fetchval(
                        "SELECT count(*) FROM dead_letters"
                        " WHERE consumer_group = $1 AND resolved_at IS NULL",
                        group,
                    )
                )
                return 0
        where = {"group": group, "dead_letter": row["id"], "type": row["event"].get("type")}
        try:
            await handle(row["event"])
        except Exception as exc:
            redrives = row["redrives"] + 1
            async with self.db.platform() as conn:
                await conn.execute(
                    "UPDATE dead_letters SET redrives = $2, error = $3, failed_at = now(),"
                    " next_redrive_at = now() + make_interval(secs => $4) WHERE id = $1",
                    row["id"],
                    redrives,
                    describe(exc),
                    self._next_in_s(redrives),
                )
            log.warning("dead_letter_redrive_failed", redrives=redrives, exc_info=True, **where)
        else:
            async with self.db.platform() as conn:
                await conn.execute(
                    "UPDATE dead_letters SET resolved_at = now(), next_redrive_at = NULL"
                    " WHERE id = $1",
                    row["id"],
                )
            log.info("dead_letter_redriven", **where)
        return 1

    async def redrive_forever(
        self,
        group: str,
        handle: Callable[[dict[str, Any]], Awaitable[object]],
        poll_s: float = POLL_S,
    ) -> None:
        await drain_forever(self.db.pool, None, lambda: self.redrive_due(group, handle), poll_s)

    async def open(self) -> list[dict[str, Any]]:
        """Every dead letter not yet handled, oldest first (for operators)."""
        async with self.db.platform() as conn:
            rows = await conn.fetch(
                "SELECT id, consumer_group, topic, event_id, event_type, error, failed_at,"
                " redrives, next_redrive_at FROM dead_letters WHERE resolved_at IS NULL"
                " ORDER BY failed_at"
            )
        return [dict(r) for r in rows]

    async def make_due(self, ids: Sequence[int] | None = None) -> int:
        """Re-drive now the given dead letters (all open ones when ``ids`` is None): the
        group's running workers pick them up within ``POLL_S``. Returns how many."""
        async with self.db.platform() as conn:
            status = await conn.execute(
                "UPDATE dead_letters SET next_redrive_at = now()"
                " WHERE resolved_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY ($1))",
                None if ids is None else list(ids),
            )
        return int(status.split()[-1])
