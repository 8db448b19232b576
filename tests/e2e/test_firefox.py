"""Firefox ESR with its default settings answers a video question on the candidate page of the
real product (`fairview run`): mDNS host candidates, Firefox's own DTLS and codecs. The recording
keeps the streamed time, the picture and the words (tests/clients/firefox_candidate.mjs drives
the browser over WebDriver BiDi with puppeteer-core)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx

from fairview.settings import ROOT
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.e2e.conftest import ARTIFACTS
from tests.ingest.test_clients import run_client
from tests.ingest.test_loss import stream_spans_s
from tests.services import Inbox, unavailable
from tests.speech import SPEECH_TEXT, SPEECH_WAV, decode_audio, transcribe, wer

FIREFOX = "/usr/bin/firefox-esr"
SECONDS = 11  # the speech lasts 9 s


async def test_firefox_default_settings_records_a_video_answer(
    product: str, db: Any, objects_dir: Path, inbox: Inbox
) -> None:
    node = shutil.which("node")
    if not Path(FIREFOX).exists():
        unavailable("Firefox ESR", "`make interop-clients` installs it")
    if node is None or not (ROOT / "web" / "node_modules" / "puppeteer-core").exists():
        unavailable("puppeteer-core", "node and web/node_modules (`make install`)")
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30), inbox)
    question = {
        "prompt": "Introduce yourself.",
        "kind": "video",
        "think_seconds": 0,
        "answer_seconds": 60,
    }
    _, token = await interview_with_candidate(api, [question])
    ARTIFACTS.mkdir(exist_ok=True)
    result = await run_client(
        node,
        str(ROOT / "tests" / "clients" / "firefox_candidate.mjs"),
        f"{product}/i/{token}",
        str(SPEECH_WAV),
        str(SECONDS),
        FIREFOX,
        str(ARTIFACTS / "firefox-failure.png"),
        timeout_s=150,
    )
    assert "errors" not in result, result
    assert result["saved"], result
    # Default settings: host addresses hidden behind mDNS names.
    [offer] = result["offers"]
    assert re.search(r"a=candidate:\S+ 1 UDP \d+ [0-9a-f-]+\.local ", offer), offer
    row = await db.fetchrow("SELECT status, duration_ms, segments FROM answers")
    assert row["status"] == "recorded", dict(row)
    segment = json.loads(row["segments"])[0]
    recording = objects_dir / segment["key"]
    samples = decode_audio(recording.read_bytes())
    text = transcribe(samples)
    spans = stream_spans_s(recording)
    report = {
        "streamed_s": SECONDS,
        "recorded_s": round(len(samples) / 16_000, 2),
        "video_frames": segment["video_frames"],
        "wer": round(wer(SPEECH_TEXT, text), 3),
        "spans": spans,
    }
    print(f"matrix firefox {report}", file=sys.stderr)
    # The page's clock and the recording agree within a second (connection set-up and stop).
    assert abs(report["recorded_s"] - SECONDS) <= 1.0, report
    # Firefox's fake camera runs at about 30 fps; at least 20 fps must arrive.
    assert segment["video_frames"] >= 20 * (SECONDS - 2), report
    assert report["wer"] <= 0.15, text
