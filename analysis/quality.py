"""Transcript quality before judgment: which decoded segments are speech at all, and whether an
answer holds enough clear speech to be evaluated.

Whisper invents text for silence and noise: the subtitle credits it learnt from films
("Продолжение следует...", "Субтитры сделал DimaTorzok", "Thanks for watching!") or words with a
low probability in a window it itself rates as probably silent. A segment is kept only if its
confidence is plausible and it is not one of those known phrases. An answer whose reliable words
are too few is not scored: the evaluation abstains and says why, and people watch the recording.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

# Whisper's own rule for a silent window (faster-whisper's defaults), and a floor below which a
# segment's text is noise whatever the window.
NO_SPEECH_PROB = 0.6
SILENT_LOGPROB = -1.0
MIN_LOGPROB = -1.5
MAX_COMPRESSION = 2.4
LETTER_LOOP = re.compile(r"([^\W\d_])\1{4,}")

# An answer is evaluated only with at least this many words from confident segments.
MIN_CLEAR_WORDS = 5
CLEAR_LOGPROB = -1.2
CLEAR_NO_SPEECH = 0.5
ABSTAIN_REASON = "Not enough clear speech to evaluate — watch the recording."

# Whole segments Whisper is known to produce for silence or noise (normalised: lower case,
# letters and digits only, single spaces).
HALLUCINATIONS = frozenset(
    {
        "продолжение следует",
        "субтитры сделал dimatorzok",
        "субтитры создавал dimatorzok",
        "редактор субтитров а синецкая корректор а егорова",
        "спасибо за просмотр",
        "thanks for watching",
        "thank you for watching",
        "subtitles by the amaraorg community",
        "please subscribe",
        "подписывайтесь на канал",
    }
)
# Words Whisper joins its phrases with ("Продолжение следует... и подписывайтесь на канал").
JOINERS = frozenset({"и", "and"})


class Scored(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def avg_logprob(self) -> float | None: ...
    @property
    def no_speech_prob(self) -> float | None: ...


def normalised(text: str) -> str:
    kept = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    return " ".join(kept.split())


def invented(text: str) -> bool:
    """Whether normalised ``text`` is made only of known invented phrases, repeated or joined
    (Whisper strings them together over a long silence)."""
    words = [w for w in text.split() if w not in JOINERS]
    if not words:
        return False
    reachable = [True] + [False] * len(words)  # reachable[i]: words[:i] is all phrases
    for end in range(1, len(words) + 1):
        reachable[end] = any(
            reachable[start] and " ".join(words[start:end]) in HALLUCINATIONS
            for start in range(end)
        )
    return reachable[-1]


def repetitive(text: str) -> bool:
    """Whisper's loop: the same words over and over (text that compresses too well; Whisper's
    own threshold for a failed decode is a ratio of 2.4), or one letter over and over inside a
    word ("работаюююююю"), which no language writes five times in a row."""
    data = text.encode()
    if LETTER_LOOP.search(text):
        return True
    return len(data) > 40 and len(data) / len(zlib.compress(data)) > MAX_COMPRESSION


def plausible(segment: Scored) -> bool:
    """Whether a decoded segment is speech rather than Whisper's invention."""
    text = normalised(segment.text)
    if not text or invented(text) or repetitive(text):
        return False
    logprob, no_speech = segment.avg_logprob, segment.no_speech_prob
    if logprob is not None and logprob < MIN_LOGPROB:
        return False
    return not (
        logprob is not None
        and no_speech is not None
        and no_speech > NO_SPEECH_PROB
        and logprob < SILENT_LOGPROB
    )


def clear_words(segments: Iterable[Mapping[str, Any]]) -> int:
    """Words in stored segments (``Segment.as_json``) whose confidence is clear; segments
    without confidence (an engine that does not report it) count as clear."""
    total = 0
    for s in segments:
        logprob, no_speech = s.get("avg_logprob"), s.get("no_speech_prob")
        if logprob is not None and logprob < CLEAR_LOGPROB:
            continue
        if no_speech is not None and no_speech > CLEAR_NO_SPEECH:
            continue
        text = normalised(str(s.get("text", "")))
        if invented(text) or repetitive(text):
            continue
        total += len(text.split())
    return total


def abstain_reason(segments: Iterable[Mapping[str, Any]] | None) -> str | None:
    """Why a spoken answer cannot be evaluated, or None when it can (written answers: None)."""
    if segments is None:
        return None
    return ABSTAIN_REASON if clear_words(segments) < MIN_CLEAR_WORDS else None


def confidence(segments: Iterable[Mapping[str, Any]]) -> dict[str, float | int | None]:
    """An answer's confidence, stored beside its transcript: the segments' average
    log-probability and no-speech probability weighted by duration (None when the engine gives
    none), and its clear words."""
    segments = list(segments)
    weights = {"avg_logprob": 0.0, "no_speech_prob": 0.0}
    sums = {"avg_logprob": 0.0, "no_speech_prob": 0.0}
    for s in segments:
        duration = max(0.01, float(s["end"]) - float(s["start"]))
        for name in sums:
            if s.get(name) is not None:
                sums[name] += float(s[name]) * duration
                weights[name] += duration
    out: dict[str, float | int | None] = {
        name: round(sums[name] / weights[name], 3) if weights[name] else None for name in sums
    }
    out["clear_words"] = clear_words(segments)
    return out
