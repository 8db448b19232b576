"""The audit record of every AI run: what ran, on what input, with what result and cost."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from storage.db import Tenant


async def record_run(
    t: Tenant,
    kind: str,
    provider: str,
    model: str,
    input_hash: str,
    output: dict[str, Any],
    latency_ms: int,
    *,
    answer_id: UUID | None = None,
    candidate_id: UUID | None = None,
    prompt_version: str | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    error: str | None = None,
) -> None:
    await t.conn.execute(
        "INSERT INTO ai_runs (organization_id, answer_id, candidate_id, kind, provider, model,"
        " prompt_version, input_hash, output, latency_ms, tokens_in, tokens_out, error)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        t.organization_id,
        answer_id,
        candidate_id,
        kind,
        provider,
        model,
        prompt_version,
        input_hash,
        output,
        latency_ms,
        tokens_in,
        tokens_out,
        error,
    )
