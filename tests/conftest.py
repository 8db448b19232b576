"""Fixtures: real Postgres (a migrated template cloned per test), Redis, Kafka, SMTP, S3."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from fairview.runtime import build_app
from fairview.settings import Settings
from storage.migrate import migrate
from streaming.broker import EmbeddedBroker
from tests.api_client import ApiClient
from tests.http_server import serve
from tests.services import (
    DATABASE_URL,
    REDIS_URL,
    Inbox,
    SmtpHandler,
    free_port,
    llm_server,
    transcription_server,
    unavailable,
    with_database,
)


@pytest.fixture(scope="session")
async def pg_template() -> AsyncIterator[str]:
    try:
        admin = await asyncpg.connect(DATABASE_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", exc)
    name = f"fairview_tpl_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(migrate, with_database(DATABASE_URL, name))
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database_url(pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test (a clone of the template, ~30 ms)."""
    admin = await asyncpg.connect(DATABASE_URL)
    name = f"fairview_t_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield with_database(DATABASE_URL, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the test database, for assertions that look behind the API."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        unavailable("Redis", exc)
    await client.flushdb()
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()


@pytest.fixture
async def kafka() -> AsyncIterator[str]:
    """A fresh broker per test (it starts in milliseconds): no topic history and no consumer
    group members left over from other tests."""
    broker = EmbeddedBroker(free_port())
    try:
        await broker.start()
    except (OSError, RuntimeError) as exc:
        unavailable("the Kafka-protocol broker (tansu)", exc)
    yield broker.bootstrap
    broker.stop()


@pytest.fixture(scope="session")
def llm_url() -> Iterator[str]:
    """An OpenAI-compatible LLM server on 127.0.0.1, shared by the tests that need one."""
    with llm_server() as url:
        yield url


@pytest.fixture(scope="session")
def transcription_url() -> Iterator[str]:
    """An OpenAI-compatible transcription server on 127.0.0.1."""
    with transcription_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 endpoint (moto) on 127.0.0.1, credentials "test"/"test"."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable("moto[server] (the test S3 endpoint)", exc)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(SmtpHandler(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
async def inbox(smtp_server: tuple[int, Inbox]) -> Inbox:
    _, box = smtp_server
    box.messages.clear()
    box.bind(asyncio.get_running_loop())
    return box


@pytest.fixture
def settings(
    database_url: str, redis_url: str, smtp_server: tuple[int, Inbox], tmp_path: Any
) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        object_store=str(tmp_path / "objects"),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[0],
        port=(port := free_port()),
        public_url=f"http://127.0.0.1:{port}",
        web_dist=str(tmp_path / "no-web"),
        login_attempts_per_15min=5,
        stt_model="",  # transcription tests turn it on (loading a model costs a second)
        kafka_session_timeout_ms=2000,  # consumer groups (re)balance within a second
    )


@pytest.fixture
async def server(settings: Settings, kafka: str, inbox: Inbox) -> AsyncIterator[str]:
    """The API with its workers, served over real HTTP on 127.0.0.1 for one test."""
    app = build_app(settings, kafka=kafka)
    async with serve(app, settings.port) as url:
        yield url


@pytest.fixture
def client_factory(server: str, inbox: Inbox) -> Callable[[], ApiClient]:
    """Each client has its own cookie jar, as separate browsers would."""
    return lambda: ApiClient(httpx.AsyncClient(base_url=server, timeout=30), inbox)


@pytest.fixture
def api(client_factory: Callable[[], ApiClient]) -> ApiClient:
    return client_factory()
