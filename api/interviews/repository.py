"""SQL for Interview Management; every query is scoped to the tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from api.pagination import Position, keyset
from storage.db import Tenant

Row = dict[str, Any]

_COUNTS = (
    "(SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM"
    " (SELECT status, count(*) AS n FROM candidates c"
    "  WHERE c.organization_id = i.organization_id AND c.interview_id = i.id GROUP BY status) s)"
    " AS candidate_counts"
)


def _one(r: asyncpg.Record | None) -> Row | None:
    return dict(r) if r is not None else None


async def create_interview(t: Tenant, values: dict[str, Any]) -> Row:
    row = await t.conn.fetchrow(
        "INSERT INTO interviews (id, organization_id, title, role_description, intro, language,"
        " brand_name, brand_logo_url, created_by, reminder_hours)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        values["id"],
        t.organization_id,
        values["title"],
        values["role_description"],
        values["intro"],
        values["language"],
        values["brand_name"],
        values["brand_logo_url"],
        values["created_by"],
        values.get("reminder_hours", 24),
    )
    return dict(row)


async def interview(t: Tenant, interview_id: UUID, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return _one(
        await t.conn.fetchrow(
            f"SELECT * FROM interviews WHERE organization_id = $1 AND id = $2{lock}",  # noqa: S608
            t.organization_id,
            interview_id,
        )
    )


async def interview_exists(t: Tenant, interview_id: UUID) -> bool:
    found: bool = await t.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM interviews WHERE organization_id = $1 AND id = $2)",
        t.organization_id,
        interview_id,
    )
    return found


async def candidate_counts(t: Tenant, interview_id: UUID) -> dict[str, int]:
    counts: dict[str, int] = await t.conn.fetchval(
        f"SELECT {_COUNTS} FROM interviews i WHERE i.organization_id = $1 AND i.id = $2",  # noqa: S608
        t.organization_id,
        interview_id,
    )
    return counts


async def list_interviews(
    t: Tenant, limit: int, after: Position | None, status: str | None
) -> list[Row]:
    page = keyset(after, 2, time="i.created_at", key="i.id")
    rows = await t.conn.fetch(
        f"SELECT i.*, {_COUNTS},"  # noqa: S608 - constant fragments
        " (SELECT count(*) FROM questions q WHERE q.interview_id = i.id) AS question_count"
        f" FROM interviews i WHERE i.organization_id = $1 AND {page.where}"
        " AND ($4::text IS NULL OR i.status = $4) AND ($4::text IS NOT NULL OR i.status <> 'archived')"
        f" {page.order} LIMIT $5",
        t.organization_id,
        *page.params,
        status,
        limit,
    )
    return [dict(r) for r in rows]


# What describes an interview (and a duplicate copies), apart from its questions and state.
DETAILS = (
    "title",
    "role_description",
    "intro",
    "language",
    "brand_name",
    "brand_logo_url",
    "reminder_hours",
)


async def update_interview(t: Tenant, interview_id: UUID, changes: dict[str, Any]) -> None:
    allowed = {*DETAILS, "status", "public_token_hash"}
    if set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
    if not changes:
        return
    cols = list(changes)
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(cols))
    await t.conn.execute(
        f"UPDATE interviews SET {sets}, updated_at = now()"  # noqa: S608 - whitelisted columns
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        interview_id,
        *changes.values(),
    )


async def questions(t: Tenant, interview_id: UUID) -> list[Row]:
    rows = await t.conn.fetch(
        "SELECT * FROM questions WHERE organization_id = $1 AND interview_id = $2"
        " ORDER BY position",
        t.organization_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def replace_questions(t: Tenant, interview_id: UUID, items: list[dict[str, Any]]) -> None:
    await t.conn.execute(
        "DELETE FROM questions WHERE organization_id = $1 AND interview_id = $2",
        t.organization_id,
        interview_id,
    )
    await t.conn.executemany(
        "INSERT INTO questions (id, organization_id, interview_id, position, kind, prompt,"
        " think_seconds, answer_seconds, retakes, required, rubric)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (
                q["id"],
                t.organization_id,
                interview_id,
                pos,
                q["kind"],
                q["prompt"],
                q["think_seconds"],
                q["answer_seconds"],
                q["retakes"],
                q["required"],
                q["rubric"],
            )
            for pos, q in enumerate(items)
        ],
    )


async def has_started_candidates(t: Tenant, interview_id: UUID) -> bool:
    started: bool = await t.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM candidates WHERE organization_id = $1"
        " AND interview_id = $2 AND started_at IS NOT NULL)",
        t.organization_id,
        interview_id,
    )
    return started


async def create_candidate(t: Tenant, values: dict[str, Any]) -> Row:
    row = await t.conn.fetchrow(
        "INSERT INTO candidates (id, organization_id, interview_id, name, email, token_hash,"
        " source, deadline, extra_time_factor, extra_retakes)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *, 0 AS answered",
        values["id"],
        t.organization_id,
        values["interview_id"],
        values["name"],
        values["email"],
        values["token_hash"],
        values["source"],
        values["deadline"],
        values["extra_time_factor"],
        values["extra_retakes"],
    )
    return dict(row)


_CANDIDATE = (
    "SELECT c.*, (SELECT count(*) FROM counting_answers(ARRAY[c.id]) a"
    " WHERE a.status IN ('recorded', 'submitted')) AS answered,"
    " e.status AS email_status, e.attempts AS email_attempts, e.last_error AS email_error,"
    " e.sent_at AS email_sent_at"
    " FROM candidates c LEFT JOIN email_deliveries e ON e.id = c.invitation_email_id"
)


async def candidate(t: Tenant, candidate_id: UUID) -> Row | None:
    return _one(
        await t.conn.fetchrow(
            _CANDIDATE + " WHERE c.organization_id = $1 AND c.id = $2",
            t.organization_id,
            candidate_id,
        )
    )


async def candidate_by_email(t: Tenant, interview_id: UUID, email: str) -> Row | None:
    return _one(
        await t.conn.fetchrow(
            _CANDIDATE + " WHERE c.organization_id = $1 AND c.interview_id = $2 AND c.email = $3",
            t.organization_id,
            interview_id,
            email,
        )
    )


async def list_candidates(
    t: Tenant, interview_id: UUID, limit: int, after: Position | None, status: str | None
) -> list[Row]:
    page = keyset(after, 3, time="c.created_at", key="c.id")
    rows = await t.conn.fetch(
        _CANDIDATE + " WHERE c.organization_id = $1 AND c.interview_id = $2"
        f" AND {page.where} AND ($5::text IS NULL OR c.status = $5) {page.order} LIMIT $6",
        t.organization_id,
        interview_id,
        *page.params,
        status,
        limit,
    )
    return [dict(r) for r in rows]


async def update_candidate(t: Tenant, candidate_id: UUID, changes: dict[str, Any]) -> None:
    allowed = {
        "deadline",
        "extra_time_factor",
        "extra_retakes",
        "token_hash",
        "status",
        "invitation_email_id",
    }
    if set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
    if not changes:
        return
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(changes))
    await t.conn.execute(
        f"UPDATE candidates SET {sets}"  # noqa: S608 - whitelisted columns
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        candidate_id,
        *changes.values(),
    )


async def set_following(t: Tenant, interview_id: UUID, user_id: UUID, following: bool) -> None:
    if following:
        await t.conn.execute(
            "INSERT INTO interview_followers (organization_id, interview_id, user_id)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            t.organization_id,
            interview_id,
            user_id,
        )
    else:
        await t.conn.execute(
            "DELETE FROM interview_followers"
            " WHERE organization_id = $1 AND interview_id = $2 AND user_id = $3",
            t.organization_id,
            interview_id,
            user_id,
        )


async def is_following(t: Tenant, interview_id: UUID, user_id: UUID | None) -> bool:
    found: bool = await t.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM interview_followers"
        " WHERE organization_id = $1 AND interview_id = $2 AND user_id = $3)",
        t.organization_id,
        interview_id,
        user_id,
    )
    return found
