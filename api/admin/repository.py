"""Platform-wide queries for operators (run in platform transactions)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from api.pagination import Position, keyset

_ORG = (
    "SELECT o.*,"
    " (SELECT count(*) FROM memberships m WHERE m.organization_id = o.id) AS members,"
    " (SELECT count(*) FROM team_invitations i WHERE i.organization_id = o.id"
    "   AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())"
    "   AS pending_invitations,"
    " (SELECT count(*) FROM api_keys k WHERE k.organization_id = o.id AND k.revoked_at IS NULL)"
    "   AS api_keys"
    " FROM organizations o"
)


async def list_organizations(
    conn: asyncpg.Connection, limit: int, after: Position | None, status: str | None
) -> list[dict[str, Any]]:
    page = keyset(after, 1, time="o.created_at", key="o.id", descending=False)
    rows = await conn.fetch(
        _ORG + f" WHERE {page.where} AND ($3::text IS NULL OR o.status = $3) {page.order} LIMIT $4",
        *page.params,
        status,
        limit,
    )
    return [dict(r) for r in rows]


async def organization(conn: asyncpg.Connection, org_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(_ORG + " WHERE o.id = $1", org_id)
    return dict(row) if row else None


async def set_status(
    conn: asyncpg.Connection, org_id: UUID, status: str, reason: str | None
) -> bool:
    result: str = await conn.execute(
        "UPDATE organizations SET status = $2, suspended_reason = $3 WHERE id = $1",
        org_id,
        status,
        reason,
    )
    return result != "UPDATE 0"


async def list_users(
    conn: asyncpg.Connection, limit: int, after: Position | None, email: str | None
) -> list[dict[str, Any]]:
    page = keyset(after, 1, time="u.created_at", key="u.id", descending=False)
    rows = await conn.fetch(
        "SELECT u.id, u.email, u.name, u.email_verified_at, u.created_at,"  # noqa: S608 - constant fragments
        " coalesce(json_agg(json_build_object('organization_id', m.organization_id,"
        "   'role', m.role)) FILTER (WHERE m.user_id IS NOT NULL), '[]') AS memberships"
        " FROM users u LEFT JOIN memberships m ON m.user_id = u.id"
        f" WHERE {page.where} AND ($3::text IS NULL OR u.email ILIKE '%' || $3 || '%')"
        f" GROUP BY u.id {page.order} LIMIT $4",
        *page.params,
        email,
        limit,
    )
    return [dict(r) for r in rows]
