"""Which decoded segments are Whisper's inventions rather than speech."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from analysis.quality import clear_words, plausible


@dataclass
class Segment:
    text: str
    avg_logprob: float | None = -0.3
    no_speech_prob: float | None = 0.1


@pytest.mark.parametrize(
    "text",
    [
        "Продолжение следует...",
        "Продолжение следует... Продолжение следует...",
        "Продолжение следует... и подписывайтесь на канал!",
        "Thanks for watching, and please subscribe.",
        "Этравствит работаюююююююююююю",
    ],
)
def test_known_phrases_and_loops_are_not_speech(text: str) -> None:
    assert not plausible(Segment(text))
    assert clear_words([{"text": text, "start": 0, "end": 2}]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Продолжение следует, сказала она, и я подписалась на курс.",
        "Thanks for watching the demo; I led the support team for five years.",
        "We grew from 100000 to 2000000 users, sooo fast.",
    ],
)
def test_speech_that_contains_a_phrase_is_kept(text: str) -> None:
    assert plausible(Segment(text))


def test_a_low_confidence_segment_in_a_silent_window_is_dropped() -> None:
    assert not plausible(Segment("Hello there.", avg_logprob=-1.2, no_speech_prob=0.8))
    assert plausible(Segment("Hello there.", avg_logprob=-0.4, no_speech_prob=0.8))
