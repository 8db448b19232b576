"""Fair review by default: a member sees the others' ratings of an answer only after rating it;
API keys (integrations) see every rating."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from tests.api.test_review import answered, evaluated
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


async def test_review_first_holds_the_ai_evaluation_until_your_rating(
    api: ApiClient, server: str, db: Any
) -> None:
    """An interview set to review first shows a reviewer each answer's AI evaluation (and the
    summary) only after their own rating; when it was first shown to whom is kept."""
    await api.sign_up(name="Ada")
    candidate_id, answer_id = await answered(api, server, ai=True)
    interview_id = (await api.get("/api/v1/interviews")).json()["items"][0]["id"]
    review_url = f"/api/v1/candidates/{candidate_id}/answers"
    # Off (the default): the evaluation shows at once, and that Ada saw it before rating is kept.
    review = await evaluated(api, candidate_id)
    assert review["review_first"] is False and review["questions"][0]["answer"]["evaluation"]
    for _ in range(600):  # the summary follows the evaluation
        if await db.fetchval("SELECT count(*) FROM candidate_summaries WHERE status = 'ready'"):
            break
        await asyncio.sleep(0.1)
    assert await db.fetchval("SELECT rated_before FROM evaluation_views") is False
    await db.execute("DELETE FROM evaluation_views")

    r = await api.patch(f"/api/v1/interviews/{interview_id}", json={"review_first": True})
    assert r.status_code == 200 and r.json()["review_first"] is True
    review = (await api.get(review_url)).json()
    answer = review["questions"][0]["answer"]
    assert review["review_first"] is True
    assert answer["evaluation"] is None and answer["evaluation_held"] is True
    assert review["summary"] is None and review["summary_held"] is True
    assert answer["evaluation_views"] == []
    assert await db.fetchval("SELECT count(*) FROM evaluation_views") == 0

    # An integration is not a reviewer: it reads the evaluation, and nothing is recorded.
    key = (await api.post("/api/v1/api-keys", json={"name": "ats", "scopes": ["read"]})).json()
    r = await api.http.get(review_url, headers={"Authorization": f"Bearer {key['secret']}"})
    assert r.json()["questions"][0]["answer"]["evaluation"]["status"] == "ready"
    assert r.json()["summary"]["status"] == "ready"
    assert await db.fetchval("SELECT count(*) FROM evaluation_views") == 0

    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 4}]},
    )
    assert r.status_code == 204
    review = (await api.get(review_url)).json()
    answer = review["questions"][0]["answer"]
    assert answer["evaluation"]["status"] == "ready" and answer["evaluation_held"] is False
    assert review["summary"]["status"] == "ready" and review["summary_held"] is False
    [view] = answer["evaluation_views"]
    assert view["name"] == "Ada" and view["rated_before"] is True
    # Shown again later: the first showing is what is kept.
    again = (await api.get(review_url)).json()["questions"][0]["answer"]["evaluation_views"]
    assert again == [view]
