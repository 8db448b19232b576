"""SQL for webhook endpoints, their deliveries and each delivery's attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.pagination import Position, keyset
from storage.db import Tenant


async def create_endpoint(t: Tenant, values: dict[str, Any]) -> dict[str, Any]:
    row = await t.conn.fetchrow(
        "INSERT INTO webhook_endpoints (id, organization_id, url, secret, events, description)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        uuid4(),
        t.organization_id,
        values["url"],
        values["secret"],
        values["events"],
        values["description"],
    )
    return dict(row)


async def endpoints(t: Tenant) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT * FROM webhook_endpoints WHERE organization_id = $1 ORDER BY created_at",
        t.organization_id,
    )
    return [dict(r) for r in rows]


async def endpoint(t: Tenant, endpoint_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT * FROM webhook_endpoints WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        endpoint_id,
    )
    return dict(row) if row else None


async def update_endpoint(t: Tenant, endpoint_id: UUID, changes: dict[str, Any]) -> None:
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=3))
    await t.conn.execute(
        f"UPDATE webhook_endpoints SET {sets} WHERE organization_id = $1 AND id = $2",  # noqa: S608
        t.organization_id,
        endpoint_id,
        *changes.values(),
    )


async def delete_endpoint(t: Tenant, endpoint_id: UUID) -> bool:
    done: str = await t.conn.execute(
        "DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        endpoint_id,
    )
    return done.endswith(" 1")


async def add_deliveries(
    conn: asyncpg.Connection, organization_id: UUID, event: dict[str, Any], payload: dict[str, Any]
) -> int:
    """A delivery for each active endpoint subscribed to the event (once per endpoint)."""
    done: str = await conn.execute(
        "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type,"
        " payload) SELECT gen_random_uuid(), organization_id, id, $2, $3, $4"
        " FROM webhook_endpoints WHERE organization_id = $1 AND status = 'active'"
        " AND $3 = ANY(events) ON CONFLICT (endpoint_id, event_id) DO NOTHING",
        organization_id,
        event["id"],
        event["type"],
        payload,
    )
    return int(done.rsplit(" ", 1)[1])


async def add_delivery(
    t: Tenant, endpoint_id: UUID, event_id: str, event_type: str, payload: dict[str, Any]
) -> UUID:
    delivery_id = uuid4()
    await t.conn.execute(
        "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type,"
        " payload) VALUES ($1, $2, $3, $4, $5, $6)",
        delivery_id,
        t.organization_id,
        endpoint_id,
        event_id,
        event_type,
        payload,
    )
    return delivery_id


async def deliveries(
    t: Tenant, endpoint_id: UUID, limit: int, after: Position | None
) -> list[dict[str, Any]]:
    page = keyset(after, 3, time="d.created_at", key="d.id")
    rows = await t.conn.fetch(
        "SELECT d.id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at,"  # noqa: S608 - constant fragments
        " d.last_status_code, d.last_error, d.created_at, d.delivered_at,"
        " coalesce((SELECT json_agg(json_build_object('at', a.at, 'status_code', a.status_code,"
        "   'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.at)"
        "   FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_log"
        " FROM webhook_deliveries d WHERE d.organization_id = $1 AND d.endpoint_id = $2"
        f" AND {page.where} {page.order} LIMIT $5",
        t.organization_id,
        endpoint_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def redeliver(t: Tenant, delivery_id: UUID) -> bool:
    done: str = await t.conn.execute(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        delivery_id,
    )
    await t.conn.execute("SELECT pg_notify('webhook_deliveries', '')")
    return done.endswith(" 1")


async def claim_due(
    conn: asyncpg.Connection, limit: int, per_endpoint: int, lease_s: float
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due deliveries for sending (the caller commits before sending),
    oldest first, keeping at most ``per_endpoint`` in flight per endpoint (counting those other
    senders hold). A claim older than ``lease_s`` (its sender died mid-call) may be taken
    again."""
    rows = await conn.fetch(
        "WITH busy AS (SELECT endpoint_id, count(*) AS n FROM webhook_deliveries"
        "   WHERE claimed_at >= now() - make_interval(secs => $3) GROUP BY endpoint_id),"
        " due AS (SELECT id, endpoint_id, next_attempt_at FROM webhook_deliveries"
        "   WHERE status = 'pending' AND next_attempt_at <= now()"
        "   AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $3))"
        "   ORDER BY next_attempt_at LIMIT $1 * 4 FOR UPDATE SKIP LOCKED),"
        " ranked AS (SELECT due.id, due.next_attempt_at, coalesce(busy.n, 0) + row_number()"
        "   OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at) AS slot"
        "   FROM due LEFT JOIN busy USING (endpoint_id)),"
        " chosen AS (SELECT id FROM ranked WHERE slot <= $2 ORDER BY next_attempt_at LIMIT $1)"
        " UPDATE webhook_deliveries d SET claimed_at = now()"
        " FROM chosen, webhook_endpoints e WHERE d.id = chosen.id AND e.id = d.endpoint_id"
        " RETURNING d.*, e.url, e.secret, e.status AS endpoint_status",
        limit,
        per_endpoint,
        lease_s,
    )
    return sorted((dict(r) for r in rows), key=lambda r: r["next_attempt_at"])


async def record_attempt(
    conn: asyncpg.Connection,
    d: dict[str, Any],
    status: str,
    next_attempt_at: datetime | None,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> None:
    """Log one attempt, count it and release the delivery's claim."""
    await conn.execute(
        "INSERT INTO webhook_attempts (organization_id, delivery_id, status_code, error,"
        " duration_ms) VALUES ($1, $2, $3, $4, $5)",
        d["organization_id"],
        d["id"],
        status_code,
        error,
        duration_ms,
    )
    await conn.execute(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, claimed_at = NULL,"
        " next_attempt_at = coalesce($3, next_attempt_at), last_status_code = $4,"
        " last_error = $5, delivered_at = CASE WHEN $2 = 'succeeded' THEN now() END"
        " WHERE id = $1",
        d["id"],
        status,
        next_attempt_at,
        status_code,
        error,
    )


async def disable_endpoint(conn: asyncpg.Connection, endpoint_id: UUID, reason: str) -> list[str]:
    """Disable a failing endpoint; returns the emails of its organization's owners."""
    org = await conn.fetchval(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2"
        " WHERE id = $1 AND status = 'active' RETURNING organization_id",
        endpoint_id,
        reason,
    )
    if org is None:
        return []
    rows = await conn.fetch(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.organization_id = $1 AND m.role = 'owner'",
        org,
    )
    return [r["email"] for r in rows]
