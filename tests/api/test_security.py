"""Security hardening: each case an outside audit found, against the real app."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import httpx

from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import QUESTIONS, CandidateClient, interview_with_candidate


async def test_security_headers(api: ApiClient) -> None:
    page = await api.get("/api/v1/auth/me")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' https:" in csp  # organizations' logos
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in page.headers["permissions-policy"]
    assert "strict-transport-security" not in page.headers  # plain http on loopback
    candidate_page = await api.get("/i/some-token")
    assert "camera=(self)" in candidate_page.headers["permissions-policy"]
    assert "microphone=(self)" in candidate_page.headers["permissions-policy"]
    under_https = await api.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert "content-security-policy" in under_https.headers
    # The API reference is configured without an inline script, which the policy forbids.
    docs = (await api.get("/api/docs")).text
    assert "dataset.configuration" not in docs


async def test_interview_patch_applies_the_rules_of_post(api: ApiClient) -> None:
    await api.sign_up()
    interview = (await api.post("/api/v1/interviews", json={"title": "Branded"})).json()
    path = f"/api/v1/interviews/{interview['id']}"
    for bad in (
        {"brand_logo_url": "javascript:alert(1)"},
        {"brand_logo_url": "data:image/svg+xml,<svg onload=alert(1)>"},
        {"brand_name": "x" * 50_000},
    ):
        r = await api.patch(path, json=bad)
        assert r.status_code == 400, (bad, r.status_code)
    r = await api.patch(path, json={"brand_logo_url": "https://cdn.example/logo.png"})
    assert r.status_code == 200 and r.json()["brand_logo_url"] == "https://cdn.example/logo.png"


async def test_replacing_questions_has_a_count_limit(api: ApiClient) -> None:
    await api.sign_up()
    interview = (await api.post("/api/v1/interviews", json={"title": "Many"})).json()
    path = f"/api/v1/interviews/{interview['id']}/questions"
    r = await api.request("PUT", path, json=[{"prompt": f"Q{i}"} for i in range(2000)])
    assert r.status_code == 400
    r = await api.request("PUT", path, json=[{"prompt": f"Q{i}"} for i in range(50)])
    assert r.status_code == 200 and len(r.json()["questions"]) == 50


async def test_media_streams_and_a_suffix_range_respects_the_cap(
    api: ApiClient, server: str, settings: Settings, db: asyncpg.Connection
) -> None:
    interview, token = await interview_with_candidate(api, QUESTIONS[:1])
    candidate = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await candidate.consent()
    attempt = await candidate.attempt(interview["questions"][0]["id"])
    key = f"media/{uuid.uuid4()}.mp4"
    data = bytes(range(256)) * (40 * 1024 + 3)  # 10 MiB and a bit, over the 8 MiB cap
    target = Path(settings.object_store) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    await db.execute(
        "UPDATE answers SET playback_key = $1 WHERE id = $2", key, uuid.UUID(attempt["answer_id"])
    )
    url = f"/api/v1/answers/{attempt['answer_id']}/playback"
    r = await api.get(url, headers={"Range": f"bytes=-{len(data)}"})
    assert r.status_code == 206
    cap = 8 * 1024 * 1024
    assert len(r.content) == cap and r.content == data[-cap:]
    assert r.headers["content-range"] == f"bytes {len(data) - cap}-{len(data) - 1}/{len(data)}"
    r = await api.get(url, headers={"Range": "bytes=-100"})
    assert r.status_code == 206 and r.content == data[-100:]
    async with api.http.stream("GET", url) as whole:  # the whole file, in chunks
        assert int(whole.headers["content-length"]) == len(data)
        chunks = [c async for c in whole.aiter_raw()]
    assert b"".join(chunks) == data
    r = await api.get(url, headers={"Range": "bytes=5-9"})
    assert (r.status_code, r.content) == (206, data[5:10])
