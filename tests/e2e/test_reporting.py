"""A recruiter compares three candidates in the browser, by keyboard, stars one, and sees the
interview's funnel; all against the real `fairview run`."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import expect

from tests.api.test_reporting import MIDDLE, RUBRIC_Q, STRONG, WEAK, answer, interview, invite
from tests.api_client import ApiClient
from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox


async def test_compare_three_candidates_and_see_the_funnel(
    product: str, browser: Any, inbox: Inbox
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30))
    assert (await api.log_in("ada@example.com")).status_code == 201
    interview_id = await interview(api, [RUBRIC_Q])
    for name, text in [("Ann", STRONG), ("Ben", MIDDLE), ("Cat", WEAK)]:
        _, c = await invite(api, product, interview_id, name)
        await c.consent()
        await answer(c, [text], finish=True)
    await invite(api, product, interview_id, "Dov")  # invited, never opens the link

    await page.goto(f"{product}/interviews/{interview_id}")
    funnel = page.locator(".funnel-steps")
    await expect(funnel.get_by_role("row", name="Invited")).to_contain_text("4")
    await expect(funnel.get_by_role("row", name="Completed")).to_contain_text("3")
    drop = page.locator(".funnel-questions").get_by_role("row", name=f"1. {RUBRIC_Q['prompt']}")
    await expect(drop).to_contain_text("3")
    await expect(page.locator(".funnel-days tbody tr")).to_have_count(1)
    await expect(page.locator(".funnel-days tbody tr")).to_contain_text("3")

    await page.get_by_role("link", name="Compare candidates").click()
    await expect(page.get_by_role("heading", name="Compare candidates")).to_be_visible()
    # Keyboard only: tick Ann, Ben and Cat, choose the order, submit.
    await page.get_by_role("checkbox", name="Ann").focus()
    for _ in range(3):
        await page.keyboard.press("Space")
        await page.keyboard.press("Tab")
    await page.get_by_label("Sort by").select_option("name")
    await page.get_by_role("button", name="Compare", exact=True).focus()
    await page.keyboard.press("Enter")
    headers = page.locator("table.compare thead th[data-candidate]")
    await expect(headers).to_have_count(3)
    await expect(headers).to_contain_text(["Ann", "Ben", "Cat"])
    first_answer = page.locator("table.compare tr.question td").first
    await expect(first_answer).to_contain_text(STRONG)
    await expect(page.locator("table.compare tbody th.criterion")).to_have_text(
        ["Empathy", "Resolution"]
    )
    star = page.get_by_role("button", name="Add Ben to the shortlist")
    await star.focus()
    await page.keyboard.press("Enter")
    await expect(
        page.get_by_role("button", name="Remove Ben from the shortlist")
    ).to_have_attribute("aria-pressed", "true")
    await page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    body = (await api.get(f"/api/v1/interviews/{interview_id}/comparison")).json()
    assert {c["name"]: c["shortlisted"] for c in body["candidates"]} == {
        "Ann": False,
        "Ben": True,
        "Cat": False,
        "Dov": False,
    }
