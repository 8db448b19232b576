"""Receive VP8 video without decoding it, and Opus on its RTP timeline.

aiortc decodes every received video frame, which costs far more CPU than recording needs. This
module swaps aiortc's decoder factory (``aiortc.rtcrtpreceiver.get_decoder``) so that VP8 frames
reach the track still encoded, as ``EncodedVideoFrame``, and Opus is decoded by
``ingest.opus`` (loss concealed, FEC used, RED's redundant copies used); other codecs decode as
usual. It also swaps the
jitter buffer aiortc's receiver builds for ``ingest.reassembly.Reassembler``, which does not
multiply packet loss. ``install()`` is idempotent; the ingest process calls it once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiortc.rtcrtpreceiver as receiver

from ingest.opus import OpusDecoder

VIDEO_CLOCK_RATE = 90_000
_original = receiver.get_decoder  # type: ignore[attr-defined]
_installed = False


@dataclass(frozen=True)
class EncodedVideoFrame:
    data: bytes
    timestamp: int  # RTP timestamp, 90 kHz
    keyframe: bool


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 §9.1), None for inter frames."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


class PassthroughDecoder:
    def decode(self, encoded_frame: Any) -> list[EncodedVideoFrame]:
        frames = getattr(encoded_frame, "frames", None)  # a reassembly.FrameBundle
        if frames is None:
            frames = [(encoded_frame.timestamp, encoded_frame.data)]
        first = frames[0][0]
        out = []
        for timestamp, payload in frames:
            data = bytes(payload)
            mapped = encoded_frame.timestamp + (timestamp - first) % 2**32
            out.append(EncodedVideoFrame(data, mapped, vp8_keyframe_size(data) is not None))
        return out


def _get_decoder(codec: Any) -> Any:
    if codec.mimeType.lower() == "video/vp8":
        return PassthroughDecoder()
    if codec.mimeType.lower() == "audio/opus":
        return OpusDecoder()
    if codec.mimeType.lower() == "audio/red":  # only answered for Opus (interop.receive_red)
        return OpusDecoder(red=True)
    return _original(codec)


def install() -> None:
    from ingest.reassembly import Reassembler

    global _installed
    if not _installed:
        receiver.get_decoder = _get_decoder  # type: ignore[attr-defined]
        receiver.JitterBuffer = Reassembler  # type: ignore[attr-defined,assignment]
        _installed = True
