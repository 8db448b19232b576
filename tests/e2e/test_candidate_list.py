"""The candidates table in a real browser: it pages with the API's cursor ("Show more") and its
periodic refresh updates rows in place, so a focused control keeps its focus and its row."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.e2e.conftest import sign_up


async def test_candidate_rows_page_and_update_in_place(browser: Any, product: str) -> None:
    page = await (await browser.new_context()).new_page()
    await sign_up(page, product)
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
