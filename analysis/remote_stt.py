"""Speech-to-text by an OpenAI-compatible transcription endpoint (OpenAI's, or a self-hosted
server such as faster-whisper-server), behind the same interface as the local model.

Audio is sent as 16 kHz mono WAV with ``response_format=verbose_json`` and word and segment
timestamps (and each segment's confidence where the server gives it; implausible segments are
dropped as for the local model). Servers that return no word timings (several self-hosted ones) get them estimated
within each segment in proportion to the words' lengths, so click-to-seek still lands close.
"""

from __future__ import annotations

import io
import wave
from typing import Any
from urllib.parse import urlparse

import numpy as np
from openai import OpenAI, omit

from analysis.quality import plausible
from analysis.stt import SAMPLE_RATE, Segment, Transcript, Word

# OpenAI names the language ("english"); Fairview stores codes.
LANGUAGE_CODES = {"english": "en", "russian": "ru"}


def wav_bytes(samples: np.ndarray) -> bytes:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm)
    return out.getvalue()


def estimated_words(start: float, end: float, text: str) -> tuple[Word, ...]:
    """Word timings spread over the segment in proportion to the words' lengths."""
    tokens = text.split()
    total = sum(len(t) for t in tokens) or 1
    words, at = [], start
    for token in tokens:
        length = (end - start) * len(token) / total
        words.append(Word(at, at + length, token))
        at += length
    return tuple(words)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def to_transcript(response: Any, language: str | None, offset: float) -> Transcript:
    timed = [
        Word(float(_field(w, "start")), float(_field(w, "end")), str(_field(w, "word")).strip())
        for w in (_field(response, "words") or [])
        if str(_field(w, "word")).strip()
    ]
    segments = []
    for s in _field(response, "segments") or []:
        start, end = float(_field(s, "start")), float(_field(s, "end"))
        text = str(_field(s, "text")).strip()
        if not text:
            continue
        words = tuple(w for w in timed if start - 0.01 <= w.start < end) if timed else ()
        words = words or estimated_words(start, end, text)
        segment = Segment(
            start + offset,
            end + offset,
            text,
            tuple(Word(w.start + offset, w.end + offset, w.text) for w in words),
            _number(_field(s, "avg_logprob")),
            _number(_field(s, "no_speech_prob")),
        )
        if plausible(segment):
            segments.append(segment)
    said = str(_field(response, "language") or "").lower()
    code = language or LANGUAGE_CODES.get(said, said) or "und"
    return Transcript(code, tuple(segments))


class RemoteSpeechToText:
    TIMEOUT_S = 300.0
    MAX_RETRIES = 2  # the SDK retries timeouts, 429 and 5xx with exponential backoff

    def __init__(self, base_url: str, model: str, api_key: str = "") -> None:
        self.client = OpenAI(
            base_url=base_url,
            api_key=api_key or "none",
            timeout=self.TIMEOUT_S,
            max_retries=self.MAX_RETRIES,
        )
        self.model = model
        self.provider = urlparse(base_url).netloc or base_url

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        *,
        prompt: str | None = None,
        offset: float = 0.0,
        vad: bool = True,  # the endpoint applies its own
        live: bool = False,  # the endpoint decides how it encodes and decodes
        draft: bool = False,
    ) -> Transcript:
        response = self.client.audio.transcriptions.create(
            model=self.model,
            file=("answer.wav", wav_bytes(samples), "audio/wav"),
            language=language or omit,
            prompt=prompt or omit,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            temperature=0,
        )
        return to_transcript(response, language, offset)
