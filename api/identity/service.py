"""Identity rules, free of HTTP: sign-up, log-in, tokens, team membership and API keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from email_validator import EmailNotValidError, validate_email

from api.billing import service as billing_service
from api.billing.service import Billing
from api.errors import Conflict, Forbidden, Gone, Invalid, NotAuthenticated, NotFound
from api.identity import repository as repo
from api.identity import security
from api.identity.principal import Principal
from api.notification.repository import queue_email
from api.notification.templates import render
from domain.events import MemberJoined, OrganizationCreated
from storage.db import Tenant

VERIFY_TTL = timedelta(hours=48)
RESET_TTL = timedelta(hours=1)
INVITE_TTL = timedelta(days=7)


def now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"That email address is not valid: {exc}", code="invalid_email") from exc


def check_password(password: str, email: str) -> None:
    if len(password) < security.MIN_PASSWORD:
        raise Invalid(f"Use at least {security.MIN_PASSWORD} characters.", code="weak_password")
    if password.strip().lower() == email.lower() or len(set(password)) < 4:
        raise Invalid("Choose a password that is harder to guess.", code="weak_password")


def _link(public_url: str, path: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/{path}?token={token}"


async def queue_verification(
    conn: asyncpg.Connection, user: dict[str, Any], public_url: str
) -> None:
    token = security.new_token()
    await repo.retire_auth_tokens(conn, user["id"], "verify_email")
    await repo.create_auth_token(
        conn, security.token_hash(token), user["id"], "verify_email", now() + VERIFY_TTL
    )
    mail = render(
        "verify_email",
        user["locale"],
        _link(public_url, "verify-email", token),
        name=user["name"],
        email=user["email"],
        hours=int(VERIFY_TTL.total_seconds() // 3600),
    )
    await queue_email(conn, user["email"], "verify_email", mail)


async def sign_up(
    conn: asyncpg.Connection,
    organization_name: str,
    name: str,
    email: str,
    password: str,
    locale: str,
    public_url: str,
    notify_existing: bool = True,
) -> None:
    """Create an organization with its unverified owner and email them a confirmation link; for
    an address that has an account, create nothing and tell its owner instead. The caller answers
    the same either way (no account enumeration); runs in a platform transaction."""
    email = normalize_email(email)
    check_password(password, email)
    password_hash = security.hash_password(password)  # both ways: the same time is spent
    existing = await repo.user_by_email(conn, email)
    if existing is not None:
        if not notify_existing:  # this address was told several times lately: enough
            return
        if existing["email_verified_at"] is None:
            await queue_verification(conn, existing, public_url)  # a fresh link doubles as resend
            return
        base = public_url.rstrip("/")
        mail = render(
            "signup_exists",
            existing["locale"],
            f"{base}/login",
            name=existing["name"],
            email=existing["email"],
            forgot=f"{base}/forgot-password",
        )
        await queue_email(conn, existing["email"], "signup_exists", mail)
        return
    org = await repo.create_organization(conn, uuid4(), organization_name.strip(), locale)
    user = await repo.create_user(
        conn, uuid4(), email, name.strip(), password_hash, locale, verified=False
    )
    tenant = Tenant(conn, org["id"])
    await repo.add_membership(tenant, user["id"], "owner")
    await repo.record_audit(tenant, "organization.created", org["name"], {}, user["id"], None)
    await repo.add_outbox_event(
        tenant, OrganizationCreated(organization_id=org["id"], owner_id=user["id"])
    )
    await queue_verification(conn, user, public_url)


async def authenticate_password(
    conn: asyncpg.Connection, email: str, password: str
) -> dict[str, Any]:
    user = await repo.user_by_email(conn, email.strip())
    if not security.verify_password(user["password_hash"] if user else None, password) or not user:
        raise NotAuthenticated("The email or password is not right.", code="invalid_credentials")
    if user["email_verified_at"] is None:  # only the right password learns this
        raise Forbidden(UNVERIFIED_LOGIN.format(email=user["email"]), code="email_unverified")
    return user


UNVERIFIED_LOGIN = (
    "Confirm your email address first: open the link we emailed to {email}. No email? Sign up "
    "again with the same address for a new link, or reset your password."
)
UNVERIFIED_SENDER = (
    "Confirm your email address before Fairview emails anyone for you: open the link we sent "
    "you, or choose \u201cSend it again\u201d in the banner at the top of the page for a new one."
)


async def require_verified_sender(t: Tenant, p: Principal) -> None:
    """Mail to third parties (candidates, teammates) goes out only for someone whose own address
    is proven: the member, or the member who made the API key."""
    verified = await t.conn.fetchval(
        "SELECT u.email_verified_at IS NOT NULL FROM users u WHERE u.id ="
        " coalesce($1, (SELECT created_by FROM api_keys WHERE id = $2 AND organization_id = $3))",
        p.user_id,
        p.api_key_id,
        t.organization_id,
    )
    if verified is False:
        raise Forbidden(UNVERIFIED_SENDER, code="email_unverified")


async def choose_membership(
    conn: asyncpg.Connection, user_id: UUID, organization_id: UUID | None
) -> dict[str, Any]:
    memberships = await repo.memberships_of_user(conn, user_id)
    if not memberships:
        raise Forbidden("This account is not a member of any organization.", code="no_membership")
    if organization_id is None:
        return memberships[0]
    for m in memberships:
        if m["organization_id"] == organization_id:
            return m
    raise NotFound("You are not a member of that organization.")


async def _take_token(conn: asyncpg.Connection, token: str, purpose: str) -> dict[str, Any]:
    row = await repo.take_auth_token(conn, security.token_hash(token), purpose)
    if row is None:
        raise NotFound("This link is not valid. Ask for a new one.", code="invalid_token")
    if row["used_at"] is not None:
        raise Gone("This link was already used. Ask for a new one.", code="token_used")
    if row["expires_at"] <= now():
        raise Gone("This link has expired. Ask for a new one.", code="token_expired")
    return row


async def verify_email(conn: asyncpg.Connection, token: str) -> UUID:
    row = await _take_token(conn, token, "verify_email")
    await repo.mark_email_verified(conn, row["user_id"])
    user_id: UUID = row["user_id"]
    return user_id


async def request_password_reset(conn: asyncpg.Connection, email: str, public_url: str) -> None:
    """Queue a reset email when the account exists; the caller answers the same either way."""
    user = await repo.user_by_email(conn, email.strip())
    if user is None:
        return
    token = security.new_token()
    await repo.retire_auth_tokens(conn, user["id"], "reset_password")
    await repo.create_auth_token(
        conn, security.token_hash(token), user["id"], "reset_password", now() + RESET_TTL
    )
    mail = render(
        "reset_password",
        user["locale"],
        _link(public_url, "reset-password", token),
        name=user["name"],
        email=user["email"],
        hours=1,
    )
    await queue_email(conn, user["email"], "reset_password", mail)


async def reset_password(conn: asyncpg.Connection, token: str, password: str) -> dict[str, Any]:
    row = await _take_token(conn, token, "reset_password")
    user = await repo.user_by_id(conn, row["user_id"])
    assert user is not None
    check_password(password, user["email"])
    # Receiving the reset email proves the address too.
    await repo.mark_email_verified(conn, user["id"])
    return await repo.set_password(conn, user["id"], security.hash_password(password))


# --- organization and team ----------------------------------------------------------------------


async def update_organization(
    t: Tenant, p: Principal, name: str | None, locale: str | None
) -> dict[str, Any]:
    p.require("organization:manage")
    org = await repo.update_organization(t, name.strip() if name else None, locale)
    await audit(
        t,
        p,
        "organization.updated",
        org["name"],
        {k: v for k, v in {"name": name, "locale": locale}.items() if v is not None},
    )
    return org


async def audit(
    t: Tenant, p: Principal, action: str, target: str | None, details: dict[str, Any] | None = None
) -> None:
    await repo.record_audit(t, action, target, details or {}, p.user_id, p.api_key_id)


async def change_role(t: Tenant, p: Principal, user_id: UUID, role: str) -> dict[str, Any]:
    p.require("team:manage")
    member = await repo.membership(t, user_id)
    if member is None:
        raise NotFound("No such member.")
    if "owner" in (role, member["role"]) and not p.can("team:grant_owner"):
        raise Forbidden("Only an owner can grant or change the owner role.", code="owner_only")
    if member["role"] == "owner" and role != "owner" and await repo.count_owners(t) == 1:
        raise Conflict("An organization needs at least one owner.", code="last_owner")
    await repo.set_role(t, user_id, role)
    await audit(t, p, "member.role_changed", member["email"], {"from": member["role"], "to": role})
    updated = await repo.membership(t, user_id)
    assert updated is not None
    return updated


async def remove_member(t: Tenant, p: Principal, user_id: UUID) -> None:
    member = await repo.membership(t, user_id)
    if member is None:
        raise NotFound("No such member.")
    if user_id != p.user_id:  # anyone may leave; removing others needs the right
        p.require("team:manage")
        if member["role"] == "owner" and not p.can("team:grant_owner"):
            raise Forbidden("Only an owner can remove an owner.", code="owner_only")
    if member["role"] == "owner" and await repo.count_owners(t) == 1:
        raise Conflict("An organization needs at least one owner.", code="last_owner")
    await repo.remove_membership(t, user_id)
    await audit(t, p, "member.removed", member["email"])


async def invite(
    t: Tenant,
    p: Principal,
    inviter_name: str,
    email: str,
    role: str,
    public_url: str,
    billing: Billing,
) -> dict[str, Any]:
    p.require("team:manage")
    await require_verified_sender(t, p)
    email = normalize_email(email)
    existing = await repo.user_by_email(t.conn, email)
    if existing is not None and await repo.membership(t, existing["id"]) is not None:
        raise Conflict("This person is already a member.", code="already_member")
    if await repo.pending_invitation_for_email(t, email) is not None:
        raise Conflict(
            "This person already has a pending invitation; resend it instead.",
            code="already_invited",
        )
    await billing_service.require_within(t, billing, "seats")
    token = security.new_token()
    inv = await repo.create_team_invitation(
        t, uuid4(), email, role, security.token_hash(token), p.user_id, now() + INVITE_TTL
    )
    await _send_invitation(t, inv, inviter_name, token, public_url)
    await audit(t, p, "member.invited", email, {"role": role})
    return inv


async def _send_invitation(
    t: Tenant, inv: dict[str, Any], inviter_name: str, token: str, public_url: str
) -> None:
    org = await repo.organization(t)
    assert org is not None
    mail = render(
        "team_invitation",
        org["locale"],
        _link(public_url, "accept-invite", token),
        inviter=inviter_name,
        organization=org["name"],
        role=inv["role"],
        days=INVITE_TTL.days,
    )
    await queue_email(t.conn, inv["email"], "team_invitation", mail)


async def _pending_invitation(t: Tenant, inv_id: UUID) -> dict[str, Any]:
    inv = await repo.team_invitation(t, inv_id)
    if inv is None or inv["accepted_at"] is not None or inv["revoked_at"] is not None:
        raise NotFound("No such pending invitation.")
    return inv


async def resend_invitation(
    t: Tenant, p: Principal, inv_id: UUID, inviter_name: str, public_url: str
) -> dict[str, Any]:
    p.require("team:manage")
    await require_verified_sender(t, p)
    await _pending_invitation(t, inv_id)
    token = security.new_token()  # a new link; the old one stops working
    inv = await repo.update_team_invitation(
        t, inv_id, token_hash=security.token_hash(token), expires_at=now() + INVITE_TTL
    )
    await _send_invitation(t, inv, inviter_name, token, public_url)
    await audit(t, p, "member.invitation_resent", inv["email"])
    return inv


async def revoke_invitation(t: Tenant, p: Principal, inv_id: UUID) -> None:
    p.require("team:manage")
    inv = await _pending_invitation(t, inv_id)
    await repo.update_team_invitation(t, inv_id, revoked_at=now())
    await audit(t, p, "member.invitation_revoked", inv["email"])


async def _open_invitation(conn: asyncpg.Connection, token: str) -> dict[str, Any]:
    inv = await repo.team_invitation_by_token(conn, security.token_hash(token))
    if inv is None or inv["revoked_at"] is not None:
        raise NotFound("This invitation is not valid. Ask for a new one.", code="invalid_token")
    if inv["accepted_at"] is not None:
        raise Gone("This invitation was already accepted. Log in instead.", code="token_used")
    if inv["expires_at"] <= now():
        raise Gone("This invitation has expired. Ask for a new one.", code="token_expired")
    return inv


async def preview_invitation(conn: asyncpg.Connection, token: str) -> dict[str, Any]:
    inv = await _open_invitation(conn, token)
    exists = await repo.user_by_email(conn, inv["email"]) is not None
    return {**inv, "account_exists": exists}


async def accept_invitation(
    conn: asyncpg.Connection, token: str, name: str | None, password: str
) -> tuple[dict[str, Any], UUID]:
    """Join the inviting organization: an existing account proves itself with its password,
    a new one is created (the emailed link proves the address)."""
    inv = await _open_invitation(conn, token)
    user = await repo.user_by_email(conn, inv["email"])
    if user is not None:
        if not security.verify_password(user["password_hash"], password):
            raise NotAuthenticated(
                "The password is not right for this account.", code="invalid_credentials"
            )
        await repo.mark_email_verified(conn, user["id"])
    else:
        if not name:
            raise Invalid("Tell us your name.", code="name_required")
        check_password(password, inv["email"])
        org_locale = (
            "ru"
            if (
                await conn.fetchval(
                    "SELECT locale FROM organizations WHERE id = $1", inv["organization_id"]
                )
            )
            == "ru"
            else "en"
        )
        user = await repo.create_user(
            conn,
            uuid4(),
            inv["email"],
            name.strip(),
            security.hash_password(password),
            org_locale,
            verified=True,
        )
    t = Tenant(conn, inv["organization_id"])
    if await repo.membership(t, user["id"]) is None:
        await repo.add_membership(t, user["id"], inv["role"])
    await repo.update_team_invitation(t, inv["id"], accepted_at=now())
    await repo.record_audit(
        t, "member.joined", user["email"], {"role": inv["role"]}, user["id"], None
    )
    await repo.add_outbox_event(t, MemberJoined(user_id=user["id"], role=inv["role"]))
    return user, inv["organization_id"]


# --- API keys -------------------------------------------------------------------------------------


async def create_api_key(
    t: Tenant, p: Principal, name: str, scopes: list[str]
) -> tuple[dict[str, Any], str]:
    p.require("api_keys:manage")
    secret = security.new_api_key()
    key = await repo.create_api_key(
        t,
        uuid4(),
        name.strip(),
        security.display_prefix(secret),
        security.token_hash(secret),
        sorted(set(scopes)),
        p.user_id,
    )
    await audit(t, p, "api_key.created", key["name"], {"scopes": key["scopes"]})
    return key, secret


async def revoke_api_key(t: Tenant, p: Principal, key_id: UUID) -> None:
    p.require("api_keys:manage")
    if not await repo.revoke_api_key(t, key_id):
        raise NotFound("No such API key.")
    await audit(t, p, "api_key.revoked", str(key_id))
