"""WHIP ingest end to end with a real WebRTC client (aiortc) on loopback: recording, audio tap,
disconnects, bad media, time limits."""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from fairview.settings import Settings
from ingest.audio_tap import SAMPLE_RATE
from ingest.client import WhipError, publish, speak, wait_until_ended
from streaming.bus import AUDIO, KafkaBus
from tests.api_client import ApiClient
from tests.candidates import AUDIO_QUESTION, CandidateClient, consented_candidate
from tests.services import REDIS_URL  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_TEXT, SPEECH_WAV, decode_audio, transcribe, wav_seconds, wer


async def wait_answer(
    c: CandidateClient, answer_id: str, done: Any, timeout_s: float = 20
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        state = (await c.get(f"/answers/{answer_id}")).json()
        if done(state):
            return state
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"answer stayed {state}")
        await asyncio.sleep(0.1)


def media_info(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as src:
        info: dict[str, Any] = {"streams": {s.type: s.codec_context.name for s in src.streams}}
        video = src.streams.video[0] if src.streams.video else None
        if video is not None:
            info["size"] = (video.codec_context.width, video.codec_context.height)
    return info


@pytest.fixture
async def candidate(api: ApiClient, server: str) -> tuple[CandidateClient, dict[str, Any]]:
    interview, c = await consented_candidate(api, server)
    return c, interview


async def test_video_answer_is_recorded_tapped_and_transcribable(
    candidate: tuple[CandidateClient, dict[str, Any]], settings: Settings, kafka: str, db: Any
) -> None:
    c, interview = candidate
    video_q = interview["questions"][0]
    attempt = await c.attempt(video_q["id"])
    assert attempt["time_limit_seconds"] == 60 and attempt["attempts_left"] == 1

    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http, attempt["whip_url"], attempt["whip_token"], audio_file=str(SPEECH_WAV), video=True
        )
        state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recording")
        await wait_until_ended(session, timeout_s=30)
        stopped = await session.stop(http)
    assert stopped.status_code == 200, stopped.text
    segment = stopped.json()["segment"]
    assert segment["ended_by"] == "stopped" and segment["video_frames"] > 50

    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    recording = Path(settings.object_store) / segment["key"]
    info = media_info(recording)
    assert info["streams"] == {"audio": "opus", "video": "vp8"}
    assert info["size"] == (640, 480)
    samples = decode_audio(recording.read_bytes())
    assert abs(len(samples) / 16_000 - wav_seconds()) <= 1.0
    assert abs(state["duration_ms"] / 1000 - wav_seconds()) <= 1.0
    text = transcribe(samples)
    assert wer(SPEECH_TEXT, text) <= 0.15, text

    # The audio tap published ~0.5 s chunks, in order, for the live transcript.
    bus = KafkaBus(kafka, session_timeout_ms=2000)
    chunks: list[dict[str, Any]] = []

    async def collect() -> None:
        async for msg in bus.consume([AUDIO], group=f"t-{uuid.uuid4().hex}"):
            if msg.key == attempt["answer_id"]:
                chunks.append(msg.value)
                if msg.value["final"]:
                    return

    await asyncio.wait_for(collect(), 20)
    assert [m["seq"] for m in chunks] == list(range(len(chunks)))
    tapped = b"".join(base64.b64decode(m["pcm_s16le"]) for m in chunks)
    assert chunks[0]["sample_rate"] == SAMPLE_RATE
    assert abs(len(tapped) / 2 / SAMPLE_RATE - wav_seconds()) <= 1.0

    # A playback file and a poster follow shortly.
    await wait_answer(c, attempt["answer_id"], lambda s: s["playback_ready"], 60)
    row = await db.fetchrow(
        "SELECT playback_key, poster_key FROM answers WHERE id = $1",
        uuid.UUID(attempt["answer_id"]),
    )
    playback = Path(settings.object_store) / row["playback_key"]
    assert media_info(playback)["streams"] == {"audio": "aac", "video": "h264"}
    assert (Path(settings.object_store) / row["poster_key"]).read_bytes()[:2] == b"\xff\xd8"


async def test_dropped_connection_keeps_what_arrived_and_can_continue(
    api: ApiClient, server: str, settings: Settings
) -> None:
    _, c = await consented_candidate(api, server, AUDIO_QUESTION)
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        key = Path(settings.object_store) / "answers" / attempt["answer_id"]

        def recorded_bytes() -> int:
            part = key / "segment-1.webm.part"
            return part.stat().st_size if part.exists() else 0

        deadline = asyncio.get_running_loop().time() + 15
        while recorded_bytes() < 8_000:  # ~2 s of Opus durable in the store
            assert asyncio.get_running_loop().time() < deadline, "nothing was recorded"
            await asyncio.sleep(0.05)
        await session.pc.close()  # the network path dies: no DELETE ever arrives
        state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "interrupted")
        assert state["duration_ms"] > 1000
        assert "connection dropped" in state["failure_reason"]
        first = (key / "segment-1.webm").read_bytes()
        assert len(decode_audio(first)) / 16_000 >= 1.0

        # The candidate reconnects: a new WHIP session continues the same answer.
        resumed = await speak(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        assert resumed.status_code == 200
    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    assert state["duration_ms"] >= 1000 + (wav_seconds() - 1) * 1000
    assert (key / "segment-1.webm").exists() and (key / "segment-2.webm").exists()


async def test_bad_offers_and_tokens_are_refused_clearly(
    candidate: tuple[CandidateClient, dict[str, Any]],
) -> None:
    c, interview = candidate
    attempt = await c.attempt(interview["questions"][0]["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(
            attempt["whip_url"],
            content="v=0\r\n",
            headers={"Authorization": "Bearer forged", "Content-Type": "application/sdp"},
        )
        assert (r.status_code, r.json()["error"]) == (401, "invalid_token")
        r = await http.post(
            attempt["whip_url"],
            content="v=0\r\n",
            headers={
                "Authorization": f"Bearer {attempt['whip_token']}",
                "Content-Type": "text/plain",
            },
        )
        assert r.status_code == 415
        other = attempt["whip_url"].rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
        with pytest.raises(WhipError) as wrong_answer:
            await publish(
                http, other, attempt["whip_token"], audio_file=str(SPEECH_WAV), video=True
            )
        assert wrong_answer.value.status == 404
        # A video question offered without a camera: a clear error, the answer untouched.
        with pytest.raises(WhipError) as no_video:
            await publish(
                http,
                attempt["whip_url"],
                attempt["whip_token"],
                audio_file=str(SPEECH_WAV),
                video=False,
            )
        assert no_video.value.status == 400
        assert "no video track" in no_video.value.body["detail"]
    state = (await c.get(f"/answers/{attempt['answer_id']}")).json()
    assert state["status"] == "pending"


async def test_time_limit_is_enforced_by_the_server(api: ApiClient, server: str) -> None:
    quick = [
        {
            "prompt": "Ten seconds, go.",
            "kind": "audio",
            "think_seconds": 0,
            "answer_seconds": 10,
            "retakes": 0,
        }
    ]
    _, c = await consented_candidate(api, server, quick)
    question = (await c.session())["questions"][0]
    attempt = await c.attempt(question["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
            loop_audio=True,
        )
        state = await wait_answer(
            c, attempt["answer_id"], lambda s: s["status"] == "recorded", timeout_s=30
        )
        await session.pc.close()
    assert 10_000 <= state["duration_ms"] <= 13_500
    r = await c.post(f"/questions/{question['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (409, "no_retakes_left")
