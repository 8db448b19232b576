"""Tenant isolation: every route, called with another organization's ids, answers 404 and
changes nothing; Row-Level Security stops what a missed filter would let through."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import pytest

from storage.db import Database
from tests.api_client import ApiClient
from tests.candidates import CandidateClient
from tests.services import Inbox, token_in

# Routes authorised by a link's own token rather than an organization's session or key; their
# isolation is tested where they are (tests/api/test_candidate_flow.py, tests/ingest).
TOKEN_ROUTES = (
    "/api/v1/admin",
    "/api/v1/candidate/",
    "/api/v1/public-interviews/",
    "/api/v1/rights/",  # the candidate's own page, by the signed link in their email
    "/api/v1/shared/",
    "/whip/",
)

TABLES = [
    "organizations",
    "users",
    "memberships",
    "team_invitations",
    "api_keys",
    "audit_log",
    "auth_tokens",
    "outbox",
    "email_deliveries",
    "operator_keys",
    "share_links",
    "share_accesses",
    "shortlist",
    "candidate_requests",
]


async def snapshot(db: asyncpg.Connection) -> dict[str, list[Any]]:
    return {t: [dict(r) for r in await db.fetch(f"SELECT * FROM {t} ORDER BY 1")] for t in TABLES}


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A documented example, else a minimal valid value for an OpenAPI schema."""
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example(sub, components)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return [example(schema["items"], components)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("format") == "email" or "email" in str(schema.get("examples", "")):
        return "someone@example.com"
    return "x" * max(16, schema.get("minLength", 1))


@pytest.fixture
async def two_orgs(
    api: ApiClient, client_factory: Any, inbox: Inbox, db: asyncpg.Connection
) -> dict[str, Any]:
    await api.sign_up(email="ada@a.example", org="A")
    b = client_factory()
    b_me = await b.sign_up(email="bob@b.example", org="B")
    r = await b.post("/api/v1/team-invitations", json={"email": "carl@b.example"})
    carl_inv = r.json()["id"]
    mail = await inbox.wait_for(lambda m: m["To"] == "carl@b.example")
    carl = client_factory()
    r = await carl.post(
        "/api/v1/team-invitations/accept",
        json={
            "token": token_in(mail, "accept-invite"),
            "name": "Carl",
            "password": "p" * 4 + "assw0rd!",
        },
    )
    assert r.status_code == 201, r.text
    pending = (await b.post("/api/v1/team-invitations", json={"email": "dan@b.example"})).json()
    key = (await b.post("/api/v1/api-keys", json={"name": "b", "scopes": ["read", "write"]})).json()
    assert carl_inv
    interview = (
        await b.post(
            "/api/v1/interviews",
            json={"title": "B's interview", "questions": [{"prompt": "Why B?"}]},
        )
    ).json()
    await b.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "active"})
    cand = (
        await b.post(
            f"/api/v1/interviews/{interview['id']}/candidates",
            json={"name": "Cy", "email": "cy@b.example"},
        )
    ).json()
    cy = CandidateClient(b.http, cand["link"].rsplit("/", 1)[1])
    await cy.consent()
    attempt = await cy.attempt(interview["questions"][0]["id"])
    # A webhook endpoint (a public address, never called: no event it wants happens here) and
    # a delivery that already failed (so no worker touches it during the test).
    endpoint = (
        await b.post(
            "/api/v1/webhooks",
            json={"url": "https://93.184.216.34/hook", "events": ["candidate.decided"]},
        )
    ).json()
    delivery_id = await db.fetchval(
        "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type,"
        " payload, status) VALUES (gen_random_uuid(), $1, $2, 'evt_b', 'candidate.decided',"
        " '{}', 'failed') RETURNING id",
        uuid.UUID(b_me["organization"]["id"]),
        uuid.UUID(endpoint["id"]),
    )
    notification_id = await db.fetchval(
        "INSERT INTO notifications (id, organization_id, user_id, event_id, kind, candidate_id)"
        " VALUES (gen_random_uuid(), $1, $2, 'evt_b', 'candidate_completed', $3) RETURNING id",
        uuid.UUID(b_me["organization"]["id"]),
        uuid.UUID(b_me["user"]["id"]),
        uuid.UUID(cand["candidate"]["id"]),
    )
    request_id = await db.fetchval(
        "INSERT INTO candidate_requests (id, organization_id, candidate_id, kind)"
        " VALUES (gen_random_uuid(), $1, $2, 'human_review') RETURNING id",
        uuid.UUID(b_me["organization"]["id"]),
        uuid.UUID(cand["candidate"]["id"]),
    )
    share = (
        await b.post(
            f"/api/v1/interviews/{interview['id']}/shares",
            json={"recipient": "Hiring manager", "candidate_id": cand["candidate"]["id"]},
        )
    ).json()
    return {
        "share_id": share["share"]["id"],
        "request_id": str(request_id),
        "notification_id": str(notification_id),
        "endpoint_id": endpoint["id"],
        "delivery_id": str(delivery_id),
        "answer_id": attempt["answer_id"],
        "kind": "playback",
        "segment": 1,
        "interview_id": interview["id"],
        "candidate_id": cand["candidate"]["id"],
        "user_id": r.json()["user"]["id"],
        "invitation_id": pending["id"],
        "key_id": key["key"]["id"],
        "organization_id": b_me["organization"]["id"],
        "b_key": key["secret"],
    }


