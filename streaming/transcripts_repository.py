"""SQL for transcription: what to transcribe, and the transcript of record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from storage.db import Tenant


async def organization_of_answer(conn: asyncpg.Connection, answer_id: UUID) -> UUID | None:
    org: UUID | None = await conn.fetchval(
        "SELECT organization_id FROM answers WHERE id = $1", answer_id
    )
    return org


async def answer_for_transcription(t: Tenant, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT a.id, a.kind, a.status, a.segments, c.ai_consent, i.language,"
        " tr.status AS transcript_status, tr.input_hash"
        " FROM answers a JOIN candidates c ON c.id = a.candidate_id"
        " JOIN interviews i ON i.id = c.interview_id"
        " LEFT JOIN transcripts tr ON tr.answer_id = a.id"
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
    language: str | None = None,
    text: str = "",
    segments: list[dict[str, Any]] | None = None,
    model: str | None = None,
    input_hash: str | None = None,
    confidence: dict[str, Any] | None = None,
) -> None:
    """Upsert an answer's transcript; ``confidence`` is ``analysis.quality.confidence``."""
    c = confidence or {}
    await t.conn.execute(
        "INSERT INTO transcripts (answer_id, organization_id, status, reason, language, text,"
        " segments, model, input_hash, avg_logprob, no_speech_prob, clear_words)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (answer_id) DO UPDATE SET status = $3, reason = $4, language = $5,"
        " text = $6, segments = $7, model = $8, input_hash = $9, avg_logprob = $10,"
        " no_speech_prob = $11, clear_words = $12, updated_at = now()",
        t.organization_id,
        answer_id,
        status,
        reason,
        language,
        text,
        segments or [],
        model,
        input_hash,
        c.get("avg_logprob"),
        c.get("no_speech_prob"),
        c.get("clear_words"),
    )
