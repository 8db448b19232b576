"""Process wiring: build the shared services from settings and run the API and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar import Litestar
from litestar.serialization import encode_json
from redis.asyncio import Redis

from analysis.evaluation import LocalRubricEvaluator, RubricEvaluator
from analysis.llm_evaluation import LLMRubricEvaluator
from analysis.models import resolve as resolve_model
from analysis.remote_stt import RemoteSpeechToText
from analysis.stt import SpeechToText, Transcribes
from api.app import AppConfig, create_app
from api.billing.plans import load as load_plans
from api.billing.service import Billing
from api.context import Services
from api.notification.feed import Feed
from api.notification.mailer import SmtpConfig, run_mailer
from api.notification.scheduled import run_scheduler
from api.webhooks import delivery as webhooks
from fairview.settings import Settings
from ingest import passthrough
from ingest.routes import WhipController
from ingest.service import Ingest
from storage.db import Database
from storage.objects import object_store_from_url
from streaming.broker import EmbeddedBroker
from streaming.bus import KafkaBus
from streaming.evaluation import Evaluator
from streaming.live import LiveTranscriber
from streaming.metering import Metering
from streaming.outbox import run_relay
from streaming.transcription import Transcriber

log = structlog.get_logger("fairview")

Loop = Callable[[], Coroutine[Any, Any, None]]


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        tls=settings.smtp_tls,
        mail_from=settings.mail_from,
        outbox_dir=settings.mail_outbox_dir,
    )


@asynccontextmanager
async def open_services(settings: Settings, kafka: str) -> AsyncIterator[Services]:
    db = Database(settings.database_url, settings.database_role)
    redis = Redis.from_url(settings.redis_url)
    bus = KafkaBus(kafka, session_timeout_ms=settings.kafka_session_timeout_ms)
    await db.connect()
    try:
        await bus.start()
        await bus.ensure_topics(settings.topic_partitions)
        try:
            limiter = MovingWindowRateLimiter(
                RedisStorage("async+" + settings.redis_url, implementation="redispy")
            )
            yield Services(
                db=db,
                redis=redis,
                bus=bus,
                objects=object_store_from_url(
                    settings.object_store,
                    settings.s3_endpoint_url,
                    settings.s3_region,
                    settings.s3_access_key_id,
                    settings.s3_secret_access_key,
                ),
                limiter=limiter,
                public_url=settings.public_url,
                secret_key=settings.secret_key,
                ingest_url=settings.ingest_url,
                billing=Billing(
                    enabled=settings.billing == "on",
                    plans=load_plans(settings.plans_file or None),
                    stripe_secret_key=settings.stripe_secret_key,
                    stripe_webhook_secret=settings.stripe_webhook_secret,
                    stripe_api_base=settings.stripe_api_base,
                ),
                login_attempts_per_15min=settings.login_attempts_per_15min,
                api_requests_per_minute=settings.api_requests_per_minute,
                webhooks_allow_private=settings.webhooks_allow_private,
            )
        finally:
            await bus.stop()
    finally:
        await redis.aclose()
        await db.close()


def speech_to_text(settings: Settings) -> Transcribes:
    """The speech-to-text engine (loads the model: call it once per process)."""
    if settings.stt_base_url:
        return RemoteSpeechToText(settings.stt_base_url, settings.stt_model, settings.stt_api_key)
    model_dir = resolve_model(settings.stt_model, Path(settings.model_cache_dir))
    # Two workers: the final and the live pass decode in parallel on one copy of the model.
    return SpeechToText(str(model_dir), cpu_threads=1, workers=2)


def rubric_evaluator(settings: Settings) -> RubricEvaluator:
    """The LLM when an OpenAI-compatible endpoint is configured, else the local evaluator."""
    if not settings.llm_base_url:
        return LocalRubricEvaluator()
    return LLMRubricEvaluator(
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        schema_style=settings.llm_response_format,
    )


def background_loops(settings: Settings, svc: Services) -> list[Loop]:
    loading: asyncio.Future[Transcribes] | None = None

    async def stt() -> Transcribes:  # one model per process, shared by the final and live pass
        nonlocal loading
        if loading is None:
            loading = asyncio.ensure_future(asyncio.to_thread(speech_to_text, settings))
        return await loading

    async def run_transcriber() -> None:
        await Transcriber(svc.db, svc.objects, svc.bus, await stt(), settings.stt_model).run()

    engine = rubric_evaluator(settings)
    # Live coverage by the local evaluator costs next to nothing; an LLM call is rate-limited.
    coverage_interval_s = settings.llm_live_interval_s if settings.llm_base_url else 3

    async def run_live() -> None:
        live = LiveTranscriber(svc.db, svc.bus, svc.redis, await stt(), engine, coverage_interval_s)
        await live.run()

    loops: list[Loop] = [run_transcriber, run_live] if settings.stt_model else []
    return [
        *loops,
        Evaluator(svc.db, svc.bus, engine).run,
        Metering(svc.db, svc.bus).run,
        lambda: webhooks.run_fan_out(svc.db, svc.bus),
        lambda: Feed(svc.db, svc.redis, settings.public_url, settings.secret_key).run(svc.bus),
        lambda: run_scheduler(
            svc.db, settings.redis_url, settings.public_url, settings.schedule_cron
        ),
        lambda: webhooks.run_delivery(svc.db, settings.webhooks_allow_private, settings.public_url),
        lambda: run_relay(svc.db, svc.bus),
        lambda: run_mailer(svc.db, smtp_config(settings)),
    ]


def _log_failure(task: asyncio.Task[None]) -> None:
    """A background loop must never end silently."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("background_task_failed", task=task.get_name(), exc_info=exc)


