"""The first `fairview run` on a fresh machine shows live text: with an empty model cache and the
default model (`base`), the final and the live transcriber start together, the model is joined
once and loaded once, and a watching recruiter receives the candidate's words over SSE while
the answer streams."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from analysis.models import WHISPER_BASE_SHA256
from ingest.client import publish, wait_until_ended
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.services import Inbox
from tests.speech import SPEECH_TEXT, SPEECH_WAV, wer

QUESTION = [
    {"prompt": "Tell us about yourself.", "kind": "audio", "think_seconds": 0, "answer_seconds": 60}
]


@pytest.fixture
def product_env() -> dict[str, str]:
    # The default model; the product's model cache (tmp_path/models) starts empty.
    return {"FAIRVIEW_STT_MODEL": "base"}


async def test_first_run_with_the_default_model_shows_live_text(
    product: str, tmp_path: Path, inbox: Inbox
) -> None:
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30), inbox)
    await api.sign_up()
    interview, candidate = await consented_candidate(api, product, QUESTION)
    events: list[dict[str, Any]] = []
    ready = asyncio.Event()

    async def watch() -> None:
        path = f"/api/v1/interviews/{interview['id']}/live"
        async with api.http.stream("GET", path, timeout=None) as response:
            assert response.status_code == 200
            kind = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "ready":
                    ready.set()
                elif line.startswith("data: ") and kind == "transcript":
                    events.append({**json.loads(line[6:]), "received": time.monotonic()})

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(ready.wait(), 10)
    # A new user signs up and builds an interview before anyone answers; the product joins the
    # model meanwhile. Wait for that here (bounded), as this test signs up in a second.
    marker = tmp_path / "models" / "whisper-base" / "verified"
    joined_by = time.monotonic() + 180
    while not marker.exists():
        assert time.monotonic() < joined_by, (tmp_path / "fairview.log").read_text()
        await asyncio.sleep(0.2)
    attempt = await candidate.attempt(interview["questions"][0]["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        await wait_until_ended(session, timeout_s=30)
        ended = time.monotonic()
        await session.stop(http)

    def seen() -> str:  # what the recruiter sees last: committed text and the current partial
        ours = [e for e in events if e["answer_id"] == attempt["answer_id"]]
        return f"{ours[-1]['text']} {ours[-1]['partial']}" if ours else ""

    deadline = time.monotonic() + 60  # joining and loading the model comes first
    while wer(SPEECH_TEXT, seen()) > 0.25:
        assert time.monotonic() < deadline, (seen(), (tmp_path / "fairview.log").read_text())
        if watcher.done():
            watcher.result()  # the stream broke: say why
        await asyncio.sleep(0.2)
    watcher.cancel()
    # Words reached the recruiter while the candidate was still speaking.
    print("first words", min(e["received"] for e in events) - ended)
    assert any(e["received"] < ended and (e["partial"] or e["committed"]) for e in events)
    log = (tmp_path / "fairview.log").read_text()
    assert "background_loop_failed" not in log, log
    assert marker.read_text() == WHISPER_BASE_SHA256
