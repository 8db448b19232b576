from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from structlog.testing import capture_logs

from streaming.bus import AUDIO, EVENTS, PIPELINE, KafkaBus, handle_events
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


async def test_a_failing_event_is_retried_and_a_hopeless_one_does_not_stop_the_group(
    kafka: str,
) -> None:
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    await bus.start()
    calls: list[str] = []
    done = asyncio.Event()

    async def handle(event: dict[str, Any]) -> None:
        calls.append(event["id"])
        if event["id"] == "flaky" and calls.count("flaky") < 3:
            raise ConnectionError("the database is restarting")
        if event["id"] == "hopeless":
            raise ValueError("this event can never be handled")
        if event["id"] == "last":
            done.set()

    try:
        await bus.ensure_topics({EVENTS: 1})
        for event_id in ("flaky", "hopeless", "last"):
            await bus.publish(EVENTS, "org", {"id": event_id, "type": "test"})
        task = asyncio.create_task(handle_events(bus, "retry-test", handle, (0, 0, 0)))
        try:
            await asyncio.wait_for(done.wait(), 30)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await bus.stop()
    # Flaky: two failures then success; hopeless: every retry, then skipped; last: handled.
    assert calls == ["flaky"] * 3 + ["hopeless"] * 4 + ["last"]


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
