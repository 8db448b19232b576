"""Redis pub/sub relayed to a browser as server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from litestar.response import ServerSentEventMessage
from redis.asyncio import Redis

KEEP_ALIVE_S = 5.0


async def relay(
    redis: Redis,
    channel: str,
    greeting: ServerSentEventMessage,
    tick: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The greeting, then each JSON message published on ``channel`` as an event named by its
    ``type``. Every few seconds a keep-alive comment (proxies close silent streams) and ``tick``
    (e.g. refresh a key that says someone is watching)."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    loop = asyncio.get_running_loop()
    last = loop.time()
    try:
        if tick is not None:
            await tick()
        yield greeting
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if loop.time() - last > KEEP_ALIVE_S:
                if tick is not None:
                    await tick()
                last = loop.time()
                yield ServerSentEventMessage(comment="keep-alive", data=None)  # no event
            if message is not None:
                data = message["data"]
                text = data.decode() if isinstance(data, bytes) else str(data)
                yield ServerSentEventMessage(event=json.loads(text).get("type"), data=text)
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]
