"""SQL for billing: the organization's subscription, its usage, invoices, Stripe events."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from storage.db import Tenant


async def subscription(t: Tenant) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT * FROM subscriptions WHERE organization_id = $1", t.organization_id
    )
    return dict(row) if row else None


async def counters(t: Tenant, period: date) -> dict[str, int]:
    rows = await t.conn.fetch(
        "SELECT metric, value FROM usage_counters WHERE organization_id = $1 AND period = $2",
        t.organization_id,
        period,
    )
    return {r["metric"]: r["value"] for r in rows}


async def live_counts(t: Tenant) -> dict[str, int]:
    """What is counted as it stands: seats (members and pending invitations), active
    interviews, candidates invited but not finished, and storage of recordings."""
    row = await t.conn.fetchrow(
        "SELECT (SELECT count(*) FROM memberships WHERE organization_id = $1)"
        " + (SELECT count(*) FROM team_invitations WHERE organization_id = $1"
        "    AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()) AS seats,"
        " (SELECT count(*) FROM interviews WHERE organization_id = $1 AND status = 'active')"
        "   AS active_interviews,"
        " (SELECT count(*) FROM candidates WHERE organization_id = $1"
        "    AND status IN ('invited', 'opened', 'in_progress')) AS outstanding_candidates",
        t.organization_id,
    )
    return dict(row)


async def invoices(t: Tenant) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT id, number, status, amount_due, amount_paid, currency, hosted_invoice_url,"
        " created_at FROM invoices WHERE organization_id = $1 ORDER BY created_at DESC LIMIT 100",
        t.organization_id,
    )
    return [dict(r) for r in rows]


async def save_subscription(t: Tenant, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(2, len(values) + 2))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
    await t.conn.execute(
        f"INSERT INTO subscriptions (organization_id, {columns}) VALUES ($1, {params})"  # noqa: S608
        f" ON CONFLICT (organization_id) DO UPDATE SET {updates}, updated_at = now()",
        t.organization_id,
        *values.values(),
    )


async def organization_of_customer(conn: asyncpg.Connection, customer: str) -> UUID | None:
    org: UUID | None = await conn.fetchval(
        "SELECT organization_id FROM subscriptions WHERE stripe_customer_id = $1", customer
    )
    return org


async def record_stripe_event(conn: asyncpg.Connection, event: dict[str, Any]) -> bool:
    """Store a Stripe event by its id; False if it was already received (handled once)."""
    first = await conn.fetchval(
        "INSERT INTO stripe_events (id, type, created, payload) VALUES ($1, $2, to_timestamp($3),"
        " $4) ON CONFLICT (id) DO NOTHING RETURNING true",
        event["id"],
        event["type"],
        event["created"],
        event,
    )
    return bool(first)


async def save_invoice(t: Tenant, invoice: dict[str, Any]) -> None:
    await t.conn.execute(
        "INSERT INTO invoices (id, organization_id, number, status, amount_due, amount_paid,"
        " currency, hosted_invoice_url, created_at)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, to_timestamp($9))"
        " ON CONFLICT (id) DO UPDATE SET status = $4, amount_due = $5, amount_paid = $6,"
        " hosted_invoice_url = $8",
        t.organization_id,
        invoice["id"],
        invoice.get("number"),
        invoice.get("status") or "open",
        int(invoice.get("amount_due") or 0),
        int(invoice.get("amount_paid") or 0),
        invoice.get("currency") or "usd",
        invoice.get("hosted_invoice_url"),
        int(invoice.get("created") or 0),
    )
