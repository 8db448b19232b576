"""The answer's lifecycle through real WHIP sessions (aiortc on loopback): technical failures cost
nothing, and a refused offer leaves the answer answerable."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ingest.client import publish, speak
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
            assert state["status"] == "failed" and "No audio" in state["failure_reason"]
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
