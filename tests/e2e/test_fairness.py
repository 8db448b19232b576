"""Voluntary self-identification and the adverse-impact report in a real browser: a candidate
who finishes is offered the optional form and answers it, another skips it, and the admin reads
the report (counts only) under Fairness."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from playwright.async_api import expect

from tests.e2e.conftest import sign_up
from tests.services import Inbox


@pytest.fixture
def product_env() -> dict[str, str]:
    """Written answers only, so no speech-to-text model to load; and the local evaluator, which
    gives no grade: the AI stage of the report has no scores to show (the worked example with
    scores is tests/api/test_fairness.py)."""
    return {"FAIRVIEW_STT_MODEL": "", "FAIRVIEW_LLM_BASE_URL": ""}


async def test_candidate_answers_or_skips_and_admin_sees_the_report(
    browser: Any, product: str, database_url: str, inbox: Inbox
) -> None:
    admin = await (await browser.new_context()).new_page()
    await sign_up(admin, product, inbox)
    csrf = next(c["value"] for c in await admin.context.cookies() if c["name"] == "fairview_csrf")

    async def post(path: str, body: dict[str, Any] | None = None) -> Any:
        r = await admin.request.post(
            f"{product}/api/v1{path}", data=body or {}, headers={"x-csrf-token": csrf}
        )
        assert r.ok, await r.text()
        return await r.json() if r.status != 204 else None

    question = {"prompt": "Why this role?", "kind": "text", "answer_seconds": 300}
    interview = await post("/interviews", {"title": "Support lead", "questions": [question]})
    await post(f"/interviews/{interview['id']}/status", {"status": "active"})
    links = [
        (
            await post(
                f"/interviews/{interview['id']}/candidates",
                {"name": name, "email": f"{name.lower()}@example.com", "send_email": False},
            )
        )
        for name in ("Cora", "Dan")
    ]

    # Cora takes the interview in the browser; the form comes after "Thank you!", not before.
    cora = await (await browser.new_context()).new_page()
    await cora.goto(links[0]["link"])
    await cora.get_by_role("button", name="Begin").click()
    await cora.get_by_label("I agree that my answers are recorded").check()
    await cora.get_by_label("I agree that AI transcribes").check()
    assert await cora.get_by_text("Optional: help us check").count() == 0
    await cora.get_by_role("button", name="Continue").click()
    # The device check's own Continue (the consent page's button is gone by then).
    await expect(
        cora.get_by_role("heading", name="Check your camera and microphone")
    ).to_be_visible()
    await expect(cora.get_by_role("button", name="Continue")).to_be_enabled(timeout=10_000)
    await cora.get_by_role("button", name="Continue").click()
    await cora.get_by_role("button", name="Start the interview").click()
    await cora.get_by_label("Why this role?").fill("I enjoy untangling customers' problems.")
    await cora.get_by_role("button", name="Submit answer").click()
    await expect(cora.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=15_000)
    form = cora.get_by_role("region", name="Optional: help us check our process is fair")
    await expect(form).to_be_visible()
    await expect(form.get_by_role("group", name="Sex")).to_contain_text("I prefer not to say")
    await form.get_by_label("Female").check()
    await form.get_by_label("Asian").check()
    await form.get_by_role("button", name="Submit").click()
    await expect(form.get_by_text("Thank you. Your answers are saved")).to_be_visible()
    # Opened again later: the page knows she answered, not what.
    await cora.reload()
    await expect(cora.get_by_text("You have answered these optional questions.")).to_be_visible()

    # Dan finished (through the API, as any client may) and skips the form.
    token = links[1]["link"].rsplit("/", 1)[1]
    auth = {"Authorization": f"Bearer {token}"}
    session = await (
        await admin.request.get(f"{product}/api/v1/candidate/session", headers=auth)
    ).json()
    consent = {"notice_version": session["notice_version"], "recording": True, "ai": True}
    r = await admin.request.post(f"{product}/api/v1/candidate/consent", data=consent, headers=auth)
    assert r.status == 204
    qid = session["questions"][0]["id"]
    r = await admin.request.post(
        f"{product}/api/v1/candidate/questions/{qid}/text", data={"text": "Hi."}, headers=auth
    )
    assert r.status == 201
    finished = await admin.request.post(f"{product}/api/v1/candidate/finish", headers=auth)
    assert finished.status == 204
    dan = await (await browser.new_context()).new_page()
    await dan.goto(links[1]["link"])
    await expect(dan.get_by_role("heading", name="Thank you!")).to_be_visible()
    await dan.get_by_role("button", name="Skip").click()
    await expect(dan.get_by_text("Skipped. Nothing was saved.")).to_be_visible()

    db = await asyncpg.connect(database_url)
    try:
        assert await db.fetchval("SELECT count(*) FROM self_identifications") == 1
    finally:
        await db.close()

    # The admin decides and reads the report: counts per category, Cora's answer nowhere.
    await post(f"/candidates/{links[0]['candidate']['id']}/decision", {"decision": "advance"})
    await post(f"/candidates/{links[1]['candidate']['id']}/decision", {"decision": "reject"})
    await admin.goto(f"{product}/interviews")
    await admin.get_by_role("link", name="Fairness").click()
    await expect(
        admin.get_by_role("heading", name="Fairness: adverse-impact report")
    ).to_be_visible()
    await admin.get_by_label("Report for").select_option(label="Support lead")
    await expect(admin).to_have_url(f"{product}/fairness?interview={interview['id']}")
    await expect(admin.get_by_text("2 completed candidates, 1 of them answered")).to_be_visible()
    await expect(admin.get_by_text("No AI overall scores")).to_be_visible()
    selection = admin.locator('section[data-stage="selection"]')
    female = selection.locator('table[data-dimension="sex"] tr[data-category="female"]')
    await expect(female.locator("td").nth(0)).to_have_text("1")  # candidates
    await expect(female.locator("td").nth(2)).to_have_text("1")  # selected
    asian = selection.locator('table[data-dimension="race"] tr[data-category="asian"]')
    await expect(asian.locator("td").nth(0)).to_have_text("1")
    await expect(
        selection.get_by_text("Unknown (not answered or preferred not to say): 1").first
    ).to_be_visible()
    assert "Cora" not in await admin.locator("main").inner_text()
    href = await admin.get_by_role("link", name="Export CSV (for an auditor)").get_attribute("href")
    csv = await (await admin.request.get(f"{product}{href}")).text()
    assert "selection,race,asian,Asian,1," in csv
    for page in (admin, cora, dan):
        await page.context.close()
