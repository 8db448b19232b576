"""Faults under a real WHIP session (aiortc on loopback, the product in process): the object
store refusing writes mid-answer, and the database connection killed at the segment's end."""

from __future__ import annotations

import asyncio
import json
import resource
import uuid
from pathlib import Path
from typing import Any

import httpx

from fairview.settings import Settings
from ingest.client import publish, speak
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_lifecycle import ONE_TRY
from tests.ingest.test_whip import wait_answer
from tests.services import REDIS_URL  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_WAV, decode_audio

FILE_LIMIT = 24_000  # bytes: about six seconds of the answer's Opus


async def grown(path: Path, size: int, timeout_s: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not path.exists() or path.stat().st_size < size:
        assert asyncio.get_running_loop().time() < deadline, f"{path} did not reach {size} bytes"
        await asyncio.sleep(0.05)


async def test_a_storage_write_failure_mid_answer_fails_the_segment_and_keeps_its_bytes(
    api: ApiClient, server: str, settings: Settings
) -> None:
    _, c = await consented_candidate(api, server, ONE_TRY)
    question = (await c.session())["questions"][0]
    attempt = await c.attempt(question["id"])
    media = Path(settings.object_store) / "answers" / attempt["answer_id"]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        await grown(media / "segment-1.webm.part", 4_000)
        # The disk fills up: no file of this process may grow beyond FILE_LIMIT (EFBIG).
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
        try:
            state = await wait_answer(
                c, attempt["answer_id"], lambda s: s["status"] != "recording", timeout_s=30
            )
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        # The session ended by itself; its DELETE finds nothing left to stop.
        assert (await session.stop(http)).status_code == 404
        assert state["status"] == "failed"
        assert "could not be stored" in state["failure_reason"]
        assert "kept" in state["failure_reason"]
        # What was written before the failure is kept, finalised, and plays.
        kept = media / "segment-1.webm"
        assert not list(media.glob("*.part"))
        assert 4_000 <= kept.stat().st_size <= FILE_LIMIT
        assert len(decode_audio(kept.read_bytes())) / 16_000 >= 0.5
        # A technical failure costs no attempt: the candidate answers again, and it records.
        s = await c.session()
        assert s["questions"][0]["attempts_used"] == 0
        retake = await c.attempt(question["id"])
        r = await speak(
            http, retake["whip_url"], retake["whip_token"], audio_file=str(SPEECH_WAV), video=False
        )
        assert r.status_code == 200, r.text
    await wait_answer(c, retake["answer_id"], lambda s: s["status"] == "recorded")


async def test_a_database_connection_killed_at_the_segment_end_still_records_it(
    api: ApiClient, server: str, db: Any, settings: Settings
) -> None:
    _, c = await consented_candidate(api, server, ONE_TRY)
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    answer_id = uuid.UUID(attempt["answer_id"])
    async with httpx.AsyncClient(timeout=60) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        part = Path(settings.object_store) / "answers" / str(answer_id) / "segment-1.webm.part"
        await grown(part, 4_000)  # about a second of speech is stored
        # Hold the answer's row, so the ingest's end-of-segment transaction waits on it...
        lock = db.transaction()
        await lock.start()
        await db.execute("SELECT 1 FROM answers WHERE id = $1 FOR UPDATE", answer_id)
        stop = asyncio.create_task(session.stop(http))
        blocked = None
        deadline = asyncio.get_running_loop().time() + 20
        while blocked is None:
            assert asyncio.get_running_loop().time() < deadline, "the segment end never came"
            blocked = await db.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            await asyncio.sleep(0.05)
        # ...and kill its connection right there, in the middle of recording the segment.
        assert await db.fetchval("SELECT pg_terminate_backend($1)", blocked)
        await lock.rollback()
        stopped = await stop
    assert stopped.status_code == 200, stopped.text
    # DELETE answered only once the segment was recorded: it is there at once.
    row = await db.fetchrow("SELECT status, segments FROM answers WHERE id = $1", answer_id)
    assert row["status"] == "recorded"
    assert [s["key"] for s in json.loads(row["segments"])] == [stopped.json()["segment"]["key"]]
