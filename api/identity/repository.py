"""SQL for Identity & Access. Tenant tables are reached only through a ``Tenant`` scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from api.pagination import Position, keyset
from domain.events import Event, emit
from storage.db import Tenant

Row = dict[str, Any]


def _one(record: asyncpg.Record | None) -> Row | None:
    return dict(record) if record is not None else None


# --- platform-level (spanning organizations): users, tokens, key lookup -----------------------


async def create_organization(
    conn: asyncpg.Connection, org_id: UUID, name: str, locale: str
) -> Row:
    row = await conn.fetchrow(
        "INSERT INTO organizations (id, name, locale) VALUES ($1, $2, $3) RETURNING *",
        org_id,
        name,
        locale,
    )
    return dict(row)


# Everything of a user but the password hash, which the app role may not read as a column: only
# platform transactions get it, through fairview_password_hash (null in a tenant's transaction).
_USER = "id, email, name, locale, email_verified_at, password_changed_at, created_at"
_USER_WITH_HASH = f"{_USER}, fairview_password_hash(id) AS password_hash"


async def create_user(
    conn: asyncpg.Connection,
    user_id: UUID,
    email: str,
    name: str,
    password_hash: str,
    locale: str,
    verified: bool,
) -> Row:
    row = await conn.fetchrow(
        "INSERT INTO users (id, email, name, password_hash, locale, email_verified_at)"  # noqa: S608 - constant fragments
        " VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END) RETURNING " + _USER,
        user_id,
        email,
        name,
        password_hash,
        locale,
        verified,
    )
    return dict(row)


async def user_by_email(conn: asyncpg.Connection, email: str) -> Row | None:
    return _one(
        await conn.fetchrow(f"SELECT {_USER_WITH_HASH} FROM users WHERE email = $1", email)  # noqa: S608
    )


async def user_by_id(conn: asyncpg.Connection, user_id: UUID) -> Row | None:
    return _one(
        await conn.fetchrow(f"SELECT {_USER_WITH_HASH} FROM users WHERE id = $1", user_id)  # noqa: S608
    )


async def set_password(conn: asyncpg.Connection, user_id: UUID, password_hash: str) -> Row:
    row = await conn.fetchrow(
        "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1"  # noqa: S608 - constant fragments
        " RETURNING " + _USER,
        user_id,
        password_hash,
    )
    return dict(row)


async def mark_email_verified(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
        user_id,
    )


async def me(conn: asyncpg.Connection, user_id: UUID, org_id: UUID) -> dict[str, Any] | None:
    """A person in one of their organizations, in the shape of ``schemas.Me`` (one statement;
    ``organization`` or ``role`` is null when they are not a member of ``org_id``)."""
    found: dict[str, Any] | None = await conn.fetchval(
        "SELECT jsonb_build_object("
        " 'user', jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name,"
        "  'locale', u.locale, 'email_verified', u.email_verified_at IS NOT NULL),"
        " 'organization', (SELECT jsonb_build_object('id', o.id, 'name', o.name,"
        "  'locale', o.locale, 'status', o.status, 'created_at', o.created_at)"
        "  FROM organizations o WHERE o.id = $2),"
        " 'role', (SELECT m.role FROM memberships m WHERE m.user_id = u.id"
        "  AND m.organization_id = $2),"
        " 'organizations', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.organization_id,"
        "  'name', o.name, 'role', m.role) ORDER BY m.created_at), '[]')"
        "  FROM memberships m JOIN organizations o ON o.id = m.organization_id"
        "  WHERE m.user_id = u.id))"
        " FROM users u WHERE u.id = $1",
        user_id,
        org_id,
    )
    return found


async def memberships_of_user(conn: asyncpg.Connection, user_id: UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT m.organization_id, m.role, o.name AS organization_name, o.status"
        " FROM memberships m JOIN organizations o ON o.id = m.organization_id"
        " WHERE m.user_id = $1 ORDER BY m.created_at",
        user_id,
    )
    return [dict(r) for r in rows]


async def create_auth_token(
    conn: asyncpg.Connection, token_hash: bytes, user_id: UUID, purpose: str, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO auth_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        user_id,
        purpose,
        expires_at,
    )


async def take_auth_token(conn: asyncpg.Connection, token_hash: bytes, purpose: str) -> Row | None:
    """Mark a token used and return it; None when unknown. Expiry and reuse are the caller's."""
    row = await conn.fetchrow(
        "SELECT * FROM auth_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE",
        token_hash,
        purpose,
    )
    if row is not None and row["used_at"] is None:
        await conn.execute(
            "UPDATE auth_tokens SET used_at = now() WHERE token_hash = $1", token_hash
        )
    return _one(row)


