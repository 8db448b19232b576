"""The candidates table in a real browser: it pages with the API's cursor ("Show more"), its
periodic refresh updates rows in place (a focused control keeps its focus and its row), and it is
searched, filtered, sorted and acted on in bulk through the server, with its state in the URL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import pytest
from playwright.async_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox


@pytest.fixture
def product_env() -> dict[str, str]:
    # No answers are recorded here: without a speech model the product starts light (under load,
    # loading one beside other tests' products held up sign-up past its 5 s wait).
    return {"FAIRVIEW_STT_MODEL": ""}


async def test_candidate_rows_page_and_update_in_place(
    browser: Any, product: str, inbox: Inbox
) -> None:
    page = await (await browser.new_context()).new_page()
    await sign_up(page, product, inbox)
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "fairview_csrf")

    async def post(path: str, body: dict[str, Any] | None = None) -> Any:
        r = await page.request.post(
            f"{product}/api/v1{path}", data=body or {}, headers={"x-csrf-token": csrf}
        )
        assert r.ok, await r.text()
        return await r.json()

    question = {"prompt": "Why us?", "kind": "text", "answer_seconds": 300}
    interview = await post("/interviews", {"title": "Support lead", "questions": [question]})
    await post(f"/interviews/{interview['id']}/status", {"status": "active"})
    csv = "name,email\n" + "".join(f"C{i:02},c{i:02}@example.com\n" for i in range(60))
    result = await post(
        f"/interviews/{interview['id']}/candidates/import", {"csv": csv, "send_email": False}
    )
    assert result["created"] == 60

    await page.goto(f"{product}/interviews/{interview['id']}")
    rows = page.locator("tr[data-candidate]")
    await expect(rows).to_have_count(50)  # one page
    await page.get_by_role("button", name="Show more").click()
    await expect(rows).to_have_count(60)
    await expect(page.get_by_role("button", name="Show more")).to_be_hidden()

    kept = page.locator('tr[data-candidate="c10@example.com"]')
    await kept.evaluate("tr => { tr.dataset.probe = 'same node' }")
    await kept.get_by_label("Extra time: C10").focus()
    # Meanwhile, elsewhere: one candidate is revoked and a new one is invited.
    listed = await (
        await page.request.get(
            f"{product}/api/v1/interviews/{interview['id']}/candidates?limit=200"
        )
    ).json()
    revoked = next(c for c in listed["items"] if c["email"] == "c20@example.com")
    await post(f"/candidates/{revoked['id']}/revoke")
    await post(
        f"/interviews/{interview['id']}/candidates",
        {"name": "Newcomer", "email": "new@example.com", "send_email": False},
    )

    # The 10 s refresh shows both, without rebuilding the table.
    changed = page.locator('tr[data-candidate="c20@example.com"]')
    await expect(changed.locator(".tag")).to_have_text("Revoked", timeout=20_000)
    await expect(rows.first).to_have_attribute("data-candidate", "new@example.com")
    await expect(rows).to_have_count(61)
    assert await kept.get_attribute("data-probe") == "same node"
    focused = await page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Extra time: C10"
    await page.context.close()  # ends the page's event stream, so the product stops at once


NAMES = ["Ada Byron", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"]


async def test_candidates_are_searched_filtered_sorted_and_acted_on_in_bulk(
    browser: Any, product: str, database_url: str, inbox: Inbox
) -> None:
    """Search (debounced), filters, sortable columns and bulk actions, all answered by the
    server, with the state in the URL: a reload and "back" from a candidate keep it."""
    page = await (await browser.new_context()).new_page()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await sign_up(page, product, inbox)
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "fairview_csrf")

    async def post(path: str, body: dict[str, Any] | None = None) -> Any:
        r = await page.request.post(
            f"{product}/api/v1{path}", data=body or {}, headers={"x-csrf-token": csrf}
        )
        assert r.ok, await r.text()
        return await r.json()

    question = {"prompt": "Why us?", "kind": "text", "answer_seconds": 300}
    interview = await post("/interviews", {"title": "Support lead", "questions": [question]})
    iid = interview["id"]
    await post(f"/interviews/{iid}/status", {"status": "active"})
    people = [(n, n.split()[0].lower()) for n in NAMES] + [
        (f"Cand {i:02}", f"c{i:02}") for i in range(55)
    ]
    csv = "name,email\n" + "".join(f"{n},{e}@example.com\n" for n, e in people)
    result = await post(f"/interviews/{iid}/candidates/import", {"csv": csv, "send_email": False})
    assert result["created"] == 60
    # Three candidates were scored by an LLM (the score the list filters and sorts on).
    conn = await asyncpg.connect(database_url)
    try:
        for email, score in [("grace", 4.5), ("alan", 3.0), ("barbara", 2.0)]:
            await conn.execute(
                "UPDATE candidates SET score = $1 WHERE email = $2", score, f"{email}@example.com"
            )
    finally:
        await conn.close()

    await page.goto(f"{product}/interviews/{iid}")
    rows = page.locator("tr[data-candidate]")
    await expect(rows).to_have_count(50)
    await page.get_by_role("button", name="Show more").click()
    await expect(rows).to_have_count(60)

    # Search by name or email, asked once typing pauses; the URL keeps it across a reload.
    await page.get_by_label("Search by name or email").press_sequentially("ada", delay=30)
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-candidate", "ada@example.com")
    assert "q=ada" in page.url
    await page.reload()
    await expect(page.get_by_label("Search by name or email")).to_have_value("ada")
    await expect(rows).to_have_count(1)
    await page.get_by_label("Search by name or email").fill("nobody-like-this")
    await expect(page.get_by_text("No candidates match these filters.")).to_be_visible()
    await page.get_by_role("button", name="Clear filters").click()
    await expect(rows).to_have_count(50)

    # Sortable columns: by name (A to Z), by the LLM score (highest first, unscored last).
    await page.get_by_role("button", name="Candidate name").click()
    await expect(page.locator("th[aria-sort=ascending]")).to_have_text("Candidate name")
    await expect(rows.first).to_have_attribute("data-candidate", "ada@example.com")
    await expect(rows.nth(1)).to_have_attribute("data-candidate", "alan@example.com")
    assert "sort=name" in page.url
    await page.get_by_role("button", name="Score", exact=True).click()
    await expect(page.locator("th[aria-sort=descending]")).to_have_text("Score")
    for i, email in enumerate(["grace", "alan", "barbara"]):
        await expect(rows.nth(i)).to_have_attribute("data-candidate", f"{email}@example.com")
    await expect(rows.nth(0).locator(".score")).to_have_text("4.5 / 5")
    await expect(rows.nth(3).locator(".score")).to_have_text("—")
    # The score range: from 3 leaves two.
    await page.get_by_label("LLM score from").fill("3")
    await expect(rows).to_have_count(2)
    assert "score_min=3" in page.url
    await page.screenshot(path=str(ARTIFACTS / "candidate-list.png"), full_page=True)

    # Bulk: advance the ten "Cand 0x" candidates at once.
    await page.get_by_role("button", name="Clear filters").click()
    await page.get_by_label("Search by name or email").fill("cand 0")
    await expect(rows).to_have_count(10)
    await page.get_by_label("Select all shown").check()
    await expect(page.get_by_text("10 selected", exact=True)).to_be_visible()
    await (
        page.get_by_role("group", name="Selected candidates")
        .get_by_role("button", name="Advance")
        .click()
    )
    await expect(page.get_by_role("status").filter(has_text="10 done, 0 failed.")).to_be_visible()
    await expect(page.get_by_text("0 selected", exact=True)).to_be_visible()
    await page.get_by_label("Search by name or email").fill("")
    await page.get_by_label("Decision", exact=True).select_option("advance")
    await expect(rows).to_have_count(10)
    await expect(rows.locator(".decision")).to_have_text(["Advance"] * 10)

    # Revoke two in bulk; then resending to them and one other fails for those two only.
    await page.get_by_label("Decision", exact=True).select_option("")
    await page.get_by_label("Search by name or email").fill("cand 1")
    await expect(rows).to_have_count(10)
    await page.get_by_label("Select Cand 10").check()
    await page.get_by_label("Select Cand 11").check()
    await page.get_by_role("button", name="Revoke links").click()
    await expect(page.get_by_role("status").filter(has_text="2 done, 0 failed.")).to_be_visible()
    await expect(rows.filter(has_text="Revoked")).to_have_count(2)
    for name in ("Cand 10", "Cand 11", "Cand 12"):
        await page.get_by_label(f"Select {name}").check()
    await page.get_by_role("button", name="Resend links").click()
    await expect(page.get_by_role("status").filter(has_text="1 done, 2 failed.")).to_be_visible()
    failures = page.locator(".bulk-failures li")
    await expect(failures).to_have_text(
        [
            "Cand 10: This candidate's interview is revoked.",
            "Cand 11: This candidate's interview is revoked.",
        ]
    )
    # Those that failed stay selected; the one that was done is not.
    await expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    assert not await page.get_by_label("Select Cand 12").is_checked()

    # The status filter, and "back" from a candidate's page keeps the list as it was.
    await page.get_by_label("Status", exact=True).select_option("revoked")
    await expect(rows).to_have_count(2)
    await rows.first.get_by_role("link").click()
    await expect(page).to_have_url(re.compile(r"/candidates/"))
    await page.go_back()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("revoked")
    await expect(page.get_by_label("Search by name or email")).to_have_value("cand 1")
    await expect(rows).to_have_count(2)
    await page.context.close()
