from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api_client import PASSWORD, ApiClient
from tests.services import Inbox, token_in


async def invite(api: ApiClient, email: str, role: str = "recruiter") -> dict[str, Any]:
    r = await api.post("/api/v1/team-invitations", json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def join(client: ApiClient, inbox: Inbox, email: str, name: str = "Grace") -> dict[str, Any]:
    mail = await inbox.wait_for(lambda m: m["To"] == email and "invited you" in m["Subject"])
    token = token_in(mail, "accept-invite")
    preview = await client.get("/api/v1/team-invitations/preview", params={"token": token})
    assert preview.status_code == 200
    assert preview.json()["account_exists"] is False
    r = await client.post(
        "/api/v1/team-invitations/accept", json={"token": token, "name": name, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_invited_teammate_joins_with_the_role(
    api: ApiClient, client_factory: Any, inbox: Inbox
) -> None:
    await api.sign_up(email="ada@example.com", name="Ada")
    inv = await invite(api, "grace@example.com", "reviewer")
    assert inv["role"] == "reviewer"
    listed = (await api.get("/api/v1/team-invitations")).json()["items"]
    assert [i["email"] for i in listed] == ["grace@example.com"]

    grace = client_factory()
    me = await join(grace, inbox, "grace@example.com")
    assert me["role"] == "reviewer"
    assert me["organization"]["name"] == "Acme"
    assert me["user"]["email_verified"] is True  # the emailed link proves the address

    members = (await api.get("/api/v1/members")).json()["items"]
    assert {(m["email"], m["role"]) for m in members} == {
        ("ada@example.com", "owner"),
        ("grace@example.com", "reviewer"),
    }
    assert (await api.get("/api/v1/team-invitations")).json()["items"] == []

    # Grace can log in later with the password she chose.
    await grace.post("/api/v1/auth/logout")
    assert (await grace.log_in("grace@example.com")).status_code == 201


async def test_invitation_link_is_single_use_and_revocable(
    api: ApiClient, client_factory: Any, inbox: Inbox
) -> None:
    await api.sign_up()
    await invite(api, "grace@example.com")
    grace = client_factory()
    await join(grace, inbox, "grace@example.com")
    mail = inbox.to("grace@example.com")[0]
    r = await grace.post(
        "/api/v1/team-invitations/accept",
        json={"token": token_in(mail, "accept-invite"), "password": PASSWORD},
    )
    assert (r.status_code, r.json()["error"]) == (410, "token_used")

    inv = await invite(api, "alan@example.com")
    assert (await api.delete(f"/api/v1/team-invitations/{inv['id']}")).status_code == 204
    mail = await inbox.wait_for(lambda m: m["To"] == "alan@example.com")
    r = await client_factory().get(
        "/api/v1/team-invitations/preview", params={"token": token_in(mail, "accept-invite")}
    )
    assert (r.status_code, r.json()["error"]) == (404, "invalid_token")


async def test_resend_replaces_the_link(api: ApiClient, inbox: Inbox, client_factory: Any) -> None:
    await api.sign_up()
    inv = await invite(api, "grace@example.com")
    first = await inbox.wait_for(lambda m: m["To"] == "grace@example.com")
    r = await api.post(f"/api/v1/team-invitations/{inv['id']}/resend")
    assert r.status_code == 201
    second = await inbox.wait_for(lambda m: m["To"] == "grace@example.com" and m is not first)
    other = client_factory()
    old = await other.get(
        "/api/v1/team-invitations/preview", params={"token": token_in(first, "accept-invite")}
    )
    new = await other.get(
        "/api/v1/team-invitations/preview", params={"token": token_in(second, "accept-invite")}
    )
    assert (old.status_code, new.status_code) == (404, 200)


async def test_expired_invitation_is_refused(
    api: ApiClient, inbox: Inbox, db: Any, client_factory: Any
) -> None:
    await api.sign_up()
    await invite(api, "grace@example.com")
    await db.execute("UPDATE team_invitations SET expires_at = now() - interval '1 second'")
    mail = await inbox.wait_for(lambda m: m["To"] == "grace@example.com")
    r = await client_factory().post(
        "/api/v1/team-invitations/accept",
        json={"token": token_in(mail, "accept-invite"), "name": "G", "password": PASSWORD},
    )
    assert (r.status_code, r.json()["error"]) == (410, "token_expired")
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_existing_account_joins_a_second_organization(
    api: ApiClient, client_factory: Any, inbox: Inbox
) -> None:
    await api.sign_up(email="ada@example.com", org="Acme")
    other = client_factory()
    await other.sign_up(email="grace@example.com", org="Globex")
    await invite(api, "grace@example.com", "admin")
    mail = await inbox.wait_for(
        lambda m: m["To"] == "grace@example.com" and "invited you" in m["Subject"]
    )
    token = token_in(mail, "accept-invite")
    r = await other.post(
        "/api/v1/team-invitations/accept", json={"token": token, "password": "wrong password"}
    )
    assert (r.status_code, r.json()["error"]) == (401, "invalid_credentials")
    r = await other.post(
        "/api/v1/team-invitations/accept", json={"token": token, "password": PASSWORD}
    )
    assert r.status_code == 201
    me = r.json()
    assert me["organization"]["name"] == "Acme" and me["role"] == "admin"
    assert {o["name"] for o in me["organizations"]} == {"Acme", "Globex"}
    globex = next(o for o in me["organizations"] if o["name"] == "Globex")
    r = await other.post("/api/v1/auth/switch-organization", json={"organization_id": globex["id"]})
    assert r.json()["organization"]["name"] == "Globex" and r.json()["role"] == "owner"


async def test_roles_limit_team_management(
    api: ApiClient, client_factory: Any, inbox: Inbox, db: Any
) -> None:
    owner = await api.sign_up(email="ada@example.com")
    await invite(api, "rita@example.com", "recruiter")
    rita = client_factory()
    rita_me = await join(rita, inbox, "rita@example.com", "Rita")

    r = await rita.post("/api/v1/team-invitations", json={"email": "x@example.com"})
    assert (r.status_code, r.json()["error"]) == (403, "permission_denied")
    r = await rita.patch(f"/api/v1/members/{owner['user']['id']}", json={"role": "reviewer"})
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM team_invitations") == 1
    assert await db.fetchval("SELECT role FROM memberships WHERE role = 'owner'") == "owner"

    # The last owner cannot step down or leave.
    r = await api.patch(f"/api/v1/members/{owner['user']['id']}", json={"role": "admin"})
    assert (r.status_code, r.json()["error"]) == (409, "last_owner")
    r = await api.delete(f"/api/v1/members/{owner['user']['id']}")
    assert (r.status_code, r.json()["error"]) == (409, "last_owner")

    r = await api.patch(f"/api/v1/members/{rita_me['user']['id']}", json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    # An admin may manage the team but not grant ownership.
    r = await rita.patch(f"/api/v1/members/{rita_me['user']['id']}", json={"role": "owner"})
    assert (r.status_code, r.json()["error"]) == (403, "owner_only")

    assert (await api.delete(f"/api/v1/members/{rita_me['user']['id']}")).status_code == 204
    r = await rita.get("/api/v1/members")
    assert (r.status_code, r.json()["error"]) == (401, "session_ended")


async def test_audit_log_records_team_changes(api: ApiClient) -> None:
    await api.sign_up()
    await invite(api, "grace@example.com", "reviewer")
    entries = (await api.get("/api/v1/organization/audit-log")).json()["items"]
    assert [e["action"] for e in entries] == ["member.invited", "organization.created"]
    assert entries[0]["target"] == "grace@example.com"
    assert entries[0]["details"] == {"role": "reviewer"}
    assert entries[0]["actor_email"] == "ada@example.com"


async def test_member_list_paginates(api: ApiClient, db: Any) -> None:
    me = await api.sign_up()
    org_id = me["organization"]["id"]
    for i in range(4):
        uid = await db.fetchval(
            "INSERT INTO users (id, email, name, password_hash) VALUES"
            " (gen_random_uuid(), $1, 'x', 'x') RETURNING id",
            f"u{i}@example.com",
        )
        await db.execute(
            "INSERT INTO memberships (organization_id, user_id, role, created_at)"
            " VALUES ($1, $2, 'reviewer', now() + make_interval(secs => $3))",
            UUID(org_id),
            uid,
            i + 1,
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/api/v1/members", params=params)).json()
        seen += [m["email"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ada@example.com"] + [f"u{i}@example.com" for i in range(4)]
    r = await api.get("/api/v1/members", params={"cursor": "garbage!"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_cursor")
