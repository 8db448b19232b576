"""Scheduled work (reminders, expiry, clean-up) by travelling in time, not by sleeping: each job
takes the time to act at."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.notification.scheduled import clean_up_abandoned, expire_overdue, send_reminders
from fairview.settings import Settings
from storage.db import Database
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox, body_text

QUESTION = [{"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 300}]


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, settings.database_role)
    await db.connect()
    yield db
    await db.close()


async def test_a_reminder_goes_out_once_at_the_right_time(
    api: ApiClient, server: str, db: Any, database: Database, settings: Settings, inbox: Inbox
) -> None:
    deadline = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    _, token = await interview_with_candidate(api, QUESTION, deadline=deadline.isoformat())
    hours = await db.fetchval("SELECT reminder_hours FROM interviews")
    assert hours == 24  # the default: a day before the deadline
    url = settings.public_url
    assert await send_reminders(database, url, deadline - timedelta(hours=25)) == 0  # too early
    due = deadline - timedelta(hours=23)
    # Two workers at the same tick: one reminder.
    sent = await asyncio.gather(
        send_reminders(database, url, due), send_reminders(database, url, due)
    )
    assert sorted(sent) == [0, 1]
    assert await send_reminders(database, url, due + timedelta(hours=1)) == 0  # once per window

    mail = await inbox.wait_for(lambda m: "Reminder" in m["Subject"])
    assert mail["To"] == "cora@example.com" and "Support lead" in mail["Subject"]
    link = next(w for w in body_text(mail).split() if "/i/" in w)
    fresh = CandidateClient(httpx.AsyncClient(base_url=server), link.rsplit("/", 1)[1])
    assert (await fresh.get("/session")).status_code == 200
    old = CandidateClient(httpx.AsyncClient(base_url=server), token)
    assert (await old.get("/session")).status_code == 200  # the invitation's link still works


async def test_no_reminder_when_turned_off_or_finished(
    api: ApiClient, db: Any, database: Database, settings: Settings
) -> None:
    deadline = datetime.now(UTC) + timedelta(days=3)
    interview, _ = await interview_with_candidate(api, QUESTION, deadline=deadline.isoformat())
    r = await api.patch(f"/api/v1/interviews/{interview['id']}", json={"reminder_hours": 0})
    assert r.status_code == 200 and r.json()["reminder_hours"] == 0
    due = deadline - timedelta(hours=1)
    assert await send_reminders(database, settings.public_url, due) == 0
    await db.execute("UPDATE interviews SET reminder_hours = 24")
    await db.execute("UPDATE candidates SET status = 'completed'")
    assert await send_reminders(database, settings.public_url, due) == 0


async def test_overdue_invitations_expire_but_interviews_in_progress_finish(
    api: ApiClient, server: str, db: Any, database: Database
) -> None:
    deadline = datetime.now(UTC) + timedelta(hours=1)
    interview, first = await interview_with_candidate(api, QUESTION, deadline=deadline.isoformat())
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={
            "name": "Dan",
            "email": "dan@example.com",
            "send_email": False,
            "deadline": deadline.isoformat(),
        },
    )
    second = r.json()["link"].rsplit("/", 1)[1]
    started = CandidateClient(httpx.AsyncClient(base_url=server), second)
    await started.consent(ai=False)
    q = (await started.session())["questions"][0]
    r = await started.post(f"/questions/{q['id']}/text", json={"text": "Because."})
    assert r.status_code == 201  # Dan has started (and not finished)
    later = deadline + timedelta(minutes=1)
    assert await expire_overdue(database, later) == 1
    assert await expire_overdue(database, later) == 0  # idempotent
    statuses = dict(await db.fetch("SELECT email, status FROM candidates"))
    assert statuses == {"cora@example.com": "expired", "dan@example.com": "in_progress"}
    events = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE payload->>'type' = 'invitation.expired'"
    )
    assert events == 1
    gone = CandidateClient(httpx.AsyncClient(base_url=server), first)
    assert (await gone.get("/session")).status_code == 410
    # Dan may finish within the grace period after the deadline; after it, the invitation ends.
    assert await expire_overdue(database, deadline + timedelta(minutes=119)) == 0
    assert await expire_overdue(database, deadline + timedelta(minutes=121)) == 1
    assert await db.fetchval("SELECT status FROM candidates WHERE email = 'dan@example.com'") == (
        "expired"
    )


async def test_abandoned_recordings_are_closed(db: Any, database: Database, api: ApiClient) -> None:
    await interview_with_candidate(api, QUESTION)
    org, candidate = await db.fetchrow("SELECT organization_id, id FROM candidates")
    question = await db.fetchval("SELECT id FROM questions")
    now = datetime.now(UTC)
    for attempt, segments in ((1, "[]"), (2, '[{"key": "k", "duration_ms": 900, "bytes": 10}]')):
        await db.execute(
            "INSERT INTO answers (id, organization_id, candidate_id, question_id, attempt, kind,"
            " status, segments, started_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, 'text',"
            " 'recording', $5::jsonb, $6)",
            org,
            candidate,
            question,
            attempt,
            segments,
            now - timedelta(hours=3),
        )
    assert await clean_up_abandoned(database, now) == 2
    rows = await db.fetch("SELECT attempt, status FROM answers ORDER BY attempt")
    assert [tuple(r) for r in rows] == [(1, "failed"), (2, "interrupted")]
    assert await clean_up_abandoned(database, now) == 0
