"""Finishing an interview sends the candidate a confirmation and tells the recruiter who made
the interview, in each one's language, over real SMTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox, body_text

QUESTION = [{"prompt": "Why us?", "kind": "text", "think_seconds": 0, "answer_seconds": 300}]


async def test_completion_is_confirmed_to_the_candidate_and_the_recruiter(
    api: ApiClient, server: str, inbox: Inbox, db: Any
) -> None:
    await api.sign_up(email="ada@example.com", name="Ada Lovelace")
    interview, token = await interview_with_candidate(api, QUESTION)
    logo = "https://cdn.example.com/acme-careers.png"
    r = await api.patch(
        f"/api/v1/interviews/{interview['id']}",
        json={"brand_name": "Acme Careers", "brand_logo_url": logo},
    )
    assert r.status_code == 200, r.text
    c = CandidateClient(httpx.AsyncClient(base_url=server), token)
    await c.consent(ai=False)
    q = (await c.session())["questions"][0]
    assert (
        await c.post(f"/questions/{q['id']}/text", json={"text": "Because."})
    ).status_code == 201
    assert not [m for m in inbox.messages if "complete" in m["Subject"]]  # not before finishing
    assert (await c.post("/finish")).status_code == 204

    mine = await inbox.wait_for(
        lambda m: m["To"] == "cora@example.com" and "Thank you" in m["Subject"]
    )
    assert "Support lead" in mine["Subject"]
    assert "Acme Careers has received all your answers" in body_text(mine)
    html = mine.get_body(preferencelist=("html",))
    assert html is not None
    assert f'<img src="{logo}" alt="Acme Careers"' in html.get_content()  # the interview's brand
    # One link only: the candidate's own rights page (AI notice, a copy or deletion of data).
    links = [w for w in body_text(mine).split() if "http" in w]
    assert len(links) == 1 and "/rights/" in links[0], links
    team = await inbox.wait_for(
        lambda m: m["To"] == "ada@example.com" and "completed" in m["Subject"]
    )
    assert team["Subject"] == "Cora completed Support lead"
    candidate_id = await db.fetchval("SELECT id FROM candidates")
    assert f"/candidates/{candidate_id}" in body_text(team)
