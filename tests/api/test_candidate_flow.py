from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox


async def test_link_opens_consent_gates_and_questions_go_in_order(
    api: ApiClient, server: str, db: Any
) -> None:
    _interview, token = await interview_with_candidate(api)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    s = await c.session()
    assert (s["name"], s["status"], s["consented"]) == ("Cora", "opened", False)
    assert s["interview"]["organization"] == "Acme"
    assert [q["prompt"] for q in s["questions"]] == [None, None, None]  # nothing before consent
    assert s["current"] == 0

    first, _, text_q = s["questions"]
    r = await c.post(f"/questions/{first['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (403, "consent_required")
    r = await c.post(
        "/consent", json={"notice_version": s["notice_version"], "recording": False, "ai": False}
    )
    assert (r.status_code, r.json()["error"]) == (422, "recording_consent_required")
    r = await c.post(
        "/consent", json={"notice_version": "1999-01-01", "recording": True, "ai": True}
    )
    assert (r.status_code, r.json()["error"]) == (409, "notice_changed")
    await c.consent(ai=False)
    row = await db.fetchrow("SELECT consent_version, consented_at, ai_consent FROM candidates")
    assert row["consent_version"] == s["notice_version"] and row["consented_at"]
    assert row["ai_consent"] is False

    s = await c.session()
    assert s["questions"][0]["prompt"] == "Introduce yourself on camera."
    assert s["questions"][1]["prompt"] is None  # not reached yet
    r = await c.post(f"/questions/{text_q['id']}/text", json={"text": "Skipping ahead"})
    assert (r.status_code, r.json()["error"]) == (409, "out_of_order")
    r = await c.post("/finish")
    assert (r.status_code, r.json()["error"]) == (409, "unanswered_questions")


async def test_retakes_discard_the_previous_attempt_within_the_limit(
    api: ApiClient, server: str, db: Any
) -> None:
    interview, token = await interview_with_candidate(api, extra_retakes=1)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await c.consent()
    q = interview["questions"][0]  # retakes: 1, plus the accommodation's extra retake
    attempts = [await c.attempt(q["id"]) for _ in range(3)]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["attempts_left"] for a in attempts] == [2, 1, 0]
    r = await c.post(f"/questions/{q['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (409, "no_retakes_left")
    statuses = [r["status"] for r in await db.fetch("SELECT status FROM answers ORDER BY attempt")]
    assert statuses == ["discarded", "discarded", "pending"]
    assert (await c.session())["status"] == "in_progress"


async def test_text_answers_and_finishing(api: ApiClient, server: str, db: Any) -> None:
    only_text = [{"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 600}]
    _, token = await interview_with_candidate(api, only_text)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await c.consent()
    q = (await c.session())["questions"][0]
    r = await c.post(f"/questions/{q['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (409, "text_question")
    r = await c.post(f"/questions/{q['id']}/text", json={"text": "  Because of the mission.  "})
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    assert (await c.session())["current"] is None
    assert (await c.post("/finish")).status_code == 204
    assert await db.fetchval("SELECT text_answer FROM answers") == "Because of the mission."
    r = await c.get("/session")
    assert (r.status_code, r.json()["error"]) == (410, "completed")
    # The candidate's journey, in order (workers add their own events at any moment, such as
    # evaluations and summaries, so only the journey's kinds are compared).
    journey = ["invitation.opened", "interview.started", "answer.recorded", "interview.completed"]
    events = [
        r["t"]
        for r in await db.fetch(
            "SELECT payload->>'type' AS t FROM outbox WHERE payload->>'type' = ANY($1) ORDER BY id",
            journey,
        )
    ]
    assert events[-4:] == journey


async def test_one_tab_at_a_time(api: ApiClient, server: str) -> None:
    _, token = await interview_with_candidate(api)
    http = httpx.AsyncClient(base_url=server)
    first, second = CandidateClient(http, token, "tab-a"), CandidateClient(http, token, "tab-b")
    assert (await first.get("/session")).status_code == 200
    r = await second.get("/session")
    assert (r.status_code, r.json()["error"]) == (409, "open_in_another_tab")
    r = await http.get(
        "/api/v1/candidate/session", headers={**second.headers, "X-Fairview-Tab-Takeover": "1"}
    )
    assert r.status_code == 200
    assert (await first.get("/session")).json()["error"] == "open_in_another_tab"


async def test_deadline_revocation_and_closed_interviews(
    api: ApiClient, server: str, db: Any
) -> None:
    interview, token = await interview_with_candidate(api)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await db.execute("UPDATE candidates SET deadline = now() - interval '1 minute'")
    r = await c.get("/session")
    assert (r.status_code, r.json()["error"]) == (410, "expired")
    assert await db.fetchval("SELECT status FROM candidates") == "expired"
    cand = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"][0]
    r = await api.patch(
        f"/api/v1/candidates/{cand['id']}", json={"deadline": "2100-01-01T00:00:00Z"}
    )
    assert r.json()["status"] == "invited"  # the recruiter's extension reopens the link
    assert (await c.get("/session")).status_code == 200
    await api.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "closed"})
    r = await c.get("/session")
    assert (r.status_code, r.json()["error"]) == (410, "interview_closed")
    r = await httpx.AsyncClient(base_url=server).get(
        "/api/v1/candidate/session", headers={"Authorization": "Bearer nope"}
    )
    assert (r.status_code, r.json()["error"]) == (404, "invalid_link")


async def test_candidates_reach_only_their_own_answers(
    api: ApiClient, client_factory: Any, server: str
) -> None:
    _interview_a, token_a = await interview_with_candidate(api)
    other = client_factory()
    await other.sign_up(email="bob@b.example", org="B")
    interview_b, token_b = await interview_with_candidate(other)
    a = CandidateClient(httpx.AsyncClient(base_url=server), token_a)
    b = CandidateClient(httpx.AsyncClient(base_url=server), token_b)
    await a.consent()
    await b.consent()
    b_attempt = await b.attempt(interview_b["questions"][0]["id"])
    r = await a.get(f"/answers/{b_attempt['answer_id']}")
    assert r.status_code == 404
    r = await a.post(f"/questions/{interview_b['questions'][0]['id']}/attempts")
    assert r.status_code == 404
    r = await a.get(f"/answers/{uuid.uuid4()}")
    assert r.status_code == 404


async def test_public_link_registers_candidates(
    api: ApiClient, server: str, inbox: Inbox, db: Any
) -> None:
    interview, _ = await interview_with_candidate(api)
    link = (await api.post(f"/api/v1/interviews/{interview['id']}/public-link")).json()["url"]
    token = link.rsplit("/", 1)[1]
    public = httpx.AsyncClient(base_url=server)
    shown = (await public.get(f"/api/v1/public-interviews/{token}")).json()
    assert shown["title"] == "Support lead" and shown["organization"] == "Acme"
    r = await public.post(
        f"/api/v1/public-interviews/{token}/join", json={"name": "Pat", "email": "pat@example.com"}
    )
    assert r.status_code == 403  # a browser form: the page's CSRF token is required
    csrf = {"x-csrf-token": public.cookies["fairview_csrf"]}
    r = await public.post(
        f"/api/v1/public-interviews/{token}/join",
        headers=csrf,
        json={"name": "Pat", "email": "pat@example.com"},
    )
    assert r.status_code == 202 and r.json()["link"]
    r = await public.post(
        f"/api/v1/public-interviews/{token}/join",
        headers=csrf,
        json={"name": "Pat", "email": "PAT@example.com"},
    )
    assert r.status_code == 202 and r.json() == {"link": None, "emailed": True}
    await inbox.wait_for(lambda m: m["To"] == "pat@example.com")
    assert await db.fetchval("SELECT source FROM candidates WHERE email = 'pat@example.com'") == (
        "public_link"
    )
    await api.delete(f"/api/v1/interviews/{interview['id']}/public-link")
    assert (await public.get(f"/api/v1/public-interviews/{token}")).status_code == 404


async def test_failed_attempts_do_not_use_up_retakes(api: ApiClient, server: str, db: Any) -> None:
    one_try = [
        {"prompt": "Once.", "kind": "audio", "think_seconds": 0, "answer_seconds": 30, "retakes": 0}
    ]
    _, token = await interview_with_candidate(api, one_try)
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await c.consent()
    q = (await c.session())["questions"][0]
    first = await c.attempt(q["id"])
    assert first["attempts_left"] == 0
    await db.execute("UPDATE answers SET status = 'failed', failure_reason = 'no media'")
    s = await c.session()
    assert (s["questions"][0]["status"], s["questions"][0]["attempts_used"]) == ("failed", 0)
    second = await c.attempt(q["id"])  # the technical failure cost nothing
    assert (second["attempt"], second["attempts_left"]) == (2, 0)
    r = await c.post(f"/questions/{q['id']}/attempts")
    assert (r.status_code, r.json()["error"]) == (409, "no_retakes_left")
