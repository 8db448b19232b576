"""The event bus: one small interface, aiokafka as its implementation.

Delivery is at-least-once: producers use ``acks="all"`` (the embedded broker does not support
idempotent producers) and every consumer de-duplicates by the ids its messages carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, TopicAlreadyExistsError
from prometheus_client import Counter, Gauge

EVENTS = "events"  # domain events relayed from the outbox, keyed by organization id
# The AI pipeline's events again, keyed by the answer (or candidate) they concern, so that the
# work of one organization spreads over every transcribe and evaluate worker.
PIPELINE = "pipeline"
AUDIO = "audio"  # 16 kHz PCM chunks from the ingest's audio tap, keyed by answer id
TRANSCRIPTS = "transcripts"  # final transcripts, keyed by answer id

# Partitions bound how many members of a consumer group get work: sized for a dozen workers
# (audio and pipeline: two partitions each). More can be set, never fewer (FAIRVIEW_KAFKA_PARTITIONS).
PARTITIONS = {EVENTS: 12, PIPELINE: 24, AUDIO: 24, TRANSCRIPTS: 12}
# Which events go to PIPELINE too, and the field of ``data`` that keys them there.
PIPELINE_KEYS = {
    "answer.recorded": "answer_id",
    "transcript.ready": "answer_id",
    "interview.completed": "candidate_id",
}

RETRY_AFTER_S = (0.5, 2.0, 8.0, 30.0)
# How long a consumer may spend on one message (with its retries) before the group counts it
# gone and gives its partitions to others: sized to the slowest handler (an LLM evaluation with
# its SDK retries, a long final transcription on a busy CPU). A dead process is still noticed
# by its missing heartbeats within the session timeout.
MAX_POLL_INTERVAL_MS = 30 * 60 * 1000

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
        max_poll_interval_ms: int = MAX_POLL_INTERVAL_MS,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.session_timeout_ms = session_timeout_ms
        self.max_poll_interval_ms = max_poll_interval_ms
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

    async def ensure_topics(self, partitions: Mapping[str, int]) -> dict[str, int]:
        """Create missing topics up front (so that consumer groups subscribe to existing topics
        instead of being rebalanced when a producer creates one mid-stream), each with its
        number of partitions; returns the partitions each topic has. A topic that exists with
        fewer is reported, not changed: growing it moves keys to other partitions, which breaks
        their order while messages are in flight (docs/deploy.md says how to grow it)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, client_id=self.client_id
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [NewTopic(t, n, 1) for t, n in partitions.items() if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # made meanwhile elsewhere
                    await admin.create_topics(missing)
            described = await admin.describe_topics(list(partitions))
        finally:
            await admin.close()
        have = {d["topic"]: len(d["partitions"]) for d in described}
        for topic, wanted in partitions.items():
            TOPIC_PARTITIONS.labels(topic).set(have.get(topic, 0))
            if have.get(topic, 0) < wanted:
                log.warning(
                    "topic_has_fewer_partitions",
                    topic=topic,
                    partitions=have.get(topic, 0),
                    wanted=wanted,
                    effect="fewer workers than that get work from it",
                )
        return have

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
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_beginning else "latest",
            session_timeout_ms=self.session_timeout_ms,
            max_poll_interval_ms=self.max_poll_interval_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 5),
            key_deserializer=lambda k: k.decode() if k is not None else "",
            value_deserializer=json.loads,
        )
        assignment = _Assignment(group)
        consumer.subscribe(topics, listener=assignment)
        try:  # stop() also when cancelled while still joining the group
            await consumer.start()
            async for record in consumer:
                yield Message(
                    record.topic, record.key, record.value, record.partition, record.offset
                )
                tp = TopicPartition(record.topic, record.partition)
                try:
                    await consumer.commit({tp: record.offset + 1})
                except (CommitFailedError, IllegalStateError) as exc:
                    # The group moved on while the message was handled (a rebalance, or this
                    # member took longer than max_poll_interval_ms and was counted gone): the
                    # partition's new owner gets the message again (handlers are idempotent),
                    # and this consumer rejoins and goes on.
                    COMMIT_FAILURES.labels(group).inc()
                    log.warning(
                        "commit_failed",
                        group=group,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                        error=f"{type(exc).__name__}: {exc}",
                        effect="the message is delivered again",
                    )
                    continue
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    CONSUMER_LAG.labels(group, record.topic, str(record.partition)).set(
                        highwater - record.offset - 1
                    )
        finally:
            assignment.clear(consumer.assignment())
            await consumer.stop()


