"""SQL for reviewing a candidate's answers (tenant-scoped)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from storage.db import Tenant


async def questions_with_answers(
    t: Tenant, candidate_id: UUID, interview_id: UUID
) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT q.id, q.position, q.kind, q.prompt, q.rubric,"
        " a.id AS answer_id, a.attempt, a.status, a.failure_reason, a.failure_code, a.duration_ms,"
        " a.text_answer, a.playback_key, a.poster_key, a.playback_status, a.playback_error,"
        " a.segments,"
        " tr.status AS transcript_status, tr.reason AS transcript_reason, tr.language,"
        " tr.text AS transcript_text, tr.segments AS transcript_segments,"
        " ev.status AS evaluation_status, ev.reason AS evaluation_reason, ev.method, ev.model,"
        " ev.result AS evaluation_result"
        " FROM questions q LEFT JOIN counting_answers(ARRAY[$2::uuid]) a ON a.question_id = q.id"
        " LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " LEFT JOIN evaluations ev ON ev.answer_id = a.id"
        " WHERE q.organization_id = $1 AND q.interview_id = $3 ORDER BY q.position",
        t.organization_id,
        candidate_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def summary(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT status, reason, method, model, result FROM candidate_summaries"
        " WHERE organization_id = $1 AND candidate_id = $2",
        t.organization_id,
        candidate_id,
    )
    return dict(row) if row else None


async def media_key(t: Tenant, answer_id: UUID, kind: str) -> str | None:
    column = {"playback": "playback_key", "poster": "poster_key"}[kind]
    key: str | None = await t.conn.fetchval(
        f"SELECT {column} FROM answers WHERE organization_id = $1 AND id = $2",  # noqa: S608
        t.organization_id,
        answer_id,
    )
    return key


async def recording_key(t: Tenant, answer_id: UUID, segment: int) -> str | None:
    """The object key of the answer's recorded segment ``segment`` (from 1)."""
    key: str | None = await t.conn.fetchval(
        "SELECT segments -> ($3::int - 1) ->> 'key' FROM answers"
        " WHERE organization_id = $1 AND id = $2 AND $3::int >= 1",
        t.organization_id,
        answer_id,
        segment,
    )
    return key


async def interview_title(t: Tenant, interview_id: UUID) -> str:
    title: str = await t.conn.fetchval(
        "SELECT title FROM interviews WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        interview_id,
    )
    return title


async def review_first(t: Tenant, interview_id: UUID) -> bool:
    held: bool = await t.conn.fetchval(
        "SELECT review_first FROM interviews WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        interview_id,
    )
    return held


async def record_evaluation_views(
    t: Tenant, user_id: UUID, shown: list[UUID], rated: set[UUID]
) -> None:
    """The first time each evaluation is shown to this reviewer (later showings keep it)."""
    await t.conn.executemany(
        "INSERT INTO evaluation_views (organization_id, answer_id, user_id, rated_before)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (answer_id, user_id) DO NOTHING",
        [(t.organization_id, a, user_id, a in rated) for a in shown],
    )


async def evaluation_views(t: Tenant, answer_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT v.answer_id, v.shown_at, v.rated_before, u.name FROM evaluation_views v"
        " JOIN users u ON u.id = v.user_id"
        " WHERE v.organization_id = $1 AND v.answer_id = ANY($2) ORDER BY v.shown_at",
        t.organization_id,
        answer_ids,
    )
    return [dict(r) for r in rows]


async def ratings(t: Tenant, answer_ids: list[UUID], user_id: UUID | None) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT answer_id, criterion, avg(score)::float8 AS average, count(*) AS n,"
        " max(score) FILTER (WHERE user_id = $3) AS mine"
        " FROM ratings WHERE organization_id = $1 AND answer_id = ANY($2::uuid[])"
        " GROUP BY answer_id, criterion",
        t.organization_id,
        answer_ids,
        user_id,
    )
    return [dict(r) for r in rows]


async def answer_criteria(t: Tenant, answer_id: UUID) -> list[str] | None:
    rubric = await t.conn.fetchval(
        "SELECT q.rubric FROM answers a JOIN questions q ON q.id = a.question_id"
        " WHERE a.organization_id = $1 AND a.id = $2",
        t.organization_id,
        answer_id,
    )
    return None if rubric is None else [c["name"] for c in rubric]


async def set_rating(t: Tenant, answer_id: UUID, user_id: UUID, criterion: str, score: int) -> None:
    await t.conn.execute(
        "INSERT INTO ratings (organization_id, answer_id, user_id, criterion, score)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (answer_id, user_id, criterion)"
        " DO UPDATE SET score = $5, updated_at = now()",
        t.organization_id,
        answer_id,
        user_id,
        criterion,
        score,
    )


async def comments(t: Tenant, candidate_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT c.id, c.body, c.created_at, u.name AS author FROM comments c"
        " LEFT JOIN users u ON u.id = c.user_id"
        " WHERE c.organization_id = $1 AND c.candidate_id = $2 ORDER BY c.created_at",
        t.organization_id,
        candidate_id,
    )
    return [dict(r) for r in rows]


async def add_comment(
    t: Tenant, comment_id: UUID, candidate_id: UUID, user_id: UUID | None, body: str
) -> None:
    await t.conn.execute(
        "INSERT INTO comments (id, organization_id, candidate_id, user_id, body)"
        " VALUES ($1, $2, $3, $4, $5)",
        comment_id,
        t.organization_id,
        candidate_id,
        user_id,
        body,
    )


async def decisions(t: Tenant, candidate_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT d.decision, d.note, d.created_at, u.name AS by FROM decisions d"
        " LEFT JOIN users u ON u.id = d.user_id"
        " WHERE d.organization_id = $1 AND d.candidate_id = $2 ORDER BY d.id DESC",
        t.organization_id,
        candidate_id,
    )
    return [dict(r) for r in rows]


async def add_decision(
    t: Tenant, candidate_id: UUID, user_id: UUID | None, decision: str, note: str
) -> None:
    await t.conn.execute(
        "INSERT INTO decisions (organization_id, candidate_id, user_id, decision, note)"
        " VALUES ($1, $2, $3, $4, $5)",
        t.organization_id,
        candidate_id,
        user_id,
        decision,
        note,
    )
