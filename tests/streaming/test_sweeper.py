"""Work whose event was lost is re-driven from the database: a candidate answered and finished
while no worker ran, and the events were gone before any worker read them (a broker that
lost its memory). Once workers start, the sweeper finds each answer without an evaluation and
asks for it again; every answer is evaluated once and the candidate summarised once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx

from api.notification.mailer import run_mailer
from fairview.runtime import build_app, smtp_config
from fairview.settings import Settings
from storage.db import Database
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.http_server import serve
from tests.services import Inbox, free_port

TEXT_QUESTIONS = [
    {
        "prompt": p,
        "kind": "text",
        "think_seconds": 0,
        "answer_seconds": 600,
        "rubric": [{"name": "Motivation", "weight": 1, "strong_answer": "mission and customers"}],
    }
    for p in ("Why this role?", "What do you bring?")
]


async def test_answers_whose_events_were_lost_are_evaluated_once(
    settings: Settings, kafka: str, db: Any, inbox: Inbox
) -> None:
    api_only = build_app(settings, roles=frozenset({"api"}), kafka=kafka)
    async with serve(api_only, settings.port) as url:
        api = ApiClient(httpx.AsyncClient(base_url=url, timeout=30), inbox)
        # Only the mailer beside the API (sign-up is confirmed by email), and only for sign-up.
        database = Database(settings.database_url, settings.database_role)
        await database.connect()
        mailer = asyncio.create_task(run_mailer(database, smtp_config(settings)))
        try:
            await api.sign_up()
        finally:
            mailer.cancel()
            await asyncio.gather(mailer, return_exceptions=True)
            await database.close()
        _, token = await interview_with_candidate(api, TEXT_QUESTIONS)
        candidate = CandidateClient(httpx.AsyncClient(base_url=url, timeout=30), token)
        await candidate.consent()
        for q in (await candidate.session())["questions"]:
            r = await candidate.post(
                f"/questions/{q['id']}/text", json={"text": "The mission, and our customers."}
            )
            assert r.status_code == 201, r.text
        assert (await candidate.post("/finish")).status_code == 204
    # A relay had published the events to a broker that then lost them.
    assert await db.execute("UPDATE outbox SET published_at = now()") != "UPDATE 0"
    answers = {r["id"] for r in await db.fetch("SELECT id FROM answers")}
    assert len(answers) == 2

    workers = build_app(
        replace(settings, sweep_after_s=1), roles=frozenset({"workers"}), kafka=kafka
    )
    async with serve(workers, free_port()):
        deadline = time.monotonic() + 60
        while (
            await db.fetchval("SELECT count(*) FROM candidate_summaries WHERE status = 'ready'")
            != 1
            or await db.fetchval("SELECT count(*) FROM evaluations WHERE status = 'ready'") != 2
        ):
            assert time.monotonic() < deadline, await db.fetch("SELECT * FROM sweeper_redrives")
            await asyncio.sleep(0.2)
        redriven = await db.fetch("SELECT kind, subject_id FROM sweeper_redrives")
    assert {r["subject_id"] for r in redriven if r["kind"] == "evaluation"} == answers
    runs = await db.fetch("SELECT kind, count(*) AS n FROM ai_runs GROUP BY kind ORDER BY kind")
    assert [(r["kind"], r["n"]) for r in runs] == [("evaluation", 2), ("summary", 1)]
