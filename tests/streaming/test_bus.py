from __future__ import annotations

import asyncio
import uuid

from streaming.bus import KafkaBus


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
