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

from ingest.repository import finish_segment
from ingest.service import FAILURES
from storage.db import Tenant
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
    """Nine candidates, each stopping at a known step."""
    await api.sign_up()
    questions = [
        {"prompt": f"Question {n}", "kind": "text", "think_seconds": 0, "answer_seconds": 300}
        for n in (1, 2, 3)
    ]
    interview_id = await interview(api, questions)
    c = {}
    for name in "ABCDEFGHI":
        _, c[name] = await invite(api, server, interview_id, name)
    c["A"].headers["User-Agent"] = FIREFOX_LINUX
    for name in "ABCDE":  # consent and pass the device check
        await c[name].consent(ai=name != "C")
        assert (await c[name].post("/devices-checked")).status_code == 204
    checked = await db.fetchrow(
        "SELECT devices_checked_at, client_browser, client_os, client_device FROM candidates"
        " WHERE name = 'A'"
    )
    assert tuple(checked.values())[1:] == ("Firefox", "Linux", "desktop")
    # Passing it again changes nothing (the first pass counts).
    assert (await c["A"].post("/devices-checked")).status_code == 204
    again = await db.fetchval("SELECT devices_checked_at FROM candidates WHERE name = 'A'")
    assert again == checked["devices_checked_at"]
    await answer(c["A"], ["one", "two", "three"], finish=True)
    await answer(c["B"], ["one", "two"], finish=False)  # stops at question 3
    await answer(c["C"], ["one"], finish=False)  # stops at question 2
    await answer(c["D"], ["one"], finish=False)  # stops at question 2
    # E passed the device check and never starts; I consents and never checks the devices.
    await c["I"].consent()
    await c["F"].session()  # opens the link only: no device check before consent
    r = await c["F"].post("/devices-checked")
    assert (r.status_code, r.json()["error"]) == (403, "consent_required")
    assert await db.fetchval("SELECT devices_checked_at FROM candidates WHERE name = 'F'") is None
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
    assert funnel.pop("failures") == []  # written answers only: nothing streamed
    assert funnel == {
        "invited": 9,
        "opened": 7,
        "consented": 6,
        "devices_checked": 5,
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
    assert r.json()["devices_checked"] == 0
    assert [q["answered"] for q in r.json()["questions"]] == [0, 0, 0]
    assert r.json()["completed_by_day"] == []


# User agents as browsers send them (Chrome's reduced form on Android: a phone's says "Mobile",
# a tablet's does not).
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Mobile/15E148 Safari/604.1"
)
AUDIO_Q = {
    "prompt": "Tell us about you.",
    "kind": "audio",
    "think_seconds": 0,
    "answer_seconds": 60,
}

# Per candidate of the streamed interview: their browser and each attempt's ingest outcome
# (status, failure code), as the ingest stores it; None: the attempt never streamed.
STREAMED: dict[str, tuple[str, list[tuple[str, str | None] | None]]] = {
    "P": (CHROME_WINDOWS, [("failed", "ice_failed"), ("recorded", None)]),
    "Q": (FIREFOX_LINUX, [("recorded", None)]),
    "R": (
        SAFARI_IPHONE,
        [("failed", "no_media"), ("failed", "udp_blocked"), ("interrupted", "connection_lost")],
    ),
    "S": (CHROME_ANDROID_PHONE, [("recorded", None)]),
    "T": (CHROME_ANDROID_TABLET, [("failed", "dtls_failed")]),
    "U": (SAFARI_IPAD, [None]),
}


