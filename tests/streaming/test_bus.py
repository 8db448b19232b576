from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from structlog.testing import capture_logs

from storage.db import Database
from streaming.broker import port_open
from streaming.bus import AUDIO, EVENTS, PIPELINE, KafkaBus, handle_events
from streaming.dead_letters import DeadLetters
from streaming.outbox import destinations


async def collect(bus: KafkaBus, topic: str, group: str, n: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    async for msg in bus.consume([topic], group):
        out.append((msg.key, msg.value["n"]))
        if len(out) == n:
            break
    return out


async def test_per_key_order_and_committed_offsets(kafka: str) -> None:
    topic = f"t-{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    await bus.start()
    try:
        for n in range(5):
            await bus.publish(topic, "answer-1", {"n": n})
        await bus.ping()
        first = await asyncio.wait_for(collect(bus, topic, "g", 3), 20)
        assert first == [("answer-1", 0), ("answer-1", 1), ("answer-1", 2)]
        # A new member of the same group resumes after the last committed message; the message
        # in hand when the consumer stopped (n=2) was not committed and is delivered again.
        rest = await asyncio.wait_for(collect(bus, topic, "g", 3), 20)
        assert rest == [("answer-1", 2), ("answer-1", 3), ("answer-1", 4)]
        # Another group reads everything from the start.
        other = await asyncio.wait_for(collect(bus, topic, "other", 5), 20)
        assert [n for _, n in other] == [0, 1, 2, 3, 4]
    finally:
        await bus.stop()


@pytest.fixture
async def dead_letters(database_url: str) -> AsyncIterator[DeadLetters]:
    database = Database(database_url)
    await database.connect()
    yield DeadLetters(database)
    await database.close()


async def test_a_failing_event_is_retried_and_a_hopeless_one_is_dead_lettered_and_redriven(
    kafka: str, dead_letters: DeadLetters, db: asyncpg.Connection
) -> None:
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    await bus.start()
    calls: list[str] = []
    done = asyncio.Event()
    fixed = asyncio.Event()  # the bug behind the hopeless event, fixed by an operator

    async def handle(event: dict[str, Any]) -> None:
        calls.append(event["id"])
        if event["id"] == "flaky" and calls.count("flaky") < 3:
            raise ConnectionError("the database is restarting")
        if event["id"] == "hopeless" and not fixed.is_set():
            raise ValueError("this event cannot be handled yet")
        if event["id"] in ("last", "hopeless"):
            done.set()

    try:
        await bus.ensure_topics({EVENTS: 1})
        for event_id in ("flaky", "hopeless", "last"):
            await bus.publish(EVENTS, "org", {"id": event_id, "type": "test"})
        task = asyncio.create_task(
            handle_events(bus, "retry-test", handle, (0, 0, 0), dead_letters=dead_letters)
        )
        try:
            await asyncio.wait_for(done.wait(), 30)
            # Flaky: two failures then success; hopeless: every retry, then parked; last: handled.
            assert calls == ["flaky"] * 3 + ["hopeless"] * 4 + ["last"]
            parked = await dead_letters.open()
            assert [(d["consumer_group"], d["event_id"], d["redrives"]) for d in parked] == [
                ("retry-test", "hopeless", 0)
            ]
            assert "ValueError: this event cannot be handled yet" in parked[0]["error"]
            assert parked[0]["next_redrive_at"] is not None  # scheduled, minutes away

            done.clear()
            fixed.set()
            assert await dead_letters.make_due() == 1  # `fairview dead-letters redrive`
            await asyncio.wait_for(done.wait(), 30)  # the running group re-drove it
            deadline = asyncio.get_running_loop().time() + 10
            while await db.fetchval("SELECT resolved_at FROM dead_letters") is None:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.05)
            assert await dead_letters.open() == []
            assert not task.done()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await bus.stop()
    assert calls[-1] == "hopeless" and calls.count("hopeless") == 5


async def test_topics_get_their_partitions_and_a_smaller_existing_topic_is_reported(
    kafka: str,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(AUDIO, 1, 1)])  # made by an older release
    finally:
        await admin.close()
    bus = KafkaBus(kafka)
    with capture_logs() as logs:
        have = await bus.ensure_topics({EVENTS: 3, AUDIO: 4})
    assert have == {EVENTS: 3, AUDIO: 1}
    warned = [e for e in logs if e["event"] == "topic_has_fewer_partitions"]
    assert [(e["topic"], e["partitions"], e["wanted"]) for e in warned] == [(AUDIO, 1, 4)]


