"""The bell and team emails: a candidate's completion and evaluation reach the interview's
creator live over SSE, once, and by email with a working one-click unsubscribe; SMTP refusals
show on the invitation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from api.notification.feed import Feed
from fairview.settings import Settings
from storage.db import Database
from tests.api.test_team import invite, join
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox, body_text

QUESTION = [
    {
        "prompt": "Why us?",
        "kind": "text",
        "think_seconds": 0,
        "answer_seconds": 300,
        "rubric": [{"name": "Motivation", "weight": 1, "strong_answer": "Knows the product"}],
    }
]


class Stream:
    """The member's notification stream, read in the background."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()

    async def wait_for(self, kind: str, count: int = 1) -> list[dict[str, Any]]:
        async with asyncio.timeout(30):
            while len(found := [d for k, d in self.events if k == kind]) < count:
                self.changed.clear()
                await self.changed.wait()
        return found


@contextlib.asynccontextmanager
async def notification_stream(api: ApiClient) -> AsyncIterator[Stream]:
    stream = Stream()

    async def read() -> None:
        async with api.http.stream("GET", "/api/v1/notifications/stream", timeout=None) as r:
            assert r.status_code == 200, await r.aread()
            kind = ""
            async for line in r.aiter_lines():
                if not line:
                    kind = ""  # the end of one event
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind:
                    stream.events.append((kind, json.loads(line[6:])))
                    stream.changed.set()

    task = asyncio.create_task(read())
    try:
        await stream.wait_for("unread")  # subscribed
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def complete(server: str, token: str, answer: str = "I use Fairview daily.") -> None:
    c = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await c.consent(ai=True)
    q = (await c.session())["questions"][0]
    r = await c.post(f"/questions/{q['id']}/text", json={"text": answer})
    assert r.status_code == 201, r.text
    assert (await c.post("/finish")).status_code == 204


async def invite_candidate(api: ApiClient, interview_id: str, name: str, email: str) -> str:
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/candidates",
        json={"name": name, "email": email, "send_email": False},
    )
    assert r.status_code == 201, r.text
    link: str = r.json()["link"]
    return link.rsplit("/", 1)[1]


async def test_completion_and_evaluation_reach_the_creator_live_once_and_by_email(
    api: ApiClient, server: str, inbox: Inbox, db: asyncpg.Connection, settings: Settings
) -> None:
    await api.sign_up(email="ada@example.com", name="Ada Lovelace")
    _, token = await interview_with_candidate(api, QUESTION)
    async with notification_stream(api) as stream:
        assert stream.events[0][1]["unread"] == 0
        await complete(server, token)
        pushed = await stream.wait_for("notification", 2)

    assert [p["notification"]["kind"] for p in pushed] == [
        "candidate_completed",
        "evaluation_ready",
    ]
    assert [p["unread"] for p in pushed] == [1, 2]
    assert pushed[0]["notification"]["data"]["candidate"] == "Cora"
    page = (await api.get("/api/v1/notifications")).json()
    assert page["unread"] == 2
    assert [n["kind"] for n in page["items"]] == ["evaluation_ready", "candidate_completed"]
    candidate_id = str(await db.fetchval("SELECT id FROM candidates"))
    assert {n["candidate_id"] for n in page["items"]} == {candidate_id}
    assert page["items"][0]["data"]["interview"] == "Support lead"

    completed = await inbox.wait_for(lambda m: m["Subject"] == "Cora completed Support lead")
    ready = await inbox.wait_for(
        lambda m: m["Subject"] == "Evaluation ready: Cora for Support lead"
    )
    for mail in (completed, ready):
        assert mail["To"] == "ada@example.com"
        assert f"/candidates/{candidate_id}" in body_text(mail)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["List-Unsubscribe"].startswith(f"<{settings.public_url}/api/v1/")
        assert f"{settings.public_url}/unsubscribe?token=" in body_text(mail)

    # A redelivered event (Kafka is at least once) changes nothing.
    event = json.loads(
        await db.fetchval(
            "SELECT payload FROM outbox WHERE payload->>'type' = 'interview.completed'"
        )
    )
    before = await db.fetchval("SELECT count(*) FROM email_deliveries")
    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    redis = Redis.from_url(settings.redis_url)
    try:
        assert (
            await Feed(database, redis, settings.public_url, settings.secret_key).handle(event) == 0
        )
    finally:
        await redis.aclose()
        await database.close()
    assert await db.fetchval("SELECT count(*) FROM notifications") == 2
    assert await db.fetchval("SELECT count(*) FROM email_deliveries") == before

    # Reading in one tab updates the count in the others.
    async with notification_stream(api) as stream:
        assert stream.events[0][1]["unread"] == 2
        r = await api.post(f"/api/v1/notifications/{page['items'][1]['id']}/read")
        assert r.status_code == 201 and r.json() == {"unread": 1}
        assert (await stream.wait_for("unread", 2))[1]["unread"] == 1
        assert (await api.post("/api/v1/notifications/read-all")).json() == {"unread": 0}
        assert (await stream.wait_for("unread", 3))[2]["unread"] == 0
    page = (await api.get("/api/v1/notifications")).json()
    assert page["unread"] == 0 and all(n["read_at"] for n in page["items"])
    r = await api.post(f"/api/v1/notifications/{candidate_id}/read")
    assert r.status_code == 404


