"""HTTP endpoints of Identity & Access: parse, authorise, call the service, return."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api import pagination
from api.context import Services, services
from api.errors import NotAuthenticated, error_responses
from api.identity import repository as repo
from api.identity import schemas as s
from api.identity import service
from api.identity.auth import current_principal, provide_principal
from api.identity.lockout import Lockout
from api.identity.principal import Principal
from api.identity.sessions import start_session
from api.network import client_ip
from api.pagination import Limit
from api.rate_limits import enforce

Req = Request[Any, Any, Any]


def user_out(u: dict[str, Any]) -> s.UserOut:
    return s.UserOut(
        id=u["id"],
        email=u["email"],
        name=u["name"],
        locale=u["locale"],
        email_verified=u["email_verified_at"] is not None,
    )


def org_out(o: dict[str, Any]) -> s.OrganizationOut:
    return s.OrganizationOut(
        id=o["id"],
        name=o["name"],
        locale=o["locale"],
        status=o["status"],
        created_at=o["created_at"],
    )


def member_out(m: dict[str, Any]) -> s.MemberOut:
    return s.MemberOut(
        user_id=m["user_id"],
        email=m["email"],
        name=m["name"],
        role=m["role"],
        email_verified=m["email_verified_at"] is not None,
        joined_at=m["created_at"],
    )


def invitation_out(i: dict[str, Any]) -> s.TeamInvitationOut:
    return s.TeamInvitationOut(
        id=i["id"],
        email=i["email"],
        role=i["role"],
        expires_at=i["expires_at"],
        created_at=i["created_at"],
    )


def key_out(k: dict[str, Any]) -> s.ApiKeyOut:
    return s.ApiKeyOut(
        id=k["id"],
        name=k["name"],
        prefix=k["prefix"],
        scopes=k["scopes"],
        created_at=k["created_at"],
        last_used_at=k["last_used_at"],
    )


async def me_for(svc: Services, user_id: UUID, org_id: UUID) -> s.Me:
    async with svc.db.platform() as conn:
        me = await repo.me(conn, user_id, org_id)
    if me is None or me["organization"] is None or me["role"] is None:
        raise NotAuthenticated("Please log in.")
    return msgspec.convert(me, s.Me)


async def log_in_as(request: Req, user: dict[str, Any], org_id: UUID) -> s.Me:
    await start_session(
        request,
        {
            "user_id": str(user["id"]),
            "organization_id": str(org_id),
            "password_changed_at": user["password_changed_at"].isoformat(),
        },
    )
    return await me_for(services(request.app.state), user["id"], org_id)


def lockout(svc: Services) -> Lockout:
    return Lockout(svc.redis, svc.limiter, svc.login_attempts_per_15min)


RESENDS_PER_HOUR = RateLimitItemPerHour(3)  # verification emails per account
SIGNUP_NOTICES_PER_HOUR = RateLimitItemPerHour(3)  # emails a sign-up attempt sends one address


async def check_reset_rate(svc: Services, request: Req, email: str) -> None:
    """Reset requests have budgets of their own (per email and per address): asking for resets
    never locks anyone's log-in, nor floods a mailbox."""
    per_email = RateLimitItemPerMinute(svc.login_attempts_per_15min, 15)
    per_ip = RateLimitItemPerMinute(svc.login_attempts_per_15min * 5, 15)
    for item, key in ((per_email, email.strip().lower()), (per_ip, client_ip(request))):
        await enforce(
            svc.limiter,
            item,
            "password_reset",
            key,
            "Too many reset requests. Wait a few minutes and try again.",
        )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/signup",
        status_code=HTTP_202_ACCEPTED,
        responses=error_responses(400, 422, 429),
    )
    async def sign_up(self, request: Req, data: JSONBody[s.SignUp]) -> s.SignUpAccepted:
        """Create an organization and its owner, who confirm their address by the emailed link
        (which logs them in). An address that has an account gets an email saying so instead:
        the answer is the same, so sign-up never tells whether an address is registered."""
        svc = services(request.app.state)
        await enforce(
            svc.limiter,
            RateLimitItemPerHour(svc.signups_per_hour),
            "signup",
            client_ip(request),
            "Too many sign-ups from this address. Try again later.",
        )
        email = service.normalize_email(data.email)
        # A mailbox hears about attempts on it a few times an hour at most (silently: a refusal
        # here would tell that the address is known).
        notify = await svc.limiter.hit(SIGNUP_NOTICES_PER_HOUR, "signup_notice", email.lower())
        async with svc.db.platform() as conn:
            await service.sign_up(
                conn,
                data.organization_name,
                data.name,
                email,
                data.password,
                data.locale,
                svc.public_url,
                notify_existing=notify,
            )
        return s.SignUpAccepted(email=email)

    @post("/login", responses=error_responses(400, 401, 403, 429))
    async def log_in(self, request: Req, data: JSONBody[s.LogIn]) -> s.Me:
        svc = services(request.app.state)
        ip, guard = client_ip(request), lockout(svc)
        await guard.check(data.email, ip)
        async with svc.db.platform() as conn:
            try:
                user = await service.authenticate_password(conn, data.email, data.password)
            except NotAuthenticated:
                await guard.failed(data.email, ip)
                raise
            await guard.succeeded(data.email, ip)
            membership = await service.choose_membership(conn, user["id"], data.organization_id)
        return await log_in_as(request, user, membership["organization_id"])

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def log_out(self, request: Req) -> None:
        request.clear_session()

    @get("/me", responses=error_responses(401))
    async def me(self, request: Req) -> s.Me:
        p = await current_principal(request, allow_suspended=True)
        if p.user_id is None:
            raise NotAuthenticated("This endpoint is for people, not API keys.")
        return await me_for(services(request.app.state), p.user_id, p.organization_id)

    @post("/switch-organization", responses=error_responses(401, 404))
    async def switch_organization(self, request: Req, data: JSONBody[s.SwitchOrganization]) -> s.Me:
        p = await current_principal(request, allow_suspended=True)
        if p.user_id is None:
            raise NotAuthenticated("This endpoint is for people, not API keys.")
        svc = services(request.app.state)
        async with svc.db.platform() as conn:
            await service.choose_membership(conn, p.user_id, data.organization_id)
            user = await repo.user_by_id(conn, p.user_id)
        assert user is not None
        return await log_in_as(request, user, data.organization_id)

    @post("/verify-email", responses=error_responses(400, 403, 404, 410))
    async def verify_email(self, request: Req, data: JSONBody[s.TokenIn]) -> s.Me:
        """Confirm the address and log in (the link was mailed to it)."""
        async with services(request.app.state).db.platform() as conn:
            user_id = await service.verify_email(conn, data.token)
            user = await repo.user_by_id(conn, user_id)
            membership = await service.choose_membership(conn, user_id, None)
        assert user is not None
        return await log_in_as(request, user, membership["organization_id"])

    @post(
        "/verify-email/resend", status_code=HTTP_202_ACCEPTED, responses=error_responses(401, 429)
    )
    async def resend_verification(self, request: Req) -> None:
        p = await current_principal(request, allow_suspended=True)
        svc = services(request.app.state)
        await enforce(
            svc.limiter,
            RESENDS_PER_HOUR,
            "verify_resend",
            str(p.user_id),
            "A confirmation email was sent several times already. Check your inbox.",
        )
        async with svc.db.platform() as conn:
            user = await repo.user_by_id(conn, p.user_id) if p.user_id else None
            if user is not None and user["email_verified_at"] is None:
                await service.queue_verification(conn, user, svc.public_url)

    @post("/password-reset", status_code=HTTP_202_ACCEPTED, responses=error_responses(400, 429))
    async def request_password_reset(
        self, request: Req, data: JSONBody[s.PasswordResetRequest]
    ) -> None:
        """Email a reset link if the account exists; the answer is the same either way."""
        svc = services(request.app.state)
        await check_reset_rate(svc, request, data.email)
        async with svc.db.platform() as conn:
            await service.request_password_reset(conn, data.email, svc.public_url)

    @post("/password-reset/confirm", responses=error_responses(400, 404, 410, 422))
    async def confirm_password_reset(
        self, request: Req, data: JSONBody[s.PasswordResetConfirm]
    ) -> s.Me:
        """Set a new password (ending every other session) and log in."""
        async with services(request.app.state).db.platform() as conn:
            user = await service.reset_password(conn, data.token, data.password)
            membership = await service.choose_membership(conn, user["id"], None)
        return await log_in_as(request, user, membership["organization_id"])


