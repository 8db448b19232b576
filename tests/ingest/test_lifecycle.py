"""The answer's lifecycle through real WHIP sessions (aiortc on loopback): technical failures cost
nothing, and a refused offer leaves the answer answerable."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import Settings
from ingest.client import WhipError, publish, speak
from tests.api_client import ApiClient
from tests.candidates import consented_candidate
from tests.ingest.test_whip import wait_answer
from tests.services import REDIS_URL  # noqa: F401 - the fixtures need Redis
from tests.speech import SPEECH_WAV

ONE_TRY = [
    {"prompt": "Once.", "kind": "audio", "think_seconds": 0, "answer_seconds": 30, "retakes": 0}
]


def unreachable(answer: str) -> str:
    """The ingest's answer without its ICE candidates: the connection never forms, no media."""
    return re.sub(r"a=candidate:[^\r\n]*\r?\n", "", answer)


async def test_two_technical_failures_then_a_good_answer_with_no_retakes(
    api: ApiClient, server: str
) -> None:
    _, c = await consented_candidate(api, server, ONE_TRY)
    question = (await c.session())["questions"][0]
    async with httpx.AsyncClient(timeout=30) as http:
        for n in (1, 2):
            attempt = await c.attempt(question["id"])
            assert (attempt["attempt"], attempt["attempts_left"]) == (n, 0)
            session = await publish(
                http,
                attempt["whip_url"],
                attempt["whip_token"],
                audio_file=str(SPEECH_WAV),
                video=False,
                rewrite_answer=unreachable,
            )
            assert (await session.stop(http)).status_code == 200
            state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] != "recording")
            # No ICE candidates in the answer: the connection never forms. (The server's own
            # checks can still reach the client and bring ICE up just before the stop; then it
            # is DTLS that did not finish. Either way a connection failure, not the camera.)
            assert state["status"] == "failed", state
            assert state["failure_code"] in ("ice_failed", "dtls_failed"), state
            s = await c.session()
            assert s["questions"][0]["attempts_used"] == 0  # the failure cost nothing
        good = await c.attempt(question["id"])
        assert good["attempt"] == 3
        r = await speak(
            http, good["whip_url"], good["whip_token"], audio_file=str(SPEECH_WAV), video=False
        )
        assert r.status_code == 200, r.text
    await wait_answer(c, good["answer_id"], lambda s: s["status"] == "recorded")
    r = await c.post(f"/questions/{question['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (409, "no_retakes_left")
    assert (await c.post("/finish")).status_code == 204
    # The team reviews the answer that counts: the good one, not a failure.
    interview_id = (await api.get("/api/v1/interviews")).json()["items"][0]["id"]
    cands = (await api.get(f"/api/v1/interviews/{interview_id}/candidates")).json()["items"]
    assert cands[0]["answered"] == 1
    review: Any = (await api.get(f"/api/v1/candidates/{cands[0]['id']}/answers")).json()
    assert [(q["answer"]["attempt"], q["answer"]["status"]) for q in review["questions"]] == [
        (3, "recorded")
    ]


def _setup(value: str) -> Any:
    return lambda offer: offer.replace("a=setup:actpass", f"a=setup:{value}")


MALFORMED_OFFERS = {
    # aiortc raises KeyError for a DTLS role it does not know.
    "setup_holdconn": _setup("holdconn"),
    "setup_unknown": _setup("sideways"),
    # IndexError: an rtpmap without a clock rate.
    "rtpmap_without_rate": lambda offer: re.sub(
        r"a=rtpmap:(\d+) opus/48000/2", r"a=rtpmap:\1 opus", offer
    ),
    # AssertionError: a payload type beyond 127.
    "payload_type_999": lambda offer: re.sub(
        r"^(m=audio \S+ \S+) \d+", r"\1 999", offer, count=1, flags=re.M
    ),
    # ValueError: a candidate line that is not one.
    "broken_candidate": lambda offer: offer.replace("a=candidate:", "a=candidate:x ", 1),
    # ValueError: no ICE credentials.
    "no_ice_credentials": lambda offer: re.sub(r"a=ice-(ufrag|pwd):[^\r\n]*\r\n", "", offer),
}


async def test_malformed_offers_are_refused_cleanly_and_the_answer_stays_answerable(
    api: ApiClient, server: str, settings: Settings
) -> None:
    _, c = await consented_candidate(api, server, ONE_TRY)
    question = (await c.session())["questions"][0]
    attempt = await c.attempt(question["id"])
    media = Path(settings.object_store) / "answers" / attempt["answer_id"]

    async def refused(shape: str, rewrite: Any) -> dict[str, Any]:
        with pytest.raises(WhipError) as refusal:
            await publish(
                http,
                attempt["whip_url"],
                attempt["whip_token"],
                audio_file=str(SPEECH_WAV),
                video=False,
                rewrite_offer=rewrite,
            )
        assert refusal.value.status == 400, (shape, refusal.value.body)
        assert refusal.value.body["error"] == "invalid_offer", (shape, refusal.value.body)
        assert refusal.value.body["detail"], shape
        # Nothing is left behind: no open file, no session holding the answer.
        assert not list(media.glob("*.part")) if media.exists() else True, shape
        state: dict[str, Any] = (await c.get(f"/answers/{attempt['answer_id']}")).json()
        return state

    async with httpx.AsyncClient(timeout=30) as http:
        for shape, rewrite in MALFORMED_OFFERS.items():
            state = await refused(shape, rewrite)
            assert (state["status"], state["failure_reason"]) == ("pending", None), shape
        # The same answer streams at once (no 409 already_streaming): part of it, then the
        # connection drops, so the answer is interrupted and resumable.
        session = await publish(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recording")
        deadline = asyncio.get_running_loop().time() + 15
        while not (media / "segment-1.webm.part").exists() or (
            (media / "segment-1.webm.part").stat().st_size < 8_000
        ):
            assert asyncio.get_running_loop().time() < deadline, "nothing was recorded"
            await asyncio.sleep(0.05)
        await session.pc.close()
        interrupted = await wait_answer(
            c, attempt["answer_id"], lambda s: s["status"] == "interrupted"
        )
        # A malformed offer to resume with leaves it interrupted, reason and media kept.
        for shape in ("setup_holdconn", "payload_type_999"):
            state = await refused(shape, MALFORMED_OFFERS[shape])
            assert state["status"] == "interrupted", shape
            assert state["failure_reason"] == interrupted["failure_reason"]
            assert state["duration_ms"] == interrupted["duration_ms"]
        r = await speak(
            http,
            attempt["whip_url"],
            attempt["whip_token"],
            audio_file=str(SPEECH_WAV),
            video=False,
        )
        assert r.status_code == 200, r.text
    state = await wait_answer(c, attempt["answer_id"], lambda s: s["status"] == "recorded")
    assert state["duration_ms"] > interrupted["duration_ms"]
    assert sorted(p.name for p in media.iterdir() if p.suffix in (".webm", ".part")) == [
        "segment-1.webm",
        "segment-2.webm",
    ]
    assert (await c.post("/finish")).status_code == 204
