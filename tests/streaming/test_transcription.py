"""After an answer is recorded, the transcription worker makes the transcript of record; the
hiring team reviews it beside the playback video."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import Settings
from ingest.client import speak
from tests.api_client import ApiClient
from tests.candidates import AUDIO_QUESTION, consented_candidate
from tests.speech import SPEECH_TEXT, SPEECH_WAV, wav_seconds, wer


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, stt_model="tiny.en", model_cache_dir=str(tmp_path / "models"))


async def answer_with_speech(api: ApiClient, server: str, ai: bool) -> tuple[str, str]:
    interview, c = await consented_candidate(api, server, AUDIO_QUESTION, ai=ai)
    attempt = await c.attempt(interview["questions"][0]["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        stopped = await speak(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        assert stopped.status_code == 200
    candidates = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()
    return candidates["items"][0]["id"], attempt["answer_id"]


async def review_when(
    api: ApiClient, candidate_id: str, done: Any, timeout_s: float = 60
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        review = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
        if done(review["questions"][0]["answer"]):
            return review
        assert asyncio.get_running_loop().time() < deadline, review
        await asyncio.sleep(0.2)


async def test_recorded_answer_gets_a_timed_transcript(
    api: ApiClient, server: str, db: Any
) -> None:
    await api.sign_up()
    candidate_id, _answer_id = await answer_with_speech(api, server, ai=True)
    review = await review_when(
        api,
        candidate_id,
        lambda a: (
            a and a["transcript"] and a["transcript"]["status"] == "ready" and a["playback_url"]
        ),
    )
    answer = review["questions"][0]["answer"]
    transcript = answer["transcript"]
    assert transcript["language"] == "en"
    assert wer(SPEECH_TEXT, transcript["text"]) <= 0.10, transcript["text"]
    words = [w for s in transcript["segments"] for w in s["words"]]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in words)
    assert words[-1]["end"] <= answer["duration_ms"] / 1000 + 0.5
    assert abs(answer["duration_ms"] / 1000 - wav_seconds()) <= 1.0
    run = await db.fetchrow(
        "SELECT kind, provider, model, input_hash, latency_ms FROM ai_runs"
        " WHERE kind = 'transcription'"
    )
    assert (run["kind"], run["provider"], run["model"]) == (
        "transcription",
        "faster-whisper",
        "tiny.en",
    )
    assert len(run["input_hash"]) == 64 and run["latency_ms"] > 0

    # The playback file streams with ranges, so the player can seek to a word.
    r = await api.get(answer["playback_url"], headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
    total = int(r.headers["content-range"].rsplit("/", 1)[1])
    full = await api.get(answer["playback_url"])
    assert len(full.content) == total and full.content[:100] == r.content
    r = await api.get(answer["playback_url"], headers={"Range": f"bytes={total + 5}-"})
    assert r.status_code == 416


async def test_no_ai_for_a_candidate_who_declined(api: ApiClient, server: str, db: Any) -> None:
    await api.sign_up()
    candidate_id, _ = await answer_with_speech(api, server, ai=False)
    review = await review_when(api, candidate_id, lambda a: a and a["transcript"])
    transcript = review["questions"][0]["answer"]["transcript"]
    assert transcript["status"] == "skipped" and "did not consent" in transcript["reason"]
    assert transcript["text"] == ""
    assert await db.fetchval("SELECT count(*) FROM ai_runs") == 0


async def test_redelivered_events_do_not_transcribe_twice(
    api: ApiClient, server: str, db: Any, settings: Settings, kafka: str
) -> None:
    await api.sign_up()
    candidate_id, answer_id = await answer_with_speech(api, server, ai=True)
    await review_when(
        api, candidate_id, lambda a: a and a["transcript"] and a["transcript"]["status"] == "ready"
    )
    from analysis.models import resolve
    from analysis.stt import SpeechToText
    from storage.db import Database
    from storage.objects import LocalObjectStore
    from streaming.bus import KafkaBus
    from streaming.transcription import Transcriber

    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    bus = KafkaBus(kafka)
    await bus.start()
    try:
        stt = SpeechToText(str(resolve("tiny.en", Path(settings.model_cache_dir))))
        worker = Transcriber(database, LocalObjectStore(settings.object_store), bus, stt, "tiny.en")
        assert await worker.handle(uuid.UUID(answer_id)) == "duplicate"
        assert await worker.handle(uuid.uuid4()) == "unknown_answer"
    finally:
        await bus.stop()
        await database.close()
    assert await db.fetchval("SELECT count(*) FROM ai_runs WHERE kind = 'transcription'") == 1


async def test_a_worker_killed_mid_transcription_loses_nothing(
    api: ApiClient, server: str, db: Any, settings: Settings, kafka: str
) -> None:
    """The worker dies while transcribing (its event is never committed, so Kafka delivers it
    again); the next worker makes the whole transcript, once."""
    await api.sign_up()
    candidate_id, answer_id = await answer_with_speech(api, server, ai=True)
    await review_when(
        api, candidate_id, lambda a: a and a["transcript"] and a["transcript"]["status"] == "ready"
    )
    from analysis.models import resolve
    from analysis.stt import SpeechToText
    from storage.db import Database
    from storage.objects import LocalObjectStore
    from streaming.bus import KafkaBus
    from streaming.transcription import Transcriber

    # Start over as if the first worker had died mid-job: the transcript is half-made.
    await db.execute("UPDATE transcripts SET status = 'processing', text = '', segments = '[]'")
    await db.execute("DELETE FROM ai_runs")
    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    bus = KafkaBus(kafka)
    await bus.start()
    try:
        stt = SpeechToText(str(resolve("tiny.en", Path(settings.model_cache_dir))))
        worker = Transcriber(database, LocalObjectStore(settings.object_store), bus, stt, "tiny.en")
        killed = asyncio.create_task(worker.handle(uuid.UUID(answer_id)))
        await asyncio.sleep(0.05)
        killed.cancel()  # the process dies mid-transcription
        with pytest.raises(asyncio.CancelledError):
            await killed
        assert await worker.handle(uuid.UUID(answer_id)) == "ready"  # the redelivery
    finally:
        await bus.stop()
        await database.close()
    row = await db.fetchrow("SELECT status, text FROM transcripts")
    assert row["status"] == "ready" and wer(SPEECH_TEXT, row["text"]) <= 0.10
    words = row["text"].lower().split()
    assert not any(a == b for a, b in itertools.pairwise(words))  # no doubled words
    assert await db.fetchval("SELECT count(*) FROM ai_runs WHERE kind = 'transcription'") == 1
