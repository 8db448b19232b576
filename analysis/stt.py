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

import functools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from analysis.quality import plausible

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
    # Whisper's confidence: the tokens' average log-probability and the probability that the
    # window held no speech (None where the engine does not say).
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "avg_logprob": None if self.avg_logprob is None else round(self.avg_logprob, 3),
            "no_speech_prob": None
            if self.no_speech_prob is None
            else round(self.no_speech_prob, 3),
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
        live: bool = False,
        draft: bool = False,
    ) -> Transcript:
        """``live``: a short buffer of a stream (may be encoded without Whisper's 30 s padding);
        ``draft``: a partial re-decode that will be decoded again (may be greedy)."""
        ...


_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's default fallback


@functools.cache
def _short_window_model() -> type:
    from faster_whisper import WhisperModel

    class ShortWindowModel(WhisperModel):  # type: ignore[misc]
        """Encodes at most ``frames.limit`` mel frames when set (per thread)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.frames = threading.local()

        def encode(self, features: np.ndarray) -> Any:
            limit = getattr(self.frames, "limit", None)
            return super().encode(features if limit is None else features[..., :limit])

    return ShortWindowModel


class SpeechToText:
    provider = "faster-whisper"
    LIVE_MARGIN_S = 1.0
    LIVE_TOKENS_PER_S = 8

    def __init__(
        self, model_dir: str, cpu_threads: int = 1, beam_size: int = 5, workers: int = 1
    ) -> None:
        # ``workers`` decodes may run at once (from as many threads) on this one copy.
        device, compute_type = _device()
        self.model = _short_window_model()(
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
        live: bool = False,
        draft: bool = False,
    ) -> Transcript:
        if not self.multilingual:
            language = "en"
        # A live buffer is encoded as itself plus a margin, not padded to Whisper's 30 s window:
        # the encoder's cost is the window, and the words come out the same.
        seconds = len(samples) / SAMPLE_RATE + self.LIVE_MARGIN_S
        frames = min(3000, 2 * int(seconds * 50) + 2) if live and seconds < 29 else None
        self.model.frames.limit = frames
        try:
            segments, info = self.model.transcribe(
                samples.astype(np.float32),
                language=language,
                beam_size=1 if draft else self.beam_size,
                # A draft is replaced a moment later: one greedy pass, no temperature fallback.
                temperature=0.0 if draft else _TEMPERATURES,
                # Speech is at most a few tokens a second: a live decode that runs on is
                # repeating itself (Whisper's known loop on short windows), so it is cut short.
                max_new_tokens=int(self.LIVE_TOKENS_PER_S * seconds) + 8 if live else None,
                vad_filter=vad,
                word_timestamps=True,
                initial_prompt=prompt,
                condition_on_previous_text=False,
            )
            out = tuple(_segment(s, offset) for s in segments if s.text.strip())
        finally:
            self.model.frames.limit = None
        return Transcript(info.language, tuple(s for s in out if plausible(s)))


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
    return Segment(
        s.start + offset, s.end + offset, s.text.strip(), words, s.avg_logprob, s.no_speech_prob
    )


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
        self.speaking = False  # whether the latest audio holds voice (VAD)

    @property
    def elapsed_s(self) -> float:
        """Seconds of audio fed so far."""
        return self.offset + len(self.audio) / SAMPLE_RATE

    def feed(self, samples: np.ndarray, live: bool = False, now: float | None = None) -> LiveUpdate:
        self.audio = np.concatenate([self.audio, samples.astype(np.float32)])
        update = LiveUpdate()
        end = self._utterance_end()
        if end is not None:
            update.committed.extend(self._commit(end))
        elif live:
            now = time.monotonic() if now is None else now
            due = now - self._last_partial_at >= self.PARTIAL_EVERY_S
            # Under a second of audio is too little to decode (Whisper loops on it).
            if due and len(self.audio) >= SAMPLE_RATE and self.speaking:
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
        # Speaking: the voice reaches into the last chunk.
        self.speaking = bool(speech) and len(self.audio) - speech[-1]["end"] < SAMPLE_RATE // 2
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

    def _decode(self, end: int, draft: bool = False) -> Transcript:
        return self.stt.transcribe(
            self.audio[:end],
            self.language,
            prompt=self.context[-200:] or None,
            offset=self.offset,
            vad=False,
            live=True,
            draft=draft,
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
        text = " ".join(w.text for w in rest)
        return [Segment(rest[0].start, rest[-1].end, text, tuple(rest), *_confidence(segments))]

    def _partial(self) -> tuple[str, list[Segment]]:
        words = [w for s in self._decode(len(self.audio), draft=True).segments for w in s.words]
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


def _confidence(segments: Iterable[Segment]) -> tuple[float | None, float | None]:
    """The least confident values of the segments some words were taken from."""
    logprobs = [s.avg_logprob for s in segments if s.avg_logprob is not None]
    no_speech = [s.no_speech_prob for s in segments if s.no_speech_prob is not None]
    return (min(logprobs) if logprobs else None, max(no_speech) if no_speech else None)


def _norm(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def join_text(segments: Iterable[Segment]) -> str:
    return " ".join(s.text for s in segments).strip()