async def test_one_click_unsubscribe_stops_that_email_only_and_can_be_undone(
    api: ApiClient, server: str, inbox: Inbox, db: asyncpg.Connection
) -> None:
    await api.sign_up(email="ada@example.com", name="Ada Lovelace")
    interview, token = await interview_with_candidate(api, QUESTION)
    await complete(server, token)
    mail = await inbox.wait_for(lambda m: m["Subject"] == "Cora completed Support lead")
    one_click = mail["List-Unsubscribe"].strip("<>")

    # The mail client's one-click POST carries no cookie and no CSRF token.
    async with httpx.AsyncClient() as anonymous:
        r = await anonymous.post(one_click, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "email": "ada@example.com",
            "organization": "Acme",
            "kind": "candidate_completed",
            "subscribed": False,
        }
        r = await anonymous.get(one_click.replace("token=", "token=x"))
        assert r.status_code == 404 and r.json()["error"] == "invalid_link"
    prefs = (await api.get("/api/v1/email-preferences")).json()
    assert prefs == {"candidate_completed": False, "evaluation_ready": True}

    # The next completion still rings the bell and sends the evaluation email, not this one.
    await complete(server, await invite_candidate(api, interview["id"], "Dan", "dan@example.com"))
    await inbox.wait_for(lambda m: m["Subject"] == "Evaluation ready: Dan for Support lead")
    assert not [m for m in inbox.messages if m["Subject"] == "Dan completed Support lead"]
    kinds = await db.fetch(
        "SELECT n.kind FROM notifications n JOIN candidates c ON c.id = n.candidate_id"
        " WHERE c.name = 'Dan'"
    )
    assert sorted(k["kind"] for k in kinds) == ["candidate_completed", "evaluation_ready"]

    # The page's undo, then the member's own settings.
    r = await api.post(one_click.replace("/unsubscribe?", "/resubscribe?"))
    assert r.status_code == 200 and r.json()["subscribed"] is True
    r = await api.request("PUT", "/api/v1/email-preferences", json={"evaluation_ready": False})
    assert r.json() == {"candidate_completed": True, "evaluation_ready": False}
    opt_out = await db.fetchval("SELECT email_opt_out FROM memberships")
    assert opt_out == ["evaluation_ready"]


async def test_an_smtp_refusal_shows_on_the_invitation_and_rings_the_bell(
    api: ApiClient, inbox: Inbox, db: asyncpg.Connection
) -> None:
    await api.sign_up()
    interview, _ = await interview_with_candidate(api, QUESTION)
    url = f"/api/v1/interviews/{interview['id']}/candidates"
    async with notification_stream(api) as stream:
        for name, email in (("Eve", "eve@nowhere.example"), ("Fay", "fay@example.com")):
            r = await api.post(url, json={"name": name, "email": email})
            assert r.status_code == 201, r.text
            assert r.json()["candidate"]["invitation_email"]["status"] == "pending"
        (pushed,) = await stream.wait_for("notification")

    # The bell: refused for good, so the team hears at once (not after a day of retries).
    notification = pushed["notification"]
    assert notification["kind"] == "invitation_failed"
    assert notification["data"]["candidate"] == "Eve"
    assert notification["data"]["interview_id"] == interview["id"]
    assert "No such user" in notification["data"]["error"]

    async def states() -> dict[str, Any]:
        items = (await api.get(url)).json()["items"]
        return {c["name"]: c["invitation_email"] for c in items}

    async with asyncio.timeout(15):
        while (await states())["Fay"]["status"] == "pending":
            await asyncio.sleep(0.1)  # received; the mailer records it after the SMTP session
    found = await states()
    assert found["Cora"] is None  # invited without an email (link shared by hand)
    assert found["Fay"]["status"] == "sent" and found["Fay"]["last_error"] is None
    assert found["Eve"]["status"] == "failed"
    assert found["Eve"]["attempts"] == 1  # refused for good: not retried
    assert "550" in found["Eve"]["last_error"] and "No such user" in found["Eve"]["last_error"]
    assert not inbox.to("eve@nowhere.example")


