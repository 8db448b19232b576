"""Sends queued emails over SMTP (or into an outbox directory on one machine), with retries.

Each ``email_deliveries`` row is the delivery record: attempts, last error, sent time. One row
fails only itself: rows are claimed and committed first, each email is sent outside any
transaction under an overall deadline, and its outcome is recorded in a transaction of its own.
Any exception marks that row failed: for good when it can never succeed (the server refused the
address, or the stored email cannot be built), otherwise to be retried with backoff; the next
row is sent either way. The reason shows on the candidate's invitation.
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
from domain.events import InvitationUndeliverable, emit
from storage.db import Database
from storage.wakeup import drain_forever

log = structlog.get_logger("fairview.mailer")

MAX_ATTEMPTS = 8
SEND_DEADLINE_S = 60.0  # one email, connection to QUIT: a stalling server cannot hold the loop
CLAIM_BATCH = 10
# A claim older than this is taken again (its sender died): longer than a batch can take.
CLAIM_LEASE_S = CLAIM_BATCH * SEND_DEADLINE_S + 300


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
    link = row.get("link")
    msg.set_content(repository.with_link(row["text_body"], link, html=False))
    msg.add_alternative(repository.with_link(row["html_body"], link, html=True), subtype="html")
    return msg


async def deliver(cfg: SmtpConfig, msg: EmailMessage) -> None:
    if not cfg.host:
        # One-machine mode without SMTP: write .eml files a person can open.
        path = Path(cfg.outbox_dir) / f"{msg['X-Fairview-Delivery']}.eml"
        await asyncio.to_thread(_write_eml, path, bytes(msg))
        # Where a first user of `make run` finds their confirmation email (no SMTP yet).
        log.info("email_written", path=str(path.resolve()), subject=msg["Subject"])
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


def retry_delay(attempts: int) -> float | None:
    """After a failed try (``attempts`` made before it): wait 30 s, 1 min, 2 min ... then (None)
    give up after MAX_ATTEMPTS."""
    if attempts + 1 >= MAX_ATTEMPTS:
        return None
    return 30.0 * 2.0**attempts


async def _invitation_undeliverable(conn: asyncpg.Connection, email_id: UUID, error: str) -> None:
    """A candidate's invitation that will never arrive: the team hears (bell and webhooks)."""
    candidate = await repository.candidate_invited_by(conn, email_id)
    if candidate is not None:
        await emit(
            conn,
            candidate["organization_id"],
            InvitationUndeliverable(candidate_id=candidate["id"], error=error[:500]),
        )


async def send_one(cfg: SmtpConfig, row: dict[str, Any]) -> tuple[str | None, bool]:
    """Build and send one claimed email: (error, whether a retry could succeed); no error is
    success. Never raises (but for cancellation): a bad row must not stop the others."""
    try:
        msg = build_message(cfg, row)
        async with asyncio.timeout(SEND_DEADLINE_S):
            await deliver(cfg, msg)
    except TimeoutError:  # before OSError: a timeout is one
        return f"The mail server did not finish within {SEND_DEADLINE_S:.0f} s.", True
    except (aiosmtplib.SMTPException, OSError) as exc:
        return str(exc) or type(exc).__name__, not refused_for_good(exc)
    except Exception as exc:  # the stored email itself is bad: sending it again cannot help
        log.exception("email_unsendable", delivery=str(row["id"]))
        return f"This email cannot be sent: {type(exc).__name__}: {exc}", False
    return None, False


async def record_outcome(
    db: Database, row: dict[str, Any], error: str | None, retryable: bool
) -> None:
    async with db.platform() as conn:
        if error is None:
            await repository.mark_sent(conn, row["id"])
            log.info("email_sent", delivery=str(row["id"]), template=row["template"])
            return
        delay = retry_delay(row["attempts"]) if retryable else None
        log.warning("email_failed", delivery=str(row["id"]), error=error, retry_in=delay)
        await repository.mark_failed_attempt(conn, row["id"], error, delay)
        if delay is None:
            await _invitation_undeliverable(conn, row["id"], error)


async def send_due(db: Database, cfg: SmtpConfig, batch: int = CLAIM_BATCH) -> int:
    """Claim due emails (committed), then send and record each on its own: the number claimed."""
    async with db.platform() as conn:
        rows = await repository.claim_due(conn, batch, CLAIM_LEASE_S)
    for row in rows:
        error, retryable = await send_one(cfg, row)
        try:
            await record_outcome(db, row, error, retryable)
        except Exception:  # e.g. Postgres away: the claim's lease brings the row back
            log.exception("email_outcome_not_recorded", delivery=str(row["id"]))
    return len(rows)


async def run_mailer(db: Database, cfg: SmtpConfig, poll_s: float = 5.0) -> None:
    await drain_forever(db.pool, "email_deliveries", lambda: send_due(db, cfg), poll_s)
