"""Billing: the organization's plan, usage and invoices; Stripe Checkout, Portal and webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from api.billing import repository as repo
from api.billing import schemas as s
from api.billing import service
from api.billing.plans import LIMITS, Plan
from api.context import services
from api.errors import error_responses
from api.identity import repository as identity_repo
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from storage.db import Tenant

Req = Request[Any, Any, Any]


def _plan(p: Plan, default: str) -> s.PlanOut:
    return s.PlanOut(p.id, p.name, p.price, bool(p.stripe_price), p.id == default, p.limits)


async def billing_out(t: Tenant, billing: service.Billing) -> s.BillingOut:
    sub = await repo.subscription(t)
    used = await service.usage(t)
    invoices = await repo.invoices(t)
    plan = service.effective_plan(billing.plans, sub, datetime.now(UTC))
    since = (sub or {}).get("past_due_since")
    return s.BillingOut(
        enabled=billing.enabled,
        plan=_plan(plan, billing.plans.default),
        status=(sub or {}).get("status") or "none",
        current_period_end=(sub or {}).get("current_period_end"),
        cancel_at_period_end=bool((sub or {}).get("cancel_at_period_end")),
        grace_until=since + timedelta(days=billing.plans.grace_days) if since else None,
        usage=[
            s.UsageOut(name, used[name], plan.limits[name] if billing.enabled else None)
            for name in LIMITS
        ],
        plans=[_plan(x, billing.plans.default) for x in billing.plans.plans.values()],
        invoices=[s.InvoiceOut(**i) for i in invoices],
    )


class BillingController(Controller):
    path = "/billing"
    tags = ["billing"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("")
    async def overview(self, request: Req, p: NamedDependency[Principal]) -> s.BillingOut:
        """The plan in force, usage against its limits, the plans on offer and invoices."""
        p.require("organization:manage")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            return await billing_out(t, svc.billing)

    @post("/checkout", responses=error_responses(409, 422))
    async def checkout(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.PlanIn]
    ) -> s.RedirectOut:
        """Start Stripe Checkout for a plan; the browser goes to the returned URL."""
        p.require("organization:manage")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            user = await identity_repo.user_by_id(t.conn, p.user_id) if p.user_id else None
            params = await service.checkout_params(
                t, svc.billing, data.plan, user["email"] if user else None, svc.public_url
            )
        return s.RedirectOut(await service.open_checkout(svc.billing, params))

    @post("/portal", responses=error_responses(409))
    async def portal(self, request: Req, p: NamedDependency[Principal]) -> s.RedirectOut:
        """Open Stripe's Customer Portal: payment method, invoices, change or cancel."""
        p.require("organization:manage")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            customer = await service.portal_customer(t, svc.billing)
        return s.RedirectOut(await service.open_portal(svc.billing, customer, svc.public_url))


@post(
    "/billing/stripe/webhook",
    tags=["billing"],
    security=[],
    status_code=200,
    responses=error_responses(409, 422),
)
async def stripe_webhook(request: Req) -> s.WebhookOut:
    """Stripe's webhook endpoint: events are verified by their `Stripe-Signature` and handled
    once each, in any order."""
    svc = services(request.app.state)
    event = service.verified_event(
        svc.billing, await request.body(), request.headers.get("stripe-signature", "")
    )
    outcome = await service.handle_event(svc.db, svc.billing, event)
    return s.WebhookOut(received=True, outcome=outcome)
