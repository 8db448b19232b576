from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from tests.api_client import ApiClient


async def operator_key(database_url: str) -> str:
    """Made with the real CLI, as an operator would."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fairview.cli",
        "operator-key",
        "ops on call",
        env={**os.environ, "FAIRVIEW_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    key = out.decode().strip().splitlines()[-1]
    assert key.startswith("fvop_")
    return key


async def test_operator_lists_organizations_users_and_suspends(
    api: ApiClient, client_factory: Any, database_url: str, db: Any
) -> None:
    me = await api.sign_up(email="ada@example.com", org="Acme")
    await api.post("/api/v1/team-invitations", json={"email": "grace@example.com"})
    await api.post("/api/v1/api-keys", json={"name": "k"})
    ops = client_factory()
    auth = {"Authorization": f"Bearer {await operator_key(database_url)}"}

    orgs = (await ops.get("/api/v1/admin/organizations", headers=auth)).json()["items"]
    assert len(orgs) == 1
    assert orgs[0]["usage"] == {"members": 1, "pending_invitations": 1, "api_keys": 1}
    users = (await ops.get("/api/v1/admin/users", headers=auth, params={"email": "ada@"})).json()[
        "items"
    ]
    assert [(u["email"], u["memberships"][0]["role"]) for u in users] == [
        ("ada@example.com", "owner")
    ]

    org_id = me["organization"]["id"]
    r = await ops.post(
        f"/api/v1/admin/organizations/{org_id}/suspend",
        headers=auth,
        json={"reason": "unpaid invoices"},
    )
    assert r.status_code == 201 and r.json()["status"] == "suspended"
    r = await api.get("/api/v1/members")
    assert (r.status_code, r.json()["error"]) == (403, "organization_suspended")
    r = await api.get("/api/v1/auth/me")  # the web app can still say why
    assert r.status_code == 200 and r.json()["organization"]["status"] == "suspended"

    r = await ops.post(f"/api/v1/admin/organizations/{org_id}/reinstate", headers=auth)
    assert r.json()["status"] == "active"
    assert (await api.get("/api/v1/members")).status_code == 200

    r = await ops.get(
        f"/api/v1/admin/organizations/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=auth
    )
    assert r.status_code == 404
    assert (
        await ops.get(
            "/api/v1/admin/organizations", headers={"Authorization": "Bearer fvop_forged"}
        )
    ).status_code == 401


async def test_operator_sees_usage_and_sets_a_plan_by_hand(
    api: ApiClient, client_factory: Any, database_url: str
) -> None:
    me = await api.sign_up()
    await api.post("/api/v1/team-invitations", json={"email": "grace@example.com"})
    ops = client_factory()
    auth = {"Authorization": f"Bearer {await operator_key(database_url)}"}
    org = me["organization"]["id"]

    billing = (await ops.get(f"/api/v1/admin/organizations/{org}/billing", headers=auth)).json()
    assert billing["plan"]["id"] == "free" and billing["status"] == "none"
    assert {u["limit"]: u["used"] for u in billing["usage"]}["seats"] == 2  # owner + invitation

    r = await ops.post(
        f"/api/v1/admin/organizations/{org}/plan", headers=auth, json={"plan": "enterprise"}
    )
    assert r.status_code == 201
    assert (r.json()["plan"]["id"], r.json()["status"]) == ("enterprise", "manual")
    assert all(v is None for v in r.json()["plan"]["limits"].values())
    r = await ops.post(f"/api/v1/admin/organizations/{org}/plan", headers=auth, json={"plan": "x"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_plan"
    assert (await api.get(f"/api/v1/admin/organizations/{org}/billing")).status_code == 401
