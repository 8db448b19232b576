"""Wake background loops as soon as work is committed (Postgres LISTEN/NOTIFY), with a poll
fallback so that nothing waits forever if a notification is missed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg


class Wakeup:
    def __init__(self, pool: asyncpg.Pool, channel: str) -> None:
        self.pool = pool
        self.channel = channel
        self._event = asyncio.Event()
        self._conn: Any = None

    def _notified(self, *_: object) -> None:
        self._event.set()

    async def __aenter__(self) -> Wakeup:
        self._conn = await self.pool.acquire()
        await self._conn.add_listener(self.channel, self._notified)
        return self

    async def __aexit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            await self._conn.remove_listener(self.channel, self._notified)
        await self.pool.release(self._conn)

    async def wait(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        self._event.clear()


async def drain_forever(
    pool: asyncpg.Pool,
    channel: str | None,
    step: Callable[[], Awaitable[int]],
    poll_s: float,
) -> None:
    """The one shape of a polling worker: run ``step`` (which handles a batch and returns how
    many it found) until it finds nothing, then wait for a NOTIFY on ``channel``, or ``poll_s``
    in case one was missed. A listener holds a pool connection for good, so work that need not
    start at once polls only (``channel`` None). An error propagates: the supervisor logs it
    and restarts the worker (with a fresh listening connection) after a back-off."""
    async with contextlib.AsyncExitStack() as stack:
        wakeup = None if channel is None else await stack.enter_async_context(Wakeup(pool, channel))
        while True:
            while await step():
                pass
            if wakeup is None:
                await asyncio.sleep(poll_s)
            else:
                await wakeup.wait(poll_s)
