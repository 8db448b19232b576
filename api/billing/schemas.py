from __future__ import annotations

from datetime import datetime

import msgspec


class PlanOut(msgspec.Struct):
    id: str
    name: str
    price: str
    for_sale: bool  # can be bought with Stripe Checkout
    default: bool  # the plan of organizations without a paid subscription
    limits: dict[str, int | None]  # None: unlimited


class UsageOut(msgspec.Struct):
    limit: str  # seats | active_interviews | completed_interviews_per_month | ...
    used: float
    allowed: int | None  # None: unlimited


class InvoiceOut(msgspec.Struct):
    id: str
    number: str | None
    status: str
    amount_due: int  # in the currency's smallest unit
    amount_paid: int
    currency: str
    hosted_invoice_url: str | None
    created_at: datetime


class BillingOut(msgspec.Struct):
    enabled: bool  # False on self-hosted installs: no limits, no Stripe
    plan: PlanOut
    status: str  # none | trialing | active | past_due | canceled | manual
    current_period_end: datetime | None
    cancel_at_period_end: bool
    grace_until: datetime | None  # past due: the paid plan holds until then
    usage: list[UsageOut]
    plans: list[PlanOut]
    invoices: list[InvoiceOut]


class PlanIn(msgspec.Struct):
    plan: str


class RedirectOut(msgspec.Struct):
    url: str


class WebhookOut(msgspec.Struct):
    received: bool
    outcome: str
