"""SQL for Interview Management; every query is scoped to the tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from api.pagination import Order, Position, keyset, ordered
from storage.db import Tenant

Row = dict[str, Any]

# Candidates per status, from the counter the candidates table's triggers keep.
_COUNTS = (
    "(SELECT coalesce(jsonb_object_agg(k.status, k.n), '{}') FROM interview_candidate_counts k"
    " WHERE k.organization_id = i.organization_id AND k.interview_id = i.id AND k.n > 0)"
    " AS candidates"
)


def _one(r: asyncpg.Record | None) -> Row | None:
    return dict(r) if r is not None else None


async def create_interview(t: Tenant, values: dict[str, Any]) -> Row:
    row = await t.conn.fetchrow(
        "INSERT INTO interviews (id, organization_id, title, role_description, intro, language,"
        " brand_name, brand_logo_url, created_by, reminder_hours, review_first)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
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
        values.get("review_first", False),
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


async def interview_detail(t: Tenant, interview_id: UUID, user_id: UUID | None) -> Row | None:
    """An interview with its questions, candidate counts, whether its questions are locked (a
    candidate started) and whether ``user_id`` follows it: one statement."""
    return _one(
        await t.conn.fetchrow(
            f"SELECT i.*, {_COUNTS},"  # noqa: S608 - constant fragments
            " (i.public_token_hash IS NOT NULL) AS public_link,"
            " EXISTS (SELECT 1 FROM candidates c WHERE c.organization_id = i.organization_id"
            "  AND c.interview_id = i.id AND c.started_at IS NOT NULL) AS locked,"
            " EXISTS (SELECT 1 FROM interview_followers f WHERE f.organization_id = i.organization_id"
            "  AND f.interview_id = i.id AND f.user_id = $3) AS following,"
            " (SELECT coalesce(jsonb_agg(to_jsonb(q) ORDER BY q.position), '[]') FROM questions q"
            "  WHERE q.organization_id = i.organization_id AND q.interview_id = i.id) AS questions"
            " FROM interviews i WHERE i.organization_id = $1 AND i.id = $2",
            t.organization_id,
            interview_id,
            user_id,
        )
    )


async def list_interviews(
    t: Tenant, limit: int, after: Position | None, status: str | None
) -> list[Row]:
    page = keyset(after, 2, time="i.created_at", key="i.id")
    rows = await t.conn.fetch(
        f"SELECT i.*, {_COUNTS},"  # noqa: S608 - constant fragments
        " (SELECT count(*) FROM questions q WHERE q.organization_id = i.organization_id"
        "  AND q.interview_id = i.id) AS questions"
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
    "review_first",
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
        "INSERT INTO candidates (id, organization_id, interview_id, name, email,"
        " source, deadline, extra_time_factor, extra_retakes)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " RETURNING *, 0 AS answered, NULL::jsonb AS invitation_email",
        values["id"],
        t.organization_id,
        values["interview_id"],
        values["name"],
        values["email"],
        values["source"],
        values["deadline"],
        values["extra_time_factor"],
        values["extra_retakes"],
    )
    return dict(row)


async def add_link(
    conn: asyncpg.Connection,
    organization_id: UUID,
    candidate_id: UUID,
    token_hash: bytes,
    purpose: str,
) -> None:
    """One more personal link for the candidate; the ones they hold stay valid."""
    await conn.execute(
        "INSERT INTO candidate_links (token_hash, organization_id, candidate_id, purpose)"
        " VALUES ($1, $2, $3, $4)",
        token_hash,
        organization_id,
        candidate_id,
        purpose,
    )


# A candidate row in the shape of ``CandidateOut`` (plus the columns services use).
_CANDIDATE_COLUMNS = (
    "c.*, (SELECT count(*) FROM counting_answers(ARRAY[c.id]) a"
    " WHERE a.status IN ('recorded', 'submitted')) AS answered,"
    " CASE WHEN e.id IS NOT NULL THEN jsonb_build_object('status', e.status,"
    "  'attempts', e.attempts, 'last_error', e.last_error, 'sent_at', e.sent_at)"
    " END AS invitation_email"
)
_CANDIDATE_FROM = " FROM candidates c LEFT JOIN email_deliveries e ON e.id = c.invitation_email_id"
_CANDIDATE = f"SELECT {_CANDIDATE_COLUMNS}{_CANDIDATE_FROM}"


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


# The candidates list's orders (each served by an index of the same expressions).
CANDIDATE_ORDERS = {
    "newest": Order("newest", "c.created_at", "timestamptz", descending=True),
    "name": Order("name", "lower(c.name)", "text", descending=False),
    "score": Order("score", "coalesce(c.score, -1)", "float8", descending=True),
    "completed": Order(
        "completed", "coalesce(c.completed_at, '-infinity')", "timestamptz", descending=True
    ),
}
SEARCH_TEXT = "(lower(c.name) || ' ' || lower(c.email::text))"


@dataclass(frozen=True)
class CandidateFilter:
    status: str | None = None
    decision: str | None = None  # advance, hold, reject, or "none" (undecided)
    search: str | None = None  # in the name or email, anywhere
    score_min: float | None = None
    score_max: float | None = None


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_candidates(
    t: Tenant,
    interview_id: UUID,
    limit: int,
    cursor: str | None,
    sort: str = "newest",
    where: CandidateFilter = CandidateFilter(),
) -> list[Row]:
    """A page of the interview's candidates in ``sort`` order, filtered by ``where``. Only the
    conditions asked for are in the statement, so each combination is planned for itself (a
    search uses the trigram index, a sort its own index)."""
    order = CANDIDATE_ORDERS[sort]
    page = ordered(order, cursor, 3, key="c.id")
    params: list[Any] = [t.organization_id, interview_id, *page.params]
    conditions = [page.where]

    def bind(sql: str, value: Any) -> None:
        params.append(value)
        conditions.append(sql.replace("?", f"${len(params)}"))

    if where.status is not None:
        bind("c.status = ?", where.status)
    if where.decision == "none":
        conditions.append("c.decision IS NULL")
    elif where.decision is not None:
        bind("c.decision = ?", where.decision)
    if where.search:
        bind(f"{SEARCH_TEXT} LIKE ?", _like(where.search))
    if where.score_min is not None:
        bind("c.score >= ?", where.score_min)
    if where.score_max is not None:
        bind("c.score <= ?", where.score_max)
    params.append(limit)
    rows = await t.conn.fetch(
        f"SELECT {_CANDIDATE_COLUMNS}, ({order.value})::text AS sort_key{_CANDIDATE_FROM}"
        " WHERE c.organization_id = $1 AND c.interview_id = $2 AND "
        + " AND ".join(conditions)
        + f" {page.order} LIMIT ${len(params)}",
        *params,
    )
    return [dict(r) for r in rows]


async def candidates_of_interview(
    t: Tenant, interview_id: UUID, candidate_ids: list[UUID]
) -> list[UUID]:
    """Those of ``candidate_ids`` that are candidates of the interview."""
    rows = await t.conn.fetch(
        "SELECT id FROM candidates WHERE organization_id = $1 AND interview_id = $2"
        " AND id = ANY($3::uuid[])",
        t.organization_id,
        interview_id,
        candidate_ids,
    )
    return [r["id"] for r in rows]


async def update_candidate(t: Tenant, candidate_id: UUID, changes: dict[str, Any]) -> None:
    allowed = {
        "deadline",
        "extra_time_factor",
        "extra_retakes",
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