async def test_failure_rates_and_the_organization_funnel(
    api: ApiClient, server: str, db: Any
) -> None:
    """Two interviews: a written one (A completes, B never opens the link) and a streamed one
    whose attempts end with known ingest outcomes on known browsers; the organization's funnel
    adds them up, and a date range leaves out the candidates invited before it."""
    await api.sign_up()
    org_id = await db.fetchval("SELECT id FROM organizations")
    written = await interview(api, [RUBRIC_Q])
    _, a = await invite(api, server, written, "A")
    await invite(api, server, written, "B")
    await a.consent()
    await answer(a, [STRONG], finish=True)
    streamed = await interview(api, [AUDIO_Q])
    t = Tenant(db, org_id)
    for name, (agent, outcomes) in STREAMED.items():
        _, c = await invite(api, server, streamed, name)
        c.headers["User-Agent"] = agent
        await c.consent()
        assert (await c.post("/devices-checked")).status_code == 204
        question_id = (await c.session())["questions"][0]["id"]
        for outcome in outcomes:
            answer_id = uuid.UUID((await c.attempt(question_id))["answer_id"])
            if outcome is not None:
                status, code = outcome
                reason = FAILURES[code] if code else None
                await finish_segment(t, answer_id, None, status, reason, failure_code=code)
        if name in "PQ":
            assert (await c.post("/finish")).status_code == 204
    # Known times: A took 10 minutes, P 20 and Q 40; Q and S were invited ten days ago.
    today = await db.fetchval("SELECT date_trunc('day', now() AT TIME ZONE 'UTC')::timestamp")
    d0, d1 = today - timedelta(days=2), today - timedelta(days=1)
    old = today - timedelta(days=10)
    for name, invited, started, seconds in [
        ("A", d0, d0 + timedelta(hours=10), 600),
        ("P", d0, d1 + timedelta(hours=9), 1200),
        ("Q", old, old + timedelta(hours=9), 2400),
        ("S", old, None, None),
    ]:
        await db.execute(
            "UPDATE candidates SET created_at = $2::timestamp AT TIME ZONE 'UTC',"
            " started_at = coalesce($3::timestamp AT TIME ZONE 'UTC', started_at),"
            " completed_at = coalesce($3::timestamp AT TIME ZONE 'UTC'"
            "   + make_interval(secs => $4::float8), completed_at) WHERE name = $1",
            name,
            invited,
            started,
            seconds,
        )

    chrome_desktop = {
        "browser": "Chrome",
        "device": "desktop",
        "attempts": 2,
        "failed": 1,
        "failure_rate": 0.5,
        "codes": {"ice_failed": 1},
    }
    safari_iphone = {
        "browser": "Mobile Safari",
        "device": "mobile",
        "attempts": 3,
        "failed": 3,
        "failure_rate": 1.0,
        "codes": {"connection_lost": 1, "no_media": 1, "udp_blocked": 1},
    }
    android_tablet = {
        "browser": "Chrome",
        "device": "tablet",
        "attempts": 1,
        "failed": 1,
        "failure_rate": 1.0,
        "codes": {"dtls_failed": 1},
    }
    android_phone = {
        "browser": "Chrome Mobile",
        "device": "mobile",
        "attempts": 1,
        "failed": 0,
        "failure_rate": 0.0,
        "codes": {},
    }
    firefox_desktop = {
        "browser": "Firefox",
        "device": "desktop",
        "attempts": 1,
        "failed": 0,
        "failure_rate": 0.0,
        "codes": {},
    }
    everyone = [safari_iphone, chrome_desktop, android_tablet, android_phone, firefox_desktop]

    # One interview's funnel: its own candidates only.
    f = (await api.get(f"/api/v1/interviews/{streamed}/funnel")).json()
    assert f["failures"] == everyone
    counts = [f[k] for k in ("invited", "opened", "consented", "devices_checked", "started")]
    assert counts == [6, 6, 6, 6, 6] and f["completed"] == 2
    assert f["median_seconds_to_complete"] == 1800.0  # 20 and 40 minutes
    # The numbers are the database's: every ended streamed attempt, every technical failure.
    ended, failed = await db.fetchrow(
        "SELECT count(*), count(*) FILTER (WHERE failure_code IS NOT NULL) FROM answers"
        " WHERE kind = 'audio' AND ended_at IS NOT NULL"
    )
    assert (ended, failed) == (8, 5)
    assert sum(g["attempts"] for g in f["failures"]) == ended
    assert sum(g["failed"] for g in f["failures"]) == failed

    # The organization: both interviews.
    r = await api.get("/api/v1/funnel")
    assert r.status_code == 200, r.text
    org = r.json()
    assert org.pop("failures") == everyone
    assert org.pop("completed_by_day") == [
        {"day": str(old.date()), "completed": 1},
        {"day": str(d0.date()), "completed": 1},
        {"day": str(d1.date()), "completed": 1},
    ]
    totals = [
        (i["title"], i["invited"], i["started"], i["completed"]) for i in org.pop("interviews")
    ]
    assert totals == [("Support lead", 6, 6, 2), ("Support lead", 2, 1, 1)]
    assert org == {
        "invited": 8,
        "opened": 7,
        "consented": 7,
        "devices_checked": 6,
        "started": 7,
        "completed": 3,
        "expired": 0,
        "revoked": 0,
        "declined_ai": 0,
        "median_seconds_to_complete": 1200.0,  # of 10, 20 and 40 minutes
    }
    db_counts = await db.fetchrow(
        "SELECT count(*) AS invited, count(started_at) AS started,"
        " count(*) FILTER (WHERE status = 'completed') AS completed FROM candidates"
    )
    assert (org["invited"], org["started"], org["completed"]) == tuple(db_counts.values())

    # Invited in the last five days: Q and S (and their attempts) are left out.
    since = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    org = (await api.get("/api/v1/funnel", params={"since": since})).json()
    assert org["failures"] == [safari_iphone, chrome_desktop, android_tablet]
    assert org["completed_by_day"] == [
        {"day": str(d0.date()), "completed": 1},
        {"day": str(d1.date()), "completed": 1},
    ]
    assert [(i["invited"], i["started"], i["completed"]) for i in org["interviews"]] == [
        (4, 4, 1),
        (2, 1, 1),
    ]
    counts = [org[k] for k in ("invited", "opened", "consented", "devices_checked", "started")]
    assert counts == [6, 5, 5, 4, 5] and org["completed"] == 2
    assert org["median_seconds_to_complete"] == 900.0  # of 10 and 20 minutes
    # ... and until a day ago: only A and P (invited two days ago).
    until = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    org = (await api.get("/api/v1/funnel", params={"since": since, "until": until})).json()
    assert (org["invited"], org["completed"]) == (2, 2)
    assert org["failures"] == [chrome_desktop]
    # Another organization sees none of it.
    other = ApiClient(httpx.AsyncClient(base_url=server, timeout=30), api.mail)
    await other.sign_up(email="bea@example.com", org="Other")
    org = (await other.get("/api/v1/funnel")).json()
    assert (org["invited"], org["failures"], org["interviews"]) == (0, [], [])
