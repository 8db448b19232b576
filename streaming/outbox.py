"""Relays the transactional outbox to the bus: rows committed with a change are published after
commit, in order, at least once (consumers de-duplicate by the event's ``id``). Events of the AI
pipeline go to ``pipeline`` too, keyed by what they concern (see ``bus.PIPELINE_KEYS``)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from storage.db import Database
from storage.wakeup import Wakeup
from streaming.bus import EVENTS, PIPELINE, PIPELINE_KEYS, EventBus

log = structlog.get_logger("fairview.outbox")


def destinations(topic: str, key: str, event: dict[str, Any]) -> list[tuple[str, str]]:
    """Where an outbox row goes: its topic, and ``pipeline`` for the AI pipeline's events."""
    field = PIPELINE_KEYS.get(event.get("type", "")) if topic == EVENTS else None
    if field is None:
        return [(topic, key)]
    return [(topic, key), (PIPELINE, str(event["data"][field]))]


async def relay_once(db: Database, bus: EventBus, batch: int = 100) -> int:
    async with db.platform() as conn:
        rows = await conn.fetch(
            "SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL"
            " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            batch,
        )
        for row in rows:
            for topic, key in destinations(row["topic"], row["key"], row["payload"]):
                await bus.publish(topic, key, row["payload"])
        if rows:
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [r["id"] for r in rows],
            )
    return len(rows)


async def run_relay(db: Database, bus: EventBus, poll_s: float = 5.0) -> None:
    async with Wakeup(db.pool, "outbox") as wakeup:
        while True:
            try:
                while await relay_once(db, bus):
                    pass
            except Exception:  # the bus may be briefly away; rows stay pending and are retried
                log.exception("outbox_relay_failed")
                await asyncio.sleep(1)
            await wakeup.wait(poll_s)