class OrganizationController(Controller):
    path = "/organization"
    tags = ["organization"]
    dependencies = {"p": Provide(provide_principal)}

    @get("/", responses=error_responses(401, 403))
    async def get_organization(
        self, request: Req, p: NamedDependency[Principal]
    ) -> s.OrganizationOut:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            org = await repo.organization(t)
        assert org is not None
        return org_out(org)

    @patch("/", responses=error_responses(400, 401, 403))
    async def update_organization(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.OrganizationUpdate]
    ) -> s.OrganizationOut:
        name = data.name if data.name is not msgspec.UNSET else None
        locale = data.locale if data.locale is not msgspec.UNSET else None
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            org = await service.update_organization(t, p, name, locale)
        return org_out(org)

    @get("/audit-log", responses=error_responses(401, 403))
    async def audit_log(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.AuditPage:
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_audit(t, limit, pagination.decode(cursor))
        items = [
            s.AuditEntry(
                id=r["id"],
                action=r["action"],
                target=r["target"],
                details=r["details"],
                actor_email=r["actor_email"],
                actor_api_key_id=r["actor_api_key_id"],
                created_at=r["created_at"],
            )
            for r in rows
        ]
        return s.AuditPage(items=items, next_cursor=pagination.next_cursor(rows, limit))


async def _inviter_name(svc: Services, p: NamedDependency[Principal]) -> str:
    async with svc.db.platform() as conn:
        user = await repo.user_by_id(conn, p.user_id) if p.user_id else None
    return user["name"] if user else "Your team"


class TeamController(Controller):
    path = "/"
    tags = ["team"]
    dependencies = {"p": Provide(provide_principal)}

    @get("/members", responses=error_responses(401, 403))
    async def list_members(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.MemberPage:
        p.require("team:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_members(t, limit, pagination.decode(cursor))
        return s.MemberPage(
            items=[member_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit, "user_id"),
        )

    @patch("/members/{user_id:uuid}", responses=error_responses(400, 401, 403, 404, 409))
    async def change_role(
        self,
        request: Req,
        p: NamedDependency[Principal],
        user_id: FromPath[UUID],
        data: JSONBody[s.RoleUpdate],
    ) -> s.MemberOut:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return member_out(await service.change_role(t, p, user_id, data.role))

    @delete("/members/{user_id:uuid}", responses=error_responses(401, 403, 404, 409))
    async def remove_member(
        self, request: Req, p: NamedDependency[Principal], user_id: FromPath[UUID]
    ) -> None:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.remove_member(t, p, user_id)

    @get("/team-invitations", responses=error_responses(401, 403))
    async def list_invitations(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.TeamInvitationPage:
        p.require("team:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_team_invitations(t, limit, pagination.decode(cursor))
        return s.TeamInvitationPage(
            items=[invitation_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @post("/team-invitations", responses=error_responses(400, 401, 403, 409, 422))
    async def invite(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.TeamInvitationIn]
    ) -> s.TeamInvitationOut:
        svc = services(request.app.state)
        inviter = await _inviter_name(svc, p)
        async with svc.db.tenant(p.organization_id) as t:
            inv = await service.invite(
                t, p, inviter, data.email, data.role, svc.public_url, svc.billing
            )
        return invitation_out(inv)

    @post("/team-invitations/{invitation_id:uuid}/resend", responses=error_responses(401, 403, 404))
    async def resend_invitation(
        self, request: Req, p: NamedDependency[Principal], invitation_id: FromPath[UUID]
    ) -> s.TeamInvitationOut:
        svc = services(request.app.state)
        inviter = await _inviter_name(svc, p)
        async with svc.db.tenant(p.organization_id) as t:
            inv = await service.resend_invitation(t, p, invitation_id, inviter, svc.public_url)
        return invitation_out(inv)

    @delete("/team-invitations/{invitation_id:uuid}", responses=error_responses(401, 403, 404))
    async def revoke_invitation(
        self, request: Req, p: NamedDependency[Principal], invitation_id: FromPath[UUID]
    ) -> None:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.revoke_invitation(t, p, invitation_id)

    @get("/api-keys", responses=error_responses(401, 403))
    async def list_api_keys(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.ApiKeyPage:
        p.require("api_keys:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_api_keys(t, limit, pagination.decode(cursor))
        return s.ApiKeyPage(
            items=[key_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @post("/api-keys", responses=error_responses(400, 401, 403))
    async def create_api_key(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.ApiKeyIn]
    ) -> s.ApiKeyCreated:
        """Create a key; its secret is in this response only."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            key, secret = await service.create_api_key(t, p, data.name, list(data.scopes))
        return s.ApiKeyCreated(key=key_out(key), secret=secret)

    @delete("/api-keys/{key_id:uuid}", responses=error_responses(401, 403, 404))
    async def revoke_api_key(
        self, request: Req, p: NamedDependency[Principal], key_id: FromPath[UUID]
    ) -> None:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.revoke_api_key(t, p, key_id)


class InvitationAcceptanceController(Controller):
    """Public endpoints reached from the emailed invitation link."""

    path = "/team-invitations"
    tags = ["team"]

    @get("/preview", responses=error_responses(400, 404, 410))
    async def preview(self, request: Req, token: FromQuery[str]) -> s.TeamInvitationPreview:
        async with services(request.app.state).db.platform() as conn:
            inv = await service.preview_invitation(conn, token)
        return s.TeamInvitationPreview(
            organization_name=inv["organization_name"],
            email=inv["email"],
            role=inv["role"],
            account_exists=inv["account_exists"],
        )

    @post("/accept", responses=error_responses(400, 401, 404, 410, 422))
    async def accept(self, request: Req, data: JSONBody[s.AcceptInvitation]) -> s.Me:
        async with services(request.app.state).db.platform() as conn:
            user, org_id = await service.accept_invitation(
                conn, data.token, data.name, data.password
            )
        return await log_in_as(request, user, org_id)
