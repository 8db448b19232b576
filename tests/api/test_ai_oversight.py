"""AI oversight: switching AI evaluation off (organization, interview), the audit over AI runs,
reviewer overrides of AI scores, and the candidate's AI notice with their requests."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import body_text

QUESTION = [
    {
        "prompt": "How do you handle an angry customer?",
        "kind": "text",
        "think_seconds": 0,
        "answer_seconds": 300,
        "rubric": [
            {"name": "Empathy", "weight": 2, "strong_answer": "Listens and acknowledges"},
            {"name": "Resolution", "weight": 1, "strong_answer": "Offers a concrete fix"},
        ],
    }
]
ANSWER = "I listen to the customer, acknowledge the problem and offer a concrete fix."


async def answered(api: ApiClient, server: str, email: str) -> tuple[str, str, str]:
    """A candidate (consenting to AI) who answered and finished: interview, candidate, answer."""
    interview, token = await interview_with_candidate(api, QUESTION, email=email)
    c = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await c.consent(ai=True)
    q = (await c.session())["questions"][0]
    r = await c.post(f"/questions/{q['id']}/text", json={"text": ANSWER})
    assert r.status_code == 201, r.text
    assert (await c.post("/finish")).status_code == 204
    items = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    return interview["id"], items[0]["id"], r.json()["id"]


async def review(api: ApiClient, candidate_id: str, until: Any) -> dict[str, Any]:
    for _ in range(600):
        body: dict[str, Any] = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
        if until(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached: {body}")


def evaluation(body: dict[str, Any]) -> dict[str, Any] | None:
    result: dict[str, Any] | None = body["questions"][0]["answer"]["evaluation"]
    return result


async def test_ai_switched_off_records_no_ai_run(api: ApiClient, server: str, db: Any) -> None:
    await api.sign_up()
    r = await api.request("PUT", "/api/v1/compliance/settings", json={"ai_evaluation": False})
    assert r.status_code == 200 and r.json() == {"ai_evaluation": False}
    _, off_candidate, _ = await answered(api, server, "off@example.com")
    body = await review(api, off_candidate, evaluation)
    ev = evaluation(body)
    assert ev is not None
    assert ev["status"] == "skipped" and ev["result"] == {}
    assert ev["reason"] == "AI evaluation is switched off for the organization."

    # Back on for the organization, off for one interview only.
    await api.request("PUT", "/api/v1/compliance/settings", json={"ai_evaluation": True})
    interview_id, quiet, _ = await answered(api, server, "quiet@example.com")
    r = await api.request(
        "PUT", f"/api/v1/interviews/{interview_id}/ai-settings", json={"ai_evaluation": False}
    )
    assert r.json() == {
        "ai_evaluation": False,
        "organization_ai_evaluation": True,
        "effective": False,
    }
    # The switch holds for what is evaluated from now on: a new candidate of that interview.
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/candidates",
        json={"name": "Ivo", "email": "ivo@example.com", "send_email": False},
    )
    c = CandidateClient(
        httpx.AsyncClient(base_url=server, timeout=30), r.json()["link"].rsplit("/", 1)[1]
    )
    await c.consent(ai=True)
    q = (await c.session())["questions"][0]
    await c.post(f"/questions/{q['id']}/text", json={"text": ANSWER})
    assert (await c.post("/finish")).status_code == 204
    ivo = r.json()["candidate"]["id"]
    ev = evaluation(await review(api, ivo, evaluation))
    assert ev is not None and ev["status"] == "skipped"
    assert ev["reason"] == "AI evaluation is switched off for this interview."

    # A control candidate elsewhere with AI on is evaluated and summarised; only their runs
    # (and "quiet"'s, answered before the interview's switch) exist.
    _, control, _ = await answered(api, server, "control@example.com")
    await review(api, control, lambda b: b["summary"] is not None)
    runs = await db.fetch(
        "SELECT coalesce(r.candidate_id, a.candidate_id) AS candidate FROM ai_runs r"
        " LEFT JOIN answers a ON a.id = r.answer_id"
    )
    assert {str(r["candidate"]) for r in runs} <= {control, quiet}
    assert not {str(r["candidate"]) for r in runs} & {off_candidate, ivo}
    actions = await db.fetch(
        "SELECT target, details FROM audit_log WHERE action = 'ai_evaluation.switched' ORDER BY id"
    )
    assert [(a["target"], json.loads(a["details"])["on"]) for a in actions] == [
        ("organization", False),
        ("organization", True),
        (f"interview:{interview_id}", False),
    ]


async def test_ai_runs_audit_filters_and_exports(
    api: ApiClient, server: str, client_factory: Any, inbox: Any
) -> None:
    await api.sign_up()
    _, first, answer_id = await answered(api, server, "first@example.com")
    _, second, _ = await answered(api, server, "second@example.com")
    for candidate in (first, second):
        await review(api, candidate, lambda b: b["summary"] is not None)
    page = (await api.get("/api/v1/ai-runs")).json()
    assert {r["kind"] for r in page["items"]} == {"evaluation", "summary"}
    assert page["models"] == ["local-rubric"]
    mine = (await api.get("/api/v1/ai-runs", params={"candidate": first})).json()["items"]
    assert len(mine) == 2 and {r["candidate_id"] for r in mine} == {first}
    run = next(r for r in mine if r["kind"] == "evaluation")
    assert run["answer_id"] == answer_id and len(run["input_hash"]) == 64
    assert run["output"]["criteria"][0]["criterion"] == "Empathy" and run["error"] is None
    only = await api.get("/api/v1/ai-runs", params={"candidate": first, "kind": "summary"})
    assert [r["kind"] for r in only.json()["items"]] == ["summary"]
    none = await api.get("/api/v1/ai-runs", params={"model": "gpt-x"})
    assert none.json()["items"] == []
    later = await api.get("/api/v1/ai-runs", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json()["items"] == []
    paged = (await api.get("/api/v1/ai-runs", params={"limit": 3})).json()
    rest = (await api.get("/api/v1/ai-runs", params={"cursor": paged["next_cursor"]})).json()
    assert len(paged["items"]) == 3 and len(rest["items"]) == 1

    r = await api.get("/api/v1/ai-runs.csv", params={"candidate": first})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["kind"] for row in rows) == ["evaluation", "summary"]
    assert json.loads(next(x for x in rows if x["kind"] == "evaluation")["output"]) == run["output"]

    # Reviewers do not read the audit.
    await api.post(
        "/api/v1/team-invitations", json={"email": "rev@example.com", "role": "reviewer"}
    )
    from tests.services import token_in

    mail = await inbox.wait_for(lambda m: m["To"] == "rev@example.com")
    reviewer = client_factory()
    await reviewer.post(
        "/api/v1/team-invitations/accept",
        json={"token": token_in(mail, "accept-invite"), "name": "Rev", "password": "passw0rd!x"},
    )
    assert (await reviewer.get("/api/v1/ai-runs")).status_code == 403


async def test_overrides_keep_both_values(api: ApiClient, server: str, db: Any) -> None:
    await api.sign_up()
    _, candidate, answer_id = await answered(api, server, "over@example.com")
    await review(api, candidate, lambda b: b["summary"] is not None)
    # What an evaluator that judges content (an LLM) stores: scores per criterion.
    judged = {
        "method": "llm",
        "graded": True,
        "label": "AI evaluation",
        "summary": "Good.",
        "overall": 4.33,
        "criteria": [
            {"criterion": "Empathy", "weight": 2, "score": 5, "rationale": "", "evidence": []},
            {"criterion": "Resolution", "weight": 1, "score": 3, "rationale": "", "evidence": []},
        ],
    }
    await db.execute(
        "UPDATE evaluations SET method = 'llm', result = $2 WHERE answer_id = $1",
        uuid.UUID(answer_id),
        json.dumps(judged),
    )
    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={
            "ratings": [
                {"criterion": "Empathy", "score": 2},
                {"criterion": "Resolution", "score": 3},
            ]
        },
    )
    assert r.status_code == 204
    await api.post(f"/api/v1/candidates/{candidate}/decision", json={"decision": "hold"})
    await api.post(f"/api/v1/candidates/{candidate}/decision", json={"decision": "reject"})
    items = (await api.get("/api/v1/ai-overrides")).json()["items"]
    got = [(o["kind"], o["criterion"], o["ai_score"], o["human_value"]) for o in items]
    # The rating that agrees (Resolution 3) and the hold are no overrides.
    assert got == [("decision", None, 4.33, "reject"), ("rating", "Empathy", 5.0, "2")]
    assert {o["candidate_id"] for o in items} == {candidate}


async def test_notice_from_the_rubric_and_the_candidates_requests(
    api: ApiClient, server: str, inbox: Any, db: Any
) -> None:
    await api.sign_up()
    interview, token = await interview_with_candidate(api, QUESTION, email="nia@example.com")
    c = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    # During the interview, the notice names what the AI compares answers with.
    notice = (await c.get("/ai-notice")).json()
    assert [x["name"] for x in notice["evaluates"][0]["criteria"]] == ["Empathy", "Resolution"]
    assert notice["evaluates"][0]["criteria"][0]["strong_answer"] == "Listens and acknowledges"
    assert "no grade" in notice["engine"]  # no LLM configured: coverage, said so
    assert any("never decides" in line for line in notice["never"])
    assert any("face" in line and "accent" in line for line in notice["never"])
    await c.consent(ai=True)
    q = (await c.session())["questions"][0]
    await c.post(f"/questions/{q['id']}/text", json={"text": ANSWER})
    assert (await c.post("/finish")).status_code == 204
    candidate = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()
    candidate_id = candidate["items"][0]["id"]
    await review(api, candidate_id, lambda b: b["summary"] is not None)

    # The confirmation email carries the candidate's rights link; it proves who they are.
    mail = await inbox.wait_for(lambda m: m["To"] == "nia@example.com")
    link = next(w for w in body_text(mail).split() if "/rights/" in w)
    rights = link.rsplit("/rights/", 1)[1]
    assert notice["rights_link"].rsplit("/rights/", 1)[1].split(".")[0] == rights.split(".")[0]
    http = ApiClient(httpx.AsyncClient(base_url=server, timeout=30))  # a browser: CSRF cookie
    page = (await http.get(f"/api/v1/rights/{rights}")).json()
    assert page["name"] == "Cora" and page["ai_active"] is True and page["requests"] == []
    assert (await http.get(f"/api/v1/rights/{rights}x")).status_code == 404

    r = await http.post(
        f"/api/v1/rights/{rights}/requests",
        json={"kind": "accommodation", "message": "I use a screen reader."},
    )
    assert r.status_code == 201 and r.json()["requests"] == ["accommodation"]
    r = await http.post(f"/api/v1/rights/{rights}/requests", json={"kind": "human_review"})
    assert r.json()["ai_active"] is False
    assert r.json()["ai_off_reason"] == "The candidate asked for a review by people only."
    # What the AI produced is withdrawn; the team sees both requests.
    body = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
    ev = evaluation(body)
    assert ev is not None and ev["status"] == "skipped" and ev["result"] == {}
    assert body["summary"] is None
    requests = (await api.get("/api/v1/candidate-requests")).json()["items"]
    assert [(x["kind"], x["message"]) for x in requests] == [
        ("human_review", ""),
        ("accommodation", "I use a screen reader."),
    ]
    r = await api.post(f"/api/v1/candidate-requests/{requests[1]['id']}/resolve")
    assert r.status_code == 204
    still_open = await api.get("/api/v1/candidate-requests", params={"open_only": True})
    assert [x["kind"] for x in still_open.json()["items"]] == ["human_review"]
