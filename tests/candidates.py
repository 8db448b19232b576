"""Builders for tests that need an active interview and a candidate with a link."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api_client import ApiClient

QUESTIONS = [
    {
        "prompt": "Introduce yourself on camera.",
        "kind": "video",
        "think_seconds": 0,
        "answer_seconds": 60,
        "retakes": 1,
        "rubric": [{"name": "Clarity", "weight": 2, "strong_answer": "Structured"}],
    },
    {
        "prompt": "Describe a hard problem you solved.",
        "kind": "audio",
        "think_seconds": 0,
        "answer_seconds": 60,
        "retakes": 0,
    },
    {"prompt": "Why this role?", "kind": "text", "think_seconds": 0, "answer_seconds": 600},
]


async def interview_with_candidate(
    api: ApiClient, questions: list[dict[str, Any]] | None = None, **candidate: Any
) -> tuple[dict[str, Any], str]:
    """An active interview and one candidate; returns (interview, candidate token)."""
    if "user" not in (await api.get("/api/v1/auth/me")).json():
        await api.sign_up()
    r = await api.post(
        "/api/v1/interviews", json={"title": "Support lead", "questions": questions or QUESTIONS}
    )
    interview = r.json()
    r = await api.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "active"})
    assert r.status_code == 201, r.text
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora", "email": "cora@example.com", "send_email": False, **candidate},
    )
    assert r.status_code == 201, r.text
    return interview, r.json()["link"].rsplit("/", 1)[1]


AUDIO_QUESTION = [
    {"prompt": "Tell us about yourself.", "kind": "audio", "think_seconds": 0, "answer_seconds": 60}
]


async def consented_candidate(
    api: ApiClient, server: str, questions: list[dict[str, Any]] | None = None, ai: bool = True
) -> tuple[dict[str, Any], CandidateClient]:
    """An active interview and a candidate who has given consent, on the candidate's side."""
    interview, token = await interview_with_candidate(api, questions)
    candidate = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await candidate.consent(ai=ai)
    return interview, candidate


class CandidateClient:
    """The candidate's side of the API, authorised by their link's token."""

    def __init__(self, http: httpx.AsyncClient, token: str, tab: str = "tab-1") -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}", "X-Fairview-Tab": tab}

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(f"/api/v1/candidate{path}", headers=self.headers, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.post(f"/api/v1/candidate{path}", headers=self.headers, **kw)

    async def session(self) -> dict[str, Any]:
        r = await self.get("/session")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def consent(self, ai: bool = True) -> None:
        s = await self.session()
        r = await self.post(
            "/consent", json={"notice_version": s["notice_version"], "recording": True, "ai": ai}
        )
        assert r.status_code == 204, r.text

    async def attempt(self, question_id: str) -> dict[str, Any]:
        r = await self.post(f"/questions/{question_id}/attempts")
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body