async def retire_auth_tokens(conn: asyncpg.Connection, user_id: UUID, purpose: str) -> None:
    await conn.execute(
        "UPDATE auth_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2"
        " AND used_at IS NULL",
        user_id,
        purpose,
    )


async def api_key_by_hash(conn: asyncpg.Connection, key_hash: bytes) -> Row | None:
    row = await conn.fetchrow(
        "UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1 AND revoked_at IS NULL"
        " RETURNING id, organization_id, scopes",
        key_hash,
    )
    return _one(row)


async def operator_key_by_hash(conn: asyncpg.Connection, key_hash: bytes) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT id, name FROM operator_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            key_hash,
        )
    )


async def create_operator_key(
    conn: asyncpg.Connection, key_id: UUID, name: str, prefix: str, key_hash: bytes
) -> None:
    await conn.execute(
        "INSERT INTO operator_keys (id, name, prefix, key_hash) VALUES ($1, $2, $3, $4)",
        key_id,
        name,
        prefix,
        key_hash,
    )


async def team_invitation_by_token(conn: asyncpg.Connection, token_hash: bytes) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT i.*, o.name AS organization_name FROM team_invitations i"
            " JOIN organizations o ON o.id = i.organization_id WHERE i.token_hash = $1 FOR UPDATE OF i",
            token_hash,
        )
    )


# --- tenant-scoped ------------------------------------------------------------------------------


async def organization(t: Tenant) -> Row | None:
    return _one(
        await t.conn.fetchrow("SELECT * FROM organizations WHERE id = $1", t.organization_id)
    )


async def update_organization(t: Tenant, name: str | None, locale: str | None) -> Row:
    row = await t.conn.fetchrow(
        "UPDATE organizations SET name = coalesce($2, name), locale = coalesce($3, locale)"
        " WHERE id = $1 RETURNING *",
        t.organization_id,
        name,
        locale,
    )
    return dict(row)


async def membership(t: Tenant, user_id: UUID) -> Row | None:
    return _one(
        await t.conn.fetchrow(
            "SELECT m.user_id, m.role, m.created_at, u.email, u.name, u.email_verified_at"
            " FROM memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.organization_id = $1 AND m.user_id = $2",
            t.organization_id,
            user_id,
        )
    )


async def add_membership(t: Tenant, user_id: UUID, role: str) -> None:
    await t.conn.execute(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)",
        t.organization_id,
        user_id,
        role,
    )


