"""A new customer in a real browser against the real product: sign up, invite a teammate,
the teammate joins from the email and logs in."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.api_client import PASSWORD
from tests.e2e.conftest import ARTIFACTS, confirm_email, sign_up
from tests.services import Inbox, link_in


async def test_sign_up_invite_and_log_in_as_the_teammate(
    product: str, browser: Any, inbox: Inbox
) -> None:
    owner = await browser.new_context(locale="en-US")
    page = await owner.new_page()
    await page.goto(product)
    await expect(page).to_have_url(f"{product}/login")
    seen = len(inbox.messages)
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Organization name").fill("Acme Hiring")
    await page.get_by_label("Your name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill("ada@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await confirm_email(page, inbox, "ada@example.com", seen)

    await page.get_by_role("link", name="Team").click()
    await expect(page.get_by_role("heading", name="Team")).to_be_visible()
    await page.get_by_label("Email").fill("grace@example.com")
    await page.get_by_label("Role", exact=True).select_option("reviewer")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_text("Invitation sent to grace@example.com.")).to_be_visible()
    await expect(page.get_by_role("listitem").filter(has_text="grace@example.com")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "team-owner.png"), full_page=True)

    mail = await inbox.wait_for(lambda m: m["To"] == "grace@example.com")
    assert mail["Subject"] == "Ada Lovelace invited you to Acme Hiring on Fairview"
    link = link_in(mail, "accept-invite")
    assert link.startswith(product)

    teammate = await browser.new_context(locale="en-US")
    grace = await teammate.new_page()
    await grace.goto(link)
    await expect(grace.get_by_role("heading", name="Join Acme Hiring on Fairview")).to_be_visible()
    await grace.get_by_label("Your name").fill("Grace Hopper")
    await grace.get_by_label("Password").fill(PASSWORD)
    await grace.get_by_role("button", name="Join the team").click()
    await expect(grace.get_by_role("heading", name="Interviews")).to_be_visible()
    await grace.get_by_role("link", name="Team").click()
    await expect(grace.get_by_role("cell", name="Grace Hopper (you)")).to_be_visible()

    await grace.get_by_role("button", name="Log out").click()
    await expect(grace).to_have_url(f"{product}/login")
    await grace.get_by_label("Email").fill("grace@example.com")
    await grace.get_by_label("Password").fill(PASSWORD)
    await grace.get_by_role("button", name="Log in").click()
    await grace.get_by_role("link", name="Team").click()
    rows = grace.get_by_role("row")
    await expect(rows.filter(has_text="Ada Lovelace")).to_contain_text("Owner")
    await expect(rows.filter(has_text="Grace Hopper")).to_contain_text("Reviewer")
    # A reviewer sees the team but not the invitation form or API keys.
    await expect(grace.get_by_role("button", name="Send invitation")).to_have_count(0)
    await expect(grace.get_by_role("link", name="API keys")).to_have_count(0)
    await grace.screenshot(path=str(ARTIFACTS / "team-reviewer.png"), full_page=True)

    # The owner sees Grace joined, and works in Russian when she wants to.
    await page.reload()
    await expect(page.get_by_role("row").filter(has_text="Grace Hopper")).to_be_visible()
    await page.get_by_role("link", name="Team").click()
    await page.get_by_label("Language").select_option("ru")
    await expect(page.get_by_role("heading", name="Команда")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "team-ru.png"), full_page=True)

    # `make run` is self-hosted: billing is off, usage is shown without limits.
    await page.get_by_role("link", name="Оплата").click()
    await expect(page.get_by_text("На этой установке оплата отключена")).to_be_visible()
    seats = page.locator("li[data-limit='seats']")
    await expect(seats).to_contain_text("2 из ∞")  # Ada and Grace
    await page.screenshot(path=str(ARTIFACTS / "billing-off-ru.png"), full_page=True)


async def test_api_key_is_shown_once_in_the_browser(
    product: str, browser: Any, inbox: Inbox
) -> None:
    ctx = await browser.new_context(locale="en-US")
    page = await ctx.new_page()
    await sign_up(page, product, inbox, org="Globex", name="Hank", email="hank@example.com")
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Key name").fill("ATS sync")
    await page.get_by_role("button", name="Create key").click()
    secret = await page.get_by_test_id("api-key-secret").inner_text()
    assert secret.startswith("fv_")
    await expect(page.get_by_role("cell", name="ATS sync")).to_be_visible()
    response = await page.request.get(
        f"{product}/api/v1/members", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status == 200
    await page.reload()
    await expect(page.get_by_test_id("api-key-secret")).to_have_count(0)
