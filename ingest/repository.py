"""SQL for the media side of answers (Media Processing); tenant-scoped."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from storage.db import Tenant

_ANSWER = (
    "SELECT a.*, q.answer_seconds, c.extra_time_factor, c.status AS candidate_status,"
    " i.status AS interview_status, i.id AS interview_id"
    " FROM answers a JOIN questions q ON q.id = a.question_id"
    " JOIN candidates c ON c.id = a.candidate_id JOIN interviews i ON i.id = c.interview_id"
    " WHERE a.organization_id = $1 AND a.id = $2"
)


async def answer_for_stream(
    t: Tenant, answer_id: UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = _ANSWER + " FOR UPDATE OF a" if for_update else _ANSWER
    row = await t.conn.fetchrow(query, t.organization_id, answer_id)
    return dict(row) if row else None


async def mark_recording(t: Tenant, answer_id: UUID) -> None:
    await t.conn.execute(
        "UPDATE answers SET status = 'recording', started_at = coalesce(started_at, now()),"
        " failure_reason = NULL WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        answer_id,
    )


async def finish_segment(
    t: Tenant,
    answer_id: UUID,
    segment: dict[str, Any] | None,
    status: str,
    failure_reason: str | None,
) -> None:
    await t.conn.execute(
        "UPDATE answers SET status = $3, failure_reason = $4, ended_at = now(),"
        " segments = CASE WHEN $5::jsonb IS NULL THEN segments ELSE segments || $5::jsonb END,"
        " duration_ms = duration_ms + coalesce(($5::jsonb ->> 'duration_ms')::int, 0)"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        answer_id,
        status,
        failure_reason,
        segment,
    )


async def set_playback(
    t: Tenant, answer_id: UUID, playback_key: str | None, poster_key: str | None
) -> None:
    await t.conn.execute(
        "UPDATE answers SET playback_key = $3, poster_key = $4"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        answer_id,
        playback_key,
        poster_key,
    )
