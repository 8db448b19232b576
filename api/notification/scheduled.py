"""Scheduled work, run by SAQ (a Redis job queue) on cron: reminders before an invitation's
deadline, expiry of overdue invitations, and clean-up of answers whose recording was abandoned.

Each job takes ``now`` (tests travel in time instead of sleeping) and is idempotent: it claims
rows with ``FOR UPDATE SKIP LOCKED`` and changes them in the same transaction as the emails and
events it creates, so a job interrupted by a restart simply runs again at the next tick, and
two workers never send the same reminder. A reminder goes out at most once per invitation
(``reminded_at``), ``reminder_hours`` before the deadline (per interview; 0 turns it off).
"""

from __future__ import annotations

import contextlib
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from saq import CronJob, Queue, Worker

from api.identity import security
from api.interviews.service import candidate_link
from api.notification.repository import queue_email
from api.notification.templates import render
from storage.db import Database
from storage.outbox import add_event

log = structlog.get_logger("fairview.scheduled")

ABANDONED_AFTER = timedelta(hours=2)  # a recording with no end this long after it started


async def send_reminders(db: Database, public_url: str, now: datetime) -> int:
    async with db.platform() as conn:
        due = await conn.fetch(
            "SELECT c.id, c.name, c.email, c.deadline, i.title, i.language, i.brand_logo_url,"
            " coalesce(i.brand_name, o.name) AS organization"
            " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
            " JOIN organizations o ON o.id = c.organization_id"
            " WHERE c.status IN ('invited', 'opened', 'in_progress') AND c.reminded_at IS NULL"
            " AND i.status = 'active' AND i.reminder_hours > 0 AND c.deadline > $1"
            " AND c.deadline - make_interval(hours => i.reminder_hours) <= $1"
            " ORDER BY c.deadline LIMIT 200 FOR UPDATE OF c SKIP LOCKED",
            now,
        )
        for c in due:
            # Links are stored hashed, so the reminder carries a fresh one (the old one ends).
            token = security.new_token()
            await conn.execute(
                "UPDATE candidates SET reminded_at = $2, token_hash = $3 WHERE id = $1",
                c["id"],
                now,
                security.token_hash(token),
            )
            mail = render(
                "candidate_reminder",
                c["language"],
                candidate_link(public_url, token),
                logo=c["brand_logo_url"],
                name=c["name"],
                interview=c["title"],
                organization=c["organization"],
                deadline=c["deadline"].strftime("%Y-%m-%d %H:%M UTC"),
            )
            email_id = await queue_email(conn, c["email"], "candidate_reminder", mail)
            await conn.execute(
                "UPDATE candidates SET invitation_email_id = $2 WHERE id = $1", c["id"], email_id
            )
        return len(due)


async def expire_overdue(db: Database, now: datetime) -> int:
    """Invitations past their deadline that were never started expire (an interview already in
    progress is left to finish)."""
    async with db.platform() as conn:
        rows = await conn.fetch(
            "UPDATE candidates SET status = 'expired' WHERE id IN ("
            "  SELECT id FROM candidates WHERE status IN ('invited', 'opened') AND deadline < $1"
            "  LIMIT 500 FOR UPDATE SKIP LOCKED)"
            " RETURNING id, organization_id, interview_id",
            now,
        )
        for r in rows:
            await add_event(
                conn,
                r["organization_id"],
                "invitation.expired",
                {"candidate_id": str(r["id"]), "interview_id": str(r["interview_id"])},
            )
        return len(rows)


async def clean_up_abandoned(db: Database, now: datetime) -> int:
    """A recording the ingest never finished (a crash) becomes interrupted when media was kept,
    failed otherwise, so the candidate can continue or retake and nobody waits on it."""
    async with db.platform() as conn:
        done: str = await conn.execute(
            "UPDATE answers SET ended_at = $1,"
            " status = CASE WHEN jsonb_array_length(segments) > 0 THEN 'interrupted'"
            "   ELSE 'failed' END,"
            " failure_reason = 'The recording stopped unexpectedly.'"
            " WHERE status = 'recording' AND started_at < $1::timestamptz - $2::interval",
            now,
            ABANDONED_AFTER,
        )
        return int(done.rsplit(" ", 1)[1])


def _now() -> datetime:
    return datetime.now(UTC)


class EmbeddedWorker(Worker[Any]):
    """An SAQ worker inside a Fairview process, which owns SIGTERM and SIGINT and stops the
    worker by cancelling it. (SAQ's own handlers would take the signals from the web server,
    which then never shuts down.)"""

    SIGNALS: list[signal.Signals] = []


async def run_scheduler(
    db: Database, redis_url: str, public_url: str, cron: str = "* * * * *"
) -> None:
    """An SAQ worker running the jobs above: reminders and expiry on ``cron``, clean-up every
    five minutes. SAQ enqueues each tick once, whatever the number of workers."""

    async def reminders(ctx: Any) -> int:
        return await send_reminders(db, public_url, _now())

    async def expiry(ctx: Any) -> int:
        return await expire_overdue(db, _now())

    async def cleanup(ctx: Any) -> int:
        return await clean_up_abandoned(db, _now())

    worker = EmbeddedWorker(
        Queue.from_url(redis_url, name="fairview-scheduled"),
        functions=[],
        cron_jobs=[
            CronJob(reminders, cron=cron, timeout=50),
            CronJob(expiry, cron=cron, timeout=50),
            CronJob(cleanup, cron="*/5 * * * *", timeout=50),
        ],
        concurrency=2,
    )
    try:
        await worker.start()
    finally:
        with contextlib.suppress(Exception):
            await worker.stop()
        await worker.queue.disconnect()
