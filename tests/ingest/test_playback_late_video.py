"""A camera that starts after the microphone (real webcams: 0.5-2 s) still gives a playback file.

The MP4 muxer divided by zero (SIGFPE, the whole process gone) when the video stream was added
after audio had been muxed, so the playback file is made here in a child process: a crash fails
the test, not the test run."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SCRIPT = """
import sys
from pathlib import Path
from ingest.playback import make_playback
video, poster = make_playback([Path(sys.argv[1]).read_bytes()], True)
Path(sys.argv[2]).write_bytes(video)
"""


def late_camera_segment(path: Path, video_from_s: float = 1.0, seconds: float = 3.0) -> None:
    """A WebM like the recorder writes (Opus + VP8), whose first video frame comes a second
    after its first audio."""
    out = av.open(str(path), "w", format="webm")
    audio = out.add_stream("libopus", rate=48_000)
    audio.layout = "mono"
    video = out.add_stream("libvpx", rate=20)
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    packets = []
    tone = (np.sin(np.arange(960) / 8) * 8000).astype(np.int16)
    for n in range(int(seconds * 50)):  # 20 ms of audio each
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48_000, n * 960, Fraction(1, 48_000)
        packets += [(float(n * 0.02), p) for p in audio.encode(frame)]
    for n in range(int(video_from_s * 20), int(seconds * 20)):
        image = np.full((240, 320, 3), n * 5 % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = n, Fraction(1, 20)
        packets += [(n / 20, p) for p in video.encode(frame)]
    packets += [(seconds, p) for p in audio.encode(None)]
    packets += [(seconds, p) for p in video.encode(None)]
    for _, packet in sorted(packets, key=lambda tp: tp[0]):
        out.mux(packet)
    out.close()


def test_a_camera_starting_a_second_after_the_microphone_gets_a_playback_file(
    tmp_path: Path,
) -> None:
    segment, playback = tmp_path / "segment-1.webm", tmp_path / "playback.mp4"
    late_camera_segment(segment)
    with av.open(str(segment)) as src:  # the premise: audio is muxed before any video
        first = next(iter(src.demux()))
        assert first.stream.type == "audio"
    made = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(segment), str(playback)],
        capture_output=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    with av.open(str(playback)) as src:
        assert {s.type: s.codec_context.name for s in src.streams} == {
            "audio": "aac",
            "video": "h264",
        }
        frames = sum(1 for _ in src.decode(video=0))
    assert frames >= 35  # two seconds of picture at 20 fps
