"""The transcription worker: after an answer is recorded, the final pass over its recording
becomes the transcript of record (word timestamps, and each segment's confidence, included; the
answer's confidence is stored beside it, ``analysis.quality``).

Consumes ``answer.recorded`` events from ``pipeline`` (consumer group ``transcribe``; Kafka is at least once, so a
transcript already made from the same recording is not made again). No AI runs for a candidate
who declined it: the transcript is marked ``skipped`` with the reason. Every run is audited in
``ai_runs``; the result is announced on the ``transcripts`` topic and as ``transcript.ready``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from typing import Any
from uuid import UUID

import av
import numpy as np
import structlog

from analysis.quality import confidence
from analysis.stt import SAMPLE_RATE, Transcribes
from domain.events import TranscriptReady, emit
from storage.db import Database
from storage.objects import ObjectStore
from streaming import transcripts_repository as repo
from streaming.ai_runs import record_run
from streaming.bus import PIPELINE, TRANSCRIPTS, EventBus, handle_events
from streaming.dead_letters import DeadLetters

log = structlog.get_logger("fairview.transcription")


def decode_16k(recordings: list[bytes]) -> np.ndarray:
    """All segments' audio, joined, as 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    parts: list[np.ndarray] = []
    for data in recordings:
        with av.open(io.BytesIO(data), mode="r") as src:
            for frame in src.decode(audio=0):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


class Transcriber:
    def __init__(
        self, db: Database, objects: ObjectStore, bus: EventBus, stt: Transcribes, model_name: str
    ) -> None:
        self.db, self.objects, self.bus, self.stt = db, objects, bus, stt
        self.model_name = model_name

    async def handle(self, answer_id: UUID) -> str:
        """Transcribe one answer; returns what happened (for logs and tests)."""
        async with self.db.platform() as conn:
            org = await repo.organization_of_answer(conn, answer_id)
        if org is None:
            return "unknown_answer"
        async with self.db.tenant(org) as t:
            answer = await repo.answer_for_transcription(t, answer_id)
            if answer is None or answer["kind"] == "text":
                return "nothing_to_transcribe"
            if not answer["ai_consent"]:
                await repo.save(
                    t,
                    answer_id,
                    "skipped",
                    reason="The candidate did not consent to AI transcription.",
                )
                return "skipped"
            keys = [s["key"] for s in answer["segments"]]
            input_hash = hashlib.sha256("|".join(keys).encode()).hexdigest()
            if answer["transcript_status"] == "ready" and answer["input_hash"] == input_hash:
                return "duplicate"
            await repo.save(t, answer_id, "processing", input_hash=input_hash)
        try:
            recordings = [await self.objects.get(k) for k in keys]
            started = time.perf_counter()
            samples = await asyncio.to_thread(decode_16k, recordings)
            transcript = await asyncio.to_thread(self.stt.transcribe, samples, answer["language"])
            latency_ms = int((time.perf_counter() - started) * 1000)
        except Exception as exc:
            log.exception("transcription_failed", answer_id=str(answer_id))
            async with self.db.tenant(org) as t:
                await repo.save(
                    t,
                    answer_id,
                    "failed",
                    reason=f"{type(exc).__name__}: {exc}"[:500],
                    input_hash=input_hash,
                )
            return "failed"
        segments = [s.as_json() for s in transcript.segments]
        async with self.db.tenant(org) as t:
            await repo.save(
                t,
                answer_id,
                "ready",
                language=transcript.language,
                text=transcript.text,
                segments=segments,
                model=self.model_name,
                input_hash=input_hash,
                confidence=confidence(segments),
            )
            await record_run(
                t,
                "transcription",
                self.stt.provider,
                self.model_name,
                input_hash,
                {
                    "language": transcript.language,
                    "text": transcript.text,
                    "seconds": round(len(samples) / SAMPLE_RATE, 2),
                },
                latency_ms,
                answer_id=answer_id,
            )
            await emit(t.conn, org, TranscriptReady(answer_id=answer_id))
        await self.bus.publish(
            TRANSCRIPTS,
            str(answer_id),
            {
                "answer_id": str(answer_id),
                "kind": "final",
                "language": transcript.language,
                "text": transcript.text,
            },
        )
        log.info(
            "transcribed",
            answer_id=str(answer_id),
            latency_ms=latency_ms,
            audio_s=round(len(samples) / SAMPLE_RATE, 1),
        )
        return "ready"

    async def run(self) -> None:
        async def transcribe(event: dict[str, Any]) -> None:
            if event.get("type") == "answer.recorded":
                await self.handle(UUID(event["data"]["answer_id"]))

        await handle_events(
            self.bus, "transcribe", transcribe, dead_letters=DeadLetters(self.db), topic=PIPELINE
        )
