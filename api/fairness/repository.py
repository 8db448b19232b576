"""SQL of Fairness (tenant-scoped). The application role cannot read the values of
`self_identifications`: it writes and withdraws answers, sees that one exists, and counts them
only through the database's fairness_counts()."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from api.fairness.impact import Cell
from storage.db import Tenant


async def organization_of_link(conn: asyncpg.Connection, token_hash: bytes) -> UUID | None:
    org: UUID | None = await conn.fetchval(
        "SELECT organization_id FROM candidate_links WHERE token_hash = $1", token_hash
    )
    return org


async def candidate_of_link(t: Tenant, token_hash: bytes) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT c.id, c.status FROM candidate_links l JOIN candidates c ON c.id = l.candidate_id"
        " WHERE l.organization_id = $1 AND l.token_hash = $2",
        t.organization_id,
        token_hash,
    )
    return dict(row) if row else None


async def record(t: Tenant, candidate_id: UUID, sex: str | None, race: str | None) -> None:
    """Replace the candidate's answer (no upsert: ON CONFLICT would need to read the row)."""
    await withdraw(t, candidate_id)
    await t.conn.execute(
        "INSERT INTO self_identifications (candidate_id, organization_id, sex, race)"
        " VALUES ($1, $2, $3, $4)",
        candidate_id,
        t.organization_id,
        sex,
        race,
    )


async def withdraw(t: Tenant, candidate_id: UUID) -> None:
    await t.conn.execute(
        "DELETE FROM self_identifications WHERE organization_id = $1 AND candidate_id = $2",
        t.organization_id,
        candidate_id,
    )


async def answered(t: Tenant, candidate_id: UUID) -> bool:
    found: bool = await t.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM self_identifications"
        " WHERE organization_id = $1 AND candidate_id = $2)",
        t.organization_id,
        candidate_id,
    )
    return found


async def counts(t: Tenant, interview_id: UUID | None) -> list[Cell]:
    rows = await t.conn.fetch(
        "SELECT sex, race, completed, decided, advanced, scored, above_median"
        " FROM fairness_counts($1, $2)",
        t.organization_id,
        interview_id,
    )
    return [Cell(**dict(r)) for r in rows]


async def self_identified(t: Tenant, interview_id: UUID | None) -> int:
    n: int = await t.conn.fetchval(
        "SELECT count(*) FROM self_identifications s JOIN candidates c ON c.id = s.candidate_id"
        " WHERE s.organization_id = $1 AND c.status = 'completed'"
        " AND ($2::uuid IS NULL OR c.interview_id = $2)",
        t.organization_id,
        interview_id,
    )
    return n


async def medians(t: Tenant, interview_id: UUID | None) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT i.id AS interview_id, i.title, count(*) AS scored,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY c.score) AS median"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " WHERE c.organization_id = $1 AND c.status = 'completed' AND c.score IS NOT NULL"
        " AND ($2::uuid IS NULL OR c.interview_id = $2)"
        " GROUP BY i.id, i.title ORDER BY i.title, i.id",
        t.organization_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def organization_name(t: Tenant) -> str:
    name: str = await t.conn.fetchval(
        "SELECT name FROM organizations WHERE id = $1", t.organization_id
    )
    return name
