"""Database writes the ingest must not lose, retried while Postgres is briefly unreachable.

A segment's end is answered (WHIP DELETE) only once it is recorded, so the write is retried
across a restart, a failover or a killed connection (about 12 s in all) before giving up; what
still fails is reconciled by the clean-up from the segment recorded at its start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog

log = structlog.get_logger("fairview.ingest")

T = TypeVar("T")

RETRY_DELAYS_S = (0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 5.0)
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,  # the connection went away under us
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.OperatorInterventionError,  # class 57: admin shutdown, terminated, starting up
    asyncpg.InsufficientResourcesError,  # class 53: too many connections
    asyncpg.TransactionRollbackError,  # class 40: serialization failure, deadlock
)


async def retry_db(write: Callable[[], Awaitable[T]], what: str) -> T:
    """Run ``write`` (one whole transaction), again after a transient database failure."""
    for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
        try:
            return await write()
        except TRANSIENT as exc:
            if delay is None:
                log.error("db_write_gave_up", what=what, attempts=attempt, error=repr(exc))
                raise
            log.warning("db_write_retried", what=what, attempt=attempt, error=repr(exc))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
