"""Evaluation against the rubric (advisory, transparent) and the hiring team's own ratings,
comments and decisions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate

TEXT_Q = [
    {
        "prompt": "How do you handle an angry customer?",
        "kind": "text",
        "think_seconds": 0,
        "answer_seconds": 300,
        "rubric": [
            {
                "name": "Empathy",
                "weight": 2,
                "strong_answer": "Listens to the customer and acknowledges frustration",
            },
            {
                "name": "Resolution",
                "weight": 1,
                "strong_answer": "Offers a concrete fix and follows up",
            },
        ],
    }
]
ANSWER = (
    "First I listen to the customer and acknowledge their frustration. "
    "Then I offer a concrete fix. I like cooking."
)


async def answered(api: ApiClient, server: str, ai: bool) -> tuple[str, str]:
    _, token = await interview_with_candidate(api, TEXT_Q)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await c.consent(ai=ai)
    q = (await c.session())["questions"][0]
    r = await c.post(f"/questions/{q['id']}/text", json={"text": ANSWER})
    assert r.status_code == 201
    assert (await c.post("/finish")).status_code == 204
    interview_id = (await api.get("/api/v1/interviews")).json()["items"][0]["id"]
    cand = (await api.get(f"/api/v1/interviews/{interview_id}/candidates")).json()["items"][0]
    return cand["id"], r.json()["id"]


async def evaluated(api: ApiClient, candidate_id: str) -> dict[str, Any]:
    for _ in range(600):
        review = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
        if review["questions"][0]["answer"]["evaluation"]:
            return review
        await asyncio.sleep(0.1)
    raise AssertionError("no evaluation")


async def test_rubric_evaluation_is_explained_with_evidence(
    api: ApiClient, server: str, db: Any
) -> None:
    await api.sign_up()
    candidate_id, _ = await answered(api, server, ai=True)
    review = await evaluated(api, candidate_id)
    evaluation = review["questions"][0]["answer"]["evaluation"]
    assert evaluation["status"] == "ready" and evaluation["method"] == "local_rubric"
    result = evaluation["result"]
    assert "no grade" in result["label"] and result["graded"] is False
    empathy, resolution = result["criteria"]
    assert empathy["criterion"] == "Empathy" and empathy["weight"] == 2
    # Coverage as what it is: which key points the answer mentions, no 1-5 grade, no overall.
    assert empathy["score"] is None and resolution["score"] is None and result["overall"] is None
    assert empathy["covered"] == ["listens", "customer", "acknowledges", "frustration"]
    assert empathy["missing"] == ["empathy"]
    assert "listens" in empathy["rationale"]
    quotes = [e["quote"] for e in empathy["evidence"]]
    assert quotes == ["First I listen to the customer and acknowledge their frustration."]
    assert all(e["start"] is None for e in empathy["evidence"])  # a written answer
    assert "follows" in resolution["missing"] and "follows" in resolution["rationale"]
    assert "I like cooking." not in [e["quote"] for c in result["criteria"] for e in c["evidence"]]
    run = await db.fetchrow("SELECT kind, model, prompt_version FROM ai_runs")
    assert (run["kind"], run["model"], run["prompt_version"]) == (
        "evaluation",
        "local-rubric",
        "local-rubric-1",
    )
    # The candidate finished: a summary across answers follows.
    for _ in range(100):
        summary = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()["summary"]
        if summary:
            break
        await asyncio.sleep(0.1)
    assert summary["status"] == "ready" and summary["method"] == "local_rubric"
    # No strengths or concerns judged from words; how to get a judgment of content is said.
    assert summary["result"]["graded"] is False
    assert summary["result"]["strengths"] == summary["result"]["concerns"] == []
    text = summary["result"]["summary"]
    assert "1 answer checked" in text and "Empathy: 4 of 5" in text
    assert "/5" not in text and "FAIRVIEW_LLM_BASE_URL" in text


async def test_declined_ai_means_no_evaluation(api: ApiClient, server: str, db: Any) -> None:
    await api.sign_up()
    candidate_id, _ = await answered(api, server, ai=False)
    evaluation = (await evaluated(api, candidate_id))["questions"][0]["answer"]["evaluation"]
    assert evaluation["status"] == "skipped" and evaluation["result"] == {}
    assert await db.fetchval("SELECT count(*) FROM ai_runs") == 0


async def test_people_rate_comment_and_decide(
    api: ApiClient, server: str, client_factory: Any, inbox: Any, db: Any
) -> None:
    await api.sign_up(name="Ada")
    candidate_id, answer_id = await answered(api, server, ai=True)
    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={
            "ratings": [
                {"criterion": "Empathy", "score": 4},
                {"criterion": "Resolution", "score": 2},
            ]
        },
    )
    assert r.status_code == 204
    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Charisma", "score": 5}]},
    )
    assert (r.status_code, r.json()["error"]) == (422, "unknown_criterion")
    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 9}]},
    )
    assert r.status_code == 400

    # A reviewer rates too, comments, but cannot decide.
    await api.post(
        "/api/v1/team-invitations", json={"email": "rev@example.com", "role": "reviewer"}
    )
    mail = await inbox.wait_for(lambda m: m["To"] == "rev@example.com")
    from tests.services import token_in

    reviewer = client_factory()
    await reviewer.post(
        "/api/v1/team-invitations/accept",
        json={
            "token": token_in(mail, "accept-invite"),
            "name": "Rev",
            "password": "p" * 4 + "assw0rd!",
        },
    )
    await reviewer.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 5}]},
    )
    assert (
        await reviewer.post(
            f"/api/v1/candidates/{candidate_id}/comments", json={"body": "Warm and clear."}
        )
    ).status_code == 204
    r = await reviewer.post(
        f"/api/v1/candidates/{candidate_id}/decision", json={"decision": "reject"}
    )
    assert (r.status_code, r.json()["error"]) == (403, "permission_denied")
    assert await db.fetchval("SELECT count(*) FROM decisions") == 0

    assert (
        await api.post(
            f"/api/v1/candidates/{candidate_id}/decision",
            json={"decision": "hold", "note": "Compare first"},
        )
    ).status_code == 204
    assert (
        await api.post(f"/api/v1/candidates/{candidate_id}/decision", json={"decision": "advance"})
    ).status_code == 204
    review = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
    ratings = {r["criterion"]: r for r in review["questions"][0]["answer"]["ratings"]}
    assert ratings["Empathy"] == {
        "criterion": "Empathy",
        "mine": 4,
        "team_average": 4.5,
        "team_count": 2,
    }
    assert ratings["Resolution"]["mine"] == 2 and ratings["Resolution"]["team_count"] == 1
    assert [(d["decision"], d["by"]) for d in review["decisions"]] == [
        ("advance", "Ada"),
        ("hold", "Ada"),
    ]
    assert review["decisions"][1]["note"] == "Compare first"
    assert [(c["author"], c["body"]) for c in review["comments"]] == [("Rev", "Warm and clear.")]
    events = [
        r["t"]
        for r in await db.fetch(
            "SELECT payload->>'type' AS t FROM outbox WHERE payload->>'type' = 'candidate.decided'"
        )
    ]
    assert events == ["candidate.decided", "candidate.decided"]
