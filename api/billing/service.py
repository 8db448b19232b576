"""Billing & Subscription: an organization's plan, its usage against the plan's limits, and
Stripe (Checkout to subscribe, the Customer Portal to manage, webhooks to learn what happened).

Limits are checked at the moment of the action that would exceed them (inviting a teammate,
activating an interview, inviting a candidate), never later: a candidate who was invited within
the limits can always finish, even if the plan changes meanwhile. Monthly counters come from
domain events (``streaming/metering.py``). Self-hosted installs run with billing off: no limits,
no Stripe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import stripe

from api.billing import repository as repo
from api.billing.plans import Plan, Plans
from api.errors import Conflict, Invalid, PaymentRequired
from storage.db import Database, Tenant
from streaming.metering import CUMULATIVE, this_month


@dataclass(frozen=True)
class Billing:
    enabled: bool
    plans: Plans
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # empty: Stripe's own; tests replay recorded responses


# What each limit counts, for people: (noun, how to get under it without upgrading).
LIMIT_WORDS = {
    "seats": ("seats (members and pending invitations)", "remove a member or an invitation"),
    "active_interviews": ("active interviews", "close an interview"),
    "completed_interviews_per_month": (
        "completed interviews this month (invited candidates count until they finish)",
        "revoke unused invitations",
    ),
    "ai_minutes_per_month": ("minutes of AI transcription this month", "wait for next month"),
    "storage_gb": ("GB of recordings", "delete old interviews"),
}


def effective_plan(plans: Plans, sub: dict[str, Any] | None, now: datetime) -> Plan:
    """The plan in force: a paid plan while its subscription is active or trialing, and for a
    grace period while past due; otherwise the default plan."""
    if sub is None:
        return plans.get(None)
    status = sub["status"]
    if status in {"active", "trialing", "manual"}:
        return plans.get(sub["plan"])
    since = sub.get("past_due_since")
    if status == "past_due" and since and now - since < timedelta(days=plans.grace_days):
        return plans.get(sub["plan"])
    return plans.get(None)


async def usage(t: Tenant) -> dict[str, float]:
    live = await repo.live_counts(t)
    month = await repo.counters(t, this_month())
    total = await repo.counters(t, CUMULATIVE)
    return {
        "seats": live["seats"],
        "active_interviews": live["active_interviews"],
        "completed_interviews_per_month": month.get("completed_interviews", 0),
        "ai_minutes_per_month": round(month.get("ai_seconds", 0) / 60, 1),
        "storage_gb": round(total.get("storage_bytes", 0) / 1e9, 3),
        "outstanding_candidates": live["outstanding_candidates"],
    }


async def require_within(t: Tenant, billing: Billing, limit: str, adding: int = 1) -> None:
    """Refuse (402) an action that would take the organization past its plan's ``limit``."""
    if not billing.enabled:
        return
    plan = effective_plan(billing.plans, await repo.subscription(t), datetime.now(UTC))
    allowed = plan.limits[limit]
    if allowed is None:
        return
    used = await usage(t)
    in_use = used[limit]
    if limit == "completed_interviews_per_month":
        in_use += used["outstanding_candidates"]  # reserved: they may finish this month
    if limit in {"ai_minutes_per_month", "storage_gb"}:
        adding = 0  # consumed later: refuse only once the allowance is spent
        over = in_use >= allowed
    else:
        over = in_use + adding > allowed
    if over:
        noun, instead = LIMIT_WORDS[limit]
        raise PaymentRequired(
            f"Your {plan.name} plan allows {allowed} {noun}; {in_use:g} in use. Upgrade on the"
            f" Billing page (/billing), or {instead}."
        )


async def set_plan(t: Tenant, billing: Billing, plan_id: str) -> None:
    """An operator puts an organization on a plan by hand (e.g. Enterprise by contract)."""
    if plan_id not in billing.plans.plans:
        raise Invalid(f"No plan {plan_id!r}.", code="unknown_plan")
    await repo.save_subscription(t, {"plan": plan_id, "status": "manual"})


def _client(billing: Billing) -> stripe.StripeClient:
    if not billing.enabled or not billing.stripe_secret_key:
        raise Conflict("Billing is off on this installation.", code="billing_off")
    base = {"api": billing.stripe_api_base} if billing.stripe_api_base else None
    return stripe.StripeClient(
        billing.stripe_secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        http_client=stripe.HTTPXClient(),
        max_network_retries=2,
    )


