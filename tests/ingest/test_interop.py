"""Offers as other WebRTC stacks write them: Firefox's mDNS candidates, H.264 listed first, the
DTLS role left to the server (actpass)."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import Settings
from ingest import interop
from ingest.client import WhipError, publish
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_whip import media_info, wait_answer
from tests.services import REDIS_URL  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_WAV

FIREFOX_LIKE = """v=0\r
o=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r
m=audio 9 UDP/TLS/RTP/SAVPF 109\r
a=candidate:0 1 UDP 2122252543 0c2a5e7e-1f0e-4d2b-9b4e-3f1d2a6c9e11.local 51234 typ host\r
a=candidate:1 1 UDP 2122252543 192.0.2.7 51235 typ host\r
a=end-of-candidates\r
a=rtpmap:109 opus/48000/2\r
"""


def test_offer_cleanup_drops_mdns_candidates_and_end_of_candidates() -> None:
    cleaned = interop.clean_offer(FIREFOX_LIKE)
    assert ".local" not in cleaned and "a=end-of-candidates" not in cleaned
    assert "192.0.2.7 51235 typ host" in cleaned
    # Nothing unresolvable: the offer keeps its end-of-candidates.
    plain = FIREFOX_LIKE.replace("0c2a5e7e-1f0e-4d2b-9b4e-3f1d2a6c9e11.local", "192.0.2.8")
    assert interop.clean_offer(plain) == plain


def test_answer_asks_for_opus_fec() -> None:
    answer = "m=audio 9 X 96\r\na=rtpmap:96 opus/48000/2\r\nm=audio 9 X 97\r\n"
    answer += "a=rtpmap:97 opus/48000/2\r\na=fmtp:97 minptime=10\r\n"
    fec = interop.ask_for_opus_fec(answer)
    assert "a=fmtp:96 useinbandfec=1\r\n" in fec
    assert "a=fmtp:97 minptime=10;useinbandfec=1\r\n" in fec
    assert interop.ask_for_opus_fec(fec) == fec


def as_firefox(offer: str) -> str:
    """Host candidates hidden behind mDNS names, then end-of-candidates, as Firefox sends."""
    lines = offer.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("a=candidate:"):
            fields = line.split(" ")
            fields[4] = f"{uuid.uuid4()}.local"
            out.append(" ".join(fields))
            if i + 1 == len(lines) or not lines[i + 1].startswith("a=candidate:"):
                out.append("a=end-of-candidates")
        else:
            out.append(line)
    return "\r\n".join(out) + "\r\n"


async def test_firefox_style_h264_first_offer_records_vp8_as_dtls_server(
    api: ApiClient, server: str, settings: Settings
) -> None:
    interview, c = await consented_candidate(api, server)
    attempt = await c.attempt(interview["questions"][0]["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=True,
            video_codec_first="video/H264",
            rewrite_offer=as_firefox,
        )
        answer = session.pc.remoteDescription.sdp
        video = answer[answer.index("m=video") :]
        assert re.findall(r"a=rtpmap:\d+ (\S+)/", video) == ["VP8", "rtx"]
        assert "a=setup:passive" in answer and "a=candidate:" in answer
        assert "useinbandfec=1" in answer
        part = (
            Path(settings.object_store) / "answers" / attempt["answer_id"] / "segment-1.webm.part"
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not part.exists() or part.stat().st_size < 150_000:  # a few seconds of picture
            assert asyncio.get_running_loop().time() < deadline, "no picture was recorded"
            await asyncio.sleep(0.1)
        stopped = await session.stop(http)
    segment = stopped.json()["segment"]
    assert segment["video_frames"] >= 20, segment
    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    assert state["failure_reason"] is None
    recording = Path(settings.object_store) / segment["key"]
    assert media_info(recording)["streams"] == {"audio": "opus", "video": "vp8"}


async def test_offer_without_vp8_is_refused_with_its_own_code(api: ApiClient, server: str) -> None:
    interview, c = await consented_candidate(api, server)
    attempt = await c.attempt(interview["questions"][0]["id"])

    def h264_only(offer: str) -> str:
        video = offer.index("m=video")
        head, tail = offer[:video], offer[video:]
        vp8 = re.findall(r"a=rtpmap:(\d+) VP8/", tail)
        vp8 += re.findall(rf"a=fmtp:(\d+) apt=(?:{'|'.join(vp8)})\r", tail)
        for pt in vp8:
            tail = re.sub(rf"^a=(rtpmap|fmtp|rtcp-fb):{pt} .*\r\n", "", tail, flags=re.MULTILINE)
            tail = re.sub(rf"^(m=video \S+ \S+.*?) {pt}\b", r"\1", tail, flags=re.MULTILINE)
        return head + tail

    async with httpx.AsyncClient(timeout=30) as http:
        with pytest.raises(WhipError) as refused:
            await publish(
                http,
                attempt["whip_url"],
                attempt["whip_token"],
                audio_file=str(SPEECH_WAV),
                video=True,
                rewrite_offer=h264_only,
            )
    assert (refused.value.status, refused.value.body["error"]) == (400, "unsupported_codec")
    assert "VP8" in refused.value.body["detail"]
    state: dict[str, Any] = (await c.get(f"/answers/{attempt['answer_id']}")).json()
    assert state["status"] == "pending"
