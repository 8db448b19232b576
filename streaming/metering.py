"""Usage metering: domain events become per-organization usage counters (group ``metering``).

``interview.completed`` counts a completed interview for the month; ``transcript.ready`` adds
the answer's seconds of AI transcription for the month; ``answer.recorded`` adds its recording's
bytes to the storage in use. Each event is counted once, by its id, in the same transaction as
the counters (delivery is at least once). Counters are what billing limits and the usage page
read; they are kept with billing off too, for operators.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from storage.db import Database
from streaming.bus import EventBus, handle_events
from streaming.dead_letters import DeadLetters

CUMULATIVE = date(1970, 1, 1)  # the period of counters that never reset (storage)


def this_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


async def _answer(conn: asyncpg.Connection, answer_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT duration_ms, segments FROM answers WHERE id = $1", UUID(answer_id)
    )


async def amounts(conn: asyncpg.Connection, event: dict[str, Any]) -> dict[str, int]:
    kind, data = event.get("type"), event.get("data", {})
    if kind == "interview.completed":
        return {"completed_interviews": 1}
    if kind in {"transcript.ready", "answer.recorded"}:
        answer = await _answer(conn, data["answer_id"])
        if answer is None:
            return {}
        if kind == "transcript.ready":
            return {"ai_seconds": round((answer["duration_ms"] or 0) / 1000)}
        return {"storage_bytes": sum(int(s.get("bytes", 0)) for s in answer["segments"])}
    return {}


async def count(
    conn: asyncpg.Connection, organization_id: UUID, event_id: str, usage: dict[str, int]
) -> bool:
    """Add one event's usage once: False if the event was counted before."""
    first = await conn.fetchval(
        "INSERT INTO metered_events (event_id, organization_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        event_id,
        organization_id,
    )
    if not first:
        return False
    for metric, value in usage.items():
        await conn.execute(
            "INSERT INTO usage_counters (organization_id, period, metric, value)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id, period, metric)"
            " DO UPDATE SET value = usage_counters.value + $4",
            organization_id,
            CUMULATIVE if metric == "storage_bytes" else this_month(),
            metric,
            value,
        )
    return True


class Metering:
    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db, self.bus = db, bus

    async def handle(self, event: dict[str, Any]) -> bool:
        async with self.db.platform() as conn:
            usage = await amounts(conn, event)
            if not usage:
                return False
            return await count(conn, UUID(event["organization_id"]), event["id"], usage)

    async def run(self) -> None:
        await handle_events(self.bus, "metering", self.handle, dead_letters=DeadLetters(self.db))
