"""SQL for evaluation: the answer with its question's rubric and transcript; the result."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from storage.db import Tenant


async def answer_for_evaluation(t: Tenant, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT a.id, a.kind, a.status, a.text_answer, q.prompt, q.rubric, c.ai_consent,"
        " tr.status AS transcript_status, tr.text AS transcript_text,"
        " tr.segments AS transcript_segments, e.input_hash AS evaluated_hash"
        " FROM answers a JOIN questions q ON q.id = a.question_id"
        " JOIN candidates c ON c.id = a.candidate_id"
        " LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " LEFT JOIN evaluations e ON e.answer_id = a.id"
        " WHERE a.organization_id = $1 AND a.id = $2 FOR UPDATE OF a",
        t.organization_id,
        answer_id,
    )
    return dict(row) if row else None


async def save(
    t: Tenant,
    answer_id: UUID,
    status: str,
    *,
    reason: str | None = None,
    method: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
    input_hash: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    await t.conn.execute(
        "INSERT INTO evaluations (answer_id, organization_id, status, reason, method, provider,"
        " model, prompt_version, input_hash, result)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (answer_id) DO UPDATE SET status = $3, reason = $4, method = $5,"
        " provider = $6, model = $7, prompt_version = $8, input_hash = $9, result = $10,"
        " updated_at = now()",
        t.organization_id,
        answer_id,
        status,
        reason,
        method,
        provider,
        model,
        prompt_version,
        input_hash,
        result or {},
    )