async def test_members_of_a_group_share_the_partitions_and_keep_order_per_key(
    kafka: str,
) -> None:
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    await bus.start()
    await bus.ensure_topics({PIPELINE: 4})
    received: dict[int, list[tuple[str, int]]] = {1: [], 2: []}
    owned: dict[int, set[int]] = {1: set(), 2: set()}

    async def member(i: int) -> None:
        async for msg in bus.consume([PIPELINE], "workers"):
            received[i].append((msg.key, msg.value["n"]))
            owned[i].add(msg.partition)

    with capture_logs() as logs:
        tasks = [asyncio.create_task(member(i)) for i in (1, 2)]
        try:

            async def joined() -> None:  # the latest rebalance split the four partitions
                while True:
                    latest = [e for e in logs if e["event"] == "partitions_assigned"][-2:]
                    parts = [p for e in latest for p in e["partitions"].get(PIPELINE, [])]
                    if len(latest) == 2 and sorted(parts) == [0, 1, 2, 3]:
                        return
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(joined(), 20)
            keys = [f"answer-{k}" for k in range(16)]
            for n in range(3):
                for key in keys:
                    await bus.publish(PIPELINE, key, {"n": n})

            async def all_received() -> None:
                while sum(len(r) for r in received.values()) < 3 * len(keys):
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(all_received(), 20)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await bus.stop()
    # Both members got work, from partitions the other never read, each key in order.
    assert received[1] and received[2]
    assert not owned[1] & owned[2]
    for i in (1, 2):
        for key in {k for k, _ in received[i]}:
            assert [n for k, n in received[i] if k == key] == [0, 1, 2]
    assert sorted(k for r in received.values() for k, _ in r) == sorted(keys * 3)


def test_the_ai_pipeline_events_are_also_keyed_by_what_they_concern() -> None:
    org, answer, candidate = "org-1", "answer-1", "candidate-1"

    def event(kind: str, **data: str) -> dict[str, object]:
        return {"id": "e", "type": kind, "organization_id": org, "data": data}

    assert destinations(EVENTS, org, event("answer.recorded", answer_id=answer)) == [
        (EVENTS, org),
        (PIPELINE, answer),
    ]
    assert destinations(EVENTS, org, event("transcript.ready", answer_id=answer)) == [
        (EVENTS, org),
        (PIPELINE, answer),
    ]
    assert destinations(EVENTS, org, event("interview.completed", candidate_id=candidate)) == [
        (EVENTS, org),
        (PIPELINE, candidate),
    ]
    # Events for integrations and people stay in order per organization only.
    assert destinations(EVENTS, org, event("evaluation.ready", answer_id=answer)) == [(EVENTS, org)]
    assert destinations(EVENTS, org, event("candidate.decided", candidate_id=candidate)) == [
        (EVENTS, org)
    ]


async def test_a_handler_slower_than_the_poll_interval_does_not_stop_the_group(
    kafka: str, dead_letters: DeadLetters
) -> None:
    """The group counts a member gone when one message takes longer than max_poll_interval_ms;
    its commit then fails. The consumer logs it, rejoins and goes on; the message is delivered
    again (handlers are idempotent)."""
    bus = KafkaBus(kafka, session_timeout_ms=2000, max_poll_interval_ms=1500)
    await bus.start()
    calls: list[str] = []
    done = asyncio.Event()

    async def handle(event: dict[str, Any]) -> None:
        calls.append(event["id"])
        if event["id"] == "slow" and calls.count("slow") == 1:
            await asyncio.sleep(5)  # more than three poll intervals
        if event["id"] == "last":
            done.set()

    try:
        await bus.ensure_topics({EVENTS: 1})
        for event_id in ("slow", "next", "last"):
            await bus.publish(EVENTS, "org", {"id": event_id, "type": "test"})
        with capture_logs() as logs:
            task = asyncio.create_task(
                handle_events(bus, "slow-test", handle, (0,), dead_letters=dead_letters)
            )
            try:
                await asyncio.wait_for(done.wait(), 60)
                assert not task.done()
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await bus.stop()
    failed = [e for e in logs if e["event"] == "commit_failed"]
    assert [(e["group"], e["offset"]) for e in failed] == [("slow-test", 0)], failed
    # The slow one again (its offset was never committed), then the rest, each once.
    assert calls == ["slow", "slow", "next", "last"], calls


async def test_the_embedded_broker_dies_with_its_owner_even_on_sigkill() -> None:
    from tests.services import free_port

    port = free_port()
    owner = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import asyncio, sys, time; from streaming.broker import EmbeddedBroker; "
        f"asyncio.run(EmbeddedBroker({port}).start()); print('up', flush=True); time.sleep(60)",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert owner.stdout is not None
        assert await asyncio.wait_for(owner.stdout.readline(), 20) == b"up\n"
        assert port_open(port)
        owner.kill()  # no clean-up runs in the owner
        await owner.wait()
        async with asyncio.timeout(10):
            while port_open(port):
                await asyncio.sleep(0.05)
    finally:
        if owner.returncode is None:
            owner.kill()
            await owner.wait()
