"""In the browser: the bell counts a candidate's completion live and leads to the candidate; the
email's unsubscribe page works without signing in; an undeliverable invitation says so."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from playwright.async_api import expect

from tests.api.test_notifications import QUESTION, complete
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox, body_text


async def test_the_bell_rings_live_and_unsubscribing_takes_one_click(
    product: str, browser: Any, inbox: Inbox
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30))
    assert (await api.log_in("ada@example.com")).status_code == 201
    interview, token = await interview_with_candidate(api, QUESTION)
    await page.reload()
    bell = page.locator("#bell")
    await expect(bell).to_have_attribute("aria-label", "Notifications: 0 unread")
    await expect(page.locator("#bell-count")).to_be_hidden()

    await complete(product, token)
    await expect(page.locator("#bell-count")).to_have_text("1")  # pushed, no reload
    await expect(page).to_have_title("(1) Interviews · Fairview")
    await bell.click()
    await expect(page.get_by_role("dialog", name="Notifications")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog", name="Notifications")).to_be_hidden()
    await expect(bell).to_be_focused()
    await bell.click()
    entry = page.get_by_role("link", name="Cora completed Support lead")
    await expect(entry).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "notifications.png"), full_page=True)
    await entry.click()
    await expect(page).to_have_url(f"{product}/candidates/{await candidate_id(api, interview)}")
    await expect(page.locator("#bell-count")).to_be_hidden()  # read, everywhere at once
    await expect(page).to_have_title(re.compile(r"^[^(].* · Fairview$"))  # no count

    # The team email's unsubscribe link, opened by someone not signed in.
    mail = await inbox.wait_for(lambda m: m["Subject"] == "Cora completed Support lead")
    link = next(w for w in body_text(mail).split() if "/unsubscribe?token=" in w)
    visitor = await (await browser.new_context(locale="en-US")).new_page()
    await visitor.goto(link)
    await expect(visitor.get_by_text("Stop emails when a candidate completes")).to_be_visible()
    await visitor.get_by_role("button", name="Unsubscribe").click()
    await expect(visitor.get_by_role("status").first).to_contain_text(
        "no more emails when a candidate completes an interview from Acme Hiring"
    )
    await visitor.screenshot(path=str(ARTIFACTS / "unsubscribe.png"), full_page=True)
    prefs = (await api.get("/api/v1/email-preferences")).json()
    assert prefs["candidate_completed"] is False

    # The member's own settings show it, and turn it back on.
    await page.goto(f"{product}/settings")
    box = page.get_by_label("A candidate completed an interview")
    await expect(box).not_to_be_checked()
    await box.check()
    await page.locator("#email-preferences").get_by_role("button", name="Save").click()
    await expect(page.locator("#email-preferences").get_by_role("status")).to_have_text("Saved.")
    assert (await api.get("/api/v1/email-preferences")).json()["candidate_completed"] is True

    # An invitation the mail server refuses shows on the candidate's row.
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Eve", "email": "eve@nowhere.example"},
    )
    assert r.status_code == 201, r.text
    async with asyncio.timeout(15):
        while await email_status(api, interview, "Eve") == "pending":
            await asyncio.sleep(0.1)  # the mailer works in the background; poll its record
    await page.goto(f"{product}/interviews/{interview['id']}")
    row = page.locator("tr[data-candidate='eve@nowhere.example']")
    await expect(row).to_contain_text("Email not delivered: ")
    await expect(row).to_contain_text("No such user")

    # Stop following the interview from its page.
    await page.get_by_role("button", name="Following").click()
    unfollowed = page.get_by_role("button", name="Follow", exact=True)
    await expect(unfollowed).to_have_attribute("aria-pressed", "false")
    assert (await api.get(f"/api/v1/interviews/{interview['id']}")).json()["following"] is False


async def candidate_id(api: ApiClient, interview: dict[str, Any]) -> str:
    items = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    found: str = next(c["id"] for c in items if c["name"] == "Cora")
    return found


async def email_status(api: ApiClient, interview: dict[str, Any], name: str) -> str:
    items = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    found: str = next(c["invitation_email"]["status"] for c in items if c["name"] == name)
    return found
