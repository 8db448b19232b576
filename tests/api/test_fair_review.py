"""Fair review by default: a member sees the others' ratings of an answer only after rating it;
API keys (integrations) see every rating."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api.test_review import answered
from tests.api_client import ApiClient
from tests.services import token_in


async def test_others_ratings_show_after_your_own(
    api: ApiClient, server: str, client_factory: Any, inbox: Any
) -> None:
    await api.sign_up(name="Ada")
    candidate_id, answer_id = await answered(api, server, ai=True)
    ratings = f"/api/v1/answers/{answer_id}/ratings"
    r = await api.request("PUT", ratings, json={"ratings": [{"criterion": "Empathy", "score": 2}]})
    assert r.status_code == 204
    await api.post(
        "/api/v1/team-invitations", json={"email": "rev@example.com", "role": "reviewer"}
    )
    mail = await inbox.wait_for(lambda m: m["To"] == "rev@example.com")
    rev = client_factory()
    await rev.post(
        "/api/v1/team-invitations/accept",
        json={"token": token_in(mail, "accept-invite"), "name": "Rev", "password": "passw0rd!!x"},
    )
    interview_id = (await api.get("/api/v1/interviews")).json()["items"][0]["id"]
    compare = f"/api/v1/interviews/{interview_id}/comparison"

    async def seen(client: ApiClient) -> tuple[Any, Any, str]:
        review = (await client.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
        empathy = review["questions"][0]["answer"]["ratings"][0]
        cell = (await client.get(compare)).json()["candidates"][0]["answers"][0]["criteria"][0]
        text = (await client.get(f"/api/v1/interviews/{interview_id}/candidates.csv")).text
        row = next(csv.DictReader(io.StringIO(text)))
        return (empathy["team_average"], empathy["team_count"]), cell["team_average"], row

    # Before rating: Rev knows ratings exist, not what they are, anywhere.
    review, cell, row = await seen(rev)
    assert review == (None, 1) and cell is None and row["Q1 Empathy team rating"] == ""
    r = await rev.request("PUT", ratings, json={"ratings": [{"criterion": "Empathy", "score": 4}]})
    assert r.status_code == 204
    review, cell, row = await seen(rev)
    assert review == (3.0, 2) and cell == 3.0 and row["Q1 Empathy team rating"] == "3.0"
    # An integration reads every rating.
    key = (await api.post("/api/v1/api-keys", json={"name": "ats", "scopes": ["read"]})).json()
    auth = {"Authorization": f"Bearer {key['secret']}"}
    r = await api.http.get(f"/api/v1/candidates/{candidate_id}/answers", headers=auth)
    assert r.json()["questions"][0]["answer"]["ratings"][0]["team_average"] == 3.0