async def test_decisions_are_told_to_the_creator_unless_they_made_them(
    api: ApiClient, server: str, db: asyncpg.Connection
) -> None:
    await api.sign_up()
    await interview_with_candidate(api, QUESTION)
    candidate_id = await db.fetchval("SELECT id FROM candidates")
    r = await api.post("/api/v1/api-keys", json={"name": "ats", "scopes": ["read", "write"]})
    ats = {"Authorization": f"Bearer {r.json()['secret']}"}
    decide = f"/api/v1/candidates/{candidate_id}/decision"
    async with notification_stream(api) as stream:
        assert (await api.post(decide, json={"decision": "hold"})).status_code == 204
        r = await api.post(decide, json={"decision": "advance"}, headers=ats)
        assert r.status_code == 204, r.text
        (pushed,) = await stream.wait_for("notification")
    # Events of one organization are handled in order: had her own decision made one, it
    # would have come first.
    assert pushed["notification"]["kind"] == "candidate_decided"
    assert pushed["notification"]["data"]["decision"] == "advance"
    assert await db.fetchval("SELECT count(*) FROM notifications") == 1


async def test_notifications_page_newest_first_without_overlap(
    api: ApiClient, db: asyncpg.Connection
) -> None:
    me = await api.sign_up()
    await interview_with_candidate(api, QUESTION)
    await db.execute(
        "INSERT INTO notifications (id, organization_id, user_id, event_id, kind, candidate_id,"
        " data, created_at) SELECT gen_random_uuid(), c.organization_id, $1, 'evt' || n,"
        " 'candidate_completed', c.id, jsonb_build_object('candidate', 'Cora ' || n,"
        " 'interview', 'Support lead', 'interview_id', c.interview_id),"
        " now() - make_interval(mins => n) FROM candidates c, generate_series(1, 25) n",
        uuid.UUID(me["user"]["id"]),
    )
    first = (await api.get("/api/v1/notifications", params={"limit": 20})).json()
    rest = (
        await api.get("/api/v1/notifications", params={"limit": 20, "cursor": first["next_cursor"]})
    ).json()
    names = [n["data"]["candidate"] for n in first["items"] + rest["items"]]
    assert names == [f"Cora {n}" for n in range(1, 26)]  # newest first, each once
    assert first["unread"] == rest["unread"] == 25 and rest["next_cursor"] is None


async def test_followers_hear_and_the_owners_when_nobody_follows(
    api: ApiClient, server: str, inbox: Inbox, client_factory: Any, db: asyncpg.Connection
) -> None:
    await api.sign_up(email="ada@example.com", name="Ada Lovelace")
    interview, token = await interview_with_candidate(api, QUESTION)
    url = f"/api/v1/interviews/{interview['id']}"
    assert (await api.get(url)).json()["following"] is True  # the creator follows
    await invite(api, "grace@example.com", role="reviewer")
    grace = client_factory()
    await join(grace, inbox, "grace@example.com")
    assert (await grace.get(url)).json()["following"] is False
    r = await grace.request("PUT", f"{url}/following", json={"following": True})
    assert r.status_code == 200 and r.json() == {"following": True}

    await complete(server, token)
    for who in ("ada@example.com", "grace@example.com"):
        await inbox.wait_for(lambda m, w=who: m["To"] == w and "Cora completed" in m["Subject"])

    # Nobody follows any more: the owners hear, so that nothing goes unheard.
    for client in (api, grace):
        r = await client.request("PUT", f"{url}/following", json={"following": False})
        assert r.json() == {"following": False}
    await complete(server, await invite_candidate(api, interview["id"], "Dan", "dan@example.com"))
    await inbox.wait_for(lambda m: m["To"] == "ada@example.com" and "Dan completed" in m["Subject"])
    told = await db.fetch(
        "SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id"
        " JOIN candidates c ON c.id = n.candidate_id WHERE c.name = 'Dan'"
        " AND n.kind = 'candidate_completed'"
    )
    assert [r["email"] for r in told] == ["ada@example.com"]
    assert not [m for m in inbox.to("grace@example.com") if "Dan completed" in m["Subject"]]
