"""Faults against `fairview run` as a real process on loopback, each bounded in time:

- stopped (SIGTERM) or killed (SIGKILL) while a recruiter watches live and a candidate streams:
  SIGTERM ends it within 10 s; either way its embedded broker goes with it, the next start is
  clean, and the answer ends with its media, never stuck in `recording`;
- its Kafka broker restarted mid-answer, losing every event it held: the answer is recorded,
  transcribed and evaluated once all the same (the sweeper re-drives what was lost);
- its Redis restarted: readiness names Redis while it is away, and sign-in, rate limits and the
  live view work again once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.client import publish, speak
from streaming.broker import EmbeddedBroker, port_open
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, consented_candidate
from tests.ingest.test_lifecycle import ONE_TRY
from tests.ingest.test_whip import wait_answer
from tests.product import Fairview, product_env
from tests.services import REDIS_URL, OutboxDir, free_port, unavailable
from tests.speech import SPEECH_TEXT, SPEECH_WAV, wer


async def wait_for(what: str, check: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := await check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        await asyncio.sleep(0.1)
    return value


@contextlib.asynccontextmanager
async def watching(api: ApiClient, interview_id: str) -> AsyncIterator[asyncio.Task[None]]:
    """A recruiter's open live view (an SSE stream), once the server said it is ready."""
    ready = asyncio.Event()

    async def watch() -> None:
        async with api.http.stream(
            "GET", f"/api/v1/interviews/{interview_id}/live", timeout=None
        ) as response:
            assert response.status_code == 200, await response.aread()
            async for line in response.aiter_lines():
                if line == "event: ready":
                    ready.set()

    task = asyncio.create_task(watch())
    try:
        await asyncio.wait_for(ready.wait(), 15)
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await task


async def streaming_answer(
    c: CandidateClient, db: Any, http: httpx.AsyncClient, seconds_noted: float = 2.0
) -> tuple[str, Any]:
    """A candidate streams an answer (audio looping, no end) until the ingest has noted
    ``seconds_noted`` of it as durable; returns (answer id, WHIP session)."""
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    session = await publish(
        http,
        attempt["whip_url"],
        attempt["whip_token"],
        audio_file=str(SPEECH_WAV),
        video=False,
        loop_audio=True,
    )

    async def noted() -> bool:
        ms = await db.fetchval(
            "SELECT (open_segment ->> 'duration_ms')::int FROM answers WHERE id = $1",
            uuid.UUID(attempt["answer_id"]),
        )
        return (ms or 0) >= seconds_noted * 1000

    await wait_for("the recording's progress noted", noted, 20)
    return attempt["answer_id"], session


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_fairview_run_stops_in_any_state_and_starts_again_cleanly(
    database_url: str, redis_url: str, tmp_path: Path, db: Any, sig: signal.Signals
) -> None:
    kafka_port = free_port()  # the embedded broker, owned by the product
    env = product_env(
        database_url, REDIS_URL, tmp_path, FAIRVIEW_KAFKA="", FAIRVIEW_KAFKA_PORT=str(kafka_port)
    )
    product = Fairview(env, tmp_path / "fairview.log")
    await product.start()
    try:
        api = ApiClient(
            httpx.AsyncClient(base_url=product.url, timeout=30), OutboxDir(tmp_path / "outbox")
        )
        interview, c = await consented_candidate(api, product.url, ONE_TRY)
        async with httpx.AsyncClient(timeout=30) as http, watching(api, interview["id"]):
            answer_id, session = await streaming_answer(c, db, http)
            assert product.proc is not None
            started = time.monotonic()
            os.killpg(product.proc.pid, sig)
            await asyncio.wait_for(product.proc.wait(), 10)
            stopped_in = time.monotonic() - started
            await session.pc.close()
        assert stopped_in < 10
        # The broker went with its owner (SIGKILL included): nothing holds its port.
        await wait_for("the broker's port freed", lambda: _closed(kafka_port), 5)
        await product.start()  # as `make run` again: no "port already in use"
        state = await wait_answer(
            c, answer_id, lambda s: s["status"] not in ("recording",), timeout_s=40
        )
        assert state["status"] in ("interrupted", "recorded"), state
        kept = tmp_path / "objects" / "answers" / answer_id / "segment-1.webm"
        assert kept.stat().st_size > 8_000  # seconds of speech, finalised
        assert not kept.with_suffix(".webm.part").exists()
        if state["status"] == "interrupted":  # the candidate goes on with the same answer
            resumed = (await c.post(f"/answers/{answer_id}/resume")).json()
            async with httpx.AsyncClient(timeout=30) as http:
                r = await speak(
                    http,
                    resumed["whip_url"],
                    resumed["whip_token"],
                    audio_file=str(SPEECH_WAV),
                    video=False,
                )
            assert r.status_code == 200, r.text
        await wait_answer(c, answer_id, lambda s: s["status"] == "recorded")
        assert (await c.post("/finish")).status_code == 204
    finally:
        await product.stop()


async def _closed(port: int) -> bool:
    return not port_open(port)


