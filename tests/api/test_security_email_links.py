"""Stored emails keep no usable link: the token-bearing link travels with the email and is
dropped from the delivery record once it is sent."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.api.test_delivery_isolation import until
from tests.api_client import ApiClient
from tests.candidates import QUESTIONS
from tests.services import Inbox, body_text, link_in


async def sent_row(db: asyncpg.Connection, to: str) -> dict[str, Any]:
    async def sent() -> bool:
        status = await db.fetchval("SELECT status FROM email_deliveries WHERE to_address = $1", to)
        return status == "sent"

    await until(sent)
    row = await db.fetchrow(
        "SELECT text_body, html_body, link FROM email_deliveries WHERE to_address = $1", to
    )
    return dict(row)


async def test_sent_emails_keep_no_usable_link(
    api: ApiClient, inbox: Inbox, db: asyncpg.Connection
) -> None:
    await api.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    await api.sign_up(email="ada@example.com")
    r = await api.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    assert r.status_code == 202, r.text
    r = await api.post("/api/v1/interviews", json={"title": "Support", "questions": QUESTIONS})
    interview = r.json()
    r = await api.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "active"})
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora", "email": "cora@example.com", "send_email": True},
    )
    assert r.status_code == 201, r.text
    candidate_link = r.json()["link"]

    reset = await inbox.wait_for(lambda m: "reset-password" in body_text(m))
    invitation = await inbox.wait_for(lambda m: m["To"] == "cora@example.com")
    # The emails people receive carry their links, in text and HTML alike.
    assert "token=" in link_in(reset, "reset-password")
    assert candidate_link in body_text(invitation)
    html = invitation.get_body(preferencelist=("html",))
    assert html is not None and candidate_link in html.get_content()

    # The delivery records do not.
    token = candidate_link.rsplit("/", 1)[1]
    for to in ("ada@example.com", "cora@example.com"):
        row = await sent_row(db, to)
        assert row["link"] is None
        for body in (row["text_body"], row["html_body"]):
            assert "token=" not in body and token not in body and "/i/" not in body
            assert "[link removed after sending]" in body
    # The candidate's link still works: only the stored copy was scrubbed.
    r = await api.http.get(
        "/api/v1/candidate/session", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
