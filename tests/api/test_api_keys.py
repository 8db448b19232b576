from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fairview.settings import Settings
from tests.api_client import ApiClient


async def test_api_key_is_shown_once_stored_hashed_and_scoped(
    api: ApiClient, client_factory: Any, db: Any
) -> None:
    await api.sign_up()
    r = await api.post("/api/v1/api-keys", json={"name": "ATS sync", "scopes": ["read"]})
    assert r.status_code == 201
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("fv_") and created["key"]["prefix"] == secret[:11]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM api_keys WHERE key_hash::text LIKE $1", f"%{secret}%"
        )
        == 0
    )
    listed = (await api.get("/api/v1/api-keys")).json()["items"]
    assert [k["name"] for k in listed] == ["ATS sync"] and "secret" not in listed[0]

    integration = client_factory()  # no cookies: the key alone
    auth = {"Authorization": f"Bearer {secret}"}
    r = await integration.get("/api/v1/members", headers=auth)
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    # read scope cannot write, and keys never manage keys or roles (no CSRF needed for keys)
    r = await integration.post(
        "/api/v1/team-invitations", headers=auth, json={"email": "x@example.com"}
    )
    assert (r.status_code, r.json()["error"]) == (403, "permission_denied")
    r = await integration.post("/api/v1/api-keys", headers=auth, json={"name": "escalate"})
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM api_keys") == 1
    assert await db.fetchval("SELECT count(*) FROM team_invitations") == 0
    assert (await api.get("/api/v1/api-keys")).json()["items"][0]["last_used_at"] is not None

    assert (await api.delete(f"/api/v1/api-keys/{created['key']['id']}")).status_code == 204
    r = await integration.get("/api/v1/members", headers=auth)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_api_key")


async def test_unknown_key_and_malformed_header(client_factory: Any, api: ApiClient) -> None:
    c = client_factory()
    r = await c.get("/api/v1/members", headers={"Authorization": "Bearer fv_nope"})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_api_key")
    r = await c.get("/api/v1/members", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


async def test_reviewers_cannot_manage_keys(api: ApiClient, db: Any) -> None:
    me = await api.sign_up()
    await db.execute("UPDATE memberships SET role = 'reviewer'")
    r = await api.post("/api/v1/api-keys", json={"name": "k"})
    assert (r.status_code, r.json()["error"]) == (403, "permission_denied")
    assert me["role"] == "owner"


class TestRateLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, api_requests_per_minute=3)

    async def test_each_key_is_rate_limited_with_retry_after(
        self, api: ApiClient, client_factory: Any
    ) -> None:
        await api.sign_up()
        secrets = [
            (await api.post("/api/v1/api-keys", json={"name": n})).json()["secret"]
            for n in ("ats", "hris")
        ]
        integration = client_factory()
        first, second = ({"Authorization": f"Bearer {s}"} for s in secrets)
        for _ in range(3):
            assert (await integration.get("/api/v1/interviews", headers=first)).status_code == 200
        r = await integration.get("/api/v1/interviews", headers=first)
        assert (r.status_code, r.json()["error"]) == (429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # Limits are per key, and people in the web app are not limited by keys' use.
        assert (await integration.get("/api/v1/interviews", headers=second)).status_code == 200
        assert (await api.get("/api/v1/interviews")).status_code == 200
