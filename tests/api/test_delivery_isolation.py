"""One bad row fails only itself: a poison email or webhook delivery between good ones is marked
failed with its reason while every good one is delivered exactly once, and an endpoint that
trickles its response does not hold back deliveries to others. Against the real server and its
workers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from fairview.settings import Settings
from tests.api.test_webhooks import Receiver
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.http_server import serve
from tests.services import Inbox

GOOD = [f"good{n}@example.com" for n in range(4)]
# An address stored before names and emails refused control characters: its header cannot be
# written, so this email can never be sent.
POISON = "mallory@example.com\r\nBcc: everyone@example.com"


async def until(check: Any, timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.05)


async def test_a_poison_email_fails_alone_and_shows_on_the_invitation(
    api: ApiClient, server: str, inbox: Inbox, db: asyncpg.Connection
) -> None:
    me = await api.sign_up()
    interview, _ = await interview_with_candidate(api)
    (cora,) = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    rows = [(uuid4(), a) for a in [GOOD[0], GOOD[1], POISON, GOOD[2], GOOD[3]]]
    poison_id = rows[2][0]
    async with db.transaction():  # queued together: the mailer sees the poison amid the others
        for n, (email_id, address) in enumerate(rows):
            await db.execute(
                "INSERT INTO email_deliveries (id, to_address, template, subject, text_body,"
                " html_body, next_attempt_at, organization_id) VALUES ($1, $2, 'invitation', $3,"
                " 'Hello', '<p>Hello</p>', now() - make_interval(secs => $4), $5)",
                email_id,
                address,
                f"Interview {n}",
                float(10 - n),  # due in this order
                UUID(me["organization"]["id"]),  # queued by the organization, as the app does
            )
        await db.execute(
            "UPDATE candidates SET invitation_email_id = $1 WHERE id = $2", poison_id, cora["id"]
        )

    async def settled() -> bool:
        pending = await db.fetchval(
            "SELECT count(*) FROM email_deliveries WHERE status = 'pending'"
        )
        return pending == 0

    await until(settled)
    received = sorted(m["To"] for m in inbox.messages if m["To"] != "ada@example.com")
    assert received == sorted(GOOD)  # each once, none again, nothing to the poison's Bcc
    states = {
        r["to_address"]: (r["status"], r["attempts"])
        for r in await db.fetch(
            "SELECT to_address, status, attempts FROM email_deliveries WHERE id = ANY($1)",
            [email_id for email_id, _ in rows],
        )
    }
    assert states == {**{a: ("sent", 1) for a in GOOD}, POISON: ("failed", 1)}

    # The reason is on the candidate's invitation, where the recruiter looks.
    (row,) = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    email = row["invitation_email"]
    assert email["status"] == "failed" and email["attempts"] == 1
    assert email["last_error"].startswith("This email cannot be sent: ValueError")

    # The mailer goes on.
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Dan", "email": "dan@example.com"},
    )
    assert r.status_code == 201, r.text
    await inbox.wait_for(lambda m: m["To"] == "dan@example.com", timeout_s=20)


class Trickler:
    """An endpoint that answers 200 and then sends its body one byte a second, for ever: each
    read comes well within any per-read timeout."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connected.set()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while True:
                writer.write(b".")
                await writer.drain()
                if await _closed_within(reader, 1.0):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed.set()
            writer.close()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await reader.read(1)  # the request was read whole: this returns at the close
            return True
    return False


