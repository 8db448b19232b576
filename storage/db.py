"""Postgres access: one asyncpg pool, transactions owned by the caller, tenant scoping.

Every transaction declares whose rows it may touch. ``Database.tenant(org_id)`` scopes it to one
organization (repositories also filter by ``organization_id``; Row-Level Security is the second
line); ``Database.platform()`` is for the few platform-level operations that must span
organizations (logging in by email, the admin API, background relays).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

_ROLE = re.compile(r"[a-z_][a-z0-9_]*")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Reset of a connection going back to the pool. asyncpg has already rolled back any open
    transaction and dropped its listeners (``storage.wakeup`` unlistens itself); everything we
    set is transaction-local, so its default full reset (another round trip per request) has
    nothing left to undo."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


@dataclass(frozen=True)
class Tenant:
    """A connection inside a transaction scoped to one organization."""

    conn: asyncpg.Connection
    organization_id: UUID


class Database:
    def __init__(self, url: str, role: str = "", min_size: int = 1, max_size: int = 10) -> None:
        if role and not _ROLE.fullmatch(role):
            raise ValueError(f"not a plain role name: {role!r}")
        self.url = url
        self.role = role
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=self._min_size,
            max_size=self._max_size,
            init=_init_connection,
            reset=_keep_session,
        )

    async def close(self, timeout_s: float = 5.0) -> None:
        """Close the pool once its connections are back, or after ``timeout_s`` close them
        anyway: a connection still held at shutdown (a task that was not cancelled) must not
        keep the process from stopping."""
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout_s)
            except TimeoutError:
                self._pool.terminate()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Database.connect() was not called")
        return self._pool

    @asynccontextmanager
    async def _transaction(
        self, organization_id: UUID | None, bypass: bool
    ) -> AsyncIterator[asyncpg.Connection]:
        # BEGIN and the scope in one round trip (a simple query: the values are a UUID and a
        # checked role name, never caller text). Local to the transaction, so a pooled
        # connection never carries a tenant over.
        org = str(UUID(str(organization_id))) if organization_id else ""
        scope = (
            f"BEGIN; SELECT set_config('fairview.organization_id', '{org}', true),"
            f" set_config('fairview.bypass_rls', '{'on' if bypass else 'off'}', true)"
            + (f", set_config('role', '{self.role}', true)" if self.role else "")
        )
        async with self.pool.acquire() as conn:
            await conn.execute(scope)
            try:
                yield conn
            except BaseException:
                if not conn.is_closed():
                    await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    @asynccontextmanager
    async def tenant(self, organization_id: UUID) -> AsyncIterator[Tenant]:
        async with self._transaction(organization_id, bypass=False) as conn:
            yield Tenant(conn, organization_id)

    @asynccontextmanager
    async def platform(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._transaction(None, bypass=True) as conn:
            yield conn

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection outside any transaction, for one statement that scopes itself (a
        ``fairview_*`` SQL function); everything else goes through ``tenant`` or ``platform``."""
        async with self.pool.acquire() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")


@asynccontextmanager
async def savepoint(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A part of the caller's transaction that can fail alone (rolled back, then re-raised)."""
    await conn.execute("SAVEPOINT part")
    try:
        yield
    except BaseException:
        await conn.execute("ROLLBACK TO SAVEPOINT part")
        raise
    await conn.execute("RELEASE SAVEPOINT part")


def row_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None
