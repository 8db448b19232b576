"""SQL of Fairness & Data Rights (tenant-scoped). It reads what other contexts store (AI runs,
evaluations, ratings, decisions, candidates) and writes only its own tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api.pagination import Position, keyset
from storage.db import Tenant


async def settings(t: Tenant) -> dict[str, Any]:
    row = await t.conn.fetchrow(
        "SELECT ai_evaluation, updated_at FROM compliance_settings WHERE organization_id = $1",
        t.organization_id,
    )
    return dict(row) if row else {"ai_evaluation": True, "updated_at": None}


async def set_ai_evaluation(t: Tenant, on: bool) -> None:
    await t.conn.execute(
        "INSERT INTO compliance_settings (organization_id, ai_evaluation) VALUES ($1, $2)"
        " ON CONFLICT (organization_id) DO UPDATE SET ai_evaluation = $2, updated_at = now()",
        t.organization_id,
        on,
    )


async def interview_ai(t: Tenant, interview_id: UUID) -> bool | None:
    value: bool | None = await t.conn.fetchval(
        "SELECT ai_evaluation FROM interview_ai_settings"
        " WHERE organization_id = $1 AND interview_id = $2",
        t.organization_id,
        interview_id,
    )
    return value


async def set_interview_ai(t: Tenant, interview_id: UUID, on: bool) -> None:
    await t.conn.execute(
        "INSERT INTO interview_ai_settings (interview_id, organization_id, ai_evaluation)"
        " VALUES ($2, $1, $3) ON CONFLICT (interview_id)"
        " DO UPDATE SET ai_evaluation = $3, updated_at = now()",
        t.organization_id,
        interview_id,
        on,
    )


_RUN_FILTER = (
    " WHERE r.organization_id = $1"
    " AND ($2::uuid IS NULL OR coalesce(r.candidate_id, a.candidate_id) = $2)"
    " AND ($3::text IS NULL OR r.kind = $3) AND ($4::text IS NULL OR r.model = $4)"
    " AND ($5::timestamptz IS NULL OR r.created_at >= $5)"
    " AND ($6::timestamptz IS NULL OR r.created_at < $6)"
)
_RUN_COLUMNS = (
    "SELECT r.id, r.kind, coalesce(r.candidate_id, a.candidate_id) AS candidate_id, r.answer_id,"
    " r.provider, r.model, r.prompt_version, r.input_hash, r.output, r.latency_ms, r.tokens_in,"
    " r.tokens_out, r.error, r.created_at"
    " FROM ai_runs r LEFT JOIN answers a ON a.id = r.answer_id"
)


async def ai_runs(
    t: Tenant,
    filters: tuple[UUID | None, str | None, str | None, datetime | None, datetime | None],
    limit: int,
    after: Position | None,
) -> list[dict[str, Any]]:
    page = keyset(after, 7, time="r.created_at", key="r.id", key_type="bigint")
    rows = await t.conn.fetch(
        f"{_RUN_COLUMNS}{_RUN_FILTER} AND {page.where} {page.order} LIMIT $9",
        t.organization_id,
        *filters,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def ai_run_models(t: Tenant) -> list[str]:
    rows = await t.conn.fetch(
        "SELECT DISTINCT model FROM ai_runs WHERE organization_id = $1 ORDER BY model",
        t.organization_id,
    )
    return [r["model"] for r in rows]


async def answer_evaluation(t: Tenant, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT a.candidate_id, e.status, e.result FROM answers a"
        " LEFT JOIN evaluations e ON e.answer_id = a.id"
        " WHERE a.organization_id = $1 AND a.id = $2",
        t.organization_id,
        answer_id,
    )
    return dict(row) if row else None


async def candidate_evaluations(t: Tenant, candidate_id: UUID) -> list[dict[str, Any]]:
    """The ready evaluations of the answers that count for the candidate."""
    rows = await t.conn.fetch(
        "SELECT e.result FROM counting_answers(ARRAY[$2::uuid]) a"
        " JOIN evaluations e ON e.answer_id = a.id AND e.status = 'ready'"
        " WHERE a.organization_id = $1",
        t.organization_id,
        candidate_id,
    )
    return [dict(r) for r in rows]


async def add_override(
    t: Tenant,
    candidate_id: UUID,
    answer_id: UUID | None,
    user_id: UUID | None,
    kind: str,
    criterion: str | None,
    ai_score: float,
    human_value: str,
) -> None:
    await t.conn.execute(
        "INSERT INTO ai_overrides (organization_id, candidate_id, answer_id, user_id, kind,"
        " criterion, ai_score, human_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        t.organization_id,
        candidate_id,
        answer_id,
        user_id,
        kind,
        criterion,
        ai_score,
        human_value,
    )


async def overrides(t: Tenant, limit: int, after: Position | None) -> list[dict[str, Any]]:
    page = keyset(after, 2, time="o.created_at", key="o.id", key_type="bigint")
    rows = await t.conn.fetch(
        "SELECT o.id, o.kind, o.candidate_id, c.name AS candidate, o.answer_id, o.criterion,"  # noqa: S608
        " o.ai_score::float8 AS ai_score, o.human_value, u.name AS reviewer, o.created_at"
        " FROM ai_overrides o JOIN candidates c ON c.id = o.candidate_id"
        " LEFT JOIN users u ON u.id = o.user_id"
        f" WHERE o.organization_id = $1 AND {page.where} {page.order} LIMIT $4",
        t.organization_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def notice_context(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT c.id, c.name, c.status, c.ai_consent, c.interview_id, i.title,"
        " i.language, o.name AS organization, ai_evaluation_off(c.id) AS ai_off"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " JOIN organizations o ON o.id = c.organization_id"
        " WHERE c.organization_id = $1 AND c.id = $2",
        t.organization_id,
        candidate_id,
    )
    if row is None:
        return None
    questions = await t.conn.fetch(
        "SELECT position, prompt, rubric FROM questions"
        " WHERE organization_id = $1 AND interview_id = $2 ORDER BY position",
        t.organization_id,
        row["interview_id"],
    )
    return {**dict(row), "questions": [dict(q) for q in questions]}


async def add_request(
    t: Tenant, request_id: UUID, candidate_id: UUID, kind: str, message: str
) -> None:
    await t.conn.execute(
        "INSERT INTO candidate_requests (id, organization_id, candidate_id, kind, message)"
        " VALUES ($1, $2, $3, $4, $5)",
        request_id,
        t.organization_id,
        candidate_id,
        kind,
        message,
    )


async def drop_ai_results(t: Tenant, candidate_id: UUID, reason: str) -> None:
    """A candidate who asked for people only: their evaluations and summary are withdrawn."""
    await t.conn.execute(
        "UPDATE evaluations e SET status = 'skipped', reason = $3, result = '{}',"
        " method = NULL, provider = NULL, model = NULL, input_hash = NULL, updated_at = now()"
        " FROM answers a WHERE a.id = e.answer_id AND a.organization_id = $1"
        " AND a.candidate_id = $2",
        t.organization_id,
        candidate_id,
        reason,
    )
    await t.conn.execute(
        "DELETE FROM candidate_summaries WHERE organization_id = $1 AND candidate_id = $2",
        t.organization_id,
        candidate_id,
    )


async def requests(
    t: Tenant, open_only: bool, limit: int, after: Position | None
) -> list[dict[str, Any]]:
    page = keyset(after, 3, time="r.created_at", key="r.id")
    rows = await t.conn.fetch(
        "SELECT r.id, r.kind, r.message, r.candidate_id, c.name AS candidate,"  # noqa: S608
        " c.interview_id, r.created_at, r.resolved_at, u.name AS resolved_by"
        " FROM candidate_requests r JOIN candidates c ON c.id = r.candidate_id"
        " LEFT JOIN users u ON u.id = r.resolved_by"
        " WHERE r.organization_id = $1 AND (NOT $2 OR r.resolved_at IS NULL)"
        f" AND {page.where} {page.order} LIMIT $5",
        t.organization_id,
        open_only,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def resolve_request(t: Tenant, request_id: UUID, user_id: UUID | None) -> bool:
    status: str = await t.conn.execute(
        "UPDATE candidate_requests SET resolved_at = now(), resolved_by = $3"
        " WHERE organization_id = $1 AND id = $2 AND resolved_at IS NULL",
        t.organization_id,
        request_id,
        user_id,
    )
    return status != "UPDATE 0"
