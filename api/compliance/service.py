"""Fairness & data rights rules (no HTTP): the AI switches, the audit over AI runs, reviewer
overrides of AI scores, the candidate-facing AI notice and candidates' requests."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from statistics import mean
from typing import Any
from uuid import UUID, uuid4

from analysis.evaluation import graded
from api.compliance import repository as repo
from api.compliance import schemas as s
from api.compliance.links import read_rights_token, rights_link
from api.errors import NotFound
from api.identity.principal import Principal
from api.identity.service import audit
from api.interviews import service as interviews
from api.reporting.service import safe_cell
from storage.db import Tenant

__all__ = ["read_rights_token", "rights_link"]
EXPORT_LIMIT = 10_000  # AI runs in one export

# ---- the switches -------------------------------------------------------------------------


async def set_organization_ai(t: Tenant, p: Principal, on: bool) -> s.ComplianceSettings:
    p.require("organization:manage")
    await repo.set_ai_evaluation(t, on)
    await audit(t, p, "ai_evaluation.switched", "organization", {"on": on})
    return s.ComplianceSettings(ai_evaluation=on)


async def interview_ai(t: Tenant, interview_id: UUID) -> s.InterviewAiState:
    await interviews.get(t, interview_id)
    own = await repo.interview_ai(t, interview_id)
    org = (await repo.settings(t))["ai_evaluation"]
    on = own is not False
    return s.InterviewAiState(
        ai_evaluation=on, organization_ai_evaluation=org, effective=on and org
    )


async def set_interview_ai(
    t: Tenant, p: Principal, interview_id: UUID, on: bool
) -> s.InterviewAiState:
    p.require("interviews:manage")
    await interviews.get(t, interview_id)
    await repo.set_interview_ai(t, interview_id, on)
    await audit(t, p, "ai_evaluation.switched", f"interview:{interview_id}", {"on": on})
    return await interview_ai(t, interview_id)


# ---- AI runs ------------------------------------------------------------------------------

RunFilters = tuple[UUID | None, str | None, str | None, datetime | None, datetime | None]


def run_out(r: dict[str, Any]) -> s.AiRun:
    output = r["output"]
    return s.AiRun(
        id=r["id"],
        kind=r["kind"],
        candidate_id=r["candidate_id"],
        answer_id=r["answer_id"],
        provider=r["provider"],
        model=r["model"],
        prompt_version=r["prompt_version"],
        input_hash=r["input_hash"],
        output=json.loads(output) if isinstance(output, str) else output,
        latency_ms=r["latency_ms"],
        tokens_in=r["tokens_in"],
        tokens_out=r["tokens_out"],
        error=r["error"],
        created_at=r["created_at"],
    )


RUN_CSV_HEADER = [
    "id", "created_at", "kind", "candidate_id", "answer_id", "provider", "model",
    "prompt_version", "input_hash", "latency_ms", "tokens_in", "tokens_out", "error", "output",
]  # fmt: skip


async def export_runs(t: Tenant, filters: RunFilters) -> str:
    """Every AI run the filters select (newest first, up to EXPORT_LIMIT) as CSV; the output is
    its JSON, in one cell."""
    rows = await repo.ai_runs(t, filters, EXPORT_LIMIT, None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RUN_CSV_HEADER)
    for r in map(run_out, rows):
        values = [
            r.id, r.created_at.isoformat(), r.kind, r.candidate_id or "", r.answer_id or "",
            r.provider, r.model, r.prompt_version or "", r.input_hash, r.latency_ms,
            r.tokens_in, r.tokens_out, r.error or "", json.dumps(r.output, sort_keys=True),
        ]  # fmt: skip
        writer.writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


# ---- reviewer overrides -------------------------------------------------------------------

ADVANCE_SCORE = 3.0  # a mean AI score at or above this leans towards advancing the candidate


async def record_rating_overrides(
    t: Tenant, answer_id: UUID, user_id: UUID, ratings: list[tuple[str, int]]
) -> None:
    """A rating that differs from the AI's score of the same criterion is kept with both."""
    row = await repo.answer_evaluation(t, answer_id)
    if row is None or row["status"] != "ready" or not graded(row["result"]):
        return
    scores = {c["criterion"]: c.get("score") for c in row["result"].get("criteria", [])}
    for criterion, score in ratings:
        ai = scores.get(criterion)
        if ai is not None and ai != score:
            await repo.add_override(
                t, row["candidate_id"], answer_id, user_id, "rating", criterion, ai, str(score)
            )


