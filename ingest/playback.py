"""After an answer: one playback file (MP4: H.264 + AAC, plays everywhere) joined from its
segments, and a poster frame (JPEG). Native code (FFmpeg) decodes and encodes here, so it runs in
a child process of its own (``python -m ingest.playback``, driven by ``ingest.media_jobs``): a
codec crash ends that process, never the server."""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

POSTER_AT_S = 1.0


def make_playback(segments: list[bytes], video: bool) -> tuple[bytes, bytes | None]:
    # A real file: moving the index to the front (faststart, for quick playback start)
    # rewrites the file, which an in-memory stream cannot do.
    with tempfile.NamedTemporaryFile(suffix=".mp4") as tmp:
        poster = _encode(segments, video, tmp.name)
        return Path(tmp.name).read_bytes(), poster


def _video_size(segments: list[bytes]) -> tuple[int, int] | None:
    """The size of the first video frame of any segment (None: no picture at all)."""
    for data in segments:
        with av.open(io.BytesIO(data), mode="r") as src:
            if not src.streams.video:
                continue
            for frame in src.decode(src.streams.video[0]):
                return frame.width, frame.height
    return None


def _encode(segments: list[bytes], video: bool, path: str) -> bytes | None:
    # Every stream is declared before anything is muxed: adding the video stream after audio
    # packets were written (a camera that starts after the microphone) crashes the MP4 muxer.
    size = _video_size(segments) if video else None
    out = av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"})
    astream = out.add_stream("aac", rate=48_000)
    astream.layout = "mono"
    vstream: Any = None
    if size is not None:
        vstream = out.add_stream("libx264", rate=30)
        vstream.width, vstream.height = size
        vstream.pix_fmt = "yuv420p"
        vstream.time_base = Fraction(1, 1000)
        vstream.options = {"preset": "veryfast", "crf": "26"}
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=48_000)
    poster: bytes | None = None
    audio_pts = 0
    video_base_ms = 0
    last_video_ms = -1
    for data in segments:
        segment_end_ms = video_base_ms
        with av.open(io.BytesIO(data), mode="r") as src:
            streams = [s for s in src.streams if s.type in ("audio", "video")]
            for frame in src.decode(*streams):
                if isinstance(frame, av.AudioFrame):
                    for f in resampler.resample(frame):
                        f.pts = audio_pts
                        f.time_base = Fraction(1, 48_000)
                        audio_pts += f.samples
                        for packet in astream.encode(f):
                            out.mux(packet)
                elif isinstance(frame, av.VideoFrame) and vstream is not None:
                    t_ms = video_base_ms + int(float(frame.time or 0) * 1000)
                    if t_ms <= last_video_ms:  # the muxer needs strictly rising timestamps
                        continue
                    last_video_ms = t_ms
                    segment_end_ms = max(segment_end_ms, t_ms + 1)
                    if poster is None and t_ms >= POSTER_AT_S * 1000:
                        poster = _jpeg(frame)
                    image = frame.reformat(
                        width=vstream.width, height=vstream.height, format="yuv420p"
                    )
                    image.pts = t_ms
                    image.time_base = Fraction(1, 1000)
                    for packet in vstream.encode(image):
                        out.mux(packet)
        video_base_ms = max(segment_end_ms, audio_pts * 1000 // 48_000)
    for packet in astream.encode(None):
        out.mux(packet)
    if vstream is not None:
        for packet in vstream.encode(None):
            out.mux(packet)
    out.close()
    return poster


def _jpeg(frame: av.VideoFrame) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mjpeg") as out:
        stream = out.add_stream("mjpeg", rate=1)
        stream.width, stream.height = frame.width, frame.height
        stream.pix_fmt = "yuvj420p"
        image = frame.reformat(format="yuvj420p")
        image.pts = 0
        for packet in stream.encode(image):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def probe_duration_ms(data: bytes) -> int:
    """The media duration of a recording, from its streams' last timestamps."""
    last = 0.0
    with av.open(io.BytesIO(data), mode="r") as src:
        for packet in src.demux():
            if packet.pts is not None and packet.time_base is not None:
                last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return int(last * 1000)


def main(argv: list[str] | None = None) -> int:
    """``python -m ingest.playback OUT_DIR SEGMENT... [--video]``: writes ``OUT_DIR/playback.mp4``
    and, when there is a picture, ``OUT_DIR/poster.jpg``."""
    parser = argparse.ArgumentParser(prog="python -m ingest.playback")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("segments", type=Path, nargs="+")
    parser.add_argument("--video", action="store_true")
    args = parser.parse_args(argv)
    video, poster = make_playback([p.read_bytes() for p in args.segments], args.video)
    (args.out_dir / "playback.mp4").write_bytes(video)
    if poster:
        (args.out_dir / "poster.jpg").write_bytes(poster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
