"""A candidate's links never die while the invitation lives: a reminder, a resend or a
public-link join with the same email adds a link and revokes none; joins are rate limited per
client address and per link; a candidate in progress at the deadline may finish."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.notification.scheduled import expire_overdue, send_reminders
from fairview.settings import Settings
from storage.db import Database
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox, body_text

QUESTIONS = [
    {"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 300},
    {"prompt": "Why now?", "kind": "text", "think_seconds": 0, "answer_seconds": 300},
]
JOINS_PER_15MIN = 2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_joins_per_15min=JOINS_PER_15MIN)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, settings.database_role)
    await db.connect()
    yield db
    await db.close()


def link_token(mail: Any) -> str:
    link = next(w for w in body_text(mail).split() if "/i/" in w)
    return link.rsplit("/", 1)[1]


async def in_progress(c: CandidateClient) -> list[dict[str, Any]]:
    """Consent and answer the first question: the candidate is in progress."""
    await c.consent(ai=False)
    questions: list[dict[str, Any]] = (await c.session())["questions"]
    r = await c.post(f"/questions/{questions[0]['id']}/text", json={"text": "Because."})
    assert r.status_code == 201, r.text
    assert (await c.session())["status"] == "in_progress"
    return questions


async def test_invitation_link_survives_a_reminder_sent_at_once_and_works_beside_it(
    api: ApiClient, server: str, db: Any, database: Database, settings: Settings, inbox: Inbox
) -> None:
    # A deadline sooner than the reminder window: the reminder goes out at the next tick.
    deadline = datetime.now(UTC) + timedelta(hours=2)
    _, token = await interview_with_candidate(api, QUESTIONS, deadline=deadline.isoformat())
    assert await send_reminders(database, settings.public_url, datetime.now(UTC)) == 1
    reminder = await inbox.wait_for(lambda m: "Reminder" in m["Subject"])
    async with httpx.AsyncClient(base_url=server) as http:
        invited = CandidateClient(http, token)
        reminded = CandidateClient(http, link_token(reminder))
        assert (await invited.session())["status"] == "opened"
        assert (await reminded.session())["name"] == "Cora"
    purposes = sorted(r["purpose"] for r in await db.fetch("SELECT purpose FROM candidate_links"))
    assert purposes == ["invitation", "reminder"]


async def test_reminders_skip_candidates_in_progress(
    api: ApiClient, server: str, database: Database, settings: Settings
) -> None:
    deadline = datetime.now(UTC) + timedelta(hours=2)
    _, token = await interview_with_candidate(api, QUESTIONS, deadline=deadline.isoformat())
    async with httpx.AsyncClient(base_url=server) as http:
        await in_progress(CandidateClient(http, token))
    assert await send_reminders(database, settings.public_url, datetime.now(UTC)) == 0


async def test_public_join_with_an_existing_email_adds_a_link_and_breaks_none(
    api: ApiClient, server: str, db: Any, inbox: Inbox
) -> None:
    interview, _ = await interview_with_candidate(api, QUESTIONS)
    public = (await api.post(f"/api/v1/interviews/{interview['id']}/public-link")).json()["url"]
    public_token = public.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=server) as http:
        await http.get(f"/api/v1/public-interviews/{public_token}")
        csrf = {"x-csrf-token": http.cookies["fairview_csrf"]}
        joined = await http.post(
            f"/api/v1/public-interviews/{public_token}/join",
            headers=csrf,
            json={"name": "Pat", "email": "pat@example.com"},
        )
        assert joined.status_code == 202, joined.text
        first = CandidateClient(http, joined.json()["link"].rsplit("/", 1)[1])
        questions = await in_progress(first)
        # Someone (the candidate on another device, or anyone who knows the email) joins again.
        inbox.messages.clear()
        again = await http.post(
            f"/api/v1/public-interviews/{public_token}/join",
            headers=csrf,
            json={"name": "Pat", "email": "PAT@example.com"},
        )
        assert again.json() == {"link": None, "emailed": True}
        mail = await inbox.wait_for(lambda m: m["To"] == "pat@example.com")
        second = CandidateClient(http, link_token(mail))
        # The link in use still works; the emailed one reaches the same interview in progress.
        assert (await first.session())["status"] == "in_progress"
        r = await second.get("/session")
        assert r.status_code == 200 and r.json()["status"] == "in_progress"
        r = await second.post(f"/questions/{questions[1]['id']}/text", json={"text": "Now."})
        assert r.status_code == 201, r.text
        assert (await second.post("/finish")).status_code == 204
    pat = await db.fetchval("SELECT id FROM candidates WHERE email = 'pat@example.com'")
    links = await db.fetch("SELECT purpose FROM candidate_links WHERE candidate_id = $1", pat)
    assert sorted(r["purpose"] for r in links) == ["public_link", "public_link"]


async def test_public_joins_are_limited_per_address_and_per_link(
    api: ApiClient, server: str, db: Any
) -> None:
    interview, _ = await interview_with_candidate(api, QUESTIONS)
    public = (await api.post(f"/api/v1/interviews/{interview['id']}/public-link")).json()["url"]
    path = f"/api/v1/public-interviews/{public.rsplit('/', 1)[1]}"

    async def join(address: str, email: str) -> httpx.Response:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=server, transport=transport) as http:
            await http.get(path)
            return await http.post(
                f"{path}/join",
                headers={"x-csrf-token": http.cookies["fairview_csrf"]},
                json={"name": "Joiner", "email": email},
            )

    for n in range(JOINS_PER_15MIN):
        assert (await join("127.0.0.2", f"a{n}@example.com")).status_code == 202
    refused = await join("127.0.0.2", "a-more@example.com")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # Other addresses still join, until the link's own limit (20 times the per-address one).
    per_link = 20 * JOINS_PER_15MIN
    for n in range(per_link - JOINS_PER_15MIN):
        r = await join(f"127.0.1.{n + 1}", f"b{n}@example.com")
        assert r.status_code == 202, (n, r.text)
    refused = await join("127.0.2.1", "c@example.com")
    assert refused.status_code == 429
    joined = await db.fetchval("SELECT count(*) FROM candidates WHERE source = 'public_link'")
    assert joined == per_link  # nothing was created for a refused join


async def test_a_candidate_in_progress_at_the_deadline_finishes_within_the_grace_period(
    api: ApiClient, server: str, db: Any, database: Database
) -> None:
    deadline = datetime.now(UTC) + timedelta(hours=1)
    interview, token = await interview_with_candidate(api, QUESTIONS, deadline=deadline.isoformat())
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Dan", "email": "dan@example.com", "send_email": False,
              "deadline": deadline.isoformat()},
    )  # fmt: skip
    idle = r.json()["link"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=server) as http:
        cora = CandidateClient(http, token)
        questions = await in_progress(cora)
        # The deadline passes while Cora answers (the clock moves: the deadline is now behind).
        await db.execute("UPDATE candidates SET deadline = now() - interval '1 minute'")
        passed = await db.fetchval(
            "SELECT deadline FROM candidates WHERE email = $1", "cora@example.com"
        )
        assert await expire_overdue(database, datetime.now(UTC)) == 1  # Dan, never started
        assert (await CandidateClient(http, idle).get("/session")).status_code == 410
        r = await cora.post(f"/questions/{questions[1]['id']}/text", json={"text": "Now."})
        assert r.status_code == 201, r.text
        assert (await cora.post("/finish")).status_code == 204
    assert await db.fetchval("SELECT status FROM candidates WHERE email = 'cora@example.com'") == (
        "completed"
    )
    # Past the grace period a candidate still in progress expires (by the scheduler, or on
    # opening the link).
    await db.execute(
        "UPDATE candidates SET status = 'in_progress' WHERE email = 'cora@example.com'"
    )
    assert await expire_overdue(database, passed + timedelta(minutes=119)) == 0
    await db.execute("UPDATE candidates SET deadline = now() - interval '121 minutes'")
    async with httpx.AsyncClient(base_url=server) as http:
        r = await CandidateClient(http, token).get("/session")
        assert (r.status_code, r.json()["error"]) == (410, "expired")
