"""An ingest killed mid-answer (SIGKILL, no clean-up of any kind) and started again: what reached
the object store is kept as a segment, the answer becomes interrupted, and the candidate
continues it. Runs `fairview run` as a real process, with the local store and with S3 (where
the bytes not yet in a 5 MiB part survive as checkpoints)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.client import publish, speak
from storage.objects import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_lifecycle import ONE_TRY
from tests.ingest.test_whip import wait_answer
from tests.product import Fairview, product_env
from tests.services import REDIS_URL, OutboxDir
from tests.speech import SPEECH_WAV, decode_audio, wav_seconds


class Media:
    """Where the product under test keeps media, and how much of a recording it holds so far."""

    def __init__(self, kind: str, tmp_path: Path, s3_endpoint: str | None) -> None:
        self.kind, self.root = kind, tmp_path / "objects"
        self.env: dict[str, str] = {}
        self.store: ObjectStore = LocalObjectStore(self.root)
        if s3_endpoint is not None:
            bucket = f"crash-{uuid.uuid4().hex[:12]}"
            self.store = S3ObjectStore(bucket, "media", s3_endpoint, "us-east-1", "test", "test")
            self.env = {
                "FAIRVIEW_OBJECT_STORE": f"s3://{bucket}/media",
                "FAIRVIEW_S3_ENDPOINT_URL": s3_endpoint,
                "FAIRVIEW_S3_ACCESS_KEY_ID": "test",
                "FAIRVIEW_S3_SECRET_ACCESS_KEY": "test",
            }

    async def create(self) -> None:
        if isinstance(self.store, S3ObjectStore):
            async with self.store.client() as s3:
                await s3.create_bucket(Bucket=self.store.bucket)

    async def in_progress(self, key: str) -> int:
        """Bytes of an unfinished recording that a crash cannot take away."""
        if isinstance(self.store, S3ObjectStore):
            async with self.store.client() as s3:
                listed = await s3.list_objects_v2(
                    Bucket=self.store.bucket, Prefix=f"media/{key}.tail/"
                )
            return sum(o["Size"] for o in listed.get("Contents", []))
        part = self.root / f"{key}.part"
        return part.stat().st_size if part.exists() else 0


@pytest.fixture(params=["local", "s3"])
async def media(request: Any, tmp_path: Path) -> Media:
    endpoint = request.getfixturevalue("s3_endpoint") if request.param == "s3" else None
    media = Media(request.param, tmp_path, endpoint)
    await media.create()
    return media


@pytest.fixture
async def fairview(
    database_url: str, redis_url: str, kafka: str, tmp_path: Path, media: Media
) -> AsyncIterator[Fairview]:
    # Kafka runs apart (as in production), so killing the product leaves it up for the restart.
    env = product_env(database_url, REDIS_URL, tmp_path, FAIRVIEW_KAFKA=kafka, **media.env)
    product = Fairview(env, tmp_path / "fairview.log")
    await product.start()
    try:
        yield product
    finally:
        await product.stop()


async def test_an_ingest_killed_mid_answer_keeps_the_media_and_the_answer_resumes(
    fairview: Fairview, media: Media, tmp_path: Path, db: Any
) -> None:
    api = ApiClient(
        httpx.AsyncClient(base_url=fairview.url, timeout=30), OutboxDir(tmp_path / "outbox")
    )
    _, c = await consented_candidate(api, fairview.url, ONE_TRY)
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    key = f"answers/{attempt['answer_id']}/segment-1.webm"
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        deadline = asyncio.get_running_loop().time() + 20
        # ~3 s of speech stored (S3 keeps it in 2 s checkpoints, so wait for more than that).
        while await media.in_progress(key) < 30_000:
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
        stored = await media.in_progress(key)
        await fairview.start()
        # The restarted ingest notices the recording lost its process and reconciles it.
        state: dict[str, Any] = await wait_answer(
            c, attempt["answer_id"], lambda s: s["status"] != "recording", timeout_s=40
        )
        assert state["status"] == "interrupted", state
        assert "stopped unexpectedly" in state["failure_reason"]
        kept = await media.store.get(key)
        assert await media.in_progress(key) == 0 and len(kept) == stored
        assert len(decode_audio(kept)) / 16_000 >= 1.5
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
    assert await media.store.size(f"answers/{attempt['answer_id']}/segment-2.webm") > 0
    assert (await c.post("/finish")).status_code == 204
