"""The evaluation worker: once an answer's text is known (a written answer, or the transcript of
record of a spoken one), evaluate it against the question's rubric.

Consumes ``answer.recorded`` (written answers) and ``transcript.ready`` events (group
``evaluate``); idempotent by a hash of what was evaluated. No AI runs for a candidate who
declined it. Every run is audited in ``ai_runs``; ``evaluation.ready`` announces the result.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from uuid import UUID

import structlog

from analysis.evaluation import PROMPT_VERSION, LocalRubricEvaluator
from storage.db import Database
from storage.outbox import add_event
from streaming import evaluations_repository as repo
from streaming import transcripts_repository
from streaming.bus import EVENTS, EventBus

log = structlog.get_logger("fairview.evaluation")

TRIGGERS = {"answer.recorded", "transcript.ready"}


class Evaluator:
    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db, self.bus = db, bus
        self.engine = LocalRubricEvaluator()

    async def handle(self, answer_id: UUID) -> str:
        async with self.db.platform() as conn:
            org = await transcripts_repository.organization_of_answer(conn, answer_id)
        if org is None:
            return "unknown_answer"
        async with self.db.tenant(org) as t:
            a = await repo.answer_for_evaluation(t, answer_id)
            if a is None:
                return "unknown_answer"
            if a["kind"] == "text":
                text, segments = a["text_answer"] or "", None
            elif a["transcript_status"] == "ready":
                text, segments = a["transcript_text"], a["transcript_segments"]
            else:
                return "waiting_for_transcript"
            if not a["ai_consent"]:
                await repo.save(
                    t,
                    answer_id,
                    "skipped",
                    reason="The candidate did not consent to AI evaluation.",
                )
                return "skipped"
            payload = json.dumps([a["prompt"], a["rubric"], text], sort_keys=True)
            input_hash = hashlib.sha256(payload.encode()).hexdigest()
            if a["evaluated_hash"] == input_hash:
                return "duplicate"
            started = time.perf_counter()
            evaluation = self.engine.evaluate(a["prompt"], a["rubric"], text, segments)
            latency_ms = max(1, int((time.perf_counter() - started) * 1000))
            result = evaluation.as_json()
            await repo.save(
                t,
                answer_id,
                "ready",
                method=evaluation.method,
                provider="fairview",
                model="local-rubric",
                prompt_version=PROMPT_VERSION,
                input_hash=input_hash,
                result=result,
            )
            await transcripts_repository.record_run(
                t,
                answer_id,
                "evaluation",
                "fairview",
                "local-rubric",
                input_hash,
                result,
                latency_ms,
                prompt_version=PROMPT_VERSION,
            )
            await add_event(t.conn, org, "evaluation.ready", {"answer_id": str(answer_id)})
        return "ready"

    async def run(self) -> None:
        async for message in self.bus.consume([EVENTS], group="evaluate"):
            event: dict[str, Any] = message.value
            if event.get("type") not in TRIGGERS:
                continue
            try:
                outcome = await self.handle(UUID(event["data"]["answer_id"]))
                log.info("evaluation", answer_id=event["data"]["answer_id"], outcome=outcome)
            except Exception:
                log.exception("evaluation_failed", event=event.get("id"))
