"""Sign-up tells no one whether an address is registered, a new account works only once its
address is confirmed, and Fairview emails third parties only for people with a proven address."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from api.notification.scheduled import send_reminders
from fairview.settings import Settings
from storage.db import Database
from tests.api_client import PASSWORD, ApiClient
from tests.candidates import QUESTIONS
from tests.services import Inbox, body_text, link_in, token_in


def attempt(email: str, org: str = "Other") -> dict[str, Any]:
    return {"organization_name": org, "name": "Eve", "email": email, "password": PASSWORD + "!"}


def answer(r: httpx.Response, email: str) -> tuple[Any, ...]:
    """All a caller learns from a sign-up answer, with the address they typed taken out."""
    cookies = sorted(c.split("=", 1)[0] for c in r.headers.get_list("set-cookie"))
    headers = sorted(k for k in r.headers if k not in ("date", "content-length", "set-cookie"))
    return r.status_code, r.text.replace(email, "<email>"), cookies, headers


async def test_sign_up_answers_the_same_whether_the_email_is_registered(
    api: ApiClient, client_factory: Callable[[], ApiClient], inbox: Inbox, db: asyncpg.Connection
) -> None:
    await api.sign_up(email="ada@example.com", org="Acme")
    taken, fresh = client_factory(), client_factory()
    seen = len(inbox.messages)
    r_taken = await taken.post("/api/v1/auth/signup", json=attempt("ADA@example.com"))
    r_fresh = await fresh.post("/api/v1/auth/signup", json=attempt("eve@example.com"))
    assert r_taken.status_code == 202, r_taken.text
    assert answer(r_taken, "ADA@example.com") == answer(r_fresh, "eve@example.com")
    assert "fairview_session" not in str(answer(r_fresh, "eve@example.com"))
    for c in (taken, fresh):  # neither is logged in: a session would tell them apart
        assert (await c.get("/api/v1/auth/me")).status_code == 401

    # The owner of the registered address hears about it, with a way in.
    notice = await inbox.wait_for(lambda m: m["To"] == "ada@example.com", since=seen)
    assert "tried to create" in notice["Subject"]
    assert "/login" in body_text(notice) and "/forgot-password" in body_text(notice)
    assert "token=" not in body_text(notice)  # nothing an attacker set off carries a credential
    assert await db.fetchval("SELECT count(*) FROM organizations WHERE name = 'Other'") == 1
    assert (await client_factory().log_in("ada@example.com")).status_code == 201  # unchanged
    r = await client_factory().log_in("ada@example.com", PASSWORD + "!")
    assert r.status_code == 401

    # The new account is usable only once its address is confirmed: the link logs in.
    r = await client_factory().log_in("eve@example.com", PASSWORD + "!")
    assert (r.status_code, r.json()["error"]) == (403, "email_unverified")
    assert "eve@example.com" in r.json()["detail"]
    welcome = await inbox.wait_for(lambda m: m["To"] == "eve@example.com", since=seen)
    r = await fresh.post(
        "/api/v1/auth/verify-email", json={"token": token_in(welcome, "verify-email")}
    )
    assert r.status_code == 201, r.text
    assert r.json()["user"]["email_verified"] is True and r.json()["role"] == "owner"
    assert (await fresh.get("/api/v1/auth/me")).status_code == 200
    r = await client_factory().log_in("eve@example.com", PASSWORD + "!")
    assert r.status_code == 201, r.text


async def test_signing_up_again_before_confirming_sends_a_new_link(
    api: ApiClient, inbox: Inbox, db: asyncpg.Connection
) -> None:
    r = await api.post("/api/v1/auth/signup", json=attempt("eve@example.com", "Eve's"))
    assert r.status_code == 202
    first = await inbox.wait_for(lambda m: m["To"] == "eve@example.com")
    seen = len(inbox.messages)
    r = await api.post("/api/v1/auth/signup", json=attempt("eve@example.com", "Eve's again"))
    assert r.status_code == 202
    second = await inbox.wait_for(lambda m: m["To"] == "eve@example.com", since=seen)
    assert link_in(second, "verify-email") != link_in(first, "verify-email")
    assert await db.fetchval("SELECT count(*) FROM organizations") == 1
    r = await api.post(
        "/api/v1/auth/verify-email", json={"token": token_in(second, "verify-email")}
    )
    assert r.status_code == 201 and r.json()["organization"]["name"] == "Eve's"


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    yield database
    await database.close()


async def test_an_unverified_member_cannot_have_fairview_email_third_parties(
    api: ApiClient,
    inbox: Inbox,
    db: asyncpg.Connection,
    database: Database,
    settings: Settings,
) -> None:
    me = await api.sign_up(email="ada@example.com")
    r = await api.post("/api/v1/interviews", json={"title": "Support", "questions": QUESTIONS})
    interview = r.json()
    base = f"/api/v1/interviews/{interview['id']}"
    assert (await api.post(f"{base}/status", json={"status": "active"})).status_code == 201
    deadline = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    r = await api.post(
        f"{base}/candidates",
        json={
            "name": "Cora",
            "email": "cora@a.example",
            "send_email": False,
            "deadline": deadline.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    cora = r.json()["candidate"]
    # An account whose address is not proven (one made before sign-up required it, whose
    # session lives on): it may work, but Fairview sends no email to anyone on its behalf.
    await db.execute("UPDATE users SET email_verified_at = NULL")
    attempts = {
        "invite": await api.post(
            f"{base}/candidates", json={"name": "Dan", "email": "dan@a.example"}
        ),
        "import": await api.post(
            f"{base}/candidates/import",
            json={"csv": "name,email\n" + "".join(f"P{i},p{i}@a.example\n" for i in range(50))},
        ),
        "resend": await api.post(f"/api/v1/candidates/{cora['id']}/resend"),
        "team": await api.post("/api/v1/team-invitations", json={"email": "tom@a.example"}),
    }
    for what, r in attempts.items():
        assert (r.status_code, r.json()["error"]) == (403, "email_unverified"), what
        assert "Send it again" in r.json()["detail"], what
    assert await db.fetchval("SELECT count(*) FROM candidates") == 1
    r = await api.post(  # adding a candidate without an email stays possible
        f"{base}/candidates", json={"name": "Eli", "email": "eli@a.example", "send_email": False}
    )
    assert r.status_code == 201, r.text
    # Nor do reminders go out for an organization without a proven address.
    due = deadline - timedelta(hours=23)
    assert await send_reminders(database, settings.public_url, due) == 0
    await db.execute("UPDATE users SET email_verified_at = now()")
    assert await send_reminders(database, settings.public_url, due) == 1
    r = await api.post(f"{base}/candidates", json={"name": "Dan", "email": "dan@a.example"})
    assert r.status_code == 201, r.text
    await inbox.wait_for(lambda m: m["To"] == "dan@a.example")
    assert not [
        m
        for m in inbox.messages
        if m["To"].endswith("@a.example") and m["To"] not in ("dan@a.example", "cora@a.example")
    ]
    assert me["user"]["email_verified"] is True
