from __future__ import annotations

from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import CandidateClient
from tests.services import Inbox

QUESTIONS = [
    {
        "prompt": "Tell us about yourself.",
        "kind": "video",
        "think_seconds": 10,
        "answer_seconds": 60,
        "retakes": 1,
        "rubric": [{"name": "Clarity", "weight": 2, "strong_answer": "Structured"}],
    },
    {"prompt": "Describe a hard problem you solved.", "kind": "audio", "retakes": 0},
    {"prompt": "Why this role?", "kind": "text", "think_seconds": 0, "answer_seconds": 600},
]


async def make_interview(api: ApiClient, **extra: Any) -> dict[str, Any]:
    r = await api.post(
        "/api/v1/interviews", json={"title": "Support lead", "questions": QUESTIONS, **extra}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def activate(api: ApiClient, interview_id: str) -> None:
    r = await api.post(f"/api/v1/interviews/{interview_id}/status", json={"status": "active"})
    assert r.status_code == 201, r.text


async def test_build_activate_and_list(api: ApiClient) -> None:
    await api.sign_up()
    interview = await make_interview(api, intro="Welcome!", language="ru")
    assert interview["status"] == "draft" and interview["language"] == "ru"
    assert [q["kind"] for q in interview["questions"]] == ["video", "audio", "text"]
    assert [q["position"] for q in interview["questions"]] == [0, 1, 2]
    assert interview["questions"][0]["rubric"] == [
        {"name": "Clarity", "weight": 2, "strong_answer": "Structured"}
    ]

    r = await api.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "closed"})
    assert (r.status_code, r.json()["error"]) == (409, "invalid_transition")
    await activate(api, interview["id"])
    listed = (await api.get("/api/v1/interviews")).json()["items"]
    assert [(i["title"], i["status"], i["questions"]) for i in listed] == [
        ("Support lead", "active", 3)
    ]


async def test_activation_needs_questions(api: ApiClient) -> None:
    await api.sign_up()
    r = await api.post("/api/v1/interviews", json={"title": "Empty"})
    r = await api.post(f"/api/v1/interviews/{r.json()['id']}/status", json={"status": "active"})
    assert (r.status_code, r.json()["error"]) == (422, "no_questions")


async def test_template_and_duplicate(api: ApiClient) -> None:
    await api.sign_up()
    templates = (await api.get("/api/v1/interview-templates")).json()
    keys = {t["key"] for t in templates}
    assert "software_engineer" in keys
    r = await api.post(
        "/api/v1/interviews", json={"title": "Backend engineer", "template": "software_engineer"}
    )
    made = r.json()
    expected = next(t for t in templates if t["key"] == "software_engineer")
    assert [q["prompt"] for q in made["questions"]] == [q["prompt"] for q in expected["questions"]]
    copy = (await api.post(f"/api/v1/interviews/{made['id']}/duplicate")).json()
    assert copy["title"] == "Backend engineer (copy)" and copy["status"] == "draft"
    assert [q["prompt"] for q in copy["questions"]] == [q["prompt"] for q in made["questions"]]
    assert {q["id"] for q in copy["questions"]}.isdisjoint({q["id"] for q in made["questions"]})


async def test_invite_candidate_sends_personal_link(api: ApiClient, inbox: Inbox, db: Any) -> None:
    await api.sign_up(org="Acme")
    interview = await make_interview(api)
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora", "email": "cora@example.com"},
    )
    assert (r.status_code, r.json()["error"]) == (409, "interview_not_active")
    await activate(api, interview["id"])
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora", "email": "cora@example.com", "extra_time_factor": 1.5},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["candidate"]["status"] == "invited"
    assert created["candidate"]["extra_time_factor"] == 1.5
    token = created["link"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    mail = await inbox.wait_for(lambda m: m["To"] == "cora@example.com")
    assert mail["Subject"] == "Your interview with Acme: Support lead"
    assert created["link"] in mail.get_body(preferencelist=("plain",)).get_content()
    assert (
        await db.fetchval(
            "SELECT count(*) FROM candidate_links WHERE token_hash::text LIKE $1", f"%{token}%"
        )
        == 0
    )
    assert await db.fetchval("SELECT purpose FROM candidate_links") == "invitation"
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora again", "email": "CORA@example.com"},
    )
    assert (r.status_code, r.json()["error"]) == (409, "already_invited")
    listed = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    assert [c["email"] for c in listed] == ["cora@example.com"]
    detail = (await api.get(f"/api/v1/interviews/{interview['id']}")).json()
    assert detail["candidates"]["invited"] == 1


