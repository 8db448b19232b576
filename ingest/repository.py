"""SQL for the media side of answers (Media Processing); tenant-scoped."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

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


async def mark_recording(t: Tenant, answer_id: UUID, key: str) -> None:
    """The answer is recording into ``key``: noted before any media arrives, so that a crash
    is reconciled from it (``reconcile_lost``)."""
    await t.conn.execute(
        "UPDATE answers SET status = 'recording', started_at = coalesce(started_at, now()),"
        " failure_reason = NULL, failure_code = NULL, open_segment = jsonb_build_object("
        " 'key', $3::text, 'started_at', now(), 'seen_at', now(), 'bytes', 0, 'duration_ms', 0)"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        answer_id,
        key,
    )


async def keep_alive(conn: asyncpg.Connection, progress: list[tuple[UUID, int, int]]) -> None:
    """This process still records these answers: (answer, durable bytes, duration so far)."""
    await conn.execute(
        "UPDATE answers a SET open_segment = a.open_segment || jsonb_build_object("
        " 'seen_at', now(), 'bytes', u.bytes, 'duration_ms', u.ms)"
        " FROM unnest($1::uuid[], $2::bigint[], $3::int[]) AS u(id, bytes, ms)"
        " WHERE a.id = u.id AND a.status = 'recording' AND a.open_segment IS NOT NULL",
        [p[0] for p in progress],
        [p[1] for p in progress],
        [p[2] for p in progress],
    )


async def lost_recordings(
    conn: asyncpg.Connection, stale_s: float, exclude: list[UUID]
) -> list[dict[str, Any]]:
    """Recordings whose ingest stopped keeping them alive (claimed for this transaction)."""
    rows = await conn.fetch(
        "SELECT id, organization_id, open_segment, segments FROM answers"
        " WHERE status = 'recording' AND open_segment IS NOT NULL"
        " AND (open_segment ->> 'seen_at')::timestamptz < now() - make_interval(secs => $1)"
        " AND NOT (id = ANY($2::uuid[])) LIMIT 100 FOR UPDATE SKIP LOCKED",
        stale_s,
        exclude,
    )
    return [dict(r) for r in rows]


async def unmark_recording(t: Tenant, before: dict[str, Any]) -> None:
    """Undo ``mark_recording`` for a stream that never started: the answer is as it was."""
    await t.conn.execute(
        "UPDATE answers SET status = $3, failure_reason = $4, started_at = $5,"
        " failure_code = $6, open_segment = NULL"
        " WHERE organization_id = $1 AND id = $2 AND status = 'recording'",
        t.organization_id,
        before["id"],
        before["status"],
        before["failure_reason"],
        before["started_at"],
        before.get("failure_code"),
    )


async def finish_segment(
    t: Tenant,
    answer_id: UUID,
    segment: dict[str, Any] | None,
    status: str,
    failure_reason: str | None,
    *,
    failure_code: str | None = None,
) -> None:
    await t.conn.execute(
        "UPDATE answers SET status = $3, failure_reason = $4, failure_code = $6,"
        " ended_at = now(), open_segment = NULL,"
        " segments = CASE WHEN $5::jsonb IS NULL THEN segments ELSE segments || $5::jsonb END,"
        " duration_ms = duration_ms + coalesce(($5::jsonb ->> 'duration_ms')::int, 0)"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        answer_id,
        status,
        failure_reason,
        segment,
        failure_code,
    )
