"""Domain events written in the same transaction as the change they describe (the outbox)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg


async def add_event(
    conn: asyncpg.Connection, organization_id: UUID, event_type: str, data: dict[str, Any]
) -> None:
    """Queue an event for topic ``events`` keyed by organization; ``id`` lets consumers
    de-duplicate (delivery is at least once)."""
    await conn.execute(
        "INSERT INTO outbox (topic, key, payload) VALUES ('events', $1, $2)",
        str(organization_id),
        {
            "id": str(uuid4()),
            "type": event_type,
            "organization_id": str(organization_id),
            "data": data,
        },
    )
