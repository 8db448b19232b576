"""Transcription by an OpenAI-compatible endpoint instead of the local model: a real server
(faster-whisper-server with Whisper tiny.en) makes the transcript of record."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from analysis.remote_stt import to_transcript
from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.speech import SPEECH_TEXT, wav_seconds, wer
from tests.streaming.test_transcription import answer_with_speech, review_when


@pytest.fixture
def settings(settings: Settings, transcription_url: str) -> Settings:
    return replace(settings, stt_model="whisper-1", stt_base_url=transcription_url)


async def test_an_endpoint_makes_the_transcript_of_record(
    api: ApiClient, server: str, db: Any, transcription_url: str
) -> None:
    await api.sign_up()
    candidate_id, _ = await answer_with_speech(api, server, ai=True)
    review = await review_when(
        api, candidate_id, lambda a: a and a["transcript"] and a["transcript"]["status"] == "ready"
    )
    transcript = review["questions"][0]["answer"]["transcript"]
    assert transcript["language"] == "en"
    assert wer(SPEECH_TEXT, transcript["text"]) <= 0.10, transcript["text"]
    # This server gives segment times only: word times are spread within each segment.
    for segment in transcript["segments"]:
        words = segment["words"]
        assert " ".join(w["text"] for w in words) == segment["text"]
        assert words[0]["start"] == segment["start"]
        assert abs(words[-1]["end"] - segment["end"]) < 0.01
        assert all(a["end"] <= b["start"] + 0.001 for a, b in itertools.pairwise(words))
    assert transcript["segments"][-1]["end"] <= wav_seconds() + 0.5
    run = await db.fetchrow("SELECT provider, model FROM ai_runs WHERE kind = 'transcription'")
    assert run["provider"] == transcription_url.split("/")[2] and run["model"] == "whisper-1"


def test_word_times_from_the_endpoint_are_kept_and_offset() -> None:
    """OpenAI's verbose_json: segments, and words at the top level; language by name."""
    response = {
        "language": "english",
        "segments": [
            {"start": 0.0, "end": 1.0, "text": " Hello there."},
            {"start": 1.2, "end": 2.0, "text": " Bye."},
        ],
        "words": [
            {"start": 0.1, "end": 0.5, "word": "Hello"},
            {"start": 0.6, "end": 0.9, "word": "there."},
            {"start": 1.3, "end": 1.8, "word": "Bye."},
        ],
    }
    t = to_transcript(response, None, offset=10.0)
    assert t.language == "en" and t.text == "Hello there. Bye."
    assert [(w.text, w.start, w.end) for w in t.segments[0].words] == [
        ("Hello", 10.1, 10.5),
        ("there.", 10.6, 10.9),
    ]
    assert [w.text for w in t.segments[1].words] == ["Bye."]
