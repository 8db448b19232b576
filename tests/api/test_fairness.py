"""Voluntary self-identification after the interview and the adverse-impact report: a worked
example checked by hand, the answers never reaching reviewers, and the form refused before the
interview is over."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar, Request, Response, post

from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import CandidateClient
from tests.http_server import serve
from tests.services import free_port, token_in

OPTIONAL_TEXT = [
    {
        "prompt": "Anything you would like to add?",
        "kind": "text",
        "think_seconds": 0,
        "answer_seconds": 600,
        "required": False,
    }
]

# The worked example: (sex, race, candidates, advanced, scored above the median). "?" is a
# candidate in no category of that dimension; how each one said so is in `_unknown_forms`.
GRID = [
    ("female", "white", 20, 10, 10),
    ("male", "white", 18, 9, 8),
    ("?", "white", 2, 1, 1),
    ("female", "black", 13, 4, 4),
    ("male", "black", 12, 4, 4),
    ("female", "hispanic_latino", 10, 4, 3),
    ("male", "hispanic_latino", 9, 4, 3),
    ("?", "hispanic_latino", 1, 0, 0),
    ("female", "asian", 5, 3, 2),
    ("male", "asian", 5, 3, 3),
    ("male", "two_or_more", 1, 1, 1),
    ("female", "?", 2, 1, 1),
    ("?", "?", 2, 0, 0),
]


def _people() -> list[dict[str, Any]]:
    """One entry per candidate of GRID: the form they send (None: they skip it), their decision
    and AI overall score. Above the median: 4.0; the 60 others: 20 at 3.0, then 40 at 2.0, so
    the median of the 100 scores is 3.0 and a 3.0 is not above it."""
    people: list[dict[str, Any]] = []
    unknown_sex = iter(["prefer_not_to_say", "prefer_not_to_say", None])
    unknown_race = iter(["prefer_not_to_say", None])
    both_unknown = iter([{"sex": "prefer_not_to_say", "race": "prefer_not_to_say"}, None])
    below = iter([3.0] * 20 + [2.0] * 40)
    for sex, race, n, advanced, above in GRID:
        for i in range(n):
            if sex == "?" and race == "?":
                form = next(both_unknown)
            else:
                form = {
                    "sex": next(unknown_sex) if sex == "?" else sex,
                    "race": next(unknown_race) if race == "?" else race,
                }
                form = {k: v for k, v in form.items() if v is not None}
            people.append(
                {
                    "form": form,
                    "decision": "advance" if i < advanced else ("reject", "hold")[i % 2],
                    "score": 4.0 if i < above else next(below),
                }
            )
    return people


async def _interview(api: ApiClient, questions: list[dict[str, Any]]) -> str:
    r = await api.post("/api/v1/interviews", json={"title": "Support lead", "questions": questions})
    interview_id: str = r.json()["id"]
    r = await api.post(f"/api/v1/interviews/{interview_id}/status", json={"status": "active"})
    assert r.status_code == 201, r.text
    return interview_id


async def _candidate(
    api: ApiClient, server: str, interview_id: str, n: int
) -> tuple[str, CandidateClient]:
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/candidates",
        json={"name": f"Candidate {n}", "email": f"c{n}@example.com", "send_email": False},
    )
    assert r.status_code == 201, r.text
    token = r.json()["link"].rsplit("/", 1)[1]
    http = httpx.AsyncClient(base_url=server, timeout=30)
    return r.json()["candidate"]["id"], CandidateClient(http, token)


async def _completed(
    api: ApiClient, server: str, interview_id: str, n: int, form: dict[str, Any] | None
) -> str:
    return await _complete(await _candidate(api, server, interview_id, n), form)


async def _complete(candidate: tuple[str, CandidateClient], form: dict[str, Any] | None) -> str:
    """The candidate finishes, then sends the form (None: skips it)."""
    candidate_id, c = candidate
    await c.consent()
    assert (await c.post("/finish")).status_code == 204
    if form is not None:
        r = await c.http.put("/api/v1/candidate/self-identification", headers=c.headers, json=form)
        assert r.status_code == 200, r.text
        assert r.json() == {"available": True, "answered": True}
    await c.http.aclose()
    return candidate_id


def _rows(stage: dict[str, Any], dimension: str) -> dict[str, dict[str, Any]]:
    table = next(t for t in stage["tables"] if t["dimension"] == dimension)
    return {r["category"]: r for r in table["rows"]}


def _unknown(stage: dict[str, Any], dimension: str) -> int:
    return int(next(t for t in stage["tables"] if t["dimension"] == dimension)["unknown"])


async def test_report_reproduces_the_worked_example(
    api: ApiClient, server: str, db: asyncpg.Connection
) -> None:
    """100 completed, decided candidates with an AI score, one more completed but undecided and
    unscored (who skipped the form), and one invited who never finished (in no stage).

    Human stage (selected = advance), by hand:
      sex     female 50 (22 advanced: 10+4+4+3+1) rate 0.44; male 45 (21: 9+4+4+3+1) 0.4667;
              unknown 5. Highest male: female 0.44/0.4667 = 0.9429, male 1.0. No flag.
      race    white 40 (20) 0.5; black 25 (8) 0.32; hispanic 20 (8) 0.4; asian 10 (6) 0.6;
              two or more 1 (1) 1.0 but 1 % of 100 < 2 %: excluded, so the highest is asian
              0.6; NHPI and Native American: none, excluded; unknown 4.
              white 0.5/0.6 = 0.8333; black 0.32/0.6 = 0.5333 (flag); hispanic 0.4/0.6 =
              0.6667 (flag); asian 1.0. Under 30 (small): black, hispanic, asian.
      sex x race  highest 0.6 (female/asian 3/5, male/asian 3/5):
              female/white 10/20 0.5 -> 0.8333; male/white 9/18 0.5 -> 0.8333;
              female/black 4/13 0.3077 -> 0.5128 (flag); male/black 4/12 0.3333 -> 0.5556
              (flag); female/hispanic 4/10 0.4 -> 0.6667 (flag); male/hispanic 4/9 0.4444 ->
              0.7407 (flag); male/two or more 1: excluded; unknown 5 + 2 = 7.
    AI stage (selected = score above the median 3.0; 40 scored 4.0, 20 at 3.0, 40 at 2.0):
      sex     female 20/50 0.4 -> 0.4/0.4222 = 0.9474; male 19/45 0.4222 -> 1.0.
      race    white 19/40 0.475 -> 0.95; black 8/25 0.32 -> 0.64 (flag); hispanic 6/20 0.3 ->
              0.6 (flag); asian 5/10 0.5 -> 1.0; two or more excluded.
      sex x race  highest male/asian 3/5 0.6: female/white 10/20 -> 0.8333; male/white 8/18
              0.4444 -> 0.7407 (flag); female/black 4/13 -> 0.5128 (flag); male/black 4/12 ->
              0.5556 (flag); female/hispanic 3/10 -> 0.5 (flag); male/hispanic 3/9 -> 0.5556
              (flag); female/asian 2/5 -> 0.6667 (flag).
    """
    await api.sign_up()
    interview_id = await _interview(api, OPTIONAL_TEXT)
    people = _people()
    assert len(people) == 100
    # Invited one by one (adding candidates to one interview at once can deadlock), then they
    # take the interview ten at a time.
    invited = [await _candidate(api, server, interview_id, n) for n in range(len(people))]
    ids: list[str] = []
    for start in range(0, len(people), 10):
        batch = zip(invited[start : start + 10], people[start : start + 10], strict=True)
        ids += await asyncio.gather(*(_complete(c, p["form"]) for c, p in batch))
    await _completed(api, server, interview_id, 100, None)  # undecided, unscored
    await _candidate(api, server, interview_id, 101)  # never finishes
    for decision in ("advance", "hold", "reject"):
        chosen = [i for i, p in zip(ids, people, strict=True) if p["decision"] == decision]
        r = await api.post(
            f"/api/v1/interviews/{interview_id}/candidates/bulk",
            json={"action": "decide", "decision": decision, "candidate_ids": chosen},
        )
        assert r.status_code == 200 and not r.json()["failed"], r.text
    # The AI overall scores, as an LLM evaluator's evaluations leave them on the candidate row
    # (the mean overall score, candidates.score; the local evaluator leaves it empty).
    await db.executemany(
        "UPDATE candidates SET score = $2 WHERE id = $1::uuid",
        [(i, p["score"]) for i, p in zip(ids, people, strict=True)],
    )

    r = await api.get(f"/api/v1/interviews/{interview_id}/adverse-impact")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["scope"], report["completed"], report["self_identified"]) == (
        "interview",
        101,
        99,
    )
    assert [(m["median"], m["scored"]) for m in report["medians"]] == [(3.0, 100)]
    scoring, selection = report["stages"]
    assert (scoring["stage"], scoring["available"], scoring["total"], scoring["pending"]) == (
        "scoring",
        True,
        100,
        1,
    )
    assert (selection["stage"], selection["total"], selection["pending"]) == ("selection", 100, 1)

    def check(stage: dict[str, Any], dimension: str, expected: dict[str, tuple[Any, ...]]) -> None:
        rows = _rows(stage, dimension)
        got = {
            k: (r["count"], r["selected"], r["rate"], r["impact_ratio"], r["four_fifths"])
            for k, r in rows.items()
            if r["excluded"] is None
        }
        assert got == expected, (stage["stage"], dimension)

    check(
        selection,
        "sex",
        {"female": (50, 22, 0.44, 0.9429, False), "male": (45, 21, 0.4667, 1.0, False)},
    )
    check(
        selection,
        "race",
        {
            "hispanic_latino": (20, 8, 0.4, 0.6667, True),
            "white": (40, 20, 0.5, 0.8333, False),
            "black": (25, 8, 0.32, 0.5333, True),
            "asian": (10, 6, 0.6, 1.0, False),
        },
    )
    check(
        selection,
        "intersection",
        {
            "female/white": (20, 10, 0.5, 0.8333, False),
            "male/white": (18, 9, 0.5, 0.8333, False),
            "female/black": (13, 4, 0.3077, 0.5128, True),
            "male/black": (12, 4, 0.3333, 0.5556, True),
            "female/hispanic_latino": (10, 4, 0.4, 0.6667, True),
            "male/hispanic_latino": (9, 4, 0.4444, 0.7407, True),
            "female/asian": (5, 3, 0.6, 1.0, False),
            "male/asian": (5, 3, 0.6, 1.0, False),
        },
    )
    check(
        scoring,
        "sex",
        {"female": (50, 20, 0.4, 0.9474, False), "male": (45, 19, 0.4222, 1.0, False)},
    )
    check(
        scoring,
        "race",
        {
            "hispanic_latino": (20, 6, 0.3, 0.6, True),
            "white": (40, 19, 0.475, 0.95, False),
            "black": (25, 8, 0.32, 0.64, True),
            "asian": (10, 5, 0.5, 1.0, False),
        },
    )
    check(
        scoring,
        "intersection",
        {
            "female/white": (20, 10, 0.5, 0.8333, False),
            "male/white": (18, 8, 0.4444, 0.7407, True),
            "female/black": (13, 4, 0.3077, 0.5128, True),
            "male/black": (12, 4, 0.3333, 0.5556, True),
            "female/hispanic_latino": (10, 3, 0.3, 0.5, True),
            "male/hispanic_latino": (9, 3, 0.3333, 0.5556, True),
            "female/asian": (5, 2, 0.4, 0.6667, True),
            "male/asian": (5, 3, 0.6, 1.0, False),
        },
    )
    for stage in (scoring, selection):
        race = _rows(stage, "race")
        two = race["two_or_more"]
        assert (two["count"], two["rate"], two["impact_ratio"]) == (1, 1.0, None)
        assert two["excluded"] == (
            "1 of 100 candidates (1.0 %), under 2 %: left out of the impact ratios,"
            " as the LL144 rules allow."
        )
        for empty in ("native_hawaiian_pacific_islander", "native_american_alaska_native"):
            assert race[empty]["excluded"] == "No candidates in this category."
        assert [k for k, r in race.items() if r["small_sample"]] == [
            "hispanic_latino",
            "black",
            "asian",
        ]
        assert not any(r["small_sample"] for r in _rows(stage, "sex").values())
        assert len(_rows(stage, "intersection")) == 14
        assert (_unknown(stage, "sex"), _unknown(stage, "race")) == (5, 4)
        assert _unknown(stage, "intersection") == 7
        assert any("four-fifths" in w for w in stage["warnings"])

    # The organization's report holds the same (one interview), and the CSV the same numbers.
    org = (await api.get("/api/v1/adverse-impact")).json()
    assert org["scope"] == "organization" and org["stages"] == report["stages"]
    r = await api.get(f"/api/v1/interviews/{interview_id}/adverse-impact.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 2 * 3 * 1 + 2 * (2 + 7 + 14)  # an unknown row per table, then categories
    black = next(
        x
        for x in rows
        if (x["stage"], x["dimension"], x["category"]) == ("selection", "race", "black")
    )
    assert (black["candidates"], black["selected"], black["rate"], black["impact_ratio"]) == (
        "25",
        "8",
        "0.3200",
        "0.5333",
    )
    assert (black["four_fifths_flag"], black["small_sample"]) == ("true", "true")
    unknown = next(
        x
        for x in rows
        if (x["stage"], x["dimension"], x["category"]) == ("scoring", "intersection", "unknown")
    )
    assert unknown["candidates"] == "7"
    two = next(
        x
        for x in rows
        if (x["stage"], x["dimension"], x["category"]) == ("scoring", "race", "two_or_more")
    )
    assert two["impact_ratio"] == "" and two["excluded_reason"].startswith("1 of 100")


async def test_without_ai_scores_the_ai_stage_says_so(api: ApiClient, server: str) -> None:
    """The local evaluator gives no grade: no scoring rates, and a small sample is flagged."""
    await api.sign_up()
    interview_id = await _interview(api, OPTIONAL_TEXT)
    ids = [
        await _completed(api, server, interview_id, n, {"sex": sex, "race": "white"})
        for n, sex in enumerate(["female", "female", "male"])
    ]
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/candidates/bulk",
        json={"action": "decide", "decision": "advance", "candidate_ids": ids[:2]},
    )
    assert r.status_code == 200
    scoring, selection = (
        await api.get(f"/api/v1/interviews/{interview_id}/adverse-impact")
    ).json()["stages"]
    assert (scoring["available"], scoring["total"], scoring["tables"]) == (False, 0, [])
    assert "no scoring rates" in scoring["warnings"][0]
    assert (selection["available"], selection["total"], selection["pending"]) == (True, 2, 1)
    sex = _rows(selection, "sex")
    assert (sex["female"]["rate"], sex["female"]["impact_ratio"]) == (1.0, 1.0)
    assert sex["male"]["count"] == 0 and sex["male"]["excluded"]
    assert selection["warnings"][0].startswith("Only 2 candidates in this stage")


async def test_self_identification_is_refused_before_completion_and_optional_after(
    api: ApiClient, server: str, db: asyncpg.Connection
) -> None:
    await api.sign_up()
    interview_id = await _interview(api, OPTIONAL_TEXT)
    _, c = await _candidate(api, server, interview_id, 1)
    path = "/api/v1/candidate/self-identification"
    form = {"sex": "female", "race": "asian"}
    assert (await c.http.get(path, headers=c.headers)).json() == {
        "available": False,
        "answered": False,
    }
    r = await c.http.put(path, headers=c.headers, json=form)
    assert (r.status_code, r.json()["error"]) == (409, "interview_not_completed")
    await c.consent()
    r = await c.http.put(path, headers=c.headers, json=form)
    assert (r.status_code, r.json()["error"]) == (409, "interview_not_completed")
    assert await db.fetchval("SELECT count(*) FROM self_identifications") == 0

    assert (await c.post("/finish")).status_code == 204
    # After: optional. Nothing is stored until the candidate answers; a blank form stores nothing.
    assert (await c.http.get(path, headers=c.headers)).json() == {
        "available": True,
        "answered": False,
    }
    r = await c.http.put(path, headers=c.headers, json={})
    assert r.json() == {"available": True, "answered": False}
    assert await db.fetchval("SELECT count(*) FROM self_identifications") == 0
    r = await c.http.put(path, headers=c.headers, json={"sex": "prefer_not_to_say"})
    assert r.json() == {"available": True, "answered": True}
    r = await c.http.put(path, headers=c.headers, json={"race": "martian"})
    assert r.status_code == 400
    r = await c.http.put(path, headers=c.headers, json=form)
    assert await db.fetch("SELECT sex, race FROM self_identifications") == [("female", "asian")]
    r = await c.http.delete(path, headers=c.headers)
    assert r.json() == {"available": True, "answered": False}
    assert await db.fetchval("SELECT count(*) FROM self_identifications") == 0
    bad = {"Authorization": "Bearer not-a-link"}
    assert (await c.http.put(path, headers=bad, json=form)).status_code == 404
    assert (await c.http.get(path)).status_code == 401


async def _member(api: ApiClient, client_factory: Any, inbox: Any, role: str) -> ApiClient:
    email = f"{role}@example.com"
    r = await api.post("/api/v1/team-invitations", json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    mail = await inbox.wait_for(lambda m: m["To"] == email)
    member: ApiClient = client_factory()
    r = await member.post(
        "/api/v1/team-invitations/accept",
        json={"token": token_in(mail, "accept-invite"), "name": role, "password": "passw0rd!!x"},
    )
    assert r.status_code in (200, 201), r.text
    return member


# What the candidate answered, and every way it could be written in a response.
SECRETS = ["native_hawaiian", "Native Hawaiian", "Pacific Islander", "female", "Female"]


async def test_self_identification_never_reaches_reviewers(
    api: ApiClient, server: str, client_factory: Any, inbox: Any, db: asyncpg.Connection
) -> None:
    await api.sign_up()
    questions = [{**OPTIONAL_TEXT[0], "required": True}]
    interview_id = await _interview(api, questions)
    candidate_id, c = await _candidate(api, server, interview_id, 1)
    await c.consent()
    q = (await c.session())["questions"][0]
    r = await c.post(f"/questions/{q['id']}/text", json={"text": "I led the support team."})
    assert r.status_code == 201
    assert (await c.post("/finish")).status_code == 204
    r = await c.http.put(
        "/api/v1/candidate/self-identification",
        headers=c.headers,
        json={"sex": "female", "race": "native_hawaiian_pacific_islander"},
    )
    assert r.status_code == 200
    assert not any(x in r.text for x in SECRETS)  # not even echoed to the candidate
    r = await api.post(
        f"/api/v1/candidates/{candidate_id}/decision", json={"decision": "advance", "note": ""}
    )
    assert r.status_code == 204, r.text

    reviewer = await _member(api, client_factory, inbox, "reviewer")
    recruiter = await _member(api, client_factory, inbox, "recruiter")
    key = (await api.post("/api/v1/api-keys", json={"name": "ats", "scopes": ["read"]})).json()
    integration = ApiClient(
        httpx.AsyncClient(
            base_url=server, headers={"Authorization": f"Bearer {key['secret']}"}, timeout=30
        )
    )
    reads = [
        f"/api/v1/candidates/{candidate_id}",
        f"/api/v1/candidates/{candidate_id}/answers",
        f"/api/v1/interviews/{interview_id}/candidates",
        f"/api/v1/interviews/{interview_id}/candidates?q=Candidate",
        f"/api/v1/interviews/{interview_id}/comparison",
        f"/api/v1/interviews/{interview_id}/candidates.csv",
        f"/api/v1/interviews/{interview_id}/funnel",
        f"/api/v1/candidates/{candidate_id}/report",
        "/api/v1/candidate-requests",
        "/api/v1/notifications",
    ]
    reports = [
        "/api/v1/adverse-impact",
        "/api/v1/adverse-impact.csv",
        f"/api/v1/interviews/{interview_id}/adverse-impact",
        f"/api/v1/interviews/{interview_id}/adverse-impact.csv",
    ]
    for who, client in (("reviewer", reviewer), ("recruiter", recruiter), ("key", integration)):
        for path in reads if who != "key" else reads[:-1]:  # notifications: people only
            r = await client.get(path)
            assert r.status_code == 200, (who, path, r.text)
            assert not any(x in r.text for x in SECRETS), (who, path)
            assert "self_ident" not in r.text, (who, path)
        for path in reports:
            r = await client.get(path)
            assert r.status_code == 403, (who, path)
            assert not any(x in r.text for x in SECRETS), (who, path)
    # The admin's report shows counts only: the category holds 1, and nobody's answer.
    r = await api.get(f"/api/v1/interviews/{interview_id}/adverse-impact")
    row = _rows(r.json()["stages"][1], "race")["native_hawaiian_pacific_islander"]
    assert (row["count"], row["selected"]) == (1, 1)
    assert candidate_id not in r.text and "Candidate 1" not in r.text
    assert candidate_id not in (await api.get("/api/v1/adverse-impact.csv")).text

    # Behind the API: the application's database role cannot read the answers at all, whatever
    # a query joins; it sees only that an answer exists, and counts through fairness_counts().
    org = await db.fetchval("SELECT id FROM organizations")
    async with db.transaction():
        await db.execute("SET LOCAL ROLE fairview_app")
        await db.execute(f"SET LOCAL fairview.organization_id = '{org}'")
        refused = [
            *(f"SELECT {column} FROM self_identifications" for column in ("sex", "race", "*")),
            "SELECT c.name FROM candidates c JOIN self_identifications s"
            " ON s.candidate_id = c.id WHERE s.race = 'asian'",
        ]
        for query in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with db.transaction():  # a savepoint: the refusal aborts only it
                    await db.fetch(query)
        assert await db.fetchval("SELECT count(*) FROM self_identifications") == 1


class Gate:
    """Between Fairview and the test LLM server: records every request body and holds them all
    until `opened`, so that every AI run happens after the candidate self-identified."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.opened = asyncio.Event()
        self.bodies: list[str] = []

    def app(self) -> Litestar:
        @post("/v1/chat/completions", status_code=200)
        async def completions(request: Request[Any, Any, Any]) -> Response[bytes]:
            body = await request.body()
            self.bodies.append(body.decode())
            await self.opened.wait()
            async with httpx.AsyncClient(timeout=300) as http:
                r = await http.post(
                    f"{self.upstream}/chat/completions",
                    content=body,
                    headers={"content-type": "application/json"},
                )
            return Response(r.content, status_code=r.status_code, media_type="application/json")

        return Litestar([completions])


