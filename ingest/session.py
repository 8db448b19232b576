"""One WHIP session: a peer connection that streams one segment of one answer.

It consumes every received track (an unconsumed track grows memory without bound), records
audio and video, taps audio for live transcription, and ends in exactly one way: the client's
DELETE (``stopped``), the answer's time limit (``time_limit``), a lost connection
(``connection_lost``: no RTP for a few seconds, or ICE failure), or an object store that refuses
a write (``storage_failed``). A negotiation that fails in any way (aiortc raises ``KeyError``,
``IndexError`` or ``AssertionError`` for some malformed offers) leaves nothing behind: the peer
connection is closed, its tasks are cancelled and no object is opened.
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

from domain.errors import FairviewError
from ingest import interop
from ingest.audio_tap import AudioTap
from ingest.passthrough import EncodedVideoFrame
from ingest.recorder import RecordingStats, WebmRecorder
from storage.objects import ObjectStore
from streaming.bus import EventBus

log = structlog.get_logger("fairview.ingest")

OPUS_FRAME_MS = 20  # what browsers send per Opus packet
NO_MEDIA_TIMEOUT_S = 4.0  # a dead peer is noticed by ICE consent only after ~30 s
CODEC_REFUSED = (
    "The offer's codecs are not supported: send Opus audio and VP8 video "
    "(browsers: put VP8 first with setCodecPreferences)."
)


class NegotiationError(FairviewError):
    """An offer this session cannot take; ``negotiate`` has undone what it began."""

    code = "unsupported_media"

    def __init__(self, detail: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail, code=code, status_code=status)


def segment_key(answer_id: UUID, segment: int) -> str:
    return f"answers/{answer_id}/segment-{segment}.webm"


@dataclass
class SegmentResult:
    key: str
    ended_by: str
    stats: RecordingStats
    audio_chunks: int
    # How far the connection came: connected, dtls_failed (ICE worked, DTLS did not), ice_failed
    # (the client's checks arrived, no pair worked) or udp_blocked (none of its checks arrived).
    connection: str = "connected"
    packets_received: dict[str, int] = field(default_factory=dict)
    packets_lost: dict[str, int] = field(default_factory=dict)

    def quality(self) -> dict[str, Any]:
        """The segment's network quality from the ingest's own statistics (the recruiter's note):
        packets never received (after retransmission) in % of those sent, audio lost to the
        network (concealed or silent; not what RED's copies brought back), and the time the
        picture stood still."""
        received, lost = sum(self.packets_received.values()), sum(self.packets_lost.values())
        return {
            "packet_loss_pct": round(100 * lost / (received + lost), 1) if received + lost else 0.0,
            "audio_lost_ms": max(
                0, self.packets_lost.get("audio", 0) * OPUS_FRAME_MS - self.stats.redundant_ms
            ),
            "silence_ms": self.stats.silence_ms,
            "frozen_ms": self.stats.frozen_ms,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "ended_by": self.ended_by,
            "bytes": self.stats.bytes_written,
            "duration_ms": self.stats.duration_ms,
            "video_frames": self.stats.video_frames,
            "audio_frames": self.stats.audio_frames,
            "audio_red": self.stats.audio_red,
            "redundant_ms": self.stats.redundant_ms,
            "errors": self.stats.errors,
            "quality": self.quality(),
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
        self.key = segment_key(self.answer_id, self.segment)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        self.recorder = WebmRecorder(
            lambda: self.objects.open_writer(self.key, "video/webm"),
            video=self.video,
            on_failure=lambda: self.end("storage_failed"),
        )
        self.tap = AudioTap(self.bus, self.answer_id, self.segment)
        self._tasks: list[asyncio.Task[None]] = []
        self._last_media = time.monotonic()
        self._ended = asyncio.Event()
        self._end_reason = "stopped"
        self._has_audio = False
        self._ice_connected = False
        self._connected = False
        self._checks: interop.IncomingChecks | None = None
        self.red = False  # the client was asked for RED (it offered it)
        self.recorded = True  # False when the segment's end could not be stored
        self.finished: asyncio.Future[SegmentResult] = asyncio.get_running_loop().create_future()

    async def negotiate(self, offer_sdp: str) -> str:
        """Apply the client's offer and return the SDP answer (all ICE candidates included).

        Raises ``NegotiationError`` for every failure, after undoing everything it began."""
        try:
            return await self._negotiate(offer_sdp)
        except BaseException as exc:
            await self._abandon()
            if isinstance(exc, NegotiationError) or not isinstance(exc, Exception):
                raise
            log.warning("offer_refused", answer_id=str(self.answer_id), error=repr(exc))
            raise NegotiationError(
                "The SDP offer could not be negotiated"
                f" ({type(exc).__name__}: {str(exc)[:200] or 'malformed'}).",
                "invalid_offer",
            ) from exc

    async def _negotiate(self, offer_sdp: str) -> str:
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
            if self.pc.connectionState == "connected":
                self._connected = True
            if self.pc.connectionState in ("failed", "closed"):
                self.end("connection_lost")

        @self.pc.on("iceconnectionstatechange")
        async def on_ice_state() -> None:
            if self.pc.iceConnectionState == "completed":
                self._ice_connected = True

        offer_sdp = interop.clean_offer(offer_sdp)
        interop.recv_transceivers(self.pc, interop.offered_kinds(offer_sdp))
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except ValueError as exc:
            raise NegotiationError(f"The SDP offer is not valid: {exc}", "invalid_offer") from exc
        except OperationError as exc:  # no codec in common
            raise NegotiationError(CODEC_REFUSED, "unsupported_codec") from exc
        interop.answer_as_dtls_server(self.pc)
        self.red = interop.receive_red(self.pc, offer_sdp)
        kinds = {t.kind for t in self.pc.getTransceivers() if t.mid is not None}
        if "audio" not in kinds:
            raise NegotiationError("The offer has no audio: every answer needs a microphone.")
        if self.video and "video" not in kinds:
            raise NegotiationError("This is a video question: the offer has no video track.")
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        if self.video and "VP8" not in self.pc.localDescription.sdp:
            raise NegotiationError(CODEC_REFUSED, "unsupported_codec")
        answer_sdp = interop.ask_for_opus_fec(str(self.pc.localDescription.sdp))
        self._checks = interop.IncomingChecks(self.pc)
        try:
            self.recorder.start()
        except Exception as exc:
            log.error("recording_open_failed", answer_id=str(self.answer_id), error=repr(exc))
            raise NegotiationError(
                "The recording cannot be stored right now; please try again in a moment.",
                "storage_unavailable",
                503,
            ) from exc
        self.tap.start()
        self._tasks.append(asyncio.create_task(self._watch()))
        return answer_sdp

    async def _abandon(self) -> None:
        self._ended.set()
        with contextlib.suppress(Exception):
            await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.recorder.abort()

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

    def _connection(self) -> str:
        if self._connected:
            return "connected"
        if self._ice_connected:
            return "dtls_failed"
        if self._checks is not None and self._checks.count:
            return "ice_failed"
        return "udp_blocked"

    async def _packet_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        received: dict[str, int] = {}
        lost: dict[str, int] = {}
        with contextlib.suppress(Exception):
            for stat in (await self.pc.getStats()).values():
                if stat.type == "inbound-rtp":
                    received[stat.kind] = received.get(stat.kind, 0) + stat.packetsReceived
                    lost[stat.kind] = lost.get(stat.kind, 0) + max(0, stat.packetsLost)
        return received, lost

    async def _finish(self) -> None:
        received, lost = await self._packet_counts()
        with contextlib.suppress(Exception):
            await self.pc.close()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.gather(
            *(t for t in self._tasks if t is not asyncio.current_task()), return_exceptions=True
        )
        stats = await self.recorder.stop()
        await self.tap.stop()
        result = SegmentResult(
            self.key, self._end_reason, stats, self.tap.seq, self._connection(), received, lost
        )
        log.info(
            "segment_ended",
            answer_id=str(self.answer_id),
            segment=self.segment,
            ended_by=self._end_reason,
            bytes=stats.bytes_written,
            duration_ms=stats.duration_ms,
            video_frames=stats.video_frames,
            dropped=stats.dropped_frames,
            connection=result.connection,
            red=self.red,
            quality=result.quality(),
        )
        try:
            await self.on_end(self, result)
        except Exception:
            # Kept in the store; the clean-up reconciles it from the segment opened at start.
            log.exception("segment_not_recorded", answer_id=str(self.answer_id))
            self.recorded = False
        finally:
            self.finished.set_result(result)