@pytest.fixture
async def trickler() -> AsyncIterator[tuple[str, Trickler]]:
    t = Trickler()
    server = await asyncio.start_server(t.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/hook", t


class TestWebhooks:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, webhooks_allow_private=True)  # the receivers are on 127.0.0.1

    async def endpoint(self, api: ApiClient, url: str) -> dict[str, Any]:
        r = await api.post("/api/v1/webhooks", json={"url": url, "events": ["candidate.decided"]})
        assert r.status_code == 201, r.text
        endpoint: dict[str, Any] = r.json()
        return endpoint

    async def deliveries(self, api: ApiClient, endpoint: dict[str, Any]) -> list[dict[str, Any]]:
        r = await api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries")
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    async def test_a_poison_delivery_fails_alone_with_its_reason(
        self, api: ApiClient, db: asyncpg.Connection
    ) -> None:
        await api.sign_up()
        r = Receiver(failures=0)
        async with serve(r.app()) as url:
            first = await self.endpoint(api, f"{url}/hook")
            # A URL the API refuses today (an invalid port) but a row may still hold, from before
            # that rule or written behind the API: no request can ever be made to it.
            poison = await self.endpoint(api, f"{url}/hook?poison")
            await db.execute(
                "UPDATE webhook_endpoints SET url = 'http://127.0.0.1:99999/hook' WHERE id = $1",
                UUID(poison["id"]),
            )
            last = await self.endpoint(api, f"{url}/hook?second")
            sent = []
            for _ in range(3):  # due one after another: good, poison, good, good, poison, ...
                for e in (first, poison, last):
                    test = await api.post(f"/api/v1/webhooks/{e['id']}/test")
                    sent.append((e["id"], test.json()["event_id"]))
            good = [event for endpoint, event in sent if endpoint != poison["id"]]
            await r.wait_for(len(good))

            async def settled() -> bool:
                return not await db.fetchval(
                    "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
                )

            await until(settled)
            ids = sorted(headers["webhook-id"] for headers, _, _ in r.received)
            assert ids == sorted(good)  # each once, none again

        for e in (first, last):
            assert {(d["status"], d["attempts"]) for d in await self.deliveries(api, e)} == {
                ("succeeded", 1)
            }
        failed = await self.deliveries(api, poison)
        assert len(failed) == 3
        for d in failed:
            assert (d["status"], d["attempts"]) == ("failed", 1)  # for good, not retried
            assert d["last_error"].startswith("Cannot be delivered: ")
            assert "port" in d["last_error"].lower()  # the reason, not an exception group
            assert [a["error"] for a in d["attempt_log"]] == [d["last_error"]]
        # One bad delivery is not a failing endpoint.
        endpoints = {e["id"]: e for e in (await api.get("/api/v1/webhooks")).json()["items"]}
        assert endpoints[poison["id"]]["status"] == "active"

    async def test_a_trickling_endpoint_holds_back_nobody(
        self, api: ApiClient, db: asyncpg.Connection, trickler: tuple[str, Trickler]
    ) -> None:
        slow_url, slow = trickler
        await api.sign_up()
        r = Receiver(failures=0)
        async with serve(r.app()) as url:
            slow_endpoint = await self.endpoint(api, slow_url)
            fast_endpoint = await self.endpoint(api, f"{url}/hook")
            await api.post(f"/api/v1/webhooks/{slow_endpoint['id']}/test")
            async with asyncio.timeout(20):
                await slow.connected.wait()
            fast = (await api.post(f"/api/v1/webhooks/{fast_endpoint['id']}/test")).json()
            await r.wait_for(1)
            assert not slow.closed.is_set()  # delivered while the slow answer still trickles
            assert r.received[0][0]["webhook-id"] == fast["event_id"]

            async def succeeded() -> bool:
                (d,) = await self.deliveries(api, fast_endpoint)
                return bool(d["status"] == "succeeded")

            await until(succeeded)  # recorded once the response is read
            assert not slow.closed.is_set()

            # The slow attempt ends at its overall deadline, and is retried later.
            async with asyncio.timeout(40):
                await slow.closed.wait()

            async def recorded() -> bool:
                (d,) = await self.deliveries(api, slow_endpoint)
                return bool(d["attempt_log"])

            await until(recorded)
            (d,) = await self.deliveries(api, slow_endpoint)
            assert (d["status"], d["attempts"]) == ("pending", 1)
            assert d["last_error"] == "No complete response within 15 s."