class TestNeverSentToTheModel:
    @pytest.fixture
    def gate(self, llm_url: str) -> Gate:
        return Gate(llm_url)

    @pytest.fixture
    async def gate_url(self, gate: Gate) -> AsyncIterator[str]:
        async with serve(gate.app(), gate.port) as url:
            yield url

    @pytest.fixture
    def settings(self, settings: Settings, gate: Gate) -> Settings:
        return replace(
            settings,
            llm_base_url=f"http://127.0.0.1:{gate.port}/v1",
            llm_model="smollm2",
            llm_response_format="json_object",  # llama-cpp-python's dialect
        )

    async def test_no_llm_request_carries_the_self_identification(
        self, api: ApiClient, server: str, gate_url: str, gate: Gate
    ) -> None:
        await api.sign_up()
        interview_id = await _interview(api, [{**OPTIONAL_TEXT[0], "required": True}])
        candidate_id, c = await _candidate(api, server, interview_id, 1)
        await c.consent()
        q = (await c.session())["questions"][0]
        answer = "I led the support team through a migration and cut waiting times by half."
        r = await c.post(f"/questions/{q['id']}/text", json={"text": answer})
        assert r.status_code == 201
        assert (await c.post("/finish")).status_code == 204
        r = await c.http.put(
            "/api/v1/candidate/self-identification",
            headers=c.headers,
            json={"sex": "female", "race": "native_hawaiian_pacific_islander"},
        )
        assert r.json()["answered"] is True
        gate.opened.set()
        deadline = asyncio.get_running_loop().time() + 300
        while True:
            review = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
            if review["summary"] is not None:
                break
            assert asyncio.get_running_loop().time() < deadline, review
            await asyncio.sleep(0.5)
        # The evaluation and the summary both asked the model; the answer went, the
        # self-identification did not.
        assert len(gate.bodies) >= 2
        assert any("cut waiting times by half" in b for b in gate.bodies)
        for body in gate.bodies:
            assert not any(x in body for x in SECRETS), body
            assert "self_ident" not in body
