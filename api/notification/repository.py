"""SQL of the Notification context: the email delivery queue (platform-level: a delivery belongs
to an address), in-app notifications and members' email preferences (tenant-owned)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.notification.templates import Rendered
from api.pagination import Position, keyset
from storage.db import Tenant

# Stored bodies hold this marker where the link goes: the link itself (a reset, verification,
# invitation or candidate token) is kept in its own column only until the email is sent or fails
# for good, then the marker becomes LINK_REMOVED. A leaked table holds no usable link.
LINK = "{fairview:link}"
LINK_REMOVED = "[link removed after sending]"


def with_link(body: str, link: str | None, html: bool) -> str:
    """A stored body as it is sent (the link in place) or, with no link, as it is kept."""
    shown = (escape(link, quote=True) if html else link) if link else LINK_REMOVED
    return body.replace(LINK, shown)


async def queue_email(conn: asyncpg.Connection, to: str, template: str, mail: Rendered) -> UUID:
    email_id = uuid4()
    text, html = mail.text, mail.html
    if mail.link:
        text = text.replace(mail.link, LINK)
        html = html.replace(escape(mail.link, quote=True), LINK).replace(escape(mail.link), LINK)
    await conn.execute(
        "INSERT INTO email_deliveries"
        " (id, to_address, template, subject, text_body, html_body, unsubscribe_url, link)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        email_id,
        to,
        template,
        mail.subject,
        text,
        html,
        mail.one_click_unsubscribe,
        mail.link or None,
    )
    return email_id


_FORGET_LINK = (
    f" link = NULL, text_body = replace(text_body, '{LINK}', '{LINK_REMOVED}'),"
    f" html_body = replace(html_body, '{LINK}', '{LINK_REMOVED}')"
)


async def candidate_invited_by(conn: asyncpg.Connection, email_id: UUID) -> asyncpg.Record | None:
    """The candidate (id, organization) whose current invitation this email is, if any."""
    return await conn.fetchrow(
        "SELECT id, organization_id FROM candidates WHERE invitation_email_id = $1", email_id
    )


async def claim_due(conn: asyncpg.Connection, limit: int, lease_s: float) -> list[dict[str, Any]]:
    """Claim due emails for sending (the caller commits before sending). A claim older than
    ``lease_s`` (its sender died mid-send) may be taken again."""
    rows = await conn.fetch(
        "UPDATE email_deliveries e SET claimed_at = now()"
        " FROM (SELECT id FROM email_deliveries WHERE status = 'pending'"
        "   AND next_attempt_at <= now()"
        "   AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2))"
        "   ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due"
        " WHERE e.id = due.id RETURNING e.*",
        limit,
        lease_s,
    )
    return sorted((dict(r) for r in rows), key=lambda r: r["next_attempt_at"])


async def mark_sent(conn: asyncpg.Connection, email_id: UUID) -> None:
    await conn.execute(
        "UPDATE email_deliveries SET status = 'sent', sent_at = now(), claimed_at = NULL,"  # noqa: S608 - constant fragments
        " attempts = attempts + 1, last_error = NULL," + _FORGET_LINK + " WHERE id = $1",
        email_id,
    )


async def mark_failed_attempt(
    conn: asyncpg.Connection, email_id: UUID, error: str, retry_in_s: float | None
) -> None:
    """The attempt failed: try again in ``retry_in_s``, or (None) never: failed for good."""
    await conn.execute(
        "UPDATE email_deliveries SET last_error = $2, claimed_at = NULL, attempts = attempts + 1,"
        " status = CASE WHEN $3::float8 IS NULL THEN 'failed' ELSE 'pending' END,"
        " next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))"
        " WHERE id = $1",
        email_id,
        error[:2000],
        retry_in_s,
    )
    if retry_in_s is None:  # never sent: the link is of no more use here either
        await conn.execute(
            "UPDATE email_deliveries SET" + _FORGET_LINK + " WHERE id = $1", email_id
        )


async def audience(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    """A candidate, their interview, and who hears about them: the members who follow the
    interview, else the organization's owners (so that nothing goes unheard)."""
    row = await t.conn.fetchrow(
        "SELECT c.name, c.interview_id, i.title, coalesce(i.brand_name, o.name) AS organization"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " JOIN organizations o ON o.id = c.organization_id"
        " WHERE c.organization_id = $1 AND c.id = $2",
        t.organization_id,
        candidate_id,
    )
    if row is None:
        return None
    members = await t.conn.fetch(
        "WITH followers AS (SELECT f.user_id FROM interview_followers f JOIN memberships m"
        "   ON m.organization_id = f.organization_id AND m.user_id = f.user_id"
        "   WHERE f.organization_id = $1 AND f.interview_id = $2)"
        " SELECT u.id, u.email, u.name, u.locale, m.email_opt_out FROM memberships m"
        " JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1"
        " AND (m.user_id IN (SELECT user_id FROM followers)"
        "      OR (m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM followers)))",
        t.organization_id,
        row["interview_id"],
    )
    return {**dict(row), "members": [dict(m) for m in members]}