async def test_a_broker_restarted_mid_answer_loses_no_work(
    database_url: str, redis_url: str, tmp_path: Path, db: Any
) -> None:
    broker = EmbeddedBroker(free_port())  # memory only: a restart loses every event it held
    try:
        await broker.start()
    except (OSError, RuntimeError) as exc:
        unavailable("the Kafka-protocol broker (tansu)", exc)
    env = product_env(
        database_url,
        REDIS_URL,
        tmp_path,
        FAIRVIEW_KAFKA=broker.bootstrap,
        FAIRVIEW_STT_MODEL="tiny.en",
        FAIRVIEW_MODEL_CACHE_DIR=str(tmp_path / "models"),
        FAIRVIEW_SWEEP_AFTER_S="3",
    )
    product = Fairview(env, tmp_path / "fairview.log")
    await product.start()
    try:
        api = ApiClient(
            httpx.AsyncClient(base_url=product.url, timeout=30), OutboxDir(tmp_path / "outbox")
        )
        _, c = await consented_candidate(api, product.url, ONE_TRY)
        attempt = await c.attempt((await c.session())["questions"][0]["id"])
        answer = uuid.UUID(attempt["answer_id"])
        async with httpx.AsyncClient(timeout=60) as http:
            answering = asyncio.create_task(
                speak(
                    http,
                    attempt["whip_url"],
                    attempt["whip_token"],
                    audio_file=str(SPEECH_WAV),
                    video=False,
                )
            )
            part = tmp_path / "objects" / "answers" / attempt["answer_id"] / "segment-1.webm.part"
            await wait_for("speech recorded", lambda: _at_least(part, 8_000, answering), 20)
            await asyncio.to_thread(broker.stop)  # (blocking: the client streams meanwhile)
            await broker.start()  # the same address, empty
            r = await answering
        assert r.status_code == 200, r.text
        await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
        assert (await c.post("/finish")).status_code == 204

        async def done() -> bool:
            status = await db.fetchrow(
                "SELECT t.status AS transcript, e.status AS evaluation FROM answers a"
                " LEFT JOIN transcripts t ON t.answer_id = a.id"
                " LEFT JOIN evaluations e ON e.answer_id = a.id WHERE a.id = $1",
                answer,
            )
            return tuple(status) == ("ready", "ready")

        await wait_for("transcribed and evaluated", done, 240)
        text = await db.fetchval("SELECT text FROM transcripts WHERE answer_id = $1", answer)
        assert wer(SPEECH_TEXT, text) <= 0.3, text
        runs = await db.fetch(
            "SELECT kind, count(*) AS n FROM ai_runs WHERE answer_id = $1 GROUP BY kind"
            " ORDER BY kind",
            answer,
        )
        assert [(r["kind"], r["n"]) for r in runs] == [("evaluation", 1), ("transcription", 1)]
        assert product.proc is not None and product.proc.returncode is None
    finally:
        await product.stop()
        broker.stop()


async def _at_least(path: Path, size: int, answering: asyncio.Task[Any]) -> bool:
    if answering.done():
        answering.result()  # a failure says why
        raise AssertionError("the answer ended before the broker was restarted")
    return path.exists() and path.stat().st_size >= size


class RedisServer:
    """Debian's redis-server on a loopback port, without persistence: a restart empties it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            assert self.proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


async def test_redis_restarted_under_a_running_product(
    database_url: str, kafka: str, tmp_path: Path, db: Any
) -> None:
    try:
        subprocess.run(["redis-server", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        unavailable("redis-server", exc)
    redis = RedisServer(free_port())
    env = product_env(
        database_url, f"redis://127.0.0.1:{redis.port}/0", tmp_path, FAIRVIEW_KAFKA=kafka
    )
    product = Fairview(env, tmp_path / "fairview.log")
    redis.start()
    try:
        await product.start()
        api = ApiClient(
            httpx.AsyncClient(base_url=product.url, timeout=30), OutboxDir(tmp_path / "outbox")
        )
        interview, _ = await consented_candidate(api, product.url, ONE_TRY)
        redis.kill()

        probe = httpx.AsyncClient(base_url=product.url, timeout=30)  # a balancer: no cookie

        async def names_redis() -> bool:
            r = await probe.get("/readyz")
            return r.status_code == 503 and r.json()["checks"]["redis"]["ok"] is False

        await wait_for("readiness names Redis", names_redis, 15)
        # Sessions live in Redis: a signed-in request is told to come back, not a server error.
        r = await api.get("/api/v1/auth/me")
        assert (r.status_code, r.json()["error"], r.headers["retry-after"]) == (
            503,
            "unavailable",
            "5",
        ), r.text
        redis.start()
        await wait_for("ready again", lambda: _ready(probe), 30)
        other = ApiClient(httpx.AsyncClient(base_url=product.url, timeout=30))
        r = await other.log_in("ada@example.com")
        assert r.status_code in (200, 201), r.text  # the rate limiter counts again
        # This Redis keeps nothing across a restart, so sessions went with it (docs/deploy.md:
        # persistence); signing in again and watching live work.
        assert (await api.get("/api/v1/auth/me")).status_code == 401
        async with watching(other, interview["id"]) as watcher:
            assert not watcher.done()
        assert product.proc is not None and product.proc.returncode is None
    finally:
        await product.stop()
        redis.kill()


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/readyz")).status_code == 200
