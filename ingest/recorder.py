"""Record one answer segment as WebM while it streams.

Video arrives still encoded (VP8, see ``passthrough``) and is muxed as is; audio arrives decoded
and is encoded to Opus (cheap). Both are placed on the sender's clock (RTP timestamps, from the
first frame's arrival), so lost packets never shorten the recording: a gap in audio becomes
silence, a gap in video a frozen picture, and both are counted for the answer's quality note.
All PyAV work runs on the recorder's own thread, never on the event loop; muxed bytes are
handed to an object-store writer every few hundred milliseconds, so what was recorded is durable
within about a second of being received.

The writer is opened only when recording starts (a refused offer leaves nothing behind). A write
the object store refuses ends the recording: the failure is recorded in the stats (``storage:``),
``on_failure`` is called so the session ends, later bytes are discarded instead of piling up in
memory, and what was written so far is finalised (kept) when the recorder stops.

The container is opened only when every stream's parameters are known: for a video answer the
first key frame fixes the size (muxing audio first would open the codec without it).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import structlog

from ingest.opus import RED, RED_COPY
from ingest.passthrough import VIDEO_CLOCK_RATE, EncodedVideoFrame, vp8_keyframe_size
from storage.objects import ObjectWriter

log = structlog.get_logger("fairview.recorder")

AUDIO_RATE = 48_000
MAX_PENDING_AUDIO_S = 5.0  # audio kept while waiting for the first video key frame
FROZEN_AFTER_MS = 500  # a picture not renewed for this long counts as frozen
QUEUE_LIMIT = 400  # frames; a stuck recorder drops instead of growing without bound


@dataclass
class RecordingStats:
    audio_frames: int = 0
    video_frames: int = 0
    dropped_frames: int = 0
    bytes_written: int = 0
    duration_ms: int = 0
    video_size: tuple[int, int] | None = None
    silence_ms: int = 0  # audio missing from the stream, recorded as silence
    audio_red: bool = False  # the client sent its audio as RED (a copy of each frame)
    redundant_ms: int = 0  # audio the network lost, decoded from RED's copy in the next packet
    frozen_ms: int = 0  # time the picture stood still (gaps over FROZEN_AFTER_MS)
    errors: list[str] = field(default_factory=list)


class _Sink:
    """A write-only file object collecting the muxer's bytes for the async pump."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()

    def write(self, data: bytes) -> int:
        with self._lock:
            self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        with self._lock:
            data, self._chunks = b"".join(self._chunks), []
        return data

    def flush(self) -> None:
        pass


