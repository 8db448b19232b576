"""Reporting: candidates compared side by side, the shortlist, the CSV export and printable
report, and the funnel of a synthetic cohort whose every drop-off is known."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pypdf import PdfReader

from tests.api_client import ApiClient
from tests.candidates import CandidateClient

RUBRIC_Q = {
    "prompt": "How do you handle an angry customer?",
    "kind": "text",
    "think_seconds": 0,
    "answer_seconds": 300,
    "rubric": [
        {"name": "Empathy", "weight": 2, "strong_answer": "Listens to the customer and acknowledges frustration"},
        {"name": "Resolution", "weight": 1, "strong_answer": "Offers a concrete fix and follows up"},
    ],
}  # fmt: skip
STRONG = (
    "I listen to the customer and acknowledge their frustration, then I offer a concrete fix "
    "and follow up the next day."
)
MIDDLE = "I listen to the customer and acknowledge their frustration."
WEAK = "I like cooking."


async def interview(api: ApiClient, questions: list[dict[str, Any]]) -> str:
    r = await api.post("/api/v1/interviews", json={"title": "Support lead", "questions": questions})
    interview_id: str = r.json()["id"]
    r = await api.post(f"/api/v1/interviews/{interview_id}/status", json={"status": "active"})
    assert r.status_code == 201, r.text
    return interview_id


async def invite(
    api: ApiClient, server: str, interview_id: str, name: str
) -> tuple[str, CandidateClient]:
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/candidates",
        json={"name": name, "email": f"{abs(hash(name))}@example.com", "send_email": False},
    )
    assert r.status_code == 201, r.text
    token = r.json()["link"].rsplit("/", 1)[1]
    return r.json()["candidate"]["id"], CandidateClient(
        httpx.AsyncClient(base_url=server, timeout=30), token
    )


async def answer(c: CandidateClient, texts: list[str], finish: bool) -> None:
    questions = (await c.session())["questions"]
    for q, text in zip(questions, texts, strict=False):
        r = await c.post(f"/questions/{q['id']}/text", json={"text": text})
        assert r.status_code == 201, r.text
    if finish:
        assert (await c.post("/finish")).status_code == 204


async def test_compare_shortlist_and_export(api: ApiClient, server: str, db: Any) -> None:
    await api.sign_up(name="Ada")
    interview_id = await interview(api, [RUBRIC_Q])
    ids = {}
    for name, text in [("Strong Sam", STRONG), ('=HYPERLINK("x")', MIDDLE), ("Weak Wes", WEAK)]:
        ids[name], c = await invite(api, server, interview_id, name)
        await c.consent()
        await answer(c, [text], finish=True)
    chosen = list(ids.values())
    path = f"/api/v1/interviews/{interview_id}/comparison"
    for _ in range(300):  # the evaluator works after each answer is committed
        body = (await api.get(path, params={"candidate": chosen})).json()
        cells = [c["answers"][0]["criteria"][0] for c in body["candidates"]]
        if all(cell["covered"] is not None for cell in cells):
            break
        await asyncio.sleep(0.1)
    by_name = {c["name"]: c for c in body["candidates"]}
    # The local evaluator lists coverage, no score: nothing ranks by it (sorting "by score"
    # without any judged score leaves the names in order).
    assert [c["name"] for c in body["candidates"]] == ['=HYPERLINK("x")', "Strong Sam", "Weak Wes"]
    assert all(c["overall_score"] is None for c in body["candidates"])
    assert body["questions"][0]["criteria"] == ["Empathy", "Resolution"]
    sam = by_name["Strong Sam"]["answers"][0]
    evaluation = await db.fetchval(
        "SELECT result FROM evaluations e JOIN answers a ON a.id = e.answer_id"
        " WHERE a.candidate_id = $1",
        uuid.UUID(ids["Strong Sam"]),
    )
    evaluation = json.loads(evaluation) if isinstance(evaluation, str) else evaluation
    assert sam["overall"] is None and evaluation["overall"] is None
    assert [c["score"] for c in sam["criteria"]] == [None, None]
    assert [c["covered"] for c in sam["criteria"]] == [c["covered"] for c in evaluation["criteria"]]
    assert by_name["Weak Wes"]["answers"][0]["criteria"][0]["covered"] == []
    assert sam["excerpt"] == STRONG and sam["status"] == "submitted"

    # The team rates Wes above the others: sorting by team rating puts him first.
    answer_ids = {c["name"]: c["answers"][0]["answer_id"] for c in body["candidates"]}
    for name, score in [("Weak Wes", 5), ("Strong Sam", 2)]:
        r = await api.request(
            "PUT",
            f"/api/v1/answers/{answer_ids[name]}/ratings",
            json={"ratings": [{"criterion": "Empathy", "score": score}]},
        )
        assert r.status_code == 204
    body = (await api.get(path, params={"candidate": chosen, "sort": "rating"})).json()
    assert [c["name"] for c in body["candidates"]] == ["Weak Wes", "Strong Sam", '=HYPERLINK("x")']
    wes = body["candidates"][0]
    assert wes["team_rating"] == 5.0
    assert wes["answers"][0]["criteria"][0] == {
        "criterion": "Empathy",
        "score": None,
        "covered": [],
        "missing": ["empathy", "listens", "customer", "acknowledges", "frustration"],
        "team_average": 5.0,
        "team_count": 1,
        "mine": 5,
    }
    # Two of three, by name.
    r = await api.get(path, params={"candidate": chosen[:2], "sort": "name"})
    assert [c["name"] for c in r.json()["candidates"]] == ['=HYPERLINK("x")', "Strong Sam"]

    # The shortlist is the team's, one star per candidate.
    star = f"/api/v1/candidates/{ids['Weak Wes']}/shortlist"
    assert (await api.request("PUT", star)).status_code == 204
    assert (await api.request("PUT", star)).status_code == 204  # idempotent
    assert await db.fetchval("SELECT count(*) FROM shortlist") == 1
    r = await api.get(path)  # no candidate named: all of them
    assert {c["name"]: c["shortlisted"] for c in r.json()["candidates"]} == {
        "Strong Sam": False,
        '=HYPERLINK("x")': False,
        "Weak Wes": True,
    }
    await api.post(f"/api/v1/candidates/{ids['Weak Wes']}/decision", json={"decision": "advance"})

    # CSV: one row per candidate, parsed back; the formula-looking name stays text.
    r = await api.get(f"/api/v1/interviews/{interview_id}/candidates.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["name"] for row in rows] == ['\'=HYPERLINK("x")', "Strong Sam", "Weak Wes"]
    wes_row = rows[2]
    assert wes_row["status"] == "completed" and wes_row["decision"] == "advance"
    assert wes_row["shortlisted"] == "yes" and rows[1]["shortlisted"] == ""
    assert wes_row["Q1 Empathy team rating"] == "5.0" and wes_row["Q1 Resolution team rating"] == ""
    assert rows[1]["Q1 Empathy score"] == "" and rows[1]["overall_score"] == ""
    mentioned = "; ".join(evaluation["criteria"][0]["covered"])
    assert (
        rows[1]["Q1 Empathy key points mentioned"]
        == mentioned
        == ("listens; customer; acknowledges; frustration")
    )
    assert wes_row["completed_at"].startswith(str(datetime.now(UTC).year))

    # The printable report: the answer, evaluation evidence, ratings and decisions, escaped.
    await api.post(f"/api/v1/candidates/{ids['Strong Sam']}/comments", json={"body": "<b>Calm</b>"})
    r = await api.get(f"/api/v1/candidates/{ids['Strong Sam']}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<h1>Strong Sam</h1>" in page and STRONG in page
    assert "<strong>Empathy</strong> — Mentions 4 of the 5 key points" in page
    assert "/ 5" not in page and "FAIRVIEW_LLM_BASE_URL" in page  # no grade; how to get one
    assert "&lt;b&gt;Calm&lt;/b&gt;" in page and "<b>Calm" not in page
    assert "<td>Empathy</td><td>2.0</td><td>1</td>" in page
    page = (await api.get(f"/api/v1/candidates/{ids['Weak Wes']}/report")).text
    assert "advance</strong> by Ada" in page

    # The same report as a PDF made on the server, read back with pypdf (Cyrillic included).
    await api.post(f"/api/v1/candidates/{ids['Strong Sam']}/comments", json={"body": "Спокоен"})
    r = await api.get(f"/api/v1/candidates/{ids['Strong Sam']}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    text = " ".join((page.extract_text() or "") for page in pdf.pages)
    words = " ".join(text.split())
    assert "Strong Sam" in words and "Support lead" in words
    assert " ".join(STRONG.split()[:6]) in words
    assert "Empathy — Mentions 4 of the 5 key points" in words and "Team ratings" in words
    assert "<b>Calm</b>" in words and "FAIRVIEW_LLM_BASE_URL" in words
    assert "Спокоен" in words and "Decisions" in words
    assert (await api.get(f"/api/v1/candidates/{uuid.uuid4()}/report.pdf")).status_code == 404


async def test_funnel_of_a_synthetic_cohort(api: ApiClient, server: str, db: Any) -> None:
    """Eight candidates, each stopping at a known step."""
    await api.sign_up()
    questions = [
        {"prompt": f"Question {n}", "kind": "text", "think_seconds": 0, "answer_seconds": 300}
        for n in (1, 2, 3)
    ]
    interview_id = await interview(api, questions)
    c = {}
    for name in "ABCDEFGH":
        _, c[name] = await invite(api, server, interview_id, name)
    await c["A"].consent()
    await answer(c["A"], ["one", "two", "three"], finish=True)
    await c["B"].consent()
    await answer(c["B"], ["one", "two"], finish=False)  # stops at question 3
    await c["C"].consent(ai=False)
    await answer(c["C"], ["one"], finish=False)  # stops at question 2
    await c["D"].consent()
    await answer(c["D"], ["one"], finish=False)  # stops at question 2
    await c["E"].consent()  # never starts
    await c["F"].session()  # opens the link only
    # G never opens it; H is revoked before opening it.
    h_id = await db.fetchval("SELECT id FROM candidates WHERE name = 'H'")
    assert (await api.post(f"/api/v1/candidates/{h_id}/revoke")).status_code == 201

    r = await api.get(f"/api/v1/interviews/{interview_id}/funnel")
    assert r.status_code == 200, r.text
    funnel = r.json()
    median = await db.fetchval(
        "SELECT extract(epoch FROM completed_at - started_at)::float8 FROM candidates"
        " WHERE name = 'A'"
    )
    assert funnel.pop("median_seconds_to_complete") == round(median, 1)
    steps = funnel.pop("questions")
    day = await db.fetchval(
        "SELECT (completed_at AT TIME ZONE 'UTC')::date::text FROM candidates WHERE name = 'A'"
    )
    assert funnel.pop("completed_by_day") == [{"day": day, "completed": 1}]
    assert funnel == {
        "invited": 8,
        "opened": 6,
        "consented": 5,
        "started": 4,
        "completed": 1,
        "expired": 0,
        "revoked": 1,
        "declined_ai": 1,
    }
    assert [(q["prompt"], q["answered"], q["stopped"]) for q in steps] == [
        ("Question 1", 4, 0),
        ("Question 2", 2, 2),
        ("Question 3", 1, 1),
    ]
    # A date range with nobody invited in it.
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await api.get(f"/api/v1/interviews/{interview_id}/funnel", params={"since": later})
    assert r.json()["invited"] == 0 and r.json()["median_seconds_to_complete"] is None
    assert [q["answered"] for q in r.json()["questions"]] == [0, 0, 0]
    assert r.json()["completed_by_day"] == []
