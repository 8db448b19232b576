"""The API reference at /api/docs works from the server alone (no CDN) and shows the public
operations' request examples."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.e2e.conftest import ARTIFACTS


async def test_the_api_reference_shows_examples_without_internet(
    product: str, browser: Any
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((product, "data:", "blob:")) else elsewhere.append(r.url)
        ),
    )
    await page.goto(f"{product}/api/docs#tag/interviews/POST/api/v1/interviews")
    body = page.locator("body")
    await expect(body).to_contain_text("Fairview API")
    await expect(body).to_contain_text('"title": "Customer support lead"')
    await page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert elsewhere == [], elsewhere