class WebmRecorder:
    def __init__(
        self,
        open_writer: Callable[[], ObjectWriter],
        *,
        video: bool,
        flush_interval_s: float = 0.25,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self._open_writer = open_writer
        self.writer: ObjectWriter | None = None
        self.storage_error: str | None = None
        self._on_failure = on_failure
        self.expect_video = video
        self.stats = RecordingStats()
        self._sink = _Sink()
        self._queue: queue.Queue[tuple[str, Any, float] | None] = queue.Queue(QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._flush_interval_s = flush_interval_s
        self._pump: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()

    # --- async side ---------------------------------------------------------------------------

    def start(self) -> None:
        """Open the object (raises if the store refuses) and start recording."""
        self.writer = self._open_writer()
        self._t0 = time.monotonic()
        self._thread.start()
        self._pump = asyncio.create_task(self._pump_loop())

    def add_audio(self, frame: av.AudioFrame) -> None:
        self._put(("audio", frame, time.monotonic()))

    def add_video(self, frame: EncodedVideoFrame) -> None:
        self._put(("video", frame, time.monotonic()))

    def _put(self, item: tuple[str, Any, float]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.stats.dropped_frames += 1

    async def _pump_loop(self) -> None:
        while self._thread.is_alive():
            await asyncio.sleep(self._flush_interval_s)
            await self._drain()

    async def _drain(self) -> None:
        data = self._sink.take()
        if not data or self.storage_error is not None or self.writer is None:
            return  # after a refused write, bytes are dropped rather than kept in memory
        try:
            await self.writer.write(data)
        except Exception as exc:
            self._failed(exc)
            return
        self.stats.bytes_written += len(data)

    async def _pump_done(self) -> None:
        # The pump ends by itself once the thread has: never cancel it mid-write, or the next
        # write could overtake one still running in its thread.
        if self._pump is not None:
            await asyncio.gather(self._pump, return_exceptions=True)

    def _failed(self, exc: BaseException) -> None:
        log.error("recording_write_failed", error=f"{type(exc).__name__}: {exc}")
        self.storage_error = f"{type(exc).__name__}: {exc}"
        self.stats.errors.append(f"storage: {self.storage_error}")
        if self._on_failure is not None:
            self._on_failure()

    async def stop(self) -> RecordingStats:
        """Finish the file (trailer included) and make it durable in the object store.

        Never raises: a store that refuses leaves ``storage:`` in the stats' errors, and what was
        written before is finalised (kept) where the store still allows it."""
        if self._thread.is_alive():
            await asyncio.to_thread(self._queue.put, None)
            await asyncio.to_thread(self._thread.join)
        await self._pump_done()
        await self._drain()
        if self.writer is None:
            return self.stats
        try:
            if self.stats.bytes_written:
                await self.writer.close()
            else:
                await self.writer.abort()
        except Exception as exc:  # the bytes written so far stay for the clean-up
            log.error("recording_close_failed", error=f"{type(exc).__name__}: {exc}")
            if self.storage_error is None:
                self.storage_error = f"{type(exc).__name__}: {exc}"
                self.stats.errors.append(f"storage: {self.storage_error}")
        return self.stats

    async def abort(self) -> None:
        """Throw away a recording that never began (a refused offer): nothing is kept."""
        if self._thread.is_alive():
            await asyncio.to_thread(self._queue.put, None)
            await asyncio.to_thread(self._thread.join)
        await self._pump_done()
        if self.writer is not None:
            try:
                await self.writer.abort()
            except Exception:
                log.exception("recording_abort_failed")

    # --- recorder thread ------------------------------------------------------------------------

    def _run(self) -> None:
        container: Any = None
        audio_stream: Any = None
        video_stream: Any = None
        resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
        pending_audio: list[tuple[av.AudioFrame, float]] = []
        audio_pts: int | None = None  # next sample position in the file
        audio_rtp0 = 0  # the first frame's RTP timestamp (48 kHz) and file position
        audio_pos0 = 0
        video_ts0: int | None = None
        video_offset = 0
        last_video_ms: int | None = None
        last_media_s = 0.0

        def open_container(size: tuple[int, int] | None) -> None:
            nonlocal container, audio_stream, video_stream
            container = av.open(self._sink, mode="w", format="webm")
            if size is not None:
                video_stream = container.add_stream("libvpx", rate=30)
                video_stream.width, video_stream.height = size
                video_stream.pix_fmt = "yuv420p"
                video_stream.time_base = Fraction(1, 1000)
                self.stats.video_size = size
            audio_stream = container.add_stream("libopus", rate=AUDIO_RATE)
            audio_stream.layout = "mono"
            container.start_encoding()

        def write_audio(frame: av.AudioFrame, arrived: float) -> None:
            nonlocal audio_pts, audio_rtp0, audio_pos0, last_media_s
            if audio_pts is None:  # align the first sample with its arrival time
                audio_pts = audio_pos0 = int((arrived - self._t0) * AUDIO_RATE)
                audio_rtp0 = frame.pts or 0
            if frame.pts is not None and frame.sample_rate == AUDIO_RATE:
                due = audio_pos0 + (frame.pts - audio_rtp0)
                if due > audio_pts:  # lost audio: silence in its place
                    write_silence(due - audio_pts)
                elif due < audio_pts - frame.samples:
                    return  # a duplicate (or a timestamp from the past)
            if frame.opaque in (RED, RED_COPY):
                self.stats.audio_red = True
            if frame.opaque == RED_COPY:
                self.stats.redundant_ms += frame.samples * 1000 // frame.sample_rate
            for out in resampler.resample(frame):
                encode_audio(out)
            self.stats.audio_frames += 1

        def write_silence(samples: int) -> None:
            self.stats.silence_ms += samples * 1000 // AUDIO_RATE
            while samples > 0:
                n = min(samples, AUDIO_RATE // 10)
                silence = av.AudioFrame(format="s16", layout="mono", samples=n)
                silence.sample_rate = AUDIO_RATE
                for plane in silence.planes:
                    plane.update(bytes(plane.buffer_size))
                encode_audio(silence)
                samples -= n

        def encode_audio(out: av.AudioFrame) -> None:
            nonlocal audio_pts, last_media_s
            assert audio_pts is not None
            out.pts = audio_pts
            out.time_base = Fraction(1, AUDIO_RATE)
            audio_pts += out.samples
            for packet in audio_stream.encode(out):
                container.mux(packet)
            last_media_s = max(last_media_s, audio_pts / AUDIO_RATE)
            self.stats.duration_ms = int(last_media_s * 1000)  # progress, for the keep-alive

        def write_video(frame: EncodedVideoFrame, arrived: float) -> None:
            nonlocal video_ts0, video_offset, last_video_ms, last_media_s
            if video_ts0 is None:
                if not frame.keyframe:
                    return  # a stream must start at a key frame
                video_ts0 = frame.timestamp
                video_offset = int((arrived - self._t0) * 1000)
            ticks = (frame.timestamp - video_ts0) % 2**32
            pts_ms = video_offset + ticks * 1000 // VIDEO_CLOCK_RATE
            if last_video_ms is not None:
                if pts_ms <= last_video_ms:
                    return  # the muxer needs rising timestamps
                if pts_ms - last_video_ms > FROZEN_AFTER_MS:
                    self.stats.frozen_ms += pts_ms - last_video_ms
            last_video_ms = pts_ms
            packet = av.Packet(frame.data)
            packet.stream = video_stream
            packet.time_base = Fraction(1, 1000)
            packet.pts = packet.dts = pts_ms
            packet.is_keyframe = frame.keyframe
            container.mux(packet)
            self.stats.video_frames += 1
            last_media_s = max(last_media_s, pts_ms / 1000)
            self.stats.duration_ms = int(last_media_s * 1000)

        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                kind, frame, arrived = item
                if container is None:
                    if kind == "video":
                        if not frame.keyframe:
                            continue  # the file starts at the first key frame
                        open_container(vp8_keyframe_size(frame.data))
                    elif self.expect_video:
                        pending_audio.append((frame, arrived))
                        if arrived - pending_audio[0][1] < MAX_PENDING_AUDIO_S:
                            continue
                        # No picture after 5 s of sound: keep the sound, say what happened.
                        self.stats.errors.append("no_video")
                        open_container(None)
                        for queued, at in pending_audio:
                            write_audio(queued, at)
                        pending_audio.clear()
                        continue
                    else:
                        open_container(None)
                    for queued, at in pending_audio:
                        write_audio(queued, at)
                    pending_audio.clear()
                if kind == "audio":
                    write_audio(frame, arrived)
                elif video_stream is not None:
                    write_video(frame, arrived)
            if container is None and pending_audio:
                self.stats.errors.append("no_video")
                open_container(None)
                for queued, at in pending_audio:
                    write_audio(queued, at)
            if container is not None:
                for packet in audio_stream.encode(None):
                    container.mux(packet)
                container.close()
        except Exception as exc:  # a broken stream must not take the process down
            log.exception("recorder_failed")
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
            if container is not None:
                with contextlib.suppress(Exception):
                    container.close()
        self.stats.duration_ms = int(last_media_s * 1000)
