from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api_client import PASSWORD, ApiClient
from tests.services import Inbox, token_in


async def test_sign_up_creates_organization_owner_who_confirms_and_logs_in(
    api: ApiClient, inbox: Inbox, db: Any
) -> None:
    r = await api.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": "Acme Hiring",
            "name": "Ada",
            "email": "Ada@Example.com",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 202, r.text
    assert r.json() == {"email": "Ada@example.com", "status": "check_email"}  # domain normalised
    assert (await api.get("/api/v1/auth/me")).status_code == 401  # not before confirming
    mail = await inbox.wait_for(lambda m: m["To"] == "Ada@example.com")
    r = await api.post("/api/v1/auth/verify-email", json={"token": token_in(mail, "verify-email")})
    assert r.status_code == 201, r.text
    me = r.json()
    assert me["role"] == "owner"
    assert me["organization"]["name"] == "Acme Hiring"
    assert me["user"]["email"] == "Ada@example.com"  # domain normalised, local part kept
    assert me["user"]["email_verified"] is True

    r = await api.get("/api/v1/auth/me")
    assert r.status_code == 200
    assert r.json()["user"]["id"] == me["user"]["id"]
    stored = await db.fetchval(
        "SELECT password_hash FROM users WHERE id = $1", UUID(me["user"]["id"])
    )
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_session_cookie_is_httponly_and_samesite(api: ApiClient, client_factory: Any) -> None:
    await api.sign_up(email="ada@example.com")
    r = await client_factory().log_in("ada@example.com")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("fairview_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_duplicate_email_creates_nothing(
    api: ApiClient, db: Any, client_factory: Any
) -> None:
    await api.sign_up(email="ada@example.com")
    other = client_factory()
    r = await other.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": "Other",
            "name": "Eve",
            "email": "ADA@example.com",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 202  # the same as for a new address (tests/api/test_security_signup.py)
    assert await db.fetchval("SELECT count(*) FROM organizations") == 1


async def test_weak_password_and_bad_email_are_rejected(api: ApiClient, db: Any) -> None:
    r = await api.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": "Acme",
            "name": "Ada",
            "email": "ada@example.com",
            "password": "aaaaaaaaaaaa",
        },
    )
    assert (r.status_code, r.json()["error"]) == (422, "weak_password")
    r = await api.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": "Acme",
            "name": "Ada",
            "email": "not-an-email",
            "password": PASSWORD,
        },
    )
    assert (r.status_code, r.json()["error"]) == (422, "invalid_email")
    r = await api.post("/api/v1/auth/signup", json={"organization_name": "Acme"})
    assert r.status_code == 400
    assert r.json()["error"] == "validation_error"
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_email_verification_link_works_once(api: ApiClient, inbox: Inbox, db: Any) -> None:
    r = await api.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": "A",
            "name": "Ada",
            "email": "ada@example.com",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 202
    mail = await inbox.wait_for(lambda m: m["To"] == "ada@example.com")
    assert mail["Subject"] == "Confirm your email for Fairview"
    assert mail.get_body(preferencelist=("html",)) is not None
    token = token_in(mail, "verify-email")

    r = await api.post("/api/v1/auth/verify-email", json={"token": token})
    assert r.status_code == 201
    assert (await api.get("/api/v1/auth/me")).json()["user"]["email_verified"] is True
    r = await api.post("/api/v1/auth/verify-email", json={"token": token})
    assert (r.status_code, r.json()["error"]) == (410, "token_used")
    r = await api.post("/api/v1/auth/verify-email", json={"token": "x" * 43})
    assert (r.status_code, r.json()["error"]) == (404, "invalid_token")
    delivery = await db.fetchrow("SELECT status, attempts FROM email_deliveries")
    assert (delivery["status"], delivery["attempts"]) == ("sent", 1)


async def test_russian_signup_gets_russian_email(api: ApiClient, inbox: Inbox) -> None:
    await api.sign_up(email="ivan@example.com", name="Иван", locale="ru")
    mail = await inbox.wait_for(lambda m: m["To"] == "ivan@example.com")
    assert mail["Subject"] == "Подтвердите адрес почты в Fairview"
    assert "Здравствуйте, Иван!" in mail.get_body(preferencelist=("plain",)).get_content()


async def test_log_out_and_log_in(api: ApiClient, client_factory: Any) -> None:
    await api.sign_up(email="ada@example.com")
    assert (await api.post("/api/v1/auth/logout")).status_code == 204
    r = await api.get("/api/v1/auth/me")
    assert (r.status_code, r.json()["error"]) == (401, "not_authenticated")

    assert (await api.log_in("ada@example.com", "wrong password")).status_code == 401
    r = await api.log_in("ADA@example.com")
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "owner"
    assert (await api.get("/api/v1/members")).status_code == 200


async def test_log_in_issues_a_new_session_id(api: ApiClient, client_factory: Any) -> None:
    await api.sign_up(email="ada@example.com")
    planted = api.http.cookies["fairview_session"]
    await api.log_in("ada@example.com")
    assert api.http.cookies["fairview_session"] != planted
    attacker = client_factory()
    attacker.http.cookies.set("fairview_session", planted)
    assert (await attacker.get("/api/v1/auth/me")).status_code == 401


async def test_login_is_rate_limited(api: ApiClient) -> None:
    await api.sign_up(email="ada@example.com")
    codes = [(await api.log_in("ada@example.com", "wrong")).status_code for _ in range(5)]
    assert codes == [401] * 5
    r = await api.log_in("ada@example.com")  # even the right password waits now
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited"
    assert int(r.headers["retry-after"]) > 0


async def test_cookie_writes_need_the_csrf_token(api: ApiClient, db: Any) -> None:
    await api.sign_up(email="ada@example.com")
    r = await api.http.patch("/api/v1/organization", json={"name": "Hijacked"})
    assert r.status_code == 403
    assert await db.fetchval("SELECT name FROM organizations") == "Acme"
    r = await api.patch("/api/v1/organization", json={"name": "Acme Ltd"})
    assert r.status_code == 200
    assert r.json()["name"] == "Acme Ltd"
