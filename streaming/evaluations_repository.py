"""SQL for evaluation: the answer with its question's rubric and transcript; the result; a
candidate's evaluated answers and their summary."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from storage.db import Tenant


async def answer_for_evaluation(t: Tenant, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT a.id, a.candidate_id, a.kind, a.status, a.text_answer, q.prompt, q.rubric, c.ai_consent,"
        " ai_evaluation_off(c.id) AS ai_off,"
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
    table: Literal["evaluations", "candidate_summaries"],
    key: UUID,
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
    """Upsert an answer's evaluation or a candidate's summary (the same columns, other key)."""
    key_column = {"evaluations": "answer_id", "candidate_summaries": "candidate_id"}[table]
    await t.conn.execute(
        f"INSERT INTO {table} ({key_column}, organization_id, status, reason, method,"  # noqa: S608
        " provider, model, prompt_version, input_hash, result)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)"
        f" ON CONFLICT ({key_column}) DO UPDATE SET status = $3, reason = $4, method = $5,"
        " provider = $6, model = $7, prompt_version = $8, input_hash = $9, result = $10,"
        " updated_at = now()",
        t.organization_id,
        key,
        status,
        reason,
        method,
        provider,
        model,
        prompt_version,
        input_hash,
        result or {},
    )


async def candidate_for_summary(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    """The candidate's status and consent, and per question the answer that counts (the latest
    attempt that was recorded or submitted) with its evaluation."""
    row = await t.conn.fetchrow(
        "SELECT c.status, c.ai_consent, c.interview_id, s.input_hash AS summary_hash,"
        " ai_evaluation_off(c.id) AS ai_off"
        " FROM candidates c LEFT JOIN candidate_summaries s ON s.candidate_id = c.id"
        " WHERE c.organization_id = $1 AND c.id = $2",
        t.organization_id,
        candidate_id,
    )
    if row is None:
        return None
    answers = await t.conn.fetch(
        "SELECT q.prompt, e.status AS evaluation_status, e.result"
        " FROM questions q JOIN counting_answers(ARRAY[$2::uuid]) a ON a.question_id = q.id"
        " AND a.status IN ('recorded', 'submitted')"
        " LEFT JOIN evaluations e ON e.answer_id = a.id"
        " WHERE q.organization_id = $1 AND q.interview_id = $3 ORDER BY q.position",
        t.organization_id,
        candidate_id,
        row["interview_id"],
    )
    return {**dict(row), "answers": [dict(a) for a in answers]}
