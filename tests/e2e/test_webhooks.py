"""An admin registers a webhook endpoint in the browser, sends a test event and sees it
delivered, signed with the secret the page shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect
from standardwebhooks import Webhook

from tests.api.test_webhooks import Receiver
from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.http_server import serve
from tests.services import Inbox


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Receiver]]:
    r = Receiver(failures=0)
    async with serve(r.app()) as url:
        yield f"{url}/hook", r


@pytest.fixture
def product_env() -> dict[str, str]:
    return {"FAIRVIEW_WEBHOOKS_ALLOW_PRIVATE": "true"}  # the receiver is on 127.0.0.1


async def test_admin_adds_an_endpoint_and_sends_a_test_event(
    product: str, browser: Any, receiver: tuple[str, Receiver], inbox: Inbox
) -> None:
    url, r = receiver
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)

    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_label("Endpoint URL").fill(url)
    await page.get_by_label("candidate.decided").check()
    await page.get_by_role("button", name="Add endpoint").click()
    card = page.locator(f"section[data-endpoint='{url}']")
    await page.screenshot(path=str(ARTIFACTS / "webhooks-added.png"), full_page=True)
    await expect(card).to_contain_text("candidate.decided, interview.completed")
    secret = await card.locator("code.secret").inner_text()
    await card.get_by_role("button", name="Send test event").click()
    await r.wait_for(1)
    headers, body, _ = r.received[0]
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    await card.get_by_role("button", name="Refresh deliveries").click()
    await expect(card.locator("tr[data-delivery]")).to_contain_text("delivered")
    await page.screenshot(path=str(ARTIFACTS / "webhooks.png"), full_page=True)