async def record_decision_override(
    t: Tenant, candidate_id: UUID, user_id: UUID | None, decision: str
) -> None:
    """A decision against the AI's lean (reject though the mean AI score is at least 3 of 5,
    advance though it is below) is kept with the AI's mean score. Hold disagrees with nothing."""
    scores = [
        r["result"]["overall"]
        for r in await repo.candidate_evaluations(t, candidate_id)
        if graded(r["result"]) and r["result"].get("overall") is not None
    ]
    if not scores or decision == "hold":
        return
    ai = round(mean(scores), 2)
    if (decision == "reject") == (ai >= ADVANCE_SCORE):
        await repo.add_override(t, candidate_id, None, user_id, "decision", None, ai, decision)


# ---- the candidate's notice and requests ----------------------------------------------------

NEVER = [
    "It never decides: people from the hiring team review every candidate and make every decision.",
    "It never reads your face, expressions, emotions, voice, accent, speech rate or way of"
    " speaking, and never guesses personal characteristics.",
    "It never evaluates you if you decline AI, ask for a review by people only, or the"
    " organization switched AI evaluation off.",
]
ENGINES = {
    True: "A language model (AI) reads the words of each answer and compares them with the"
    " criteria below; it gives the hiring team a 1-5 score per criterion with quotes from your"
    " answer as evidence.",
    False: "An automatic check lists which of the key points below your answers mention, with"
    " quotes; it gives no grade and no score.",
}


async def notice(t: Tenant, candidate_id: UUID, llm: bool, link: str | None) -> s.CandidateNotice:
    c = await repo.notice_context(t, candidate_id)
    if c is None:
        raise NotFound("This link is not valid.", code="invalid_link")
    asked = await t.conn.fetch(
        "SELECT DISTINCT kind FROM candidate_requests WHERE organization_id = $1"
        " AND candidate_id = $2 ORDER BY kind",
        t.organization_id,
        candidate_id,
    )
    off = c["ai_off"] or ("You declined AI evaluation." if c["ai_consent"] is False else None)
    return s.CandidateNotice(
        organization=c["organization"],
        interview=c["title"],
        name=c["name"],
        language=c["language"],
        ai_consent=c["ai_consent"],
        ai_active=off is None,
        ai_off_reason=off,
        engine=ENGINES[llm],
        evaluates=[
            s.NoticeQuestion(
                position=q["position"],
                criteria=[
                    s.NoticeCriterion(name=r["name"], strong_answer=r.get("strong_answer", ""))
                    for r in q["rubric"]
                ]
                or [s.NoticeCriterion(name="Relevance to the question", strong_answer="")],
            )
            for q in c["questions"]
        ],
        never=NEVER,
        requests=[r["kind"] for r in asked],
        rights_link=link,
    )


async def add_request(t: Tenant, candidate_id: UUID, kind: str, message: str) -> UUID:
    """A candidate asks for a human-only review (AI stops, and what it produced is withdrawn)
    or an accommodation (the team sees it and responds)."""
    request_id = uuid4()
    await repo.add_request(t, request_id, candidate_id, kind, message.strip())
    if kind == "human_review":
        await repo.drop_ai_results(
            t, candidate_id, "The candidate asked for a review by people only."
        )
    return request_id


def request_out(r: dict[str, Any]) -> s.CandidateRequest:
    return s.CandidateRequest(**r)


def override_out(r: dict[str, Any]) -> s.AiOverride:
    return s.AiOverride(**r)