async def list_members(t: Tenant, limit: int, after: Position | None) -> list[Row]:
    page = keyset(after, 2, time="m.created_at", key="m.user_id", descending=False)
    rows = await t.conn.fetch(
        "SELECT m.user_id, m.role, m.created_at, u.email, u.name, u.email_verified_at"  # noqa: S608 - constant fragments
        " FROM memberships m JOIN users u ON u.id = m.user_id"
        f" WHERE m.organization_id = $1 AND {page.where} {page.order} LIMIT $4",
        t.organization_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def count_owners(t: Tenant) -> int:
    n: int = await t.conn.fetchval(
        "SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'",
        t.organization_id,
    )
    return n


async def set_role(t: Tenant, user_id: UUID, role: str) -> None:
    await t.conn.execute(
        "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
        t.organization_id,
        user_id,
        role,
    )


async def remove_membership(t: Tenant, user_id: UUID) -> None:
    await t.conn.execute(
        "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
        t.organization_id,
        user_id,
    )


async def create_team_invitation(
    t: Tenant,
    inv_id: UUID,
    email: str,
    role: str,
    token_hash: bytes,
    invited_by: UUID | None,
    expires_at: datetime,
) -> Row:
    row = await t.conn.fetchrow(
        "INSERT INTO team_invitations"
        " (id, organization_id, email, role, token_hash, invited_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        inv_id,
        t.organization_id,
        email,
        role,
        token_hash,
        invited_by,
        expires_at,
    )
    return dict(row)


async def team_invitation(t: Tenant, inv_id: UUID) -> Row | None:
    return _one(
        await t.conn.fetchrow(
            "SELECT * FROM team_invitations WHERE organization_id = $1 AND id = $2",
            t.organization_id,
            inv_id,
        )
    )


async def pending_invitation_for_email(t: Tenant, email: str) -> Row | None:
    return _one(
        await t.conn.fetchrow(
            "SELECT * FROM team_invitations WHERE organization_id = $1 AND email = $2"
            " AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()",
            t.organization_id,
            email,
        )
    )


async def list_team_invitations(t: Tenant, limit: int, after: Position | None) -> list[Row]:
    page = keyset(after, 2)
    rows = await t.conn.fetch(
        "SELECT * FROM team_invitations WHERE organization_id = $1"  # noqa: S608 - constant fragments
        f" AND accepted_at IS NULL AND revoked_at IS NULL AND {page.where} {page.order} LIMIT $4",
        t.organization_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def update_team_invitation(t: Tenant, inv_id: UUID, **changes: Any) -> Row:
    allowed = {"token_hash", "expires_at", "accepted_at", "revoked_at"}
    if not changes or set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
    columns = list(changes)
    assignments = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(columns))
    row = await t.conn.fetchrow(
        f"UPDATE team_invitations SET {assignments}"  # noqa: S608 - column names are whitelisted
        " WHERE organization_id = $1 AND id = $2 RETURNING *",
        t.organization_id,
        inv_id,
        *changes.values(),
    )
    return dict(row)


async def create_api_key(
    t: Tenant,
    key_id: UUID,
    name: str,
    prefix: str,
    key_hash: bytes,
    scopes: list[str],
    created_by: UUID | None,
) -> Row:
    row = await t.conn.fetchrow(
        "INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, scopes, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        key_id,
        t.organization_id,
        name,
        prefix,
        key_hash,
        scopes,
        created_by,
    )
    return dict(row)


async def list_api_keys(t: Tenant, limit: int, after: Position | None) -> list[Row]:
    page = keyset(after, 2)
    rows = await t.conn.fetch(
        "SELECT * FROM api_keys WHERE organization_id = $1 AND revoked_at IS NULL"  # noqa: S608
        f" AND {page.where} {page.order} LIMIT $4",
        t.organization_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def revoke_api_key(t: Tenant, key_id: UUID) -> bool:
    status: str = await t.conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE organization_id = $1 AND id = $2"
        " AND revoked_at IS NULL",
        t.organization_id,
        key_id,
    )
    return status != "UPDATE 0"


async def record_audit(
    t: Tenant,
    action: str,
    target: str | None,
    details: dict[str, Any],
    actor_user_id: UUID | None,
    actor_api_key_id: UUID | None,
) -> None:
    await t.conn.execute(
        "INSERT INTO audit_log"
        " (organization_id, actor_user_id, actor_api_key_id, action, target, details)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        t.organization_id,
        actor_user_id,
        actor_api_key_id,
        action,
        target,
        details,
    )


async def list_audit(t: Tenant, limit: int, after: Position | None) -> list[Row]:
    page = keyset(after, 2, time="a.created_at", key="a.id", key_type="bigint")
    rows = await t.conn.fetch(
        "SELECT a.id, a.action, a.target, a.details, a.created_at, a.actor_user_id,"  # noqa: S608 - constant fragments
        " u.email AS actor_email, a.actor_api_key_id"
        " FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id"
        f" WHERE a.organization_id = $1 AND {page.where} {page.order} LIMIT $4",
        t.organization_id,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def add_outbox_event(t: Tenant, event: Event) -> None:
    await emit(t.conn, t.organization_id, event)


async def session_member(conn: asyncpg.Connection, user_id: UUID, org_id: UUID) -> Row | None:
    """What a session's member may do now (``fairview_session_member`` scopes itself)."""
    row = await conn.fetchrow("SELECT * FROM fairview_session_member($1, $2)", user_id, org_id)
    return dict(row) if row is not None else None
