"""Scheduled work, run by SAQ (a Redis job queue) on cron: reminders before an invitation's
deadline, expiry of overdue invitations, clean-up of answers whose recording was abandoned, and
the retention schedules (which queue erasures for ``api.privacy.jobs``).

Each job takes ``now`` (tests travel in time instead of sleeping) and is idempotent: it claims
rows with ``FOR UPDATE SKIP LOCKED`` and changes them in the same transaction as the emails and
events it creates, so a job interrupted by a restart simply runs again at the next tick, and
two workers never send the same reminder. A reminder goes out at most once per invitation
(``reminded_at``), ``reminder_hours`` before the deadline (per interview; 0 turns it off), to
candidates who have not started (one in progress has the interview open); it carries one more
link, and the links the candidate already holds keep working.
"""

from __future__ import annotations

import contextlib
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from saq import CronJob, Queue, Worker

from api.interviews.service import new_link
from api.notification.repository import queue_email
from api.notification.templates import render
from api.privacy.service import run_retention
from domain.events import InvitationExpired, emit
from domain.lifecycle import DEFAULT_DEADLINE_GRACE
from storage.db import Database

log = structlog.get_logger("fairview.scheduled")

ABANDONED_AFTER = timedelta(hours=2)  # a recording with no end this long after it started


async def send_reminders(db: Database, public_url: str, now: datetime) -> int:
    async with db.platform() as conn:
        due = await conn.fetch(
            "SELECT c.id, c.organization_id, c.name, c.email, c.deadline, i.title, i.language, i.brand_logo_url,"
            " coalesce(i.brand_name, o.name) AS organization"
            " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
            " JOIN organizations o ON o.id = c.organization_id"
            " WHERE c.status IN ('invited', 'opened') AND c.reminded_at IS NULL"
            " AND i.status = 'active' AND i.reminder_hours > 0 AND c.deadline > $1"
            " AND c.deadline - make_interval(hours => i.reminder_hours) <= $1"
            # Reminders mail third parties: only for organizations with a proven address.
            " AND EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id"
            "   WHERE m.organization_id = c.organization_id AND u.email_verified_at IS NOT NULL)"
            " ORDER BY c.deadline LIMIT 200 FOR UPDATE OF c SKIP LOCKED",
            now,
        )
        for c in due:
            # Links are stored hashed, so the reminder carries one more (the others stay valid).
            link = await new_link(conn, c["organization_id"], c["id"], "reminder", public_url)
            await conn.execute("UPDATE candidates SET reminded_at = $2 WHERE id = $1", c["id"], now)
            mail = render(
                "candidate_reminder",
                c["language"],
                link,
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


async def expire_overdue(
    db: Database, now: datetime, grace: timedelta = DEFAULT_DEADLINE_GRACE
) -> int:
    """Invitations past their deadline expire; an interview in progress at the deadline is left
    to finish for ``grace`` more (``domain.lifecycle.past_deadline``, the same rule)."""
    async with db.platform() as conn:
        rows = await conn.fetch(
            "UPDATE candidates SET status = 'expired' WHERE id IN ("
            "  SELECT id FROM candidates WHERE"
            "  (status IN ('invited', 'opened') AND deadline <= $1)"
            "  OR (status = 'in_progress' AND deadline + $2::interval <= $1)"
            "  LIMIT 500 FOR UPDATE SKIP LOCKED)"
            " RETURNING id, organization_id, interview_id",
            now,
            grace,
        )
        for r in rows:
            await emit(
                conn,
                r["organization_id"],
                InvitationExpired(candidate_id=r["id"], interview_id=r["interview_id"]),
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
    db: Database,
    redis_url: str,
    public_url: str,
    cron: str = "* * * * *",
    deadline_grace: timedelta = DEFAULT_DEADLINE_GRACE,
) -> None:
    """An SAQ worker running the jobs above: reminders and expiry on ``cron``, clean-up every
    five minutes. SAQ enqueues each tick once, whatever the number of workers."""

    async def reminders(ctx: Any) -> int:
        return await send_reminders(db, public_url, _now())

    async def expiry(ctx: Any) -> int:
        return await expire_overdue(db, _now(), deadline_grace)

    async def cleanup(ctx: Any) -> int:
        return await clean_up_abandoned(db, _now())

    async def retention(ctx: Any) -> int:
        return await run_retention(db, _now())

    worker = EmbeddedWorker(
        Queue.from_url(redis_url, name="fairview-scheduled"),
        functions=[],
        cron_jobs=[
            CronJob(reminders, cron=cron, timeout=50),
            CronJob(expiry, cron=cron, timeout=50),
            CronJob(cleanup, cron="*/5 * * * *", timeout=50),
            CronJob(retention, cron="17 * * * *", timeout=50),  # hourly
        ],
        concurrency=2,
    )
    try:
        await worker.start()
    finally:
        with contextlib.suppress(Exception):
            await worker.stop()
        await worker.queue.disconnect()
