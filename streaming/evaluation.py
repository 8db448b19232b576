"""The evaluation worker: once an answer's text is known (a written answer, or the transcript of
record of a spoken one), evaluate it against the question's rubric; once a completed
candidate's answers are all evaluated, summarise the candidate.

Consumes ``answer.recorded`` (written answers), ``transcript.ready`` and ``interview.completed``
events (group ``evaluate``); idempotent by a hash of what was evaluated. The engine runs outside
any database transaction (an LLM may take a while); the result is stored only if the input is
still the current one. No AI runs for a candidate who declined it. Every run, failed ones too,
is audited in ``ai_runs``; ``evaluation.ready`` announces a result.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from uuid import UUID

import structlog

from analysis.evaluation import EvaluatedAnswer, RubricEvaluator
from storage.db import Database, Tenant
from storage.outbox import add_event
from streaming import evaluations_repository as repo
from streaming import transcripts_repository
from streaming.ai_runs import record_run
from streaming.bus import EVENTS, EventBus

log = structlog.get_logger("fairview.evaluation")

ANSWER_TRIGGERS = {"answer.recorded", "transcript.ready"}


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _input(a: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None] | None:
    """The answer's text and timed segments, or None while its transcript is not ready."""
    if a["kind"] == "text":
        return a["text_answer"] or "", None
    if a["transcript_status"] == "ready":
        return a["transcript_text"], a["transcript_segments"]
    return None


class Evaluator:
    def __init__(self, db: Database, bus: EventBus, engine: RubricEvaluator) -> None:
        self.db, self.bus, self.engine = db, bus, engine

    async def _organization(self, answer_id: UUID) -> UUID | None:
        async with self.db.platform() as conn:
            return await transcripts_repository.organization_of_answer(conn, answer_id)

    async def _audit(self, t: Tenant, kind: str, input_hash: str, **run: Any) -> None:
        await record_run(
            t,
            kind,
            self.engine.provider,
            self.engine.model,
            input_hash,
            prompt_version=self.engine.prompt_version,
            **run,
        )

    async def handle(self, answer_id: UUID) -> str:
        org = await self._organization(answer_id)
        if org is None:
            return "unknown_answer"
        async with self.db.tenant(org) as t:
            a = await repo.answer_for_evaluation(t, answer_id)
            if a is None:
                return "unknown_answer"
            source = _input(a)
            if source is None:
                return "waiting_for_transcript"
            if not a["ai_consent"]:
                reason = "The candidate did not consent to AI evaluation."
                await repo.save(t, "evaluations", answer_id, "skipped", reason=reason)
                return "skipped"
            input_hash = digest([self.engine.model, a["prompt"], a["rubric"], source[0]])
            if a["evaluated_hash"] == input_hash:
                return "duplicate"
        text, segments = source
        started = time.perf_counter()
        try:
            evaluation = await self.engine.evaluate(a["prompt"], a["rubric"], text, segments)
        except Exception as e:  # the engine's own retries are spent: say so, keep the audit
            latency_ms = int((time.perf_counter() - started) * 1000)
            log.warning("evaluation_failed", answer_id=str(answer_id), error=str(e))
            async with self.db.tenant(org) as t:
                await repo.save(
                    t, "evaluations", answer_id, "failed", reason=f"The evaluation failed: {e}"
                )
                await self._audit(
                    t,
                    "evaluation",
                    input_hash,
                    output={},
                    latency_ms=latency_ms,
                    answer_id=answer_id,
                    error=str(e)[:2000],
                )
            return "failed"
        latency_ms = max(1, int((time.perf_counter() - started) * 1000))
        result = evaluation.as_json()
        async with self.db.tenant(org) as t:
            current = await repo.answer_for_evaluation(t, answer_id)
            if current is None or _input(current) != source:
                return "superseded"  # the input changed meanwhile; its own event re-evaluates
            await repo.save(
                t,
                "evaluations",
                answer_id,
                "ready",
                method=evaluation.method,
                provider=self.engine.provider,
                model=self.engine.model,
                prompt_version=self.engine.prompt_version,
                input_hash=input_hash,
                result=result,
            )
            await self._audit(
                t,
                "evaluation",
                input_hash,
                output=result,
                latency_ms=latency_ms,
                answer_id=answer_id,
                tokens_in=evaluation.tokens_in,
                tokens_out=evaluation.tokens_out,
            )
            await add_event(t.conn, org, "evaluation.ready", {"answer_id": str(answer_id)})
            candidate_id: UUID = current["candidate_id"]
        await self.summarize(org, candidate_id)
        return "ready"

    async def summarize(self, org: UUID, candidate_id: UUID) -> str:
        """Summarise a completed candidate once every answer to summarise is evaluated."""
        async with self.db.tenant(org) as t:
            state = await repo.candidate_for_summary(t, candidate_id)
        if state is None or state["status"] != "completed" or not state["ai_consent"]:
            return "not_ready"
        answers = state["answers"]
        if any(a["evaluation_status"] is None for a in answers):
            return "not_ready"
        evaluated = [
            EvaluatedAnswer(a["prompt"], a["result"])
            for a in answers
            if a["evaluation_status"] == "ready"
        ]
        if not evaluated:
            return "nothing_to_summarize"
        input_hash = digest([self.engine.model, [(e.question, e.result) for e in evaluated]])
        if state["summary_hash"] == input_hash:
            return "duplicate"
        started = time.perf_counter()
        try:
            summary = await self.engine.summarize(evaluated)
        except Exception as e:
            log.warning("summary_failed", candidate_id=str(candidate_id), error=str(e))
            async with self.db.tenant(org) as t:
                await repo.save(
                    t,
                    "candidate_summaries",
                    candidate_id,
                    "failed",
                    reason=f"The summary failed: {e}",
                )
                await self._audit(
                    t,
                    "summary",
                    input_hash,
                    output={},
                    latency_ms=int((time.perf_counter() - started) * 1000),
                    candidate_id=candidate_id,
                    error=str(e)[:2000],
                )
            return "failed"
        latency_ms = max(1, int((time.perf_counter() - started) * 1000))
        result = summary.as_json()
        async with self.db.tenant(org) as t:
            await repo.save(
                t,
                "candidate_summaries",
                candidate_id,
                "ready",
                method=summary.method,
                provider=self.engine.provider,
                model=self.engine.model,
                prompt_version=self.engine.prompt_version,
                input_hash=input_hash,
                result=result,
            )
            await self._audit(
                t,
                "summary",
                input_hash,
                output=result,
                latency_ms=latency_ms,
                candidate_id=candidate_id,
                tokens_in=summary.tokens_in,
                tokens_out=summary.tokens_out,
            )
        return "ready"

    async def on_event(self, event: dict[str, Any]) -> str | None:
        kind, data = event.get("type"), event.get("data", {})
        if kind in ANSWER_TRIGGERS:
            return await self.handle(UUID(data["answer_id"]))
        if kind == "interview.completed":
            async with self.db.platform() as conn:
                org = await conn.fetchval(
                    "SELECT organization_id FROM candidates WHERE id = $1",
                    UUID(data["candidate_id"]),
                )
            return None if org is None else await self.summarize(org, UUID(data["candidate_id"]))
        return None

    async def run(self) -> None:
        async for message in self.bus.consume([EVENTS], group="evaluate"):
            event: dict[str, Any] = message.value
            try:
                outcome = await self.on_event(event)
                if outcome is not None:
                    log.info("evaluation", trigger=event.get("type"), outcome=outcome)
            except Exception:
                log.exception("evaluation_failed", event_id=event.get("id"))
