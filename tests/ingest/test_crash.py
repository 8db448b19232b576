"""An ingest killed mid-answer (SIGKILL, no clean-up of any kind) and started again: what reached
the object store is kept as a segment, the answer becomes interrupted, and the candidate
continues it. Runs `fairview run` as a real process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.client import publish, speak
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_lifecycle import ONE_TRY
from tests.ingest.test_whip import wait_answer
from tests.product import Fairview, product_env
from tests.services import REDIS_URL, OutboxDir
from tests.speech import SPEECH_WAV, decode_audio, wav_seconds


@pytest.fixture
async def fairview(
    database_url: str, redis_url: str, kafka: str, tmp_path: Path
) -> AsyncIterator[Fairview]:
    # Kafka runs apart (as in production), so killing the product leaves it up for the restart.
    env = product_env(database_url, REDIS_URL, tmp_path, FAIRVIEW_KAFKA=kafka)
    product = Fairview(env, tmp_path / "fairview.log")
    await product.start()
    try:
        yield product
    finally:
        await product.stop()


async def test_an_ingest_killed_mid_answer_keeps_the_media_and_the_answer_resumes(
    fairview: Fairview, tmp_path: Path, db: Any
) -> None:
    api = ApiClient(
        httpx.AsyncClient(base_url=fairview.url, timeout=30), OutboxDir(tmp_path / "outbox")
    )
    _, c = await consented_candidate(api, fairview.url, ONE_TRY)
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    media = tmp_path / "objects" / "answers" / attempt["answer_id"]
    part = media / "segment-1.webm.part"
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not part.exists() or part.stat().st_size < 12_000:  # ~3 s of speech stored
            assert asyncio.get_running_loop().time() < deadline, "nothing was recorded"
            await asyncio.sleep(0.05)
        # The keep-alive has noted the progress (what is durable); then everything is killed.
        while (
            await db.fetchval(
                "SELECT (open_segment ->> 'duration_ms')::int FROM answers WHERE id = $1",
                uuid.UUID(attempt["answer_id"]),
            )
            or 0
        ) < 2_000:
            assert asyncio.get_running_loop().time() < deadline, "no progress was noted"
            await asyncio.sleep(0.05)
        await fairview.kill()
        await session.pc.close()
        stored = part.stat().st_size
        await fairview.start()
        # The restarted ingest notices the recording lost its process and reconciles it.
        state: dict[str, Any] = await wait_answer(
            c, attempt["answer_id"], lambda s: s["status"] != "recording", timeout_s=40
        )
        assert state["status"] == "interrupted", state
        assert "stopped unexpectedly" in state["failure_reason"]
        kept = media / "segment-1.webm"
        assert not part.exists() and kept.stat().st_size == stored
        assert len(decode_audio(kept.read_bytes())) / 16_000 >= 1.5
        # The candidate continues the same answer from where it stopped.
        resumed = (await c.post(f"/answers/{attempt['answer_id']}/resume")).json()
        r = await speak(
            http,
            resumed["whip_url"],
            resumed["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        assert r.status_code == 200, r.text
    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    assert state["duration_ms"] >= (wav_seconds() + 1.5) * 1000
    assert (media / "segment-2.webm").exists()
    assert (await c.post("/finish")).status_code == 204
