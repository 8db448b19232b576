"""Chromium's candidate page over an impaired network: the WHIP offer and answer are rewritten in
the browser (Playwright's request routing) so that a user-space UDP relay is the only path
between Chromium and the ingest (tests/udp_relay.py).

- A network that drops all UDP (a strict firewall): the page names the network as the cause and
  what to try, offers another try, and the failed attempt does not count.
- 5 % loss and 50±20 ms delay: Chromium sends RED (the ingest answers it first), and the audio
  the network lost is decoded from the copies in the next packets: the answer is recorded whole
  and intelligible.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate
from tests.services import Inbox
from tests.speech import SPEECH_TEXT, decode_audio, transcribe, wer, words
from tests.udp_relay import Impairment, UdpRelay

QUESTION = {
    "prompt": "Introduce yourself.",
    "kind": "audio",
    "think_seconds": 0,
    "answer_seconds": 60,
    "retakes": 0,
}


async def candidate_through(browser: Any, product: str, token: str, relay: UdpRelay) -> Any:
    """The candidate's page at the first question, its WebRTC routed through ``relay``."""
    from playwright.async_api import expect

    page = await (await browser.new_context(locale="en-US")).new_page()

    async def whip(route: Any, request: Any) -> None:
        if request.method != "POST":
            await route.continue_()
            return
        response = await route.fetch(post_data=relay.rewrite_offer(request.post_data or ""))
        if response.status != 201:
            await route.fulfill(response=response)
            return
        await route.fulfill(response=response, body=relay.rewrite_answer(await response.text()))

    await page.route("**/whip/answers/*", whip)
    await page.goto(f"{product}/i/{token}")
    await page.get_by_role("button", name="Begin").click()
    await page.get_by_label("I agree that my answers are recorded").check()
    await page.get_by_label("I agree that AI transcribes").check()
    await page.get_by_role("button", name="Continue").click()
    check = page.get_by_role("heading", name="Check your camera and microphone")
    await expect(check).to_be_visible()
    await expect(page.get_by_role("button", name="Continue")).to_be_enabled(timeout=10_000)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Start the interview").click()
    await expect(page.get_by_role("heading", name="Introduce yourself.")).to_be_visible()
    return page


async def speak_for(page: Any, seconds: int) -> None:
    from playwright.async_api import expect

    remaining = page.locator(".remaining")
    await expect(remaining).to_have_attribute("data-elapsed", str(seconds), timeout=60_000)
    await page.get_by_role("button", name="Stop and save").click()


async def test_a_network_that_blocks_udp_is_named_and_the_attempt_does_not_count(
    browser: Any, product: str, inbox: Inbox, db: Any
) -> None:
    from playwright.async_api import expect

    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30), inbox)
    _, token = await interview_with_candidate(api, [QUESTION])
    relay = await UdpRelay(Impairment(loss=1.0)).start()
    try:
        page = await candidate_through(browser, product, token, relay)
        await speak_for(page, 3)
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("this network blocks the connection", timeout=30_000)
        await expect(alert).to_contain_text("Try another network")
        row = await db.fetchrow("SELECT status, failure_code FROM answers")
        assert dict(row) == {"status": "failed", "failure_code": "udp_blocked"}
        # No retakes, and still another try: the failure cost the candidate nothing.
        await page.get_by_role("button", name="Try again").click()
        await expect(page.locator(".remaining")).to_be_visible(timeout=15_000)
        attempts = await db.fetch("SELECT attempt FROM answers ORDER BY attempt")
        assert [r["attempt"] for r in attempts] == [1, 2]
    finally:
        relay.close()


async def test_chromium_sends_red_and_lost_audio_comes_back_from_its_copies(
    browser: Any, product: str, inbox: Inbox, db: Any, objects_dir: Path
) -> None:
    from playwright.async_api import expect

    api = ApiClient(httpx.AsyncClient(base_url=product, timeout=30), inbox)
    _, token = await interview_with_candidate(api, [QUESTION])
    relay = await UdpRelay(Impairment(loss=0.05, delay_ms=50, jitter_ms=20, seed=7)).start()
    try:
        page = await candidate_through(browser, product, token, relay)
        await speak_for(page, 10)
        await expect(page.get_by_text("Your answer is saved")).to_be_visible(timeout=20_000)
    finally:
        relay.close()
    assert relay.dropped > 10, relay.dropped
    row = await db.fetchrow("SELECT status, segments FROM answers")
    assert row["status"] == "recorded"
    segment = json.loads(row["segments"])[0]
    assert segment["audio_red"], segment
    quality = segment["quality"]
    # Most lost packets came back from the next packet's copy; what is left lost is the rest.
    assert segment["redundant_ms"] >= 100, segment
    assert quality["audio_lost_ms"] < segment["redundant_ms"], segment
    samples = decode_audio((objects_dir / segment["key"]).read_bytes())
    text = transcribe(samples)
    # Speech that played while ICE and DTLS were still crossing the lossy relay (retransmitted
    # after a second) was never sent; what was sent is the end of the script, word for word.
    said = SPEECH_TEXT.split(". ", 1)[1]
    heard = " ".join(words(text).split()[-len(words(said).split()) :])
    figures = {
        "dropped": relay.dropped,
        "recorded_s": round(len(samples) / 16_000, 2),
        "redundant_ms": segment["redundant_ms"],
        **quality,
        "wer": round(wer(said, heard), 3),
    }
    print(f"red at 5 % loss {figures} {text!r}", file=sys.stderr)
    assert abs(figures["recorded_s"] - 10) <= 1.0, figures
    assert figures["wer"] <= 0.15, text
