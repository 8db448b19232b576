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
        " a.id AS answer_id, a.attempt, a.status, a.failure_reason, a.duration_ms,"
        " a.text_answer, a.playback_key, a.poster_key,"
        " tr.status AS transcript_status, tr.reason AS transcript_reason, tr.language,"
        " tr.text AS transcript_text, tr.segments AS transcript_segments"
        " FROM questions q LEFT JOIN LATERAL ("
        "   SELECT * FROM answers x WHERE x.candidate_id = $2 AND x.question_id = q.id"
        "   AND x.status <> 'discarded' ORDER BY x.attempt DESC LIMIT 1) a ON true"
        " LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " WHERE q.organization_id = $1 AND q.interview_id = $3 ORDER BY q.position",
        t.organization_id,
        candidate_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def media_key(t: Tenant, answer_id: UUID, kind: str) -> str | None:
    column = {"playback": "playback_key", "poster": "poster_key"}[kind]
    key: str | None = await t.conn.fetchval(
        f"SELECT {column} FROM answers WHERE organization_id = $1 AND id = $2",  # noqa: S608
        t.organization_id,
        answer_id,
    )
    return key


async def interview_title(t: Tenant, interview_id: UUID) -> str:
    title: str = await t.conn.fetchval(
        "SELECT title FROM interviews WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        interview_id,
    )
    return title
