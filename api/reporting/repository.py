"""SQL of Reporting & Analytics (tenant-scoped). Every analytics query lives here, so that an
installation that outgrows Postgres can answer them from an analytics store instead
(docs/reporting.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from storage.db import Tenant


async def candidates(
    t: Tenant, interview_id: UUID, candidate_ids: list[UUID] | None
) -> list[dict[str, Any]]:
    """The interview's candidates (or the named ones) with their current decision and star."""
    rows = await t.conn.fetch(
        "SELECT c.id, c.name, c.email, c.status, c.ai_consent, c.created_at, c.opened_at,"
        " c.started_at, c.completed_at, (s.candidate_id IS NOT NULL) AS shortlisted,"
        " d.decision"
        " FROM candidates c"
        " LEFT JOIN shortlist s ON s.candidate_id = c.id"
        " LEFT JOIN LATERAL (SELECT decision FROM decisions x WHERE x.candidate_id = c.id"
        "   ORDER BY x.id DESC LIMIT 1) d ON true"
        " WHERE c.organization_id = $1 AND c.interview_id = $2"
        " AND ($3::uuid[] IS NULL OR c.id = ANY($3::uuid[]))"
        " ORDER BY c.created_at, c.id",
        t.organization_id,
        interview_id,
        candidate_ids,
    )
    return [dict(r) for r in rows]


async def questions(t: Tenant, interview_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT id, position, kind, prompt, rubric FROM questions"
        " WHERE organization_id = $1 AND interview_id = $2 ORDER BY position",
        t.organization_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def answers(t: Tenant, candidate_ids: list[UUID]) -> list[dict[str, Any]]:
    """Each candidate's latest attempt per question, with its text and evaluation."""
    rows = await t.conn.fetch(
        "SELECT DISTINCT ON (a.candidate_id, a.question_id) a.candidate_id, a.question_id,"
        " a.id AS answer_id, a.status, a.duration_ms, coalesce(a.text_answer, tr.text) AS text,"
        " ev.status AS evaluation_status, ev.result AS evaluation"
        " FROM answers a LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " LEFT JOIN evaluations ev ON ev.answer_id = a.id"
        " WHERE a.organization_id = $1 AND a.candidate_id = ANY($2::uuid[])"
        " AND a.status <> 'discarded'"
        " ORDER BY a.candidate_id, a.question_id, a.attempt DESC",
        t.organization_id,
        candidate_ids,
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


async def set_shortlisted(
    t: Tenant, candidate_id: UUID, interview_id: UUID, user_id: UUID | None, starred: bool
) -> None:
    if starred:
        await t.conn.execute(
            "INSERT INTO shortlist (candidate_id, organization_id, interview_id, user_id)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (candidate_id) DO NOTHING",
            candidate_id,
            t.organization_id,
            interview_id,
            user_id,
        )
    else:
        await t.conn.execute(
            "DELETE FROM shortlist WHERE organization_id = $1 AND candidate_id = $2",
            t.organization_id,
            candidate_id,
        )


async def funnel(
    t: Tenant, interview_id: UUID, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Counts of candidates invited in [since, until) at every step, and the median time from
    start to completion in seconds."""
    row = await t.conn.fetchrow(
        "SELECT count(*) AS invited,"
        " count(*) FILTER (WHERE c.opened_at IS NOT NULL) AS opened,"
        " count(*) FILTER (WHERE c.consented_at IS NOT NULL) AS consented,"
        " count(*) FILTER (WHERE c.started_at IS NOT NULL) AS started,"
        " count(*) FILTER (WHERE c.status = 'completed') AS completed,"
        " count(*) FILTER (WHERE c.status = 'expired') AS expired,"
        " count(*) FILTER (WHERE c.status = 'revoked') AS revoked,"
        " count(*) FILTER (WHERE c.ai_consent IS false) AS declined_ai,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
        "   c.completed_at - c.started_at)) FILTER (WHERE c.status = 'completed'"
        "   AND c.started_at IS NOT NULL) AS median_seconds"
        " FROM candidates c WHERE c.organization_id = $1 AND c.interview_id = $2"
        " AND ($3::timestamptz IS NULL OR c.created_at >= $3)"
        " AND ($4::timestamptz IS NULL OR c.created_at < $4)",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return dict(row) if row else {}


async def question_drop_off(
    t: Tenant, interview_id: UUID, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """Per question: how many candidates answered it, and how many started the interview but
    stopped there (it is the first question they never answered, and they did not finish)."""
    rows = await t.conn.fetch(
        "WITH cohort AS (SELECT c.id, c.status FROM candidates c"
        "   WHERE c.organization_id = $1 AND c.interview_id = $2 AND c.started_at IS NOT NULL"
        "   AND ($3::timestamptz IS NULL OR c.created_at >= $3)"
        "   AND ($4::timestamptz IS NULL OR c.created_at < $4)),"
        # An answer counts once recorded or submitted (interrupted or failed ones do not).
        " answered AS (SELECT DISTINCT a.candidate_id, a.question_id FROM answers a"
        "   JOIN cohort ON cohort.id = a.candidate_id WHERE a.status IN ('recorded', 'submitted')),"
        " stopped AS (SELECT cohort.id, (SELECT q.id FROM questions q"
        "   WHERE q.interview_id = $2 AND NOT EXISTS (SELECT 1 FROM answered x"
        "     WHERE x.candidate_id = cohort.id AND x.question_id = q.id)"
        "   ORDER BY q.position LIMIT 1) AS question_id"
        "   FROM cohort WHERE cohort.status <> 'completed')"
        " SELECT q.id, q.position, q.prompt,"
        " (SELECT count(*) FROM answered x WHERE x.question_id = q.id) AS answered,"
        " (SELECT count(*) FROM stopped s WHERE s.question_id = q.id) AS stopped"
        " FROM questions q WHERE q.organization_id = $1 AND q.interview_id = $2"
        " ORDER BY q.position",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return [dict(r) for r in rows]
