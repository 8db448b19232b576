"""Speech-to-text with faster-whisper: the final pass over a whole recording, and incremental
transcription of a live stream.

Live: Silero VAD (bundled with faster-whisper) finds utterances in the incoming 16 kHz audio;
each finished utterance is decoded once and committed (about 0.1 core per stream). While someone
watches, the current utterance is also re-decoded about every second for partial text, with a
LocalAgreement-2 policy: words two consecutive decodes agree on are committed early. Only text
from before the current utterance is given as the prompt (prompting with audio still in the
buffer makes Whisper skip words). The final pass over the recording is the transcript of record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "words": [
                {
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "text": w.text,
                    "p": round(w.probability, 3),
                }
                for w in self.words
            ],
        }


@dataclass(frozen=True)
class Transcript:
    language: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()


class Transcribes(Protocol):
    """A speech-to-text engine: the local model (below) or ``remote_stt.RemoteSpeechToText``."""

    provider: str

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        *,
        prompt: str | None = None,
        offset: float = 0.0,
        vad: bool = True,
    ) -> Transcript: ...


class SpeechToText:
    provider = "faster-whisper"

    def __init__(
        self, model_dir: str, cpu_threads: int = 1, beam_size: int = 5, workers: int = 1
    ) -> None:
        from faster_whisper import WhisperModel

        # ``workers`` decodes may run at once (from as many threads) on this one copy.
        device, compute_type = _device()
        self.model = WhisperModel(
            model_dir,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
        )
        self.device = device
        self.beam_size = beam_size
        self.multilingual = bool(getattr(self.model.model, "is_multilingual", True))

    def transcribe(
        self,
        samples: np.ndarray,
        language: str | None = None,
        *,
        prompt: str | None = None,
        offset: float = 0.0,
        vad: bool = True,
    ) -> Transcript:
        if not self.multilingual:
            language = "en"
        segments, info = self.model.transcribe(
            samples.astype(np.float32),
            language=language,
            beam_size=self.beam_size,
            vad_filter=vad,
            word_timestamps=True,
            initial_prompt=prompt,
            condition_on_previous_text=False,
        )
        out = tuple(_segment(s, offset) for s in segments if s.text.strip())
        return Transcript(info.language, out)


def _device() -> tuple[str, str]:
    """CUDA with float16 when a GPU is present (same code path), else int8 on the CPU."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "cuda", "float16"
    return "cpu", "int8"


def _segment(s: Any, offset: float) -> Segment:
    words = tuple(
        Word(w.start + offset, w.end + offset, w.word.strip(), w.probability)
        for w in (s.words or [])
        if w.word.strip()
    )
    return Segment(s.start + offset, s.end + offset, s.text.strip(), words)


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


@dataclass
class LiveUpdate:
    committed: list[Segment] = field(default_factory=list)
    partial: str | None = None  # the current utterance's unconfirmed text