async def checkout_params(
    t: Tenant, billing: Billing, plan_id: str, email: str | None, public_url: str
) -> dict[str, Any]:
    """What to ask Stripe Checkout for, to subscribe to (or change to) a plan. The call itself
    (``open_checkout``) is made after the transaction: no transaction waits on Stripe."""
    _client(billing)  # billing off: refused before anything else
    plan = billing.plans.plans.get(plan_id)
    if plan is None or not plan.stripe_price:
        raise Invalid("This plan cannot be bought online.", code="plan_not_for_sale")
    sub = await repo.subscription(t)
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": plan.stripe_price, "quantity": 1}],
        "client_reference_id": str(t.organization_id),
        "subscription_data": {"metadata": {"organization_id": str(t.organization_id)}},
        "success_url": f"{public_url}/billing?checkout=done",
        "cancel_url": f"{public_url}/billing?checkout=cancelled",
    }
    if sub and sub.get("stripe_customer_id"):
        params["customer"] = sub["stripe_customer_id"]
    elif email:
        params["customer_email"] = email
    return params


async def open_checkout(billing: Billing, params: dict[str, Any]) -> str:
    """A Stripe Checkout session: its URL."""
    session = await _client(billing).v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
    return str(session.url)


async def portal_customer(t: Tenant, billing: Billing) -> str:
    """The organization's Stripe customer, for a Customer Portal session (``open_portal``,
    called after the transaction)."""
    _client(billing)
    sub = await repo.subscription(t)
    if not sub or not sub.get("stripe_customer_id"):
        raise Conflict("Subscribe to a plan first.", code="no_subscription")
    return str(sub["stripe_customer_id"])


async def open_portal(billing: Billing, customer: str, public_url: str) -> str:
    """A Stripe Customer Portal session (payment method, invoices, cancel): its URL."""
    session = await _client(billing).v1.billing_portal.sessions.create_async(
        {"customer": customer, "return_url": f"{public_url}/billing"}
    )
    return str(session.url)


def verified_event(billing: Billing, payload: bytes, signature: str) -> dict[str, Any]:
    """The event, if Stripe signed it with our webhook secret (and recently)."""
    if not billing.enabled or not billing.stripe_webhook_secret:
        raise Conflict("Billing is off on this installation.", code="billing_off")
    try:
        stripe.Webhook.construct_event(payload, signature, billing.stripe_webhook_secret)
    except (ValueError, stripe.SignatureVerificationError) as e:
        raise Invalid(f"The Stripe signature is not valid: {e}", code="invalid_signature") from e
    event: dict[str, Any] = json.loads(payload)
    return event


async def handle_event(db: Database, billing: Billing, event: dict[str, Any]) -> str:
    """Apply a verified Stripe event once: stored by id in the same transaction as its effect,
    so a duplicate is a no-op and a failure leaves it for Stripe to send again."""
    obj = event["data"]["object"]
    async with db.platform() as conn:
        org = await _organization(conn, obj)
        if org is None:  # not stored, and not 2xx: Stripe sends it again, once linked it applies
            raise Conflict("No organization has this Stripe customer yet.", code="unknown_customer")
        if not await repo.record_stripe_event(conn, event):
            return "duplicate"
        t = Tenant(conn, org)
        kind = event["type"]
        if kind == "checkout.session.completed":
            await repo.save_subscription(
                t,
                {
                    "stripe_customer_id": obj.get("customer"),
                    "stripe_subscription_id": obj.get("subscription"),
                },
            )
            return "linked"
        if kind.startswith("customer.subscription."):
            return await _apply_subscription(t, billing.plans, event, obj)
        if kind.startswith("invoice."):
            await repo.save_invoice(t, obj)
            return "invoice"
    return "ignored"


async def _organization(conn: Any, obj: dict[str, Any]) -> UUID | None:
    reference = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("organization_id")
    if reference:
        try:
            return UUID(reference)
        except ValueError:
            return None
    customer = obj.get("customer")
    return await repo.organization_of_customer(conn, customer) if customer else None


async def _apply_subscription(
    t: Tenant, plans: Plans, event: dict[str, Any], obj: dict[str, Any]
) -> str:
    at = datetime.fromtimestamp(event["created"], UTC)
    sub = await repo.subscription(t)
    if sub and sub.get("last_event_at") and sub["last_event_at"] > at:
        return "stale"  # Stripe does not promise order: an older state never wins
    items = (obj.get("items") or {}).get("data") or [{}]
    price = (items[0].get("price") or {}).get("id")
    plan = plans.by_stripe_price(price) if price else None
    status = "canceled" if event["type"] == "customer.subscription.deleted" else obj["status"]
    period_end = obj.get("current_period_end") or items[0].get("current_period_end")
    past_due_since = None
    if status == "past_due":
        was = sub.get("past_due_since") if sub and sub["status"] == "past_due" else None
        past_due_since = was or at
    await repo.save_subscription(
        t,
        {
            "plan": plan.id if plan else (sub or {}).get("plan"),
            "status": status,
            "stripe_customer_id": obj.get("customer"),
            "stripe_subscription_id": obj.get("id"),
            "current_period_end": (datetime.fromtimestamp(period_end, UTC) if period_end else None),
            "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
            "past_due_since": past_due_since,
            "last_event_at": at,
        },
    )
    return status
