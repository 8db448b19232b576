"""A recruiter compares three candidates in the browser, by keyboard, stars one, and sees the
interview's funnel; the organization's analytics chart a known cohort; all against the real
`fairview run`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from playwright.async_api import expect

from ingest.repository import finish_segment
from ingest.service import FAILURES
from storage.db import Tenant
from tests.api.test_reporting import (
    AUDIO_Q,
    MIDDLE,
    RUBRIC_Q,
    STREAMED,
    STRONG,
    WEAK,
    answer,
    interview,
    invite,
)
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


async def drawn_pixels(canvas: Any) -> int:
    """How many pixels of a chart's canvas are painted (0 for a blank canvas)."""
    n: int = await canvas.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    return n


async def chart_values(page: Any, figure: str) -> list[list[float]]:
    canvas = page.locator(f'[data-figure="{figure}"] canvas')
    await expect(canvas).to_have_attribute("data-rendered", "true")
    assert await drawn_pixels(canvas) > 500
    values: list[list[float]] = json.loads(await canvas.get_attribute("data-values"))
    return values


async def test_analytics_charts_show_the_cohorts_numbers(
    product: str, browser: Any, inbox: Inbox, db: Any
) -> None:
    """A written interview (A completes, B checks the devices and stops, C never opens the link)
    and a streamed one whose attempts end with known outcomes on two browsers: the organization's
    analytics and the interview's reports chart exactly these numbers, in English and Russian,
    and the date range filters them."""
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30))
    assert (await api.log_in("ada@example.com")).status_code == 201
    org_id = await db.fetchval("SELECT id FROM organizations")
    written = await interview(api, [RUBRIC_Q])
    for name in "ABC":
        _, c = await invite(api, product, written, name)
        if name != "C":
            await c.consent()
            assert (await c.post("/devices-checked")).status_code == 204
        if name == "A":
            await answer(c, [STRONG], finish=True)
    streamed = await interview(api, [AUDIO_Q])
    t = Tenant(db, org_id)
    for name, (agent, outcomes) in {k: STREAMED[k] for k in "PR"}.items():
        _, c = await invite(api, product, streamed, name)
        c.headers["User-Agent"] = agent
        await c.consent()
        assert (await c.post("/devices-checked")).status_code == 204
        question_id = (await c.session())["questions"][0]["id"]
        for outcome in outcomes[:2]:
            answer_id = uuid.UUID((await c.attempt(question_id))["answer_id"])
            assert outcome is not None
            status, code = outcome
            reason = FAILURES[code] if code else None
            await finish_segment(t, answer_id, None, status, reason, failure_code=code)

    await page.goto(f"{product}/analytics")
    await expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    steps = page.locator("table.funnel-steps")
    expected = [
        ("Invited", 5), ("Opened the link", 4), ("Gave consent", 4),
        ("Checked camera and microphone", 4), ("Started", 3), ("Completed", 1),
    ]  # fmt: skip
    for label, n in expected:
        await expect(steps.get_by_role("row", name=label).locator("td").first).to_have_text(str(n))
    assert await chart_values(page, "funnel-steps") == [[n for _, n in expected]]
    failures = page.locator("table.funnel-failures tbody tr")
    await expect(failures).to_have_count(2)
    await expect(failures.nth(0)).to_contain_text("Chrome · desktop")
    await expect(failures.nth(0).locator("td")).to_have_text(["2", "1", "50.0%", "ice_failed: 1"])
    await expect(failures.nth(1)).to_contain_text("Mobile Safari · phone")
    await expect(failures.nth(1).locator("td")).to_have_text(
        ["2", "2", "100.0%", "no_media: 1, udp_blocked: 1"]
    )
    assert await chart_values(page, "funnel-failures") == [[0.5, 1]]
    await expect(page.locator("table.funnel-days tbody tr")).to_have_count(1)
    assert await chart_values(page, "funnel-days") == [[1]]
    per_interview = page.locator("table.funnel-interviews tbody tr")
    await expect(per_interview.locator("td")).to_have_text(["3", "1", "1", "2", "2", "0"])
    api_funnel = (await api.get("/api/v1/funnel")).json()
    assert api_funnel["invited"] == 5 and api_funnel["devices_checked"] == 4
    await page.screenshot(path=str(ARTIFACTS / "analytics.png"), full_page=True)

    # In Russian: the same numbers under Russian labels.
    await page.get_by_label("Language").select_option("ru")
    await expect(page.get_by_role("heading", name="Аналитика")).to_be_visible()
    row = page.locator("table.funnel-steps").get_by_role("row", name="Проверили камеру и микрофон")
    await expect(row.locator("td").first).to_have_text("4")
    await expect(page.locator("table.funnel-failures tbody tr").nth(1)).to_contain_text(
        "Mobile Safari · телефон"
    )
    await page.get_by_label("Язык").select_option("en")
    await expect(page.get_by_role("heading", name="Analytics")).to_be_visible()

    # A date range with nobody invited in it.
    tomorrow = (await db.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date + 2")).isoformat()
    await page.get_by_label("Invited from").fill(tomorrow)
    invited = page.locator("table.funnel-steps").get_by_role("row", name="Invited")
    await expect(invited.locator("td").first).to_have_text("0")
    assert await chart_values(page, "funnel-steps") == [[0, 0, 0, 0, 0, 0]]
    await expect(page.locator(".failures-none")).to_be_visible()

    # The streamed interview's own reports: its funnel, drop-off and failure rates, charted.
    await page.goto(f"{product}/interviews/{streamed}")
    await expect(page.locator("table.funnel-failures tbody tr")).to_have_count(2)
    assert await chart_values(page, "funnel-steps") == [[2, 2, 2, 2, 2, 0]]
    # P answered the question; R's attempts all failed, so R stopped there.
    assert await chart_values(page, "funnel-questions") == [[1], [1]]
    assert await chart_values(page, "funnel-failures") == [[0.5, 1]]
    await page.locator("section.reports").screenshot(path=str(ARTIFACTS / "interview-reports.png"))