class IncrementalTranscriber:
    """Feed 16 kHz mono audio as it arrives; get committed segments (and partials when live)."""

    MIN_SILENCE_S = 0.6
    MAX_UTTERANCE_S = 20.0
    PARTIAL_EVERY_S = 1.0

    def __init__(self, stt: Transcribes, language: str | None = None) -> None:
        self.stt = stt
        self.language = language
        self.audio = np.zeros(0, dtype=np.float32)  # everything not yet committed
        self.offset = 0.0  # seconds of audio before self.audio
        self.context = ""  # text of finished utterances: the only safe prompt
        self._last_partial_at = 0.0
        self._agreed: list[Word] = []
        self._previous: list[Word] = []

    def feed(self, samples: np.ndarray, live: bool = False, now: float | None = None) -> LiveUpdate:
        self.audio = np.concatenate([self.audio, samples.astype(np.float32)])
        update = LiveUpdate()
        end = self._utterance_end()
        if end is not None:
            update.committed.extend(self._commit(end))
        elif live:
            now = time.monotonic() if now is None else now
            if now - self._last_partial_at >= self.PARTIAL_EVERY_S and len(self.audio):
                self._last_partial_at = now
                update.partial, early = self._partial()
                update.committed.extend(early)
        return update

    def finish(self) -> list[Segment]:
        """Commit whatever is left (the stream ended), unless it holds no speech: Whisper
        invents words for silence (here: the prompt's last sentence again)."""
        if not len(self.audio) or not self._speech():
            return []
        return self._commit(len(self.audio))

    def _speech(self) -> list[dict[str, int]]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        options = VadOptions(min_silence_duration_ms=int(self.MIN_SILENCE_S * 1000))
        return list(get_speech_timestamps(self.audio, options))

    def _utterance_end(self) -> int | None:
        """Where the first finished utterance ends (in samples), or None."""
        if len(self.audio) < SAMPLE_RATE:
            return None
        if len(self.audio) >= self.MAX_UTTERANCE_S * SAMPLE_RATE:
            return len(self.audio)
        speech = self._speech()
        if not speech:
            # Only silence so far: drop all but the last second to bound the buffer.
            self._drop(len(self.audio) - SAMPLE_RATE)
            return None
        silence_after = len(self.audio) - speech[0]["end"]
        if silence_after >= self.MIN_SILENCE_S * SAMPLE_RATE:
            return min(len(self.audio), speech[0]["end"] + SAMPLE_RATE // 5)
        return None

    def _drop(self, samples: int) -> None:
        if samples > 0:
            self.audio = self.audio[samples:]
            self.offset += samples / SAMPLE_RATE

    def _decode(self, end: int) -> Transcript:
        return self.stt.transcribe(
            self.audio[:end],
            self.language,
            prompt=self.context[-200:] or None,
            offset=self.offset,
            vad=False,
        )

    def _commit(self, end: int) -> list[Segment]:
        transcript = self._decode(end)
        if self.language is None and transcript.language:
            self.language = transcript.language
        segments = [s for s in self._without_agreed(transcript.segments) if s.text]
        self._drop(end)
        self._agreed, self._previous = [], []
        self.context = f"{self.context} {transcript.text}".strip()
        return segments

    def _without_agreed(self, segments: tuple[Segment, ...]) -> list[Segment]:
        """Leave out the words LocalAgreement-2 already committed early: the decode's leading
        words when they match, else the words that end before the last agreed word did."""
        if not self._agreed:
            return list(segments)
        words = [w for s in segments for w in s.words]
        k = len(self._agreed)
        if [_norm(w.text) for w in words[:k]] == [_norm(w.text) for w in self._agreed]:
            rest = words[k:]
        else:
            cutoff = self._agreed[-1].end
            rest = [w for w in words if w.end > cutoff + 0.05]
        if not rest:
            return []
        return [Segment(rest[0].start, rest[-1].end, " ".join(w.text for w in rest), tuple(rest))]

    def _partial(self) -> tuple[str, list[Segment]]:
        words = [w for s in self._decode(len(self.audio)).segments for w in s.words]
        # LocalAgreement-2: the longest common prefix of two consecutive decodes is stable.
        # Words near the end of the buffer may still change (their audio is cut): not yet.
        horizon = self.offset + len(self.audio) / SAMPLE_RATE - 0.5
        stable = []
        for a, b in zip(self._previous, words, strict=False):
            if _norm(a.text) != _norm(b.text) or b.end > horizon:
                break
            stable.append(b)
        self._previous = words
        early: list[Segment] = []
        new = stable[len(self._agreed) :]
        if new:
            self._agreed.extend(new)
            early.append(
                Segment(new[0].start, new[-1].end, " ".join(w.text for w in new), tuple(new))
            )
        pending = words[len(self._agreed) :]
        return " ".join(w.text for w in pending), early


def _norm(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def join_text(segments: Iterable[Segment]) -> str:
    return " ".join(s.text for s in segments).strip()