async def test_csv_import_reports_bad_rows(api: ApiClient, db: Any) -> None:
    await api.sign_up()
    interview = await make_interview(api)
    await activate(api, interview["id"])
    csv_text = (
        "name,email\n"
        "Ann,ann@example.com\n"
        "Bob,not-an-email\n"
        ",nobody@example.com\n"
        "Ann twice,ANN@example.com\n"
        "Cy,cy@example.com\n"
    )
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates/import",
        json={"csv": csv_text, "send_email": False},
    )
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["created"] == 2
    assert [(e["row"], e["email"]) for e in result["errors"]] == [
        (3, "not-an-email"),
        (4, "nobody@example.com"),
        (5, "ANN@example.com"),
    ]
    assert "already a candidate" in result["errors"][2]["error"]
    assert await db.fetchval("SELECT count(*) FROM candidates") == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM email_deliveries WHERE template = 'candidate_invitation'"
        )
        == 0
    )
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates/import", json={"csv": "first,last\nA,B\n"}
    )
    assert (r.status_code, r.json()["error"]) == (422, "csv_columns")


async def test_accommodations_resend_and_revoke(api: ApiClient, inbox: Inbox) -> None:
    await api.sign_up()
    interview = await make_interview(api)
    await activate(api, interview["id"])
    created = (
        await api.post(
            f"/api/v1/interviews/{interview['id']}/candidates",
            json={"name": "Dee", "email": "dee@example.com"},
        )
    ).json()
    cid = created["candidate"]["id"]
    r = await api.patch(
        f"/api/v1/candidates/{cid}", json={"extra_time_factor": 2.0, "extra_retakes": 2}
    )
    assert (r.json()["extra_time_factor"], r.json()["extra_retakes"]) == (2.0, 2)
    r = await api.patch(f"/api/v1/candidates/{cid}", json={"deadline": "2000-01-01T00:00:00Z"})
    assert (r.status_code, r.json()["error"]) == (422, "deadline_past")
    resent = (await api.post(f"/api/v1/candidates/{cid}/resend")).json()
    assert resent["link"] != created["link"]
    # Both links open the interview: a resend adds a link and revokes none.
    async with httpx.AsyncClient(base_url=api.http.base_url) as http:
        for link in (created["link"], resent["link"]):
            c = CandidateClient(http, link.rsplit("/", 1)[1])
            assert (await c.get("/session")).status_code == 200, link
    await inbox.wait_for(
        lambda m: (
            m["To"] == "dee@example.com"
            and resent["link"] in m.get_body(preferencelist=("plain",)).get_content()
        )
    )
    assert (await api.post(f"/api/v1/candidates/{cid}/revoke")).json()["status"] == "revoked"


async def test_reviewers_read_but_do_not_build(api: ApiClient, db: Any) -> None:
    await api.sign_up()
    interview = await make_interview(api)
    await db.execute("UPDATE memberships SET role = 'reviewer'")
    assert (await api.get(f"/api/v1/interviews/{interview['id']}")).status_code == 200
    r = await api.patch(f"/api/v1/interviews/{interview['id']}", json={"title": "Hacked"})
    assert (r.status_code, r.json()["error"]) == (403, "permission_denied")
    assert await db.fetchval("SELECT title FROM interviews") == "Support lead"
