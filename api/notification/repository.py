"""SQL for the email delivery queue (platform-level: a delivery belongs to an address)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.notification.templates import Rendered


async def queue_email(conn: asyncpg.Connection, to: str, template: str, mail: Rendered) -> UUID:
    email_id = uuid4()
    await conn.execute(
        "INSERT INTO email_deliveries (id, to_address, template, subject, text_body, html_body)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        email_id,
        to,
        template,
        mail.subject,
        mail.text,
        mail.html,
    )
    return email_id


async def claim_due(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM email_deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [dict(r) for r in rows]


async def mark_sent(conn: asyncpg.Connection, email_id: UUID) -> None:
    await conn.execute(
        "UPDATE email_deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
        " last_error = NULL WHERE id = $1",
        email_id,
    )


async def mark_failed_attempt(
    conn: asyncpg.Connection, email_id: UUID, error: str, retry_in_s: float | None
) -> None:
    await conn.execute(
        "UPDATE email_deliveries SET attempts = attempts + 1, last_error = $2,"
        " status = CASE WHEN $3::float8 IS NULL THEN 'failed' ELSE 'pending' END,"
        " next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))"
        " WHERE id = $1",
        email_id,
        error[:2000],
        retry_in_s,
    )
