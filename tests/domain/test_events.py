"""Domain events on the wire: what the outbox holds for a typed event, and that every event
webhooks may subscribe to is one of them."""

from __future__ import annotations

import json
import uuid
from typing import get_args

from api.webhooks.schemas import EventType
from domain.events import TYPES, CandidateDecided, emit
from storage.db import Database


async def test_an_event_is_queued_with_its_type_and_fields_as_json(database_url: str) -> None:
    org, candidate = uuid.uuid4(), uuid.uuid4()
    database = Database(database_url)
    await database.connect()
    try:
        async with database.platform() as conn:
            event = CandidateDecided(candidate_id=candidate, decision="advance", decided_by=None)
            await emit(conn, org, event)
            row = await conn.fetchrow("SELECT topic, key, payload FROM outbox")
    finally:
        await database.close()
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    assert (row["topic"], row["key"]) == ("events", str(org))
    assert payload["type"] == "candidate.decided"
    assert payload["organization_id"] == str(org)
    assert payload["data"] == {
        "candidate_id": str(candidate),
        "decision": "advance",
        "decided_by": None,
    }
    uuid.UUID(payload["id"])  # consumers de-duplicate by it


def test_every_webhook_event_type_is_a_domain_event() -> None:
    assert set(get_args(EventType)) <= TYPES, set(get_args(EventType)) - TYPES
