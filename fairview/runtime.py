"""Process wiring: build the shared services from settings and run the API and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import structlog
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar import Litestar
from litestar.serialization import encode_json
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
from api.privacy.jobs import run_erasures
from api.sse import Hub
from api.webhooks import delivery as webhooks
from fairview.settings import Settings
from ingest import passthrough
from ingest.media_jobs import PlaybackJobs
from ingest.routes import WhipController
from ingest.service import Ingest
from storage.db import Database
from storage.objects import object_store_from_url
from streaming.broker import EmbeddedBroker
from streaming.bus import KafkaBus
from streaming.evaluation import Evaluator
from streaming.live import LiveTranscriber, decode_slots
from streaming.metering import Metering
from streaming.outbox import run_relay
from streaming.supervisor import Loop, Supervisor
from streaming.sweeper import Sweeper
from streaming.transcription import Transcriber

log = structlog.get_logger("fairview")


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


# A connection of the pool that Redis closed (a restart) fails its next command unless that
# command is retried on a fresh connection: redis-py retries only the errors named here.
REDIS_RETRY_ON = [RedisConnectionError, RedisTimeoutError]


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, retry_on_error=REDIS_RETRY_ON)


@asynccontextmanager
async def open_services(settings: Settings, kafka: str) -> AsyncIterator[Services]:
    db = Database(settings.database_url, settings.database_role)
    redis = redis_client(settings.redis_url)
    bus = KafkaBus(
        kafka,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
    )
    await db.connect()
    svc: Services | None = None
    try:
        await bus.start()
        await bus.ensure_topics(settings.topic_partitions)
        try:
            limiter = MovingWindowRateLimiter(
                RedisStorage(
                    "async+" + settings.redis_url,
                    implementation="redispy",
                    retry_on_error=REDIS_RETRY_ON,  # type: ignore[arg-type]  # to redis-py
                )
            )
            svc = Services(
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
                llm_evaluator=bool(settings.llm_base_url),
                erase_immediately=settings.privacy_erase_immediately,
                billing=Billing(
                    enabled=settings.billing == "on",
                    plans=load_plans(settings.plans_file or None),
                    stripe_secret_key=settings.stripe_secret_key,
                    stripe_webhook_secret=settings.stripe_webhook_secret,
                    stripe_api_base=settings.stripe_api_base,
                ),
                login_attempts_per_15min=settings.login_attempts_per_15min,
                public_joins_per_15min=settings.public_joins_per_15min,
                deadline_grace=timedelta(minutes=settings.deadline_grace_minutes),
                signups_per_hour=settings.signups_per_hour,
                api_requests_per_minute=settings.api_requests_per_minute,
                webhooks_allow_private=settings.webhooks_allow_private,
                metrics_token=settings.metrics_token,
                hub=Hub(redis, settings.sse_streams_per_user),
            )
            yield svc
        finally:
            await bus.stop()
    finally:
        if svc is not None:
            await svc.streams.close()
        await redis.aclose()
        await db.close()


def speech_to_text(settings: Settings) -> Transcribes:
    """The speech-to-text engine (loads the model: call it once per process)."""
    if settings.stt_base_url:
        return RemoteSpeechToText(settings.stt_base_url, settings.stt_model, settings.stt_api_key)
    model_dir = resolve_model(settings.stt_model, Path(settings.model_cache_dir))
    # One copy of the model: the final pass and the live decode slots run on it in parallel.
    return SpeechToText(str(model_dir), cpu_threads=1, workers=decode_slots() + 1)


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


def background_loops(settings: Settings, svc: Services) -> dict[str, Loop]:
    """Every background loop of a worker process, by name (the supervisor runs them)."""
    loading: asyncio.Future[Transcribes] | None = None

    async def stt() -> Transcribes:  # one model per process, shared by the final and live pass
        nonlocal loading
        if loading is None or (
            loading.done() and (loading.cancelled() or loading.exception() is not None)
        ):
            loading = asyncio.ensure_future(asyncio.to_thread(speech_to_text, settings))  # again
        return await asyncio.shield(loading)

    async def run_transcriber() -> None:
        await Transcriber(svc.db, svc.objects, svc.bus, await stt(), settings.stt_model).run()

    engine = rubric_evaluator(settings)
    # Live coverage by the local evaluator costs next to nothing; an LLM call is rate-limited.
    coverage_interval_s = settings.llm_live_interval_s if settings.llm_base_url else 3

    async def run_live() -> None:
        live = LiveTranscriber(svc.db, svc.bus, svc.redis, await stt(), engine, coverage_interval_s)
        await live.run()

    transcription: dict[str, Loop] = (
        {"transcribe": run_transcriber, "transcribe-live": run_live} if settings.stt_model else {}
    )
    return {
        **transcription,
        "evaluate": Evaluator(svc.db, svc.bus, engine).run,
        "metering": Metering(svc.db, svc.bus).run,
        "webhooks": lambda: webhooks.run_fan_out(svc.db, svc.bus),
        "notifications": lambda: Feed(
            svc.db, svc.redis, settings.public_url, settings.secret_key
        ).run(svc.bus),
        "scheduler": lambda: run_scheduler(
            svc.db,
            settings.redis_url,
            settings.public_url,
            settings.schedule_cron,
            timedelta(minutes=settings.deadline_grace_minutes),
        ),
        "webhook-delivery": lambda: webhooks.run_delivery(
            svc.db, settings.webhooks_allow_private, settings.public_url
        ),
        "outbox-relay": lambda: run_relay(svc.db, svc.bus),
        "mailer": lambda: run_mailer(svc.db, smtp_config(settings)),
        "playback-jobs": PlaybackJobs(svc.db, svc.objects).run,
        "sweeper": Sweeper(svc.db, svc.bus, after_s=settings.sweep_after_s).run,
        "erasures": lambda: run_erasures(svc.db, svc.objects),
    }


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
    redis = redis_client(settings.redis_url)

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
                await ingest.start_up()
                app.state.ingest = ingest
                app.state.secret_key = settings.secret_key
                app.state.session_base_url = settings.ingest_self_url.rstrip("/")
                stack.push_async_callback(ingest.close)
            if "workers" in roles:
                app.state.supervisor = await stack.enter_async_context(
                    Supervisor(background_loops(settings, svc))
                )
            yield
        await redis.aclose()

    dist = Path(settings.web_dist)
    return create_app(
        AppConfig(
            secret_key=settings.secret_key,
            secure_cookies=settings.secure_cookies,
            trusted_proxies=tuple(str(n) for n in settings.trusted_proxy_networks),
            web_dist=dist if dist.exists() and "api" in roles else None,
        ),
        redis,
        lifespan,
        include_api="api" in roles,
        extra_handlers=[WhipController] if "ingest" in roles else [],
    )


def openapi_json(settings: Settings) -> str:
    """The API's OpenAPI schema (no services needed), stable for the generated web client."""
    app = build_app(settings, roles=frozenset({"api", "ingest"}))
    schema = json.loads(encode_json(app.openapi_schema.to_schema()))
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
