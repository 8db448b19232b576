"""Decode received Opus on its RTP timeline, concealing what the network lost.

aiortc's decoder (FFmpeg's libopus wrapper) decodes only the packets that arrive, so a lost
packet vanishes from the timeline. This decoder calls libopus directly (the copy PyAV's wheel
ships, else the system's) and, for a gap before a received packet, first lets libopus conceal the missing time (packet
loss concealment), then recovers the last missing 20 ms from the packet's in-band FEC when the
sender included it (the answer asks for ``useinbandfec=1``). Each output frame's ``pts`` is its
RTP timestamp (48 kHz), so the recorder can place it on the sender's clock.

With RED (RFC 2198, ``red/48000/2``; browsers send it when the answer lists it first) each packet
also carries the previous frame(s) again: a frame the network lost is decoded from the next
packet's redundant copy, exactly as sent. Frames that came in RED packets are marked
(``opaque``: ``RED``, or ``RED_COPY`` for a lost frame's copy) for the segment's statistics.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

RATE = 48_000
CHANNELS = 2
MAX_FRAME = 5760  # 120 ms, the longest Opus frame
MAX_CONCEALED = RATE // 5  # longer gaps are left to the recorder (silence)
TIME_BASE = Fraction(1, RATE)
RED = "red"  # the ``opaque`` of a frame that came in a RED packet
RED_COPY = "red-copy"  # ... decoded from a redundant copy: the network lost its own packet


def _load() -> Any:
    bundled = sorted((Path(av.__file__).parent.parent / "av.libs").glob("libopus*.so*"))
    name = str(bundled[0]) if bundled else ctypes.util.find_library("opus")
    if name is None:
        raise OSError("libopus not found (PyAV's wheel ships one; Debian: libopus0)")
    lib = ctypes.CDLL(name)
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_int16),
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
    return lib


_lib: Any = None


def red_blocks(payload: bytes) -> list[tuple[int, bytes]]:
    """The Opus frames of a RED payload as (timestamp offset back from the packet's, data), oldest
    first and the primary (offset 0) last; redundant blocks of another payload type are left out.
    Raises ``ValueError`` for a truncated payload."""
    headers: list[tuple[int, int, int]] = []  # payload type, offset, length
    i = 0
    while True:
        if i >= len(payload):
            raise ValueError("RED payload without a primary block")
        if not payload[i] & 0x80:  # the last header: the primary's payload type only
            primary_type = payload[i] & 0x7F
            i += 1
            break
        if i + 4 > len(payload):
            raise ValueError("truncated RED header")
        b = payload[i : i + 4]
        headers.append((b[0] & 0x7F, (b[1] << 6) | (b[2] >> 2), ((b[2] & 0x03) << 8) | b[3]))
        i += 4
    blocks: list[tuple[int, bytes]] = []
    for payload_type, offset, length in headers:
        if i + length > len(payload):
            raise ValueError("truncated RED block")
        if payload_type == primary_type and length:
            blocks.append((offset, payload[i : i + length]))
        i += length
    return [*blocks, (0, payload[i:])]


class OpusDecoder:
    """aiortc's decoder interface: ``decode(jitter_frame) -> [av.AudioFrame]``; ``red`` for RED
    payloads (``audio/red``) carrying Opus."""

    def __init__(self, red: bool = False) -> None:
        self.red = red
        global _lib
        if _lib is None:
            _lib = _load()
        error = ctypes.c_int()
        self._decoder = _lib.opus_decoder_create(RATE, CHANNELS, ctypes.byref(error))
        if error.value != 0:
            raise OSError(f"opus_decoder_create failed: {error.value}")
        self._pcm = (ctypes.c_int16 * (MAX_FRAME * CHANNELS))()
        self._next: int | None = None  # RTP timestamp where the next packet should start
        self.concealed_samples = 0
        self.recovered_packets = 0  # gaps ended with the next packet's in-band FEC
        self.redundant_packets = 0  # frames decoded from a RED copy

    def __del__(self) -> None:
        if getattr(self, "_decoder", None) and _lib is not None:
            _lib.opus_decoder_destroy(self._decoder)

    def decode(self, encoded_frame: Any) -> list[av.AudioFrame]:
        frames = getattr(encoded_frame, "frames", None)
        base = encoded_frame.timestamp
        if frames is None:
            items = [(0, encoded_frame.data)]
        else:  # a FrameBundle: timestamps relative to the first frame
            first = frames[0][0]
            items = [((ts - first) % 2**32, data) for ts, data in frames]
        out: list[av.AudioFrame] = []
        for offset, data in items:
            if self.red:
                out += self._decode_red(base + offset, data)
            else:
                out += self._decode_one(base + offset, data)
        return out

    def _decode_red(self, timestamp: int, payload: bytes) -> list[av.AudioFrame]:
        try:
            blocks = red_blocks(payload)
        except ValueError:
            return []  # a malformed packet is lost like any other
        out: list[av.AudioFrame] = []
        for back, data in blocks[:-1]:
            at = timestamp - back
            if self._next is not None and self._next <= at < timestamp:  # lost: its copy fills in
                frames = self._decode_one(at, data)  # concealment first, if more was lost
                if frames:
                    frames[-1].opaque = RED_COPY
                    self.redundant_packets += 1
                out += frames
        out += self._decode_one(timestamp, blocks[-1][1])
        for frame in out:
            frame.opaque = frame.opaque or RED
        return out

    def _decode_one(self, timestamp: int, data: bytes) -> list[av.AudioFrame]:
        out: list[av.AudioFrame] = []
        samples = _lib.opus_packet_get_nb_samples(data, len(data), RATE)
        if samples <= 0:
            return out
        gap = timestamp - self._next if self._next is not None else 0
        if 0 < gap <= MAX_CONCEALED:
            fec = min(samples, gap)
            plc = gap - fec
            at = self._next
            while plc > 0:  # libopus conceals in multiples of 2.5 ms, at most 120 ms a call
                n = min(MAX_FRAME, plc - plc % 120 or plc)
                out += self._run(None, n, 0, at)
                at += n
                plc -= n
            out += self._run(data, fec, 1, at)
            self.recovered_packets += 1
            self.concealed_samples += gap
        out += self._run(data, samples, 0, timestamp)
        self._next = timestamp + samples
        return out

    def _run(self, data: bytes | None, samples: int, fec: int, pts: Any) -> list[av.AudioFrame]:
        n = _lib.opus_decode(self._decoder, data, len(data) if data else 0, self._pcm, samples, fec)
        if n <= 0:
            return []
        pcm = np.ctypeslib.as_array(self._pcm)[: n * CHANNELS].copy()
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        return [frame]
