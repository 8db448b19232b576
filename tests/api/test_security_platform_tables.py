"""What the app role may read of platform tables inside one organization's transaction: its own
emails only, and no one's password hash."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import asyncpg
import pytest

from storage.db import Database
from tests.api_client import ApiClient
from tests.candidates import QUESTIONS
from tests.services import Inbox


async def test_a_tenant_transaction_reads_neither_other_tenants_emails_nor_password_hashes(
    client_factory: Callable[[], ApiClient], inbox: Inbox, database_url: str, db: asyncpg.Connection
) -> None:
    a, b = client_factory(), client_factory()
    a_me = await a.sign_up(email="ada@a.example", org="A")
    b_me = await b.sign_up(email="bob@b.example", org="B")
    r = await a.post("/api/v1/interviews", json={"title": "A's role", "questions": QUESTIONS})
    interview = r.json()
    r = await a.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "active"})
    assert r.status_code == 201, r.text
    r = await a.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora", "email": "cora@example.com", "send_email": True},
    )
    assert r.status_code == 201, r.text
    await inbox.wait_for(lambda m: m["To"] == "cora@example.com")
    # The invitation email is A's; B's transaction must not see it, nor the sign-up emails.
    assert await db.fetchval("SELECT count(*) FROM email_deliveries") >= 3
    a_org, b_org = UUID(a_me["organization"]["id"]), UUID(b_me["organization"]["id"])

    database = Database(database_url, "fairview_app")
    await database.connect()
    try:
        async with database.tenant(b_org) as t:
            assert await t.conn.fetch("SELECT to_address, text_body FROM email_deliveries") == []
            # Colleagues' names and addresses stay readable; hashes do not, by any route.
            assert await t.conn.fetchval("SELECT count(*) FROM users") >= 2
            hashes = await t.conn.fetch("SELECT fairview_password_hash(id) AS h FROM users")
            assert {r["h"] for r in hashes} == {None}
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with database.tenant(b_org) as t:
                await t.conn.fetch("SELECT password_hash FROM users")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with database.tenant(b_org) as t:
                await t.conn.fetch("SELECT * FROM users")
        async with database.tenant(a_org) as t:
            mine = await t.conn.fetch("SELECT to_address FROM email_deliveries")
            assert [r["to_address"] for r in mine] == ["cora@example.com"]
        async with database.platform() as conn:  # logging in still reads the hash
            assert await conn.fetchval(
                "SELECT fairview_password_hash(id) FROM users WHERE email = 'ada@a.example'"
            )
    finally:
        await database.close()
    # And the product still logs people in.
    r = await client_factory().log_in("bob@b.example")
    assert r.status_code == 201, r.text
