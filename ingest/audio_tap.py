"""The audio tap: 16 kHz mono PCM chunks of ~0.5 s, published to the ``audio`` topic keyed by
answer id with sequence numbers, for incremental transcription (consumers de-duplicate by seq)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from typing import Any
from uuid import UUID

import av
import structlog

from streaming.bus import AUDIO, EventBus

log = structlog.get_logger("fairview.audio_tap")

SAMPLE_RATE = 16_000
CHUNK_SAMPLES = SAMPLE_RATE // 2
QUEUE_LIMIT = 120  # one minute of chunks; beyond that the bus is down and chunks are dropped


class AudioTap:
    def __init__(self, bus: EventBus, answer_id: UUID, segment: int) -> None:
        self.bus = bus
        self.answer_id = str(answer_id)
        self.segment = segment
        self.seq = 0
        self.samples = 0
        self.dropped = 0
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._buffer = bytearray()
        self._origin: int | None = None  # the first frame's position, in tap samples
        self._fed = 0  # samples put into the buffer so far
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._publish_loop())

    def add(self, frame: av.AudioFrame) -> None:
        if frame.pts is not None and frame.sample_rate:  # keep to the RTP timeline
            at = frame.pts * SAMPLE_RATE // frame.sample_rate
            if self._origin is None:
                self._origin = at
            missing = at - self._origin - self._fed
            if missing > 0:  # lost packets: silence, so offsets stay true
                self._buffer += bytes(missing * 2)
                self._fed += missing
        for out in self._resampler.resample(frame):
            self._buffer += bytes(out.planes[0])[: out.samples * 2]
            self._fed += out.samples
        while len(self._buffer) >= CHUNK_SAMPLES * 2:
            self._emit(bytes(self._buffer[: CHUNK_SAMPLES * 2]))
            del self._buffer[: CHUNK_SAMPLES * 2]

    def _emit(self, pcm: bytes, final: bool = False) -> None:
        message = {
            "answer_id": self.answer_id,
            "segment": self.segment,
            "seq": self.seq,
            "offset_ms": self.samples * 1000 // SAMPLE_RATE,
            "sample_rate": SAMPLE_RATE,
            "pcm_s16le": base64.b64encode(pcm).decode(),
            "final": final,
            "sent_at": time.time(),
        }
        self.seq += 1
        self.samples += len(pcm) // 2
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _publish_loop(self) -> None:
        while (message := await self._queue.get()) is not None:
            try:
                await self.bus.publish(AUDIO, self.answer_id, message)
            except Exception:
                # Live transcription is best effort; the final pass reads the recording.
                self.dropped += 1
                log.warning("audio_chunk_not_published", answer_id=self.answer_id)

    async def stop(self) -> None:
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                self._task.cancel()
