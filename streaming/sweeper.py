"""The sweeper re-drives AI work whose event was lost: an answer recorded without a transcript,
an answer whose text is known without an evaluation, a completed candidate without a summary.

Events are at least once while the broker keeps them, but an embedded broker keeps them in
memory only, and a broker that lost its data (or a pipeline stopped longer than the topic's
retention) leaves work that no event will ever ask for. The sweeper finds it in the database,
where the truth is, and publishes the event again to ``pipeline`` (only the AI workers consume
it: webhooks and notifications never see a re-drive). Each piece of work is re-driven a few
times at most (``sweeper_redrives``), so work that cannot be done (AI switched off, say) is not
asked for forever; what the sweeper gave up on is logged.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import structlog
from prometheus_client import Counter

from storage.db import Database
from storage.wakeup import drain_forever
from streaming.bus import PIPELINE, EventBus

log = structlog.get_logger("fairview.sweeper")

MAX_REDRIVES = 3
POLL_S = 120.0
BATCH = 100

REDRIVEN = Counter(
    "fairview_sweeper_redriven",
    "Work re-driven by the sweeper because its event was lost",
    ["kind"],
)

# Per kind: the event that asks for the work, the field of its data, and the work missing for
# longer than $1 seconds after it became due (rows: subject id, organization id, event type).
MISSING = {
    # A transcript that never started, or one processing for three times as long (its worker
    # died, and its event went with it).
    "transcription": (
        "answer_id",
        "SELECT a.id, a.organization_id, 'answer.recorded' AS type FROM answers a"
        " LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " WHERE a.status = 'recorded' AND a.kind <> 'text'"
        "   AND a.ended_at < now() - make_interval(secs => $1)"
        "   AND (tr.answer_id IS NULL OR (tr.status = 'processing'"
        "        AND tr.updated_at < now() - make_interval(secs => 3 * $1)))",
    ),
    "evaluation": (
        "answer_id",
        "SELECT a.id, a.organization_id,"
        " CASE WHEN a.kind = 'text' THEN 'answer.recorded' ELSE 'transcript.ready' END AS type"
        " FROM answers a LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " WHERE NOT EXISTS (SELECT FROM evaluations e WHERE e.answer_id = a.id)"
        "   AND ((a.kind = 'text' AND a.status = 'submitted'"
        "         AND coalesce(a.ended_at, a.created_at) < now() - make_interval(secs => $1))"
        "     OR (tr.status = 'ready' AND tr.updated_at < now() - make_interval(secs => $1)))",
    ),
    "summary": (
        "candidate_id",
        "SELECT c.id, c.organization_id, 'interview.completed' AS type FROM candidates c"
        " WHERE c.status = 'completed' AND c.ai_consent"
        "   AND c.completed_at < now() - make_interval(secs => $1)"
        "   AND NOT EXISTS (SELECT FROM candidate_summaries s WHERE s.candidate_id = c.id)"
        "   AND EXISTS (SELECT FROM counting_answers(ARRAY[c.id]) a"
        "     JOIN evaluations e ON e.answer_id = a.id WHERE e.status = 'ready')"
        "   AND NOT EXISTS (SELECT FROM counting_answers(ARRAY[c.id]) a"
        "     WHERE a.status IN ('recorded', 'submitted')"
        "       AND NOT EXISTS (SELECT FROM evaluations e WHERE e.answer_id = a.id))",
    ),
}


class Sweeper:
    def __init__(self, db: Database, bus: EventBus, *, after_s: float = 600.0) -> None:
        """``after_s``: how long work may be missing before it counts as lost, and the time
        between re-drives of the same work."""
        self.db, self.bus, self.after_s = db, bus, after_s

    async def _lost(self, kind: str, query: str) -> list[dict[str, Any]]:
        async with self.db.platform() as conn:
            rows = await conn.fetch(
                f"SELECT w.* FROM ({query}) w LEFT JOIN sweeper_redrives r"  # noqa: S608 - constant
                "   ON r.kind = $2 AND r.subject_id = w.id"
                " WHERE r.subject_id IS NULL OR (r.redrives < $3"
                "   AND r.last_at < now() - make_interval(secs => $1))"
                f" LIMIT {BATCH}",
                self.after_s,
                kind,
                MAX_REDRIVES,
            )
        return [dict(r) for r in rows]

    async def sweep_once(self) -> int:
        """Re-drive every piece of lost work found now; returns how many."""
        total = 0
        for kind, (field, query) in MISSING.items():
            for work in await self._lost(kind, query):
                subject = str(work["id"])
                event = {
                    "id": str(uuid4()),
                    "type": work["type"],
                    "organization_id": str(work["organization_id"]),
                    "data": {field: subject},
                    "redriven_by": "sweeper",
                }
                await self.bus.publish(PIPELINE, subject, event)
                async with self.db.platform() as conn:
                    redrives = await conn.fetchval(
                        "INSERT INTO sweeper_redrives (kind, subject_id) VALUES ($1, $2)"
                        " ON CONFLICT (kind, subject_id) DO UPDATE"
                        " SET redrives = sweeper_redrives.redrives + 1, last_at = now()"
                        " RETURNING redrives",
                        kind,
                        work["id"],
                    )
                REDRIVEN.labels(kind).inc()
                last = redrives >= MAX_REDRIVES  # not asked for again: the log says so
                (log.warning if last else log.info)(
                    "work_redriven", kind=kind, subject=subject, redrives=redrives, last_try=last
                )
                total += 1
        return total

    async def run(self) -> None:
        """Sweep every 2 minutes (as often as work may be missing, when that is shorter)."""
        await drain_forever(self.db.pool, None, self.sweep_once, min(POLL_S, self.after_s))
