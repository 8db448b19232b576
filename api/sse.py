"""Redis pub/sub relayed to browsers as server-sent events, over one connection per process.

Every stream of a process shares one Redis pub/sub connection (the ``Hub``): a channel is
subscribed while at least one stream wants it, and one reader task hands each message to the
queues of that channel's streams. However many streams are open, a process holds one pub/sub
connection. Each caller (a person or an API key) may hold ``cap`` streams in a process; one more
is refused with 429 ``too_many_streams`` before the response starts. A stream that cannot keep up
(its queue of ``QUEUE`` messages is full) is ended; the browser's EventSource reconnects and the
greeting brings it up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from litestar.response import ServerSentEventMessage
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from api.errors import RateLimited

log = structlog.get_logger("fairview.sse")

KEEP_ALIVE_S = 5.0
QUEUE = 256
ENDED = object()  # put on a stream's queue when it fell behind


class TooManyStreams(RateLimited):
    code = "too_many_streams"


class Hub:
    """One pub/sub connection shared by the process's streams."""

    def __init__(self, redis: Redis, cap: int = 10) -> None:
        self.redis, self.cap = redis, cap
        self.pubsub: PubSub | None = None
        self.queues: dict[str, set[asyncio.Queue[object]]] = defaultdict(set)
        self.held: Counter[str] = Counter()
        self.lock = asyncio.Lock()
        self.reader: asyncio.Task[None] | None = None

    def admit(self, owner: str) -> None:
        """Refuse one more stream for ``owner`` before its response starts."""
        if self.held[owner] >= self.cap:
            raise TooManyStreams(
                f"At most {self.cap} live streams at a time; close another tab or window.",
                headers={"Retry-After": "5"},
            )

    @contextlib.asynccontextmanager
    async def subscription(self, channel: str, owner: str) -> AsyncIterator[asyncio.Queue[object]]:
        queue: asyncio.Queue[object] = asyncio.Queue(QUEUE)
        self.held[owner] += 1
        try:
            async with self.lock:
                if self.pubsub is None:
                    self.pubsub = self.redis.pubsub()
                if not self.queues[channel]:
                    await self.pubsub.subscribe(channel)
                self.queues[channel].add(queue)
                if self.reader is None or self.reader.done():
                    self.reader = asyncio.create_task(self._read(), name="sse_hub")
            yield queue
        finally:
            self.held[owner] -= 1
            if self.held[owner] <= 0:
                del self.held[owner]
            async with self.lock:
                self.queues[channel].discard(queue)
                if not self.queues[channel]:
                    del self.queues[channel]
                    if self.pubsub is not None:
                        with contextlib.suppress(Exception):
                            await self.pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            pubsub = self.pubsub
            try:
                if pubsub is None or not pubsub.subscribed:
                    await asyncio.sleep(0.5)
                    continue
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sse_hub_read_failed")  # redis-py reconnects and resubscribes
                await asyncio.sleep(1)
                continue
            if message is None or message.get("type") != "message":
                continue
            name = message["channel"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            data = message["data"]
            text = data.decode() if isinstance(data, bytes) else str(data)
            for queue in list(self.queues.get(name, ())):
                try:
                    queue.put_nowait(text)
                except asyncio.QueueFull:
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                    queue.put_nowait(ENDED)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                await self.pubsub.aclose()  # type: ignore[no-untyped-call]


async def relay(
    hub: Hub,
    channel: str,
    owner: str,
    greeting: ServerSentEventMessage,
    tick: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The greeting, then each JSON message published on ``channel`` as an event named by its
    ``type``. Every few seconds a keep-alive comment (proxies close silent streams) and ``tick``
    (e.g. refresh a key that says someone is watching). Call ``hub.admit(owner)`` first, in the
    route, so that a refusal is a 429 rather than an empty stream."""
    loop = asyncio.get_running_loop()
    async with hub.subscription(channel, owner) as queue:
        if tick is not None:
            await tick()
        last = loop.time()
        yield greeting
        while True:
            try:
                text = await asyncio.wait_for(queue.get(), KEEP_ALIVE_S)
            except TimeoutError:
                text = None
            if loop.time() - last >= KEEP_ALIVE_S:
                if tick is not None:
                    await tick()
                last = loop.time()
                yield ServerSentEventMessage(comment="keep-alive", data=None)  # no event
            if text is None:
                continue
            if text is ENDED:
                return
            assert isinstance(text, str)
            yield ServerSentEventMessage(event=json.loads(text).get("type"), data=text)