@asynccontextmanager
async def running_tasks(loops: list[Loop]) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(loop(), name=getattr(loop, "__name__", "loop")) for loop in loops]
    for task in tasks:
        task.add_done_callback(_log_failure)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def kafka_bootstrap(settings: Settings) -> AsyncIterator[str]:
    """The configured Kafka, or the embedded broker started for this process."""
    if settings.kafka:
        yield settings.kafka
        return
    broker = EmbeddedBroker(settings.kafka_port)
    await broker.start()
    log.info("embedded_broker_started", bootstrap=broker.bootstrap)
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


ROLES = frozenset({"api", "ingest", "workers"})


def build_app(
    settings: Settings, *, roles: frozenset[str] = ROLES, kafka: str | None = None
) -> Litestar:
    """One process's app: the API, the WebRTC ingest and/or the background workers."""
    redis = Redis.from_url(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            bootstrap = (
                kafka if kafka else await stack.enter_async_context(kafka_bootstrap(settings))
            )
            svc = await stack.enter_async_context(open_services(settings, bootstrap))
            app.state.services = svc
            if "ingest" in roles:
                passthrough.install()
                ingest = Ingest(svc.db, svc.objects, svc.bus)
                app.state.ingest = ingest
                app.state.secret_key = settings.secret_key
                app.state.session_base_url = settings.ingest_self_url.rstrip("/")
                stack.push_async_callback(ingest.close)
            if "workers" in roles:
                await stack.enter_async_context(running_tasks(background_loops(settings, svc)))
            yield
        await redis.aclose()

    dist = Path(settings.web_dist)
    return create_app(
        AppConfig(
            secret_key=settings.secret_key,
            secure_cookies=settings.secure_cookies,
            web_dist=dist if dist.exists() and "api" in roles else None,
        ),
        redis,
        lifespan,
        include_api="api" in roles,
        extra_handlers=[WhipController] if "ingest" in roles else [],
    )


async def run_workers(settings: Settings) -> None:
    async with kafka_bootstrap(settings) as bootstrap, open_services(settings, bootstrap) as svc:
        log.info("worker_started")
        await asyncio.gather(*(loop() for loop in background_loops(settings, svc)))


def openapi_json(settings: Settings) -> str:
    """The API's OpenAPI schema (no services needed), stable for the generated web client."""
    app = build_app(settings, roles=frozenset({"api", "ingest"}))
    schema = json.loads(encode_json(app.openapi_schema.to_schema()))
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
