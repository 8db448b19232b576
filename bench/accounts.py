"""A recruiter's account for the benchmarks, made as a person makes one: sign up, open the
confirmation link from the email, and so log in.

The product runs without SMTP settings (FAIRVIEW_SMTP_HOST empty), so its mailer writes each
email as an .eml file into FAIRVIEW_MAIL_OUTBOX_DIR, which is where the link is read from.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "benchmark passphrase"


def csrf(http: httpx.AsyncClient) -> dict[str, str]:
    return {"x-csrf-token": http.cookies["fairview_csrf"]}


def confirmation_token(eml: bytes, email: str) -> str | None:
    """The token of the sign-up confirmation link, if ``eml`` is that email to ``email``."""
    msg = message_from_bytes(eml, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    if (msg["To"] or "").lower() != email.lower() or msg.get_body(("html",)) is None:
        return None  # someone else's, or still being written (the html part comes last)
    plain = msg.get_body(("plain",))
    text = plain.get_content() if plain is not None else ""
    for word in text.split():
        if "/verify-email?token=" in word:
            return str(word.split("token=", 1)[1])
    return None


def written(outbox: Path) -> set[str]:
    return {p.name for p in outbox.glob("*.eml")}


def token_in_outbox(outbox: Path, email: str, skip: set[str]) -> str | None:
    for name in sorted(written(outbox) - skip):
        with contextlib.suppress(OSError):
            if token := confirmation_token((outbox / name).read_bytes(), email):
                return token
    return None


async def wait_for_token(outbox: Path, email: str, skip: set[str], timeout_s: float = 30.0) -> str:
    """Polls the outbox (the mailer writes files: nothing to wait on but the directory)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if token := token_in_outbox(outbox, email, skip):
            return token
        if time.monotonic() > deadline:
            raise TimeoutError(f"no confirmation email to {email} in {outbox} in {timeout_s} s")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def mailer(database_url: str, outbox: Path) -> AsyncIterator[None]:
    """The product's mailer in this process, for a product started without its workers
    (`fairview api`, `fairview ingest`), which would never send the confirmation."""
    from api.notification.mailer import SmtpConfig, run_mailer
    from storage.db import Database

    db = Database(database_url, "fairview_app")
    await db.connect()
    task = asyncio.create_task(run_mailer(db, SmtpConfig(outbox_dir=str(outbox)), poll_s=0.5))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.close()


async def sign_up(
    http: httpx.AsyncClient,
    outbox: Path,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "Bench",
    locale: str = "en",
    mailer_database_url: str | None = None,
) -> dict[str, Any]:
    """Signs up through ``http`` (whose base_url is the product), confirms the address with the
    emailed link and leaves ``http`` logged in; returns ``Me``. ``mailer_database_url``: run the
    mailer here, for a product without workers."""
    email = email or f"bench-{uuid.uuid4().hex[:8]}@example.com"
    skip = written(outbox)  # an outbox kept from an earlier run
    await http.get("/api/v1/auth/me")  # sets the CSRF cookie
    async with contextlib.AsyncExitStack() as stack:
        if mailer_database_url:
            await stack.enter_async_context(mailer(mailer_database_url, outbox))
        r = await http.post(
            "/api/v1/auth/signup",
            headers=csrf(http),
            json={
                "organization_name": "Bench",
                "name": name,
                "email": email,
                "password": password,
                "locale": locale,
            },
        )
        if r.status_code != 202:
            raise RuntimeError(f"sign-up: {r.status_code} {r.text[:200]}")
        token = await wait_for_token(outbox, email, skip)
    r = await http.post("/api/v1/auth/verify-email", headers=csrf(http), json={"token": token})
    if r.status_code != 201:
        raise RuntimeError(f"verify-email: {r.status_code} {r.text[:200]}")
    me: dict[str, Any] = r.json()
    return me
