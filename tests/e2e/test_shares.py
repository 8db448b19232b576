"""A recruiter shares one candidate blind with a hiring manager who has no account; the guest,
in a fresh browser, rates and comments without seeing the name or the video; the team sees the
visit in the access log; once expired, the link is refused."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import expect

from tests.api.test_reporting import MIDDLE, RUBRIC_Q, STRONG, answer, interview, invite
from tests.api_client import ApiClient
from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox, body_text


async def test_blind_share_link_for_a_guest(
    product: str, browser: Any, db: Any, inbox: Inbox
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30))
    assert (await api.log_in("ada@example.com")).status_code == 201
    interview_id = await interview(api, [RUBRIC_Q])
    for name, text in [("Ann Able", STRONG), ("Ben Bold", MIDDLE)]:
        _, c = await invite(api, product, interview_id, name)
        await c.consent()
        await answer(c, [text], finish=True)
    # Ann's answer as a video answer with a recording, so there is a video to hide.
    await db.execute("UPDATE questions SET kind = 'video'")
    await db.execute(
        "UPDATE answers SET kind = 'video', playback_key = 'x/playback.mp4'"
        " FROM candidates c WHERE c.id = answers.candidate_id AND c.name = 'Ann Able'"
    )

    await page.goto(f"{product}/interviews/{interview_id}")
    shares = page.locator("section.shares")
    await shares.get_by_label("For (name)").fill("Maria")
    await shares.get_by_label("What").select_option(label="Ann Able")
    await shares.get_by_label("Hide name and email").check()
    await shares.get_by_label("Hide video").check()
    await shares.get_by_role("button", name="Create link").click()
    link = await shares.locator("input.share-link").input_value()
    assert "/shared/" in link

    guest = await (await browser.new_context(locale="en-US")).new_page()  # no account
    await guest.goto(link)
    await expect(guest.get_by_role("heading", name="Candidate 1")).to_be_visible()
    await expect(guest.get_by_text(STRONG)).to_be_visible()
    assert await guest.locator("video").count() == 0
    content = await guest.content()
    assert "Ann" not in content and "Ben" not in content and "@example.com" not in content
    await guest.get_by_label("Your rating: Empathy").select_option("4")
    await expect(guest.get_by_role("status")).to_have_text("Saved.")
    await guest.get_by_label("Add a comment").fill("Solid, calm answer.")
    await guest.get_by_role("button", name="Post").click()
    await expect(guest.locator("article li")).to_have_text(["Solid, calm answer."])
    await guest.screenshot(path=str(ARTIFACTS / "share-guest.png"), full_page=True)

    await page.reload()
    card = page.locator("section.share", has_text="Maria")
    log = card.locator("table.accesses tbody tr")
    await expect(log).to_have_count(3)
    await expect(log.nth(0)).to_contain_text("commented")
    await expect(log.nth(1)).to_contain_text("rated")
    await expect(log.nth(2)).to_contain_text("opened")
    await expect(card.locator(".feedback")).to_contain_text("Empathy 4 / 5")
    await page.screenshot(path=str(ARTIFACTS / "share-team.png"), full_page=True)

    await db.execute("UPDATE share_links SET expires_at = now() - interval '1 second'")
    await guest.reload()
    await expect(guest.get_by_role("alert")).to_contain_text("This link has expired")


async def test_a_link_for_a_named_email_opens_after_the_emailed_confirmation(
    product: str, browser: Any, inbox: Inbox
) -> None:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(page, product, inbox)
    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30))
    assert (await api.log_in("ada@example.com")).status_code == 201
    interview_id = await interview(api, [RUBRIC_Q])
    _, c = await invite(api, product, interview_id, "Ann Able")
    await c.consent()
    await answer(c, [STRONG], finish=True)

    await page.goto(f"{product}/interviews/{interview_id}")
    shares = page.locator("section.shares")
    await shares.get_by_label("For (name)").fill("Maria")
    await shares.get_by_label("What").select_option(label="Ann Able")
    await shares.get_by_label("Only for this email").fill("maria@example.com")
    await shares.get_by_role("button", name="Create link").click()
    link = await shares.locator("input.share-link").input_value()
    card = page.locator("section.share", has_text="Maria")
    await expect(card).to_contain_text("maria@example.com: not confirmed yet")

    # Whoever holds the link sees nothing until the named address confirms.
    stranger = await (await browser.new_context(locale="en-US")).new_page()
    await stranger.goto(link)
    await expect(stranger.get_by_role("heading", name="Confirm your email")).to_be_visible()
    assert "Ann" not in await stranger.content()
    seen = len(inbox.messages)
    await stranger.get_by_label("Email").fill("stranger@example.com")
    await stranger.get_by_role("button", name="Email me the link").click()
    await expect(stranger.get_by_role("status")).to_contain_text("an email is on its way")
    await stranger.get_by_label("Email").fill("maria@example.com")
    await stranger.get_by_role("button", name="Email me the link").click()
    mail = await inbox.wait_for(lambda m: m["To"] == "maria@example.com", since=seen)
    await stranger.screenshot(path=str(ARTIFACTS / "share-confirm.png"))
    assert inbox.to("stranger@example.com") == []
    confirm = next(w for w in body_text(mail).split() if "?confirm=" in w)

    # Maria opens the emailed link: the candidate shows, and the address bar drops the code.
    maria = await (await browser.new_context(locale="en-US")).new_page()
    await maria.goto(confirm)
    await expect(maria.get_by_role("heading", name="Ann Able")).to_be_visible()
    await expect(maria.get_by_text(STRONG)).to_be_visible()
    assert "confirm=" not in maria.url
    await maria.reload()  # the browser keeps the grant
    await expect(maria.get_by_role("heading", name="Ann Able")).to_be_visible()
    await stranger.reload()
    await expect(stranger.get_by_role("heading", name="Confirm your email")).to_be_visible()

    await page.reload()
    card = page.locator("section.share", has_text="Maria")
    await expect(card).to_contain_text("maria@example.com: confirmed")
    log = card.locator("table.accesses tbody tr")
    await expect(log).to_have_count(5)
    await expect(log.nth(2)).to_contain_text("confirmed the email")
    await expect(log.nth(3)).to_contain_text("asked for a confirmation email")
    await expect(log.nth(4)).to_contain_text("gave another email (nothing sent)")
