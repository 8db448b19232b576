"""Relays the transactional outbox to the bus: rows committed with a change are published after
commit, in order, at least once (consumers de-duplicate by the event's ``id``). Events of the AI
pipeline go to ``pipeline`` too, keyed by what they concern (see ``bus.PIPELINE_KEYS``)."""

from __future__ import annotations

from typing import Any

from storage.db import Database
from storage.wakeup import drain_forever
from streaming.bus import EVENTS, PIPELINE, PIPELINE_KEYS, EventBus


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
    """Relay until stopped. When the bus is away the batch stays pending (its transaction rolls
    back) and the supervisor restarts the relay after a back-off."""
    await drain_forever(db.pool, "outbox", lambda: relay_once(db, bus), poll_s)
