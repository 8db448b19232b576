"""The incremental transcriber, fed speech chunk by chunk as it arrives, commits every word once:
its text matches a one-shot transcription of the same audio, in utterance and in live mode."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analysis.models import resolve
from analysis.stt import SAMPLE_RATE, IncrementalTranscriber, Segment, SpeechToText, join_text
from tests.speech import SPEECH_TEXT, SPEECH_WAV, decode_audio, wer


@pytest.fixture(scope="module")
def stt(tmp_path_factory: pytest.TempPathFactory) -> SpeechToText:
    return SpeechToText(str(resolve("tiny.en", tmp_path_factory.mktemp("models"))))


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    """Two sentences of speech with pauses: utterances end, and words are committed across them."""
    speech = decode_audio(SPEECH_WAV.read_bytes())
    gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
    return np.concatenate([speech, gap, speech, gap])


@pytest.mark.parametrize(("live", "chunk_s"), [(False, 0.5), (True, 0.5)])
def test_every_word_is_committed_once(
    stt: SpeechToText, audio: np.ndarray, live: bool, chunk_s: float
) -> None:
    transcriber = IncrementalTranscriber(stt, "en")
    committed: list[Segment] = []
    partials = 0
    step = int(chunk_s * SAMPLE_RATE)
    for i in range(0, len(audio), step):
        update = transcriber.feed(audio[i : i + step], live, now=i / SAMPLE_RATE + chunk_s)
        committed += update.committed
        partials += update.partial is not None
    committed += transcriber.finish()

    reference = f"{SPEECH_TEXT} {SPEECH_TEXT}"
    batch = stt.transcribe(audio, "en").text
    text = join_text(committed)
    assert wer(reference, text) <= wer(reference, batch) + 0.05, text
    assert (partials > 0) == live
    if live:  # words were committed early, while their utterance was still going on
        assert len(committed) > 4, [s.text for s in committed]
    # In order, without overlap: a word committed early is not committed again at the end.
    words = [w for s in committed for w in s.words]
    assert all(b.start >= a.end - 0.15 for a, b in itertools.pairwise(words)), words
