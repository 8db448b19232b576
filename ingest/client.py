"""A Python WHIP client (aiortc): streams a microphone-like audio source and, for video answers,
a camera-like video source to a WHIP endpoint. Used by tests, benchmarks and scripts."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import VideoStreamTrack


class MovingPatternTrack(VideoStreamTrack):
    """640x480 frames that change every frame (so the encoder has real work), at 20 fps."""

    def __init__(self, width: int = 640, height: int = 480, fps: int = 20) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._n = 0
        self._t0: float | None = None
        base = np.indices((height, width)).sum(axis=0)
        self._base = (base % 256).astype(np.uint8)

    @property
    def frames_sent(self) -> int:
        return self._n

    async def recv(self) -> av.VideoFrame:
        if self._t0 is None:
            self._t0 = time.monotonic()
        target = self._t0 + self._n / self.fps
        await asyncio.sleep(max(0.0, target - time.monotonic()))
        luma = self._base + np.uint8(self._n * 3 % 256)  # wraps around: a moving pattern
        frame = av.VideoFrame.from_ndarray(np.stack([luma] * 3, axis=-1), format="rgb24")
        frame.pts = self._n * (90_000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90_000)
        self._n += 1
        return frame


@dataclass
class WhipSession:
    pc: RTCPeerConnection
    location: str
    token: str
    player: MediaPlayer | None
    video: MovingPatternTrack | None = None

    async def stop(self, client: httpx.AsyncClient) -> httpx.Response:
        response = await client.delete(
            self.location, headers={"Authorization": f"Bearer {self.token}"}
        )
        await self.pc.close()
        return response


async def publish(
    client: httpx.AsyncClient,
    whip_url: str,
    token: str,
    *,
    audio_file: str,
    video: bool,
    loop_audio: bool = False,
    video_codec_first: str | None = None,
    rewrite_offer: Callable[[str], str] | None = None,
    rewrite_answer: Callable[[str], str] | None = None,
    camera: MovingPatternTrack | None = None,
) -> WhipSession:
    """Offer audio (from a file, played in real time) and optionally video; return the session.

    ``video_codec_first`` (e.g. ``"video/H264"``) orders the offer's video codecs as clients that
    prefer another codec do; ``rewrite_offer`` and ``rewrite_answer`` change the SDP on its way
    (as other stacks write it, or to route media through a test relay); ``camera`` replaces the
    default moving pattern.
    """
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    player = MediaPlayer(audio_file, loop=loop_audio)
    assert player.audio is not None
    pc.addTrack(player.audio)
    camera = (camera or MovingPatternTrack()) if video else None
    if camera is not None:
        sender = pc.addTrack(camera)
        if video_codec_first:
            transceiver = next(t for t in pc.getTransceivers() if t.sender is sender)
            codecs = RTCRtpSender.getCapabilities("video").codecs
            first = [c for c in codecs if c.mimeType.lower() == video_codec_first.lower()]
            transceiver.setCodecPreferences(first + [c for c in codecs if c not in first])
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    response = await client.post(
        whip_url,
        content=rewrite_offer(offer) if rewrite_offer else offer,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"},
    )
    if response.status_code != 201:
        await pc.close()
        raise WhipError(response.status_code, response.json() if response.content else {})
    answer = rewrite_answer(response.text) if rewrite_answer else response.text
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    location = str(httpx.URL(whip_url).join(response.headers["location"]))
    return WhipSession(pc, location, token, player, camera)


async def wait_until_ended(session: WhipSession, timeout_s: float) -> None:
    """Wait until the audio source has played to its end."""
    assert session.player is not None and session.player.audio is not None
    track: Any = session.player.audio
    ended = asyncio.Event()
    track.on("ended", ended.set)
    if track.readyState == "ended":
        return
    await asyncio.wait_for(ended.wait(), timeout_s)


async def speak(
    client: httpx.AsyncClient,
    whip_url: str,
    token: str,
    *,
    audio_file: str,
    video: bool,
    timeout_s: float = 60,
) -> httpx.Response:
    """Stream the whole audio file as one answer segment, then end it (WHIP DELETE)."""
    session = await publish(client, whip_url, token, audio_file=audio_file, video=video)
    await wait_until_ended(session, timeout_s)
    return await session.stop(client)


class WhipError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body
