"""Playback files are jobs in a child process: an answer whose camera starts a second after its
microphone is recorded and gets its playback file; a media process killed mid-job fails only
that attempt (the server never notices) and the job is retried; a job that fails every attempt
leaves the answer playable from its recording, and the review says why."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import av
import httpx

from fairview.settings import Settings
from ingest.client import publish, wait_until_ended
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_clients import LateCamera
from tests.ingest.test_whip import media_info, wait_answer
from tests.services import REDIS_URL  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_WAV

VIDEO_QUESTION = [
    {"prompt": "Introduce yourself.", "kind": "video", "think_seconds": 0, "answer_seconds": 60}
]


def media_children(answer_id: str) -> list[int]:
    """Our media processes working on this answer (their command line names its directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if (
            parent == os.getpid()
            and b"ingest.playback" in cmdline
            and any(answer_id.encode() in part for part in cmdline)
        ):
            found.append(int(entry.name))
    return found


async def kill_media_child(answer_id: str) -> None:
    async with asyncio.timeout(60):
        while not (pids := media_children(answer_id)):
            await asyncio.sleep(0.01)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


async def job(db: Any, answer_id: str) -> dict[str, Any]:
    row = await db.fetchrow(
        "SELECT playback_status, playback_attempts, playback_error, playback_key, segments"
        " FROM answers WHERE id = $1",
        uuid.UUID(answer_id),
    )
    return dict(row)


async def wait_job(db: Any, answer_id: str, done: Any, timeout_s: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while not done(state := await job(db, answer_id)):
            await asyncio.sleep(0.05)
    return state


async def record_late_camera_answer(
    api: ApiClient, server: str, before: Any = None
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    interview, c = await consented_candidate(api, server, VIDEO_QUESTION)
    attempt = await c.attempt((await c.session())["questions"][0]["id"])
    if before is not None:
        before(attempt["answer_id"])
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=True,
            camera=LateCamera(1.0),  # the camera starts a second after the microphone
        )
        await wait_until_ended(session, timeout_s=30)
        stopped = await session.stop(http)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["segment"]["video_frames"] > 50
    await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    return interview, attempt, c


def first_video_s(path: Path) -> float:
    with av.open(str(path)) as src:
        first = next(src.decode(video=0))
        return float(first.time or 0)


async def healthy(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_late_camera_answer_gets_playback_after_its_media_process_is_killed(
    api: ApiClient, server: str, settings: Settings, db: Any
) -> None:
    _, attempt, c = await record_late_camera_answer(api, server)
    answer_id = attempt["answer_id"]

    await kill_media_child(answer_id)
    failed = await wait_job(db, answer_id, lambda j: j["playback_attempts"] == 1)
    assert failed["playback_status"] in ("pending", "running")  # retried
    assert "killed by SIGKILL" in failed["playback_error"]
    await healthy(server)  # the server never noticed

    done = await wait_job(db, answer_id, lambda j: j["playback_status"] == "ready")
    assert done["playback_attempts"] == 2 and done["playback_error"] is None
    assert (await c.get(f"/answers/{answer_id}")).json()["playback_ready"] is True
    playback = Path(settings.object_store) / done["playback_key"]
    assert media_info(playback)["streams"] == {"audio": "aac", "video": "h264"}
    assert 0.8 <= first_video_s(playback) <= 1.6  # the picture starts when the camera did
    await healthy(server)


async def test_a_job_failing_every_attempt_leaves_the_answer_playing_from_its_recording(
    api: ApiClient, server: str, settings: Settings, db: Any
) -> None:
    interview, attempt, _ = await record_late_camera_answer(api, server)
    answer_id = attempt["answer_id"]
    for n in range(1, 4):
        await kill_media_child(answer_id)
        await wait_job(db, answer_id, lambda j, n=n: j["playback_attempts"] == n)
        # Retries wait 2 s and then 30 s: make the next one due now.
        await db.execute(
            "UPDATE answers SET playback_next_at = now() WHERE id = $1 AND"
            " playback_status = 'pending'",
            uuid.UUID(answer_id),
        )
        await db.execute("SELECT pg_notify('playback_jobs', '')")
    state = await job(db, answer_id)
    assert (state["playback_status"], state["playback_attempts"]) == ("failed", 3)
    assert state["playback_key"] is None
    await healthy(server)

    candidates = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()
    review = (await api.get(f"/api/v1/candidates/{candidates['items'][0]['id']}/answers")).json()
    answer = review["questions"][0]["answer"]
    assert answer["playback_url"] is None
    assert answer["playback_status"] == "failed"
    assert "killed by SIGKILL" in answer["playback_error"]
    (url,) = answer["recording_urls"]
    (segment,) = json.loads(state["segments"])
    recorded = (Path(settings.object_store) / segment["key"]).read_bytes()
    r = await api.get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.headers["content-type"] == "video/webm"
    assert r.content == recorded[:100]
    whole = await api.get(url)
    assert whole.status_code == 200 and whole.content == recorded
    for other in (0, 2):
        missing = await api.get(url.replace("/recording/1", f"/recording/{other}"))
        assert missing.status_code == 404


async def test_a_refused_object_store_write_fails_that_attempt_and_the_retry_stores_it(
    api: ApiClient, server: str, settings: Settings, db: Any
) -> None:
    store = Path(settings.object_store)

    def block(answer_id: str) -> None:  # a directory where the playback file must go
        (store / "answers" / answer_id / "playback.mp4").mkdir(parents=True)

    _, attempt, _ = await record_late_camera_answer(api, server, before=block)
    answer_id = attempt["answer_id"]
    failed = await wait_job(db, answer_id, lambda j: j["playback_attempts"] == 1)
    assert failed["playback_status"] == "pending"
    assert failed["playback_error"] == "The object store refused the file: Is a directory"
    await healthy(server)

    (store / "answers" / answer_id / "playback.mp4").rmdir()  # the store recovers
    done = await wait_job(db, answer_id, lambda j: j["playback_status"] == "ready")
    assert done["playback_attempts"] == 2
    assert media_info(store / done["playback_key"])["streams"] == {"audio": "aac", "video": "h264"}
