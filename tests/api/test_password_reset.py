from __future__ import annotations

from typing import Any

from tests.api_client import ApiClient
from tests.services import Inbox, token_in

NEW_PASSWORD = "another long passphrase"


async def test_reset_sets_a_new_password_and_ends_other_sessions(
    api: ApiClient, client_factory: Any, inbox: Inbox
) -> None:
    await api.sign_up(email="ada@example.com")
    stranger = client_factory()
    r = await stranger.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    assert r.status_code == 202
    mail = await inbox.wait_for(lambda m: m["Subject"] == "Reset your Fairview password")
    token = token_in(mail, "reset-password")

    r = await stranger.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 201, r.text
    assert r.json()["user"]["email"] == "ada@example.com"

    r = await api.get("/api/v1/auth/me")  # the session from before the reset has ended
    assert (r.status_code, r.json()["error"]) == (401, "session_ended")
    assert (await api.log_in("ada@example.com")).status_code == 401
    assert (await api.log_in("ada@example.com", NEW_PASSWORD)).status_code == 201

    r = await stranger.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "yet another passphrase"},
    )
    assert (r.status_code, r.json()["error"]) == (410, "token_used")


async def test_reset_for_unknown_email_answers_the_same_and_sends_nothing(
    api: ApiClient, inbox: Inbox, db: Any
) -> None:
    r = await api.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert r.status_code == 202
    assert await db.fetchval("SELECT count(*) FROM email_deliveries") == 0


async def test_expired_reset_link_is_refused(api: ApiClient, inbox: Inbox, db: Any) -> None:
    await api.sign_up(email="ada@example.com")
    await api.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    mail = await inbox.wait_for(lambda m: m["Subject"] == "Reset your Fairview password")
    await db.execute(
        "UPDATE auth_tokens SET expires_at = now() - interval '1 second'"
        " WHERE purpose = 'reset_password'"
    )
    before = await db.fetchval("SELECT password_hash FROM users")
    r = await api.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token_in(mail, "reset-password"), "password": NEW_PASSWORD},
    )
    assert (r.status_code, r.json()["error"]) == (410, "token_expired")
    assert await db.fetchval("SELECT password_hash FROM users") == before


async def test_a_new_reset_request_retires_the_old_link(api: ApiClient, inbox: Inbox) -> None:
    await api.sign_up(email="ada@example.com")
    await api.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    first = await inbox.wait_for(lambda m: "Reset" in m["Subject"])
    await api.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    await inbox.wait_for(lambda m: "Reset" in m["Subject"] and m is not first)
    r = await api.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token_in(first, "reset-password"), "password": NEW_PASSWORD},
    )
    assert (r.status_code, r.json()["error"]) == (410, "token_used")
