"""The evaluation worker: once an answer's text is known (a written answer, or the transcript of
record of a spoken one), evaluate it against the question's rubric; once a completed
candidate's answers are all evaluated, summarise the candidate.

Consumes ``answer.recorded`` (written answers), ``transcript.ready`` and ``interview.completed``
events from ``pipeline`` (group ``evaluate``); idempotent by a hash of what was evaluated. The engine runs outside
any database transaction (an LLM may take a while); the result is stored only if the input is
still the current one. No AI runs for a candidate who declined it, who asked for a review by
people only, or where AI evaluation is switched off (``ai_evaluation_off``), and none for a spoken answer with too little clear speech: its
evaluation abstains with the reason (``analysis.quality``). Every run, failed ones too,
is audited in ``ai_runs``; ``evaluation.ready`` announces an answer's result and
``candidate.evaluated`` a candidate's summary (all answers evaluated).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Literal
from uuid import UUID

import structlog

from analysis.evaluation import EvaluatedAnswer, RubricEvaluator
from analysis.quality import abstain_reason
from domain.events import CandidateEvaluated, EvaluationReady, emit
from storage.db import Database, Tenant
from streaming import evaluations_repository as repo
from streaming import transcripts_repository
from streaming.ai_runs import record_run
from streaming.bus import PIPELINE, EventBus, handle_events
from streaming.dead_letters import DeadLetters

log = structlog.get_logger("fairview.evaluation")

ANSWER_TRIGGERS = {"answer.recorded", "transcript.ready"}
Table = Literal["evaluations", "candidate_summaries"]
KINDS: dict[str, str] = {"evaluations": "evaluation", "candidate_summaries": "summary"}  # ai_runs


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

    async def _attempt(
        self, org: UUID, table: Table, key: UUID, input_hash: str, call: Any
    ) -> tuple[Any, int] | None:
        """Run the engine (outside any transaction): its outcome and latency. If it fails, its
        own retries spent, the failure is stored with its reason and audited: None."""
        started = time.perf_counter()
        try:
            outcome = await call()
        except Exception as e:
            latency_ms = int((time.perf_counter() - started) * 1000)
            kind = KINDS[table]
            log.warning(f"{kind}_failed", key=str(key), error=str(e))
            async with self.db.tenant(org) as t:
                await repo.save(t, table, key, "failed", reason=f"The {kind} failed: {e}")
                await self._audit(t, table, key, input_hash, {}, latency_ms, error=str(e)[:2000])
            return None
        return outcome, max(1, int((time.perf_counter() - started) * 1000))

    async def _store(
        self, t: Tenant, table: Table, key: UUID, input_hash: str, outcome: Any, latency_ms: int
    ) -> None:
        """Store a ready evaluation or summary, with its audit record."""
        result = outcome.as_json()
        await repo.save(
            t,
            table,
            key,
            "ready",
            method=outcome.method,
            provider=self.engine.provider,
            model=self.engine.model,
            prompt_version=self.engine.prompt_version,
            input_hash=input_hash,
            result=result,
        )
        await self._audit(
            t,
            table,
            key,
            input_hash,
            result,
            latency_ms,
            tokens_in=outcome.tokens_in,
            tokens_out=outcome.tokens_out,
        )

    async def _audit(
        self,
        t: Tenant,
        table: Table,
        key: UUID,
        input_hash: str,
        output: dict[str, Any],
        latency_ms: int,
        **run: Any,
    ) -> None:
        await record_run(
            t,
            KINDS[table],
            self.engine.provider,
            self.engine.model,
            input_hash,
            output,
            latency_ms,
            answer_id=key if table == "evaluations" else None,
            candidate_id=key if table == "candidate_summaries" else None,
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
            if a["ai_off"]:
                await repo.save(t, "evaluations", answer_id, "skipped", reason=a["ai_off"])
                return "skipped"
            input_hash = digest([self.engine.model, a["prompt"], a["rubric"], source[0]])
            if a["evaluated_hash"] == input_hash:
                return "duplicate"
            abstain = abstain_reason(source[1])
            if abstain is not None:
                # Too little clear speech: no score to mislead anyone; people watch instead.
                await repo.save(
                    t, "evaluations", answer_id, "abstained", reason=abstain, input_hash=input_hash
                )
                await emit(t.conn, org, EvaluationReady(answer_id=answer_id))
        if abstain is not None:
            await self.summarize(org, a["candidate_id"])
            return "abstained"
        text, segments = source
        attempt = await self._attempt(
            org,
            "evaluations",
            answer_id,
            input_hash,
            lambda: self.engine.evaluate(a["prompt"], a["rubric"], text, segments),
        )
        if attempt is None:
            return "failed"
        async with self.db.tenant(org) as t:
            current = await repo.answer_for_evaluation(t, answer_id)
            if current is None or _input(current) != source:
                return "superseded"  # the input changed meanwhile; its own event re-evaluates
            await self._store(t, "evaluations", answer_id, input_hash, *attempt)
            await emit(t.conn, org, EvaluationReady(answer_id=answer_id))
            candidate_id: UUID = current["candidate_id"]
        await self.summarize(org, candidate_id)
        return "ready"

    async def summarize(self, org: UUID, candidate_id: UUID) -> str:
        """Summarise a completed candidate once every answer to summarise is evaluated."""
        async with self.db.tenant(org) as t:
            state = await repo.candidate_for_summary(t, candidate_id)
        if state is None or state["status"] != "completed" or not state["ai_consent"]:
            return "not_ready"
        if state["ai_off"]:
            return "ai_off"
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
        attempt = await self._attempt(
            org,
            "candidate_summaries",
            candidate_id,
            input_hash,
            lambda: self.engine.summarize(evaluated),
        )
        if attempt is None:
            return "failed"
        async with self.db.tenant(org) as t:
            await self._store(t, "candidate_summaries", candidate_id, input_hash, *attempt)
            await emit(t.conn, org, CandidateEvaluated(candidate_id=candidate_id))
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
        async def evaluate(event: dict[str, Any]) -> None:
            outcome = await self.on_event(event)
            if outcome is not None:
                log.info("evaluation", trigger=event.get("type"), outcome=outcome)

        await handle_events(
            self.bus, "evaluate", evaluate, dead_letters=DeadLetters(self.db), topic=PIPELINE
        )
