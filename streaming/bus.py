"""The event bus: one small interface, aiokafka as its implementation.

Delivery is at-least-once: producers use ``acks="all"`` (the embedded broker does not support
idempotent producers) and every consumer de-duplicates by the ids its messages carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

EVENTS = "events"  # domain events relayed from the outbox, keyed by organization id
AUDIO = "audio"  # 16 kHz PCM chunks from the ingest's audio tap, keyed by answer id
TRANSCRIPTS = "transcripts"  # final transcripts, keyed by answer id

RETRY_AFTER_S = (0.5, 2.0, 8.0, 30.0)

log = structlog.get_logger("fairview.bus")


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: dict[str, Any]
    partition: int
    offset: int


class EventBus(Protocol):
    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> None: ...
    async def ping(self) -> None: ...
    def consume(
        self, topics: list[str], group: str, *, from_beginning: bool = True
    ) -> AsyncIterator[Message]: ...


class KafkaBus:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "fairview",
        session_timeout_ms: int = 10_000,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.session_timeout_ms = session_timeout_ms
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=5,
            key_serializer=str.encode,
            value_serializer=lambda v: json.dumps(v, separators=(",", ":")).encode(),
        )
        await self._producer.start()

    async def ensure_topics(self, topics: list[str], partitions: int = 1) -> None:
        """Create missing topics up front, so that consumer groups subscribe to existing topics
        instead of being rebalanced when a producer creates one mid-stream."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, client_id=self.client_id
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # made meanwhile elsewhere
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaBus.start() was not called")
        return self._producer

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> None:
        await self.producer.send_and_wait(topic, value=value, key=key)

    async def ping(self) -> None:
        await self.producer.client.fetch_all_metadata()

    async def consume(
        self, topics: list[str], group: str, *, from_beginning: bool = True
    ) -> AsyncIterator[Message]:
        """Yield messages of a consumer group; a message's offset is committed after the
        caller asks for the next one, so a crash re-delivers at most the message in hand."""
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_beginning else "latest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 5),
            key_deserializer=lambda k: k.decode() if k is not None else "",
            value_deserializer=json.loads,
        )
        try:  # stop() also when cancelled while still joining the group
            await consumer.start()
            async for record in consumer:
                yield Message(
                    record.topic, record.key, record.value, record.partition, record.offset
                )
                await consumer.commit(
                    {TopicPartition(record.topic, record.partition): record.offset + 1}
                )
        finally:
            await consumer.stop()


Handler = Callable[[Message], Awaitable[None]]


async def handle_events(
    bus: EventBus,
    group: str,
    handle: Callable[[dict[str, Any]], Awaitable[object]],
    retry_after_s: Sequence[float] = RETRY_AFTER_S,
) -> None:
    """Run ``handle`` on each domain event of a consumer group, in order. Handlers are
    idempotent, so a failure (the database restarting, say) is retried after 0.5, 2, 8 and 30 s:
    moving on would commit the event's offset and lose it. An event that still fails is logged
    and skipped, so that one bad event cannot stop the group."""
    async for message in bus.consume([EVENTS], group=group):
        event = message.value
        for delay in (*retry_after_s, None):
            try:
                await handle(event)
                break
            except Exception:
                where = {"group": group, "event_id": event.get("id"), "type": event.get("type")}
                if delay is None:
                    log.exception("event_failed", **where)
                else:
                    log.warning("event_retrying", retry_in_s=delay, exc_info=True, **where)
                    await asyncio.sleep(delay)
