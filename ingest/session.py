"""One WHIP session: a peer connection that streams one segment of one answer.

It consumes every received track (an unconsumed track grows memory without bound), records
audio and video, taps audio for live transcription, and ends in exactly one way: the client's
DELETE (``stopped``), the answer's time limit (``time_limit``), or a lost connection
(``connection_lost``: no RTP for a few seconds, or ICE failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import structlog
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import OperationError
from aiortc.mediastreams import MediaStreamError

from ingest import interop
from ingest.audio_tap import AudioTap
from ingest.passthrough import EncodedVideoFrame
from ingest.recorder import RecordingStats, WebmRecorder
from storage.objects import ObjectStore
from streaming.bus import EventBus

log = structlog.get_logger("fairview.ingest")

NO_MEDIA_TIMEOUT_S = 4.0  # a dead peer is noticed by ICE consent only after ~30 s
CODEC_REFUSED = (
    "The offer's codecs are not supported: send Opus audio and VP8 video "
    "(browsers: put VP8 first with setCodecPreferences)."
)


class NegotiationError(Exception):
    def __init__(self, detail: str, code: str = "unsupported_media") -> None:
        super().__init__(detail)
        self.detail, self.code = detail, code


@dataclass
class SegmentResult:
    key: str
    ended_by: str
    stats: RecordingStats
    audio_chunks: int

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "ended_by": self.ended_by,
            "bytes": self.stats.bytes_written,
            "duration_ms": self.stats.duration_ms,
            "video_frames": self.stats.video_frames,
            "audio_frames": self.stats.audio_frames,
            "errors": self.stats.errors,
        }


@dataclass
class IngestSession:
    answer_id: UUID
    organization_id: UUID
    segment: int
    video: bool
    time_limit_s: float
    objects: ObjectStore
    bus: EventBus
    on_end: Callable[[IngestSession, SegmentResult], Awaitable[None]]
    ice_servers: list[Any] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid4().hex)

    def __post_init__(self) -> None:
        self.key = f"answers/{self.answer_id}/segment-{self.segment}.webm"
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        self.recorder = WebmRecorder(
            self.objects.open_writer(self.key, "video/webm"), video=self.video
        )
        self.tap = AudioTap(self.bus, self.answer_id, self.segment)
        self._tasks: list[asyncio.Task[None]] = []
        self._last_media = time.monotonic()
        self._ended = asyncio.Event()
        self._end_reason = "stopped"
        self._has_audio = False
        self.finished: asyncio.Future[SegmentResult] = asyncio.get_running_loop().create_future()

    async def negotiate(self, offer_sdp: str) -> str:
        """Apply the client's offer and return the SDP answer (all ICE candidates included)."""

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._has_audio = True
                self._tasks.append(asyncio.create_task(self._consume_audio(track)))
            elif track.kind == "video" and self.video:
                self._tasks.append(asyncio.create_task(self._consume_video(track)))
            else:
                self._tasks.append(asyncio.create_task(self._drain(track)))

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                self.end("connection_lost")

        offer_sdp = interop.clean_offer(offer_sdp)
        interop.recv_transceivers(self.pc, interop.offered_kinds(offer_sdp))
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except ValueError as exc:
            await self.pc.close()
            raise NegotiationError(f"The SDP offer is not valid: {exc}") from exc
        except OperationError as exc:  # no codec in common
            await self.pc.close()
            raise NegotiationError(CODEC_REFUSED, "unsupported_codec") from exc
        interop.answer_as_dtls_server(self.pc)
        kinds = {t.kind for t in self.pc.getTransceivers() if t.mid is not None}
        if "audio" not in kinds:
            await self.pc.close()
            raise NegotiationError("The offer has no audio: every answer needs a microphone.")
        if self.video and "video" not in kinds:
            await self.pc.close()
            raise NegotiationError("This is a video question: the offer has no video track.")
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        if self.video and "VP8" not in self.pc.localDescription.sdp:
            await self.pc.close()
            raise NegotiationError(CODEC_REFUSED, "unsupported_codec")
        self.recorder.start()
        self.tap.start()
        self._tasks.append(asyncio.create_task(self._watch()))
        return interop.ask_for_opus_fec(str(self.pc.localDescription.sdp))

    async def _consume_audio(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._last_media = time.monotonic()
                self.recorder.add_audio(frame)  # type: ignore[arg-type]
                self.tap.add(frame)  # type: ignore[arg-type]

    async def _consume_video(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._last_media = time.monotonic()
                if isinstance(frame, EncodedVideoFrame):
                    self.recorder.add_video(frame)

    async def _drain(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    async def _watch(self) -> None:
        """End the session at the time limit, or when media stops arriving."""
        started = time.monotonic()
        while not self._ended.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), 0.25)
            now = time.monotonic()
            if now - started >= self.time_limit_s:
                self.end("time_limit")
            elif now - self._last_media >= NO_MEDIA_TIMEOUT_S:
                self.end("connection_lost")
        await self._finish()

    def end(self, reason: str) -> None:
        if not self._ended.is_set():
            self._end_reason = reason
            self._ended.set()

    async def _finish(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.gather(
            *(t for t in self._tasks if t is not asyncio.current_task()), return_exceptions=True
        )
        stats = await self.recorder.stop()
        await self.tap.stop()
        result = SegmentResult(self.key, self._end_reason, stats, self.tap.seq)
        log.info(
            "segment_ended",
            answer_id=str(self.answer_id),
            segment=self.segment,
            ended_by=self._end_reason,
            bytes=stats.bytes_written,
            duration_ms=stats.duration_ms,
            video_frames=stats.video_frames,
            dropped=stats.dropped_frames,
        )
        try:
            await self.on_end(self, result)
        finally:
            self.finished.set_result(result)
