"""Transcript quality before judgment, with the default model (`base`), through the real
product path (WHIP → recording → final pass → evaluation, and the live view):

- a silent answer and a noise-only answer give no words, live or final, and their evaluation
  abstains with the reason instead of scoring;
- a Russian answer (speech made with espeak-ng) is transcribed live and final. espeak's Russian
  is robotic (Whisper gets the sounds mostly right and the spelling often wrong), so the bound is
  on characters: final CER ≤ 50 % (28-36 % in five CI runs). The live pass is not yet reliable
  on it (CER 36-78 % in the same runs: looping clauses invented in short windows, or text that
  stops after the greeting; open in the live issue), so live only has to show Russian text.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import pytest

from analysis.quality import ABSTAIN_REASON
from fairview.settings import Settings
from ingest.client import speak
from tests.api_client import ApiClient
from tests.candidates import consented_candidate

RUSSIAN = (
    "Здравствуйте, меня зовут Анна. Я пять лет работаю в службе поддержки клиентов "
    "и люблю решать сложные задачи."
)
QUESTION = [
    {
        "prompt": "Tell us about yourself.",
        "kind": "audio",
        "think_seconds": 0,
        "answer_seconds": 60,
        "rubric": [{"name": "Experience", "weight": 1, "strong_answer": "years in support"}],
    }
]


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(
        settings,
        stt_model="base",
        model_cache_dir=str(tmp_path / "models"),
        llm_base_url="",  # the local evaluator: abstaining is decided before any engine runs
        kafka_session_timeout_ms=10_000,
    )


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def russian_words(text: str) -> str:
    return " ".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())


async def answer(
    api: ApiClient, server: str, db: Any, audio: Path, language: str = "en"
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """One candidate speaks ``audio`` while the recruiter watches: (transcript of record row,
    evaluation row, the live text the recruiter saw last)."""
    await api.sign_up()
    interview, candidate = await consented_candidate(api, server, QUESTION)
    if language != "en":
        r = await api.patch(f"/api/v1/interviews/{interview['id']}", json={"language": language})
        assert r.status_code == 200, r.text
    attempt = await candidate.attempt(interview["questions"][0]["id"])
    seen: list[dict[str, Any]] = []
    ready = asyncio.Event()

    async def watch() -> None:
        path = f"/api/v1/interviews/{interview['id']}/live"
        async with api.http.stream("GET", path, timeout=None) as response:
            kind = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "ready":
                    ready.set()
                elif line.startswith("data: ") and kind == "transcript":
                    seen.append(json.loads(line[6:]))

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with httpx.AsyncClient(timeout=30) as http:
            done = await speak(
                http, attempt["whip_url"], attempt["whip_token"], audio_file=str(audio), video=False
            )
            assert done.status_code == 200, done.text
        answer_id = attempt["answer_id"]
        deadline = time.monotonic() + 180  # the model is joined and loaded first
        while True:
            evaluation = await db.fetchrow(
                "SELECT status, reason FROM evaluations WHERE answer_id = $1", answer_id
            )
            ended = any(e["ended"] for e in seen if e["answer_id"] == answer_id)
            if evaluation is not None and ended:
                break
            assert time.monotonic() < deadline, (evaluation, seen)
            assert not watcher.done(), watcher
            await asyncio.sleep(0.3)
    finally:
        watcher.cancel()
    transcript = await db.fetchrow(
        "SELECT status, language, text, segments, avg_logprob, no_speech_prob, clear_words"
        " FROM transcripts WHERE answer_id = $1",
        answer_id,
    )
    ours = [e for e in seen if e["answer_id"] == answer_id]
    assert ours[0]["text"] == "" and not ours[0]["ended"]  # shown as soon as it started
    return dict(transcript), dict(evaluation), ours[-1]["text"]


@pytest.mark.parametrize("kind", ["silence", "noise"])
async def test_no_speech_gives_no_words_and_the_evaluation_abstains(
    api: ApiClient, server: str, db: Any, tmp_path: Path, kind: str
) -> None:
    seconds = 8 * 16_000
    rng = np.random.default_rng(7)
    samples = (
        np.zeros(seconds)
        if kind == "silence"
        else rng.standard_normal(seconds) * 0.1  # broadband noise, like a fan or a bad line
    )
    transcript, evaluation, live = await answer(
        api, server, db, write_wav(tmp_path / f"{kind}.wav", samples)
    )
    assert transcript["status"] == "ready"
    assert transcript["text"] == "" and live == "", (transcript["text"], live)
    assert transcript["clear_words"] == 0
    assert evaluation["status"] == "abstained"
    assert evaluation["reason"] == ABSTAIN_REASON


async def test_a_russian_answer_is_transcribed_live_and_final(
    api: ApiClient, server: str, db: Any, tmp_path: Path
) -> None:
    spoken = tmp_path / "ru.wav"
    subprocess.run(
        ["espeak-ng", "-v", "ru", "-s", "110", "-g", "4", "-w", str(spoken), RUSSIAN], check=True
    )
    transcript, evaluation, live = await answer(api, server, db, spoken, language="ru")
    assert transcript["status"] == "ready" and transcript["language"] == "ru"
    final_cer = jiwer.cer(russian_words(RUSSIAN), russian_words(transcript["text"]))
    live_cer = jiwer.cer(russian_words(RUSSIAN), russian_words(live))
    print("final", transcript["text"], final_cer, "live", live, live_cer)
    assert final_cer <= 0.5, transcript["text"]
    assert any("а" <= ch <= "я" for ch in live.lower()), live  # Russian text arrived live
    # Confident speech: it is evaluated, and every segment carries its confidence.
    segments = transcript["segments"]
    segments = json.loads(segments) if isinstance(segments, str) else segments
    assert segments and all(
        s["avg_logprob"] is not None and s["no_speech_prob"] is not None for s in segments
    )
    assert transcript["avg_logprob"] is not None and transcript["clear_words"] >= 5
    assert evaluation["status"] == "ready"