async def test_every_route_hides_other_organizations(
    api: ApiClient, two_orgs: dict[str, Any], db: asyncpg.Connection
) -> None:
    schema = (await api.get("/api/docs/openapi.json")).json()
    components = schema.get("components", {}).get("schemas", {})
    before = await snapshot(db)
    checked = []
    b_values = [str(v) for k, v in two_orgs.items() if k != "segment"] + [
        "bob@b.example",
        "carl@b.example",
        "cy@b.example",
        "B's interview",
    ]
    for path, operations in schema["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if path.startswith(TOKEN_ROUTES):
            continue
        if not params:
            if path.endswith("/stream"):
                continue  # an endless event stream, on a channel of the member's own
            if "get" in operations and path.startswith("/api/v1"):
                r = await api.get(path)
                leaked = [v for v in b_values if v in r.text]
                assert not leaked, f"GET {path} shows B's {leaked}"
            continue
        for method, op in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            missing = [p for p in params if p not in two_orgs]
            assert not missing, f"{method.upper()} {path}: add B's {missing} to this test"
            url = path.format(**{p: two_orgs[p] for p in params})
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]["application/json"]["schema"]
                body = example(content, components)
            r = await api.request(method.upper(), url, json=body)
            assert r.status_code == 404, f"{method.upper()} {path}: {r.status_code} {r.text}"
            assert r.json()["error"] == "not_found"
            checked.append(f"{method.upper()} {path}")
    assert await snapshot(db) == before
    assert len(checked) >= 5
    print(f"tenancy: {len(checked)} operations with ids checked: {checked}")


async def test_admin_routes_refuse_sessions_and_organization_keys(
    api: ApiClient, two_orgs: dict[str, Any], db: asyncpg.Connection
) -> None:
    schema = (await api.get("/api/docs/openapi.json")).json()
    before = await snapshot(db)
    admin_ops = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/admin"):
            continue
        url = path.replace("{organization_id}", two_orgs["organization_id"])
        for method in operations:
            for headers in ({}, {"Authorization": f"Bearer {two_orgs['b_key']}"}):
                r = await api.request(
                    method.upper(),
                    url,
                    headers=headers,
                    json={"reason": "x"} if method == "post" else None,
                )
                assert r.status_code == 401, f"{method} {path}: {r.status_code}"
            admin_ops += 1
    assert admin_ops >= 4
    assert await snapshot(db) == before


async def test_row_level_security_is_the_second_line(
    two_orgs: dict[str, Any], database_url: str
) -> None:
    database = Database(database_url, "fairview_app")
    await database.connect()
    try:
        b_org = uuid.UUID(two_orgs["organization_id"])
        async with database.platform() as conn:
            a_org = await conn.fetchval("SELECT id FROM organizations WHERE name = 'A'")
        async with database.tenant(a_org) as t:
            # No WHERE clause at all: RLS still shows only A's rows.
            orgs = {r["organization_id"] for r in await t.conn.fetch("SELECT * FROM memberships")}
            assert orgs == {a_org}
            assert await t.conn.fetchval("SELECT count(*) FROM api_keys") == 0
            assert await t.conn.fetchval("SELECT count(*) FROM organizations") == 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with database.tenant(a_org) as t:
                await t.conn.execute(
                    "INSERT INTO audit_log (organization_id, action) VALUES ($1, 'forged')", b_org
                )
    finally:
        await database.close()


async def test_every_tenant_table_has_forced_row_level_security(db: asyncpg.Connection) -> None:
    rows = await db.fetch(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
        " AND a.attname = 'organization_id' AND NOT a.attisdropped"
    )
    assert len(rows) >= 12
    unprotected = [
        r["relname"]
        for r in rows
        if not (r["relrowsecurity"] and r["relforcerowsecurity"] and r["has_policy"])
    ]
    assert unprotected == []