COMMIT_FAILURES = Counter(
    "fairview_consumer_commit_failures",
    "Offsets a consumer could not commit because its group had moved on (the message is "
    "delivered again)",
    ["group"],
)
TOPIC_PARTITIONS = Gauge("fairview_topic_partitions", "Partitions of each topic", ["topic"])
ASSIGNED_PARTITIONS = Gauge(
    "fairview_consumer_partitions",
    "Partitions this process consumes, per group and topic",
    ["group", "topic"],
)
CONSUMER_LAG = Gauge(
    "fairview_consumer_lag",
    "Messages behind the end of the partition after the last one this process handled",
    ["group", "topic", "partition"],
)


class _Assignment(ConsumerRebalanceListener):  # type: ignore[misc]
    """Logs and counts the partitions this process owns in a group, at every rebalance."""

    def __init__(self, group: str) -> None:
        self.group = group

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.clear(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        by_topic: dict[str, list[int]] = {}
        for tp in assigned:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        for topic, owned in by_topic.items():
            ASSIGNED_PARTITIONS.labels(self.group, topic).set(len(owned))
        log.info(
            "partitions_assigned",
            group=self.group,
            partitions={t: sorted(p) for t, p in sorted(by_topic.items())},
        )

    def clear(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            ASSIGNED_PARTITIONS.labels(self.group, tp.topic).set(0)
            with contextlib.suppress(KeyError):  # no message handled there yet
                CONSUMER_LAG.remove(self.group, tp.topic, str(tp.partition))


Handler = Callable[[Message], Awaitable[None]]
EventHandler = Callable[[dict[str, Any]], Awaitable[object]]


class DeadLetterStore(Protocol):
    """Where a group's hopeless events go (``streaming.dead_letters``)."""

    async def park(self, group: str, topic: str, event: dict[str, Any], error: str) -> None: ...
    async def redrive_forever(self, group: str, handle: EventHandler) -> None: ...


async def handle_events(
    bus: EventBus,
    group: str,
    handle: EventHandler,
    retry_after_s: Sequence[float] = RETRY_AFTER_S,
    *,
    dead_letters: DeadLetterStore,
    topic: str = EVENTS,
) -> None:
    """Run ``handle`` on each domain event of a consumer group (from ``events``, or the AI
    work from ``pipeline``), in order per key. Handlers are idempotent, so a failure (the
    database restarting, say) is retried after 0.5, 2, 8 and 30 s: moving on would commit the
    event's offset and lose it. An event that still fails is parked as a dead letter before its
    offset is committed, so that one bad event cannot stop the group and none is lost; the
    group re-drives its dead letters beside its consumption."""
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(dead_letters.redrive_forever(group, handle))
        async for message in bus.consume([topic], group=group):
            event = message.value
            for delay in (*retry_after_s, None):
                try:
                    await handle(event)
                    break
                except Exception as exc:
                    where = {"group": group, "event_id": event.get("id"), "type": event.get("type")}
                    if delay is None:
                        log.exception("event_failed", **where)
                        await dead_letters.park(
                            group, topic, event, f"{type(exc).__name__}: {exc}"[:2000]
                        )
                    else:
                        log.warning("event_retrying", retry_in_s=delay, exc_info=True, **where)
                        await asyncio.sleep(delay)
