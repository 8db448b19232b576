"""SQL for the candidate side. The candidate's token resolves to a candidate in a platform
transaction; everything after that is scoped to the candidate's organization."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from api.user_agent import Client
from storage.db import Tenant


async def candidate_by_token(conn: asyncpg.Connection, token_hash: bytes) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT c.*, i.title, i.intro, i.language, i.status AS interview_status,"
        " coalesce(i.brand_name, o.name) AS organization_name, i.brand_logo_url"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " JOIN organizations o ON o.id = c.organization_id"
        " WHERE c.id = (SELECT candidate_id FROM candidate_links WHERE token_hash = $1)"
        " FOR UPDATE OF c",
        token_hash,
    )
    return dict(row) if row else None


async def interview_by_public_token(
    conn: asyncpg.Connection, token_hash: bytes
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT i.*, coalesce(i.brand_name, o.name) AS organization_name FROM interviews i"
        " JOIN organizations o ON o.id = i.organization_id WHERE i.public_token_hash = $1",
        token_hash,
    )
    return dict(row) if row else None


async def questions_with_latest(
    t: Tenant, candidate_id: UUID, interview_id: UUID
) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT q.*, la.id AS answer_id, la.status AS answer_status, la.failure_reason,"
        " coalesce(la.attempt, 0) AS last_attempt,"
        # Attempts that failed for technical reasons do not use up retakes.
        " (SELECT count(*) FROM answers a WHERE a.candidate_id = $2 AND a.question_id = q.id"
        "   AND a.status <> 'failed') AS attempts_used"
        " FROM questions q LEFT JOIN counting_answers(ARRAY[$2::uuid]) la"
        " ON la.question_id = q.id"
        " WHERE q.organization_id = $1 AND q.interview_id = $3 ORDER BY q.position",
        t.organization_id,
        candidate_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def set_candidate(t: Tenant, candidate_id: UUID, **changes: Any) -> None:
    allowed = {
        "status",
        "opened_at",
        "started_at",
        "completed_at",
        "consent_version",
        "consented_at",
        "ai_consent",
    }
    if not changes or set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(changes))
    await t.conn.execute(
        f"UPDATE candidates SET {sets} WHERE organization_id = $1 AND id = $2",  # noqa: S608
        t.organization_id,
        candidate_id,
        *changes.values(),
    )


async def discard_attempts(t: Tenant, candidate_id: UUID, question_id: UUID) -> None:
    """A retake discards the attempts that counted; a failed one stays failed, so it never
    becomes a counting ``discarded`` one."""
    await t.conn.execute(
        "UPDATE answers SET status = 'discarded' WHERE organization_id = $1"
        " AND candidate_id = $2 AND question_id = $3 AND status NOT IN ('discarded', 'failed')",
        t.organization_id,
        candidate_id,
        question_id,
    )


async def create_answer(
    t: Tenant,
    answer_id: UUID,
    candidate_id: UUID,
    question_id: UUID,
    attempt: int,
    kind: str,
    text: str | None = None,
    client: Client | None = None,
) -> None:
    await t.conn.execute(
        "INSERT INTO answers (id, organization_id, candidate_id, question_id, attempt, kind,"
        " status, text_answer, started_at, ended_at, client_browser, client_os, client_device)"
        " VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::text IS NULL THEN 'pending'"
        " ELSE 'submitted' END, $7, CASE WHEN $7::text IS NOT NULL THEN now() END,"
        " CASE WHEN $7::text IS NOT NULL THEN now() END, $8, $9, $10)",
        answer_id,
        t.organization_id,
        candidate_id,
        question_id,
        attempt,
        kind,
        text,
        client.browser if client else None,
        client.os if client else None,
        client.device if client else None,
    )


async def mark_devices_checked(t: Tenant, candidate_id: UUID, client: Client) -> None:
    """The first pass of the device check counts (and its client); later ones change nothing."""
    await t.conn.execute(
        "UPDATE candidates SET devices_checked_at = now(), client_browser = $3, client_os = $4,"
        " client_device = $5"
        " WHERE organization_id = $1 AND id = $2 AND devices_checked_at IS NULL",
        t.organization_id,
        candidate_id,
        client.browser,
        client.os,
        client.device,
    )


async def answer(t: Tenant, candidate_id: UUID, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT * FROM answers WHERE organization_id = $1 AND candidate_id = $2 AND id = $3",
        t.organization_id,
        candidate_id,
        answer_id,
    )
    return dict(row) if row else None


async def completion_context(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    """What the candidate's confirmation of completion says."""
    row = await t.conn.fetchrow(
        "SELECT c.name, c.email, i.title, i.language, i.brand_logo_url,"
        " coalesce(i.brand_name, o.name) AS organization"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " JOIN organizations o ON o.id = c.organization_id"
        " WHERE c.organization_id = $1 AND c.id = $2",
        t.organization_id,
        candidate_id,
    )
    return dict(row) if row else None
