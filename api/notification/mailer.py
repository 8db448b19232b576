"""Sends queued emails over SMTP (or into an outbox directory on one machine), with retries.

Each ``email_deliveries`` row is the delivery record: attempts, last error, sent time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosmtplib
import asyncpg
import structlog

from api.notification import repository
from api.text import one_line
from storage.db import Database
from storage.outbox import add_event
from storage.wakeup import Wakeup

log = structlog.get_logger("fairview.mailer")

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    tls: str = "none"  # none | starttls | tls
    mail_from: str = "Fairview <no-reply@fairview.local>"
    outbox_dir: str = ""


def build_message(cfg: SmtpConfig, row: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.mail_from
    msg["To"] = row["to_address"]
    msg["Subject"] = one_line(row["subject"])  # a line break would fail the whole message
    msg["Message-ID"] = make_msgid(domain="fairview")
    msg["X-Fairview-Delivery"] = str(row["id"])
    if row.get("unsubscribe_url"):
        msg["List-Unsubscribe"] = f"<{row['unsubscribe_url']}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(row["text_body"])
    msg.add_alternative(row["html_body"], subtype="html")
    return msg


async def deliver(cfg: SmtpConfig, msg: EmailMessage) -> None:
    if not cfg.host:
        # One-machine mode without SMTP: write .eml files a person can open.
        path = Path(cfg.outbox_dir) / f"{msg['X-Fairview-Delivery']}.eml"
        await asyncio.to_thread(_write_eml, path, bytes(msg))
        return
    await aiosmtplib.send(
        msg,
        hostname=cfg.host,
        port=cfg.port,
        username=cfg.username or None,
        password=cfg.password or None,
        use_tls=cfg.tls == "tls",
        start_tls=cfg.tls == "starttls",
        timeout=30,
    )


def _write_eml(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def refused_for_good(exc: Exception) -> bool:
    """The server refused the address itself (a 5xx such as "no such mailbox"): a retry would
    bounce again. Other failures (connection, 4xx, authentication) are worth retrying."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500


def retry_delay(attempts: int, exc: Exception) -> float | None:
    """Exponential backoff: 30 s, 1 min, 2 min ... then give up after MAX_ATTEMPTS."""
    if refused_for_good(exc) or attempts + 1 >= MAX_ATTEMPTS:
        return None
    return 30.0 * 2.0**attempts


async def _invitation_undeliverable(conn: asyncpg.Connection, email_id: UUID, error: str) -> None:
    """A candidate's invitation that will never arrive: the team hears (bell and webhooks)."""
    candidate = await repository.candidate_invited_by(conn, email_id)
    if candidate is not None:
        await add_event(
            conn,
            candidate["organization_id"],
            "invitation.undeliverable",
            {"candidate_id": str(candidate["id"]), "error": error[:500]},
        )


async def send_due(db: Database, cfg: SmtpConfig, batch: int = 20) -> int:
    async with db.platform() as conn:
        rows = await repository.claim_due(conn, batch)
        for row in rows:
            try:
                await deliver(cfg, build_message(cfg, row))
            except (aiosmtplib.SMTPException, OSError) as exc:
                delay = retry_delay(row["attempts"], exc)
                log.warning("email_failed", delivery=str(row["id"]), error=str(exc), retry_in=delay)
                await repository.mark_failed_attempt(conn, row["id"], str(exc), delay)
                if delay is None:
                    await _invitation_undeliverable(conn, row["id"], str(exc))
            else:
                await repository.mark_sent(conn, row["id"])
                log.info("email_sent", delivery=str(row["id"]), template=row["template"])
    return len(rows)


async def run_mailer(db: Database, cfg: SmtpConfig, poll_s: float = 5.0) -> None:
    async with Wakeup(db.pool, "email_deliveries") as wakeup:
        while True:
            try:
                while await send_due(db, cfg):
                    pass
            except Exception:
                log.exception("mailer_failed")
                await asyncio.sleep(1)
            await wakeup.wait(poll_s)
