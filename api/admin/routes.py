"""Admin API for platform operators, authenticated by operator keys (``fairview admin-key``)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api import pagination
from api.admin import repository as repo
from api.admin import schemas as s
from api.billing import service as billing_service
from api.billing.routes import billing_out
from api.billing.schemas import BillingOut, PlanIn
from api.context import services
from api.errors import NotFound, error_responses
from api.identity.auth import provide_operator
from api.identity.principal import Operator
from api.pagination import Limit
from storage.db import Tenant

Req = Request[Any, Any, Any]


def _org(r: dict[str, Any]) -> s.AdminOrganization:
    return s.AdminOrganization(
        id=r["id"],
        name=r["name"],
        status=r["status"],
        suspended_reason=r["suspended_reason"],
        created_at=r["created_at"],
        usage=s.Usage(
            members=r["members"],
            pending_invitations=r["pending_invitations"],
            api_keys=r["api_keys"],
        ),
    )


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]
    dependencies = {"operator": Provide(provide_operator)}
    responses = error_responses(401)

    @get("/organizations")
    async def list_organizations(
        self,
        request: Req,
        operator: NamedDependency[Operator],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
        status: FromQuery[Literal["active", "suspended"] | None] = None,
    ) -> s.AdminOrganizationPage:
        async with services(request.app.state).db.platform() as conn:
            rows = await repo.list_organizations(conn, limit, pagination.decode(cursor), status)
        return s.AdminOrganizationPage(
            items=[_org(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @get("/organizations/{organization_id:uuid}", responses=error_responses(404))
    async def get_organization(
        self, request: Req, operator: NamedDependency[Operator], organization_id: FromPath[UUID]
    ) -> s.AdminOrganization:
        async with services(request.app.state).db.platform() as conn:
            row = await repo.organization(conn, organization_id)
        if row is None:
            raise NotFound("No such organization.")
        return _org(row)

    async def _set_status(
        self, request: Req, org_id: UUID, status: str, reason: str | None
    ) -> s.AdminOrganization:
        async with services(request.app.state).db.platform() as conn:
            if not await repo.set_status(conn, org_id, status, reason):
                raise NotFound("No such organization.")
            row = await repo.organization(conn, org_id)
        assert row is not None
        return _org(row)

    @post("/organizations/{organization_id:uuid}/suspend", responses=error_responses(400, 404))
    async def suspend(
        self,
        request: Req,
        operator: NamedDependency[Operator],
        organization_id: FromPath[UUID],
        data: JSONBody[s.Suspend],
    ) -> s.AdminOrganization:
        """Suspend an organization: its members and keys get 403 until it is reinstated."""
        return await self._set_status(request, organization_id, "suspended", data.reason)

    @post("/organizations/{organization_id:uuid}/reinstate", responses=error_responses(404))
    async def reinstate(
        self, request: Req, operator: NamedDependency[Operator], organization_id: FromPath[UUID]
    ) -> s.AdminOrganization:
        return await self._set_status(request, organization_id, "active", None)

    @get("/organizations/{organization_id:uuid}/billing", responses=error_responses(404))
    async def organization_billing(
        self, request: Req, operator: NamedDependency[Operator], organization_id: FromPath[UUID]
    ) -> BillingOut:
        """An organization's plan, usage counters against its limits, and invoices."""
        svc = services(request.app.state)
        async with svc.db.platform() as conn:
            if await repo.organization(conn, organization_id) is None:
                raise NotFound("No such organization.")
            return await billing_out(Tenant(conn, organization_id), svc.billing)

    @post("/organizations/{organization_id:uuid}/plan", responses=error_responses(404, 422))
    async def set_plan(
        self,
        request: Req,
        operator: NamedDependency[Operator],
        organization_id: FromPath[UUID],
        data: JSONBody[PlanIn],
    ) -> BillingOut:
        """Put an organization on a plan by hand (for example Enterprise, sold by contract)."""
        svc = services(request.app.state)
        async with svc.db.platform() as conn:
            if await repo.organization(conn, organization_id) is None:
                raise NotFound("No such organization.")
            t = Tenant(conn, organization_id)
            await billing_service.set_plan(t, svc.billing, data.plan)
            return await billing_out(t, svc.billing)

    @get("/users")
    async def list_users(
        self,
        request: Req,
        operator: NamedDependency[Operator],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
        email: FromQuery[str | None] = None,
    ) -> s.AdminUserPage:
        async with services(request.app.state).db.platform() as conn:
            rows = await repo.list_users(conn, limit, pagination.decode(cursor), email)
        items = [
            s.AdminUser(
                id=r["id"],
                email=r["email"],
                name=r["name"],
                email_verified=r["email_verified_at"] is not None,
                created_at=r["created_at"],
                memberships=[
                    s.AdminMembership(organization_id=UUID(m["organization_id"]), role=m["role"])
                    for m in r["memberships"]
                ],
            )
            for r in rows
        ]
        return s.AdminUserPage(items=items, next_cursor=pagination.next_cursor(rows, limit))
