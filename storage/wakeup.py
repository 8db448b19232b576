"""Wake background loops as soon as work is committed (Postgres LISTEN/NOTIFY), with a poll
fallback so that nothing waits forever if a notification is missed."""

from __future__ import annotations

import asyncio
import contextlib
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
