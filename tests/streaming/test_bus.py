from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from streaming.bus import EVENTS, KafkaBus, handle_events


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
        await bus.ensure_topics([EVENTS])
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
