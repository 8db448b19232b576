"""The team's pending invitations and a webhook endpoint's deliveries page in a real browser with
the API's cursor ("Show more") instead of asking for one big list; a reload after an action keeps
as many rows as the reader had opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from tests.api.test_webhooks import Receiver
from tests.e2e.conftest import sign_up
from tests.http_server import serve
from tests.services import Inbox


@pytest.fixture
async def receiver() -> AsyncIterator[str]:
    async with serve(Receiver(failures=0).app()) as url:
        yield f"{url}/hook"


@pytest.fixture
def product_env() -> dict[str, str]:
    # The receiver is on 127.0.0.1; these lists need no transcription.
    return {"FAIRVIEW_WEBHOOKS_ALLOW_PRIVATE": "true", "FAIRVIEW_STT_MODEL": ""}


async def _signed_up(browser: Any, product: str, inbox: Inbox) -> tuple[Any, Any]:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "fairview_csrf")

    async def post(path: str, body: dict[str, Any] | None = None) -> Any:
        r = await page.request.post(
            f"{product}/api/v1{path}", data=body or {}, headers={"x-csrf-token": csrf}
        )
        assert r.ok, await r.text()
        return await r.json()

    return page, post


async def test_team_invitations_page_with_the_cursor(
    browser: Any, product: str, inbox: Inbox
) -> None:
    page, post = await _signed_up(browser, product, inbox)
    for i in range(55):
        await post("/team-invitations", {"email": f"invitee{i:02}@example.org", "role": "reviewer"})

    await page.get_by_role("link", name="Team").click()
    pending = page.locator("li").filter(has_text="@example.org")
    await expect(pending).to_have_count(50)
    await page.get_by_role("button", name="Show more").click()
    await expect(pending).to_have_count(55)
    await expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    # Inviting one more reloads the list with all that were shown, and the new one.
    await page.get_by_label("Email").fill("late@example.org")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(pending).to_have_count(56)
    await expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    await page.context.close()


async def test_webhook_deliveries_page_with_the_cursor(
    browser: Any, product: str, receiver: str, inbox: Inbox
) -> None:
    page, post = await _signed_up(browser, product, inbox)
    endpoint = await post("/webhooks", {"url": receiver, "events": ["interview.completed"]})
    for _ in range(30):
        await post(f"/webhooks/{endpoint['id']}/test")

    await page.get_by_role("link", name="Webhooks").click()
    card = page.locator(f"section[data-endpoint='{receiver}']")
    rows = card.locator("tr[data-delivery]")
    await expect(rows).to_have_count(25)
    await card.get_by_role("button", name="Show more").click()
    await expect(rows).to_have_count(30)
    await expect(card.get_by_role("button", name="Show more")).to_be_hidden()
    ids = await rows.evaluate_all("trs => trs.map(tr => tr.dataset.delivery)")
    assert len(set(ids)) == 30  # no row twice across the pages
    await page.context.close()
