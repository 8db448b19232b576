"""An owner on a paid plan sees the plan, usage against its limits and invoices, upgrades through
Stripe Checkout and manages payment in Stripe's portal (Stripe replaying recorded responses)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.api.test_billing import SECRET, event, signed, subscription
from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox
from tests.stripe_replay import StripeReplay, stripe_replay


@pytest.fixture
async def replay() -> AsyncIterator[tuple[str, StripeReplay]]:
    async with stripe_replay() as r:
        yield r


@pytest.fixture
def product_env(replay: tuple[str, StripeReplay]) -> dict[str, str]:
    return {
        "FAIRVIEW_BILLING": "on",
        "FAIRVIEW_STRIPE_SECRET_KEY": "sk_test_fairview",
        "FAIRVIEW_STRIPE_WEBHOOK_SECRET": SECRET,
        "FAIRVIEW_STRIPE_API_BASE": replay[0],
    }


async def webhook(product: str, e: dict[str, Any]) -> None:
    payload, headers = signed(e)
    async with httpx.AsyncClient(base_url=product) as http:
        r = await http.post("/api/v1/billing/stripe/webhook", content=payload, headers=headers)
    assert r.status_code == 200, r.text


async def stop_at(page: Any, pattern: str, text: str) -> list[str]:
    """Stripe's pages, which the browser reaches but the test serves: the URLs it opened."""
    opened: list[str] = []

    async def serve(route: Any) -> None:
        opened.append(route.request.url)
        await route.fulfill(status=200, body=text, content_type="text/plain")

    await page.route(pattern, serve)
    return opened


async def test_owner_upgrades_and_manages_billing(
    product: str, browser: Any, inbox: Inbox, replay: tuple[str, StripeReplay]
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)

    await page.get_by_role("link", name="Billing").click()
    await expect(page.get_by_test_id("plan")).to_contain_text("Your plan: Free")
    await expect(page.locator("li[data-limit='seats']")).to_contain_text("1 of 2")

    # Choosing a plan goes to Stripe Checkout (the browser is stopped at Stripe's door).
    checkout = await stop_at(page, "https://checkout.stripe.com/**", "Stripe Checkout")
    await page.get_by_role("button", name="Choose Starter").click()
    await expect(page.get_by_text("Stripe Checkout")).to_be_visible()
    assert checkout[0].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    path, form, _ = replay[1].requests[-1]
    assert path == "checkout/sessions" and form["line_items[0][price]"].endswith("starter_monthly")

    # Stripe reports the subscription and the paid invoice; the owner comes back.
    me = await (await page.request.get(f"{product}/api/v1/auth/me")).json()
    org = me["organization"]["id"]
    done = {"client_reference_id": org, "customer": "cus_test_1"}
    await webhook(product, event("evt_1", "checkout.session.completed", done))
    sub = subscription(org, "active", price="price_fairview_starter_monthly")
    await webhook(product, event("evt_2", "customer.subscription.updated", sub))
    invoice = {
        "id": "in_1",
        "customer": "cus_test_1",
        "number": "FV-0001",
        "status": "paid",
        "amount_due": 4900,
        "amount_paid": 4900,
        "currency": "usd",
        "created": int(time.time()),
    }
    await webhook(product, event("evt_3", "invoice.paid", invoice))
    await page.goto(f"{product}/billing?checkout=done")
    await expect(page.get_by_test_id("plan")).to_contain_text("Your plan: Starter")
    await expect(page.get_by_test_id("plan")).to_contain_text("active")
    await expect(page.locator("li[data-limit='seats']")).to_contain_text("1 of 5")
    await expect(page.get_by_role("cell", name="FV-0001")).to_be_visible()
    await expect(page.get_by_role("cell", name="$49.00")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "billing-starter.png"), full_page=True)

    await stop_at(page, "https://billing.stripe.com/**", "Stripe portal")
    await page.get_by_role("button", name="Manage payment and subscription").click()
    await expect(page.get_by_text("Stripe portal")).to_be_visible()
    assert replay[1].requests[-1][1]["customer"] == "cus_test_1"