_NOTIFICATION = "SELECT id, kind, candidate_id, data, read_at, created_at FROM notifications"


async def add_notification(
    t: Tenant,
    user_id: UUID,
    event_id: str,
    kind: str,
    candidate_id: UUID,
    data: dict[str, Any],
) -> dict[str, Any] | None:
    """The new notification, or None if this event already made one for this member."""
    row = await t.conn.fetchrow(
        "INSERT INTO notifications (id, organization_id, user_id, event_id, kind, candidate_id,"
        " data) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id, user_id) DO NOTHING"
        " RETURNING id, kind, candidate_id, data, read_at, created_at",
        uuid4(),
        t.organization_id,
        user_id,
        event_id,
        kind,
        candidate_id,
        data,
    )
    return dict(row) if row else None


async def notifications(
    t: Tenant, user_id: UUID, limit: int, after: Position | None
) -> list[dict[str, Any]]:
    page = keyset(after, 3)
    rows = await t.conn.fetch(
        _NOTIFICATION + " WHERE organization_id = $1 AND user_id = $2"
        f" AND {page.where} {page.order} LIMIT $5",
        t.organization_id,
        user_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def unread_count(t: Tenant, user_id: UUID) -> int:
    count: int = await t.conn.fetchval(
        "SELECT count(*) FROM notifications"
        " WHERE organization_id = $1 AND user_id = $2 AND read_at IS NULL",
        t.organization_id,
        user_id,
    )
    return count


async def mark_read(t: Tenant, user_id: UUID, notification_id: UUID) -> bool:
    """Mark one of the member's notifications read: False if they have no such one."""
    found = await t.conn.fetchval(
        "UPDATE notifications SET read_at = coalesce(read_at, now())"
        " WHERE organization_id = $1 AND user_id = $2 AND id = $3 RETURNING true",
        t.organization_id,
        user_id,
        notification_id,
    )
    return bool(found)


async def mark_all_read(t: Tenant, user_id: UUID) -> None:
    await t.conn.execute(
        "UPDATE notifications SET read_at = now()"
        " WHERE organization_id = $1 AND user_id = $2 AND read_at IS NULL",
        t.organization_id,
        user_id,
    )


async def member_preferences(t: Tenant, user_id: UUID) -> dict[str, Any] | None:
    """A member's email, organization name and the team emails they turned off; None if they
    are not a member."""
    row = await t.conn.fetchrow(
        "SELECT u.email, o.name AS organization, m.email_opt_out FROM memberships m"
        " JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id"
        " WHERE m.organization_id = $1 AND m.user_id = $2",
        t.organization_id,
        user_id,
    )
    return dict(row) if row else None


async def set_email_opt_out(t: Tenant, user_id: UUID, kinds: Sequence[str]) -> None:
    await t.conn.execute(
        "UPDATE memberships SET email_opt_out = $3 WHERE organization_id = $1 AND user_id = $2",
        t.organization_id,
        user_id,
        sorted(set(kinds)),
    )
