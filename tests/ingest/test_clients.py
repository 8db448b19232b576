"""The interop matrix outside the browsers: WebRTC stacks the ingest did not grow up with stream a
spoken video answer over real loopback ICE, each with its defaults, and the recording must hold
what was streamed (length, picture, words).

- GStreamer ``webrtcbin`` (Debian's packages): a VP8 offer, and an offer listing H.264 before VP8;
- ``werift`` (an independent TypeScript WebRTC stack, from npm);
- a camera that starts a second after the microphone (aiortc), as real webcams do.

Chromium and Firefox drive the candidate page in tests/e2e (test_interview, test_firefox).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import ROOT, Settings
from ingest.client import MovingPatternTrack, publish, wait_until_ended
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_loss import stream_spans_s
from tests.ingest.test_whip import media_info, wait_answer
from tests.services import REDIS_URL, unavailable  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_TEXT, SPEECH_WAV, decode_audio, transcribe, wav_seconds, wer

CLIENTS = ROOT / "tests" / "clients"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's PyGObject and GStreamer bindings live here
FPS = 20


def measure(recording: Path, segment: dict[str, Any], frames_sent: int) -> dict[str, Any]:
    """What the matrix reports for one client: recorded vs streamed seconds, frames, WER."""
    samples = decode_audio(recording.read_bytes())
    text = transcribe(samples)
    row = {
        "streamed_s": round(wav_seconds(), 2),
        "recorded_s": round(len(samples) / 16_000, 2),
        "video_frames": segment["video_frames"],
        "frames_sent": frames_sent,
        "wer": round(wer(SPEECH_TEXT, text), 3),
        "streams": media_info(recording)["streams"],
    }
    print(f"matrix {row}", file=sys.stderr)
    return row


def assert_recorded_as_streamed(row: dict[str, Any], *, late_video_s: float = 0.0) -> None:
    assert row["streams"] == {"audio": "opus", "video": "vp8"}, row
    assert abs(row["recorded_s"] - row["streamed_s"]) <= 0.5, row
    # Every frame sent is recorded, but for a lossless loopback's few at start-up.
    assert row["video_frames"] >= 0.9 * row["frames_sent"] - FPS * late_video_s, row
    assert row["video_frames"] >= FPS * (row["streamed_s"] - late_video_s - 2), row
    assert row["wer"] <= 0.05, row


async def run_client(*command: str, timeout_s: float = 90) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode()[-4000:]
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, (out.decode()[-2000:], err.decode()[-4000:])
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def gstreamer() -> str:
    probe = (
        "import gi; gi.require_version('GstWebRTC', '1.0'); from gi.repository import Gst;"
        " Gst.init(None); assert Gst.ElementFactory.find('webrtcbin')"
        " and Gst.ElementFactory.find('x264enc') and Gst.ElementFactory.find('nicesrc')"
    )
    if (
        not Path(SYSTEM_PYTHON).exists()
        or subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode
    ):
        unavailable("GStreamer webrtcbin", "`make interop-clients` installs it")
    return SYSTEM_PYTHON


@pytest.mark.parametrize("video", ["vp8", "h264-first"])
async def test_gstreamer_webrtcbin_defaults(
    api: ApiClient, server: str, settings: Settings, video: str
) -> None:
    python = gstreamer()
    interview, c = await consented_candidate(api, server)
    attempt = await c.attempt(interview["questions"][0]["id"])
    result = await run_client(
        python,
        str(CLIENTS / "gst_whip.py"),
        attempt["whip_url"],
        attempt["whip_token"],
        str(SPEECH_WAV),
        "--video",
        video,
        "--timeout",
        "60",
    )
    assert result["post_status"] == 201, result
    assert "errors" not in result, result["errors"]
    assert "a=setup:actpass" in result["offer"] and "a=setup:passive" in result["answer"]
    if video == "h264-first":
        offered = re.findall(r"a=rtpmap:\d+ (\w+)/90000", result["offer"])
        assert offered[:2] == ["H264", "VP8"], offered
        assert result["answered_codec"] == "VP8"
    assert result["delete_status"] == 200, result
    segment = result["delete_body"]["segment"]
    await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    row = measure(Path(settings.object_store) / segment["key"], segment, result["frames_sent"])
    assert_recorded_as_streamed(row)


async def test_werift_client(api: ApiClient, server: str, settings: Settings) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "web" / "node_modules" / "werift").exists():
        unavailable("werift", "node and web/node_modules (`make install`)")
    if shutil.which("gst-launch-1.0") is None:  # the client's camera and microphone
        unavailable("gst-launch-1.0", "`make interop-clients` installs it")
    interview, c = await consented_candidate(api, server)
    attempt = await c.attempt(interview["questions"][0]["id"])
    result = await run_client(
        str(node),
        str(CLIENTS / "werift_whip.mjs"),
        attempt["whip_url"],
        attempt["whip_token"],
        str(SPEECH_WAV),
        str(wav_seconds()),
    )
    assert result["post_status"] == 201, result
    assert "errors" not in result, result["errors"]
    assert result["delete_status"] == 200, result
    segment = result["delete_body"]["segment"]
    await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    row = measure(Path(settings.object_store) / segment["key"], segment, result["frames_sent"])
    assert_recorded_as_streamed(row)


class LateCamera(MovingPatternTrack):
    """A webcam that delivers its first frame a second after the microphone's first sample."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s
        self._opened: float | None = None

    async def recv(self) -> Any:
        if self._opened is None:
            self._opened = time.monotonic()
            await asyncio.sleep(self.delay_s)
        return await super().recv()


async def test_camera_starting_a_second_after_the_microphone(
    api: ApiClient, server: str, settings: Settings
) -> None:
    interview, c = await consented_candidate(api, server)
    attempt = await c.attempt(interview["questions"][0]["id"])
    camera = LateCamera(1.0)
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=True,
            camera=camera,
        )
        await wait_until_ended(session, timeout_s=60)
        stopped = await session.stop(http)
    assert stopped.status_code == 200, stopped.text
    segment = stopped.json()["segment"]
    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    recording = Path(settings.object_store) / segment["key"]
    row = measure(recording, segment, camera.frames_sent)
    assert_recorded_as_streamed(row, late_video_s=1.0)
    spans = stream_spans_s(recording)  # the picture starts where the camera did
    assert 0.7 <= spans["video"][0] - spans["audio"][0] <= 1.5, spans
    assert state["failure_reason"] is None
