"""The core journey in real browsers against the real product: a recruiter builds and activates
an interview and invites a candidate; the candidate answers on camera (Chromium's fake camera and
a microphone playing real speech), by voice with one retake, and in writing; the recording is
stored with the right length and its speech transcribes to what was said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, sign_up
from tests.services import Inbox, body_text
from tests.speech import SPEECH_TEXT, decode_audio, transcribe, wer


async def add_question(
    page: Page, n: int, prompt: str, kind: str, think: int, answer: int, retakes: int
) -> None:
    await page.get_by_role("button", name="Add a question").click()
    q = page.locator("fieldset.question").nth(n)
    await q.get_by_label("Question", exact=True).fill(prompt)
    await q.get_by_label("Answer by").select_option(kind)
    await q.get_by_label("Think time (s)").fill(str(think))
    await q.get_by_label("Answer time (s)").fill(str(answer))
    await q.get_by_label("Retakes").fill(str(retakes))


async def record(page: Page, seconds: int) -> int:
    """Record until the page's clock shows `seconds`, stop, and return the recorded seconds."""
    remaining = page.locator(".remaining")
    await expect(remaining).to_be_visible(timeout=15_000)
    await expect(remaining).to_have_attribute("data-elapsed", str(seconds), timeout=60_000)
    await page.get_by_role("button", name="Stop and save").click()
    saved = page.get_by_text("Your answer is saved")
    await expect(saved).to_be_visible(timeout=20_000)
    return seconds


async def test_recruiter_builds_and_candidate_completes_an_interview(
    product: str, browser: Any, inbox: Inbox, db: Any, objects_dir: Path
) -> None:
    recruiter = await (await browser.new_context(locale="en-US")).new_page()
    await sign_up(recruiter, product, inbox)

    await expect(recruiter.get_by_role("heading", name="Interviews")).to_be_visible()
    await recruiter.get_by_label("Title").fill("Support lead")
    await recruiter.get_by_role("button", name="Create").click()
    await expect(recruiter.get_by_role("heading", name="Support lead")).to_be_visible()
    await add_question(recruiter, 0, "Introduce yourself.", "video", 0, 60, 0)
    await add_question(recruiter, 1, "What did you learn last year?", "audio", 0, 60, 1)
    await add_question(recruiter, 2, "Why this role?", "text", 0, 300, 0)
    await recruiter.get_by_role("button", name="Save questions").click()
    await expect(recruiter.get_by_text("Saved.")).to_be_visible()
    await recruiter.get_by_role("button", name="Activate").click()
    await expect(recruiter.locator(".tag.status-active")).to_be_visible()

    await recruiter.get_by_label("Candidate name").fill("Cora Candidate")
    await recruiter.get_by_label("Email", exact=True).fill("cora@example.com")
    await recruiter.get_by_role("button", name="Send invitation").click()
    await expect(recruiter.get_by_text("Invitation sent.")).to_be_visible()
    mail = await inbox.wait_for(lambda m: m["To"] == "cora@example.com")
    link = next(w for w in body_text(mail).split() if w.startswith(f"{product}/i/"))

    await recruiter.get_by_role("button", name="Watch live").click()
    await expect(recruiter.get_by_text("Watching. Nobody is answering right now.")).to_be_visible()

    candidate = await (await browser.new_context(locale="en-US")).new_page()
    await candidate.goto(link)
    await expect(candidate.get_by_role("heading", name="Welcome, Cora Candidate")).to_be_visible()
    await candidate.get_by_role("button", name="Begin").click()
    await candidate.get_by_label("I agree that my answers are recorded").check()
    await candidate.get_by_label("I agree that AI transcribes").check()
    await candidate.get_by_role("button", name="Continue").click()
    await expect(
        candidate.get_by_role("heading", name="Check your camera and microphone")
    ).to_be_visible()
    await expect(candidate.get_by_role("button", name="Continue")).to_be_enabled(timeout=10_000)
    await candidate.screenshot(path=str(ARTIFACTS / "candidate-device-check.png"))
    await candidate.get_by_role("button", name="Continue").click()
    await candidate.get_by_role("button", name="Start the interview").click()

    # Question 1: video, recorded for as long as the speech lasts (9 s) and a little more.
    await expect(candidate.get_by_role("heading", name="Introduce yourself.")).to_be_visible()
    await expect(candidate.locator("video.preview")).to_be_visible(timeout=15_000)
    await candidate.screenshot(path=str(ARTIFACTS / "candidate-recording.png"))
    # The recruiter watching live sees the words while the candidate is still speaking.
    live = recruiter.locator(".live-answer").first
    await expect(live).to_contain_text("Cora Candidate · question 1")
    await expect(live.locator(".live-text")).to_contain_text("customer", timeout=20_000)
    assert await candidate.locator(".remaining").is_visible()  # still recording
    video_seconds = await record(candidate, 11)
    # Live rubric coverage by the LLM (rate-limited) reaches the same card.
    await expect(live.locator(".live-coverage")).to_contain_text(
        "Relevance to the question", timeout=60_000
    )
    await recruiter.screenshot(path=str(ARTIFACTS / "recruiter-live.png"))
    await candidate.get_by_role("button", name="Next question").click()

    # Question 2: audio, with one retake.
    await expect(
        candidate.get_by_role("heading", name="What did you learn last year?")
    ).to_be_visible()
    await record(candidate, 2)
    await candidate.get_by_role("button", name="Retake (1 left)").click()
    await record(candidate, 3)
    await candidate.get_by_role("button", name="Next question").click()

    # Question 3: written.
    await candidate.get_by_label("Why this role?").fill("I love helping people solve problems.")
    await candidate.get_by_role("button", name="Submit answer").click()
    await expect(candidate.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=15_000)
    await candidate.screenshot(path=str(ARTIFACTS / "candidate-done.png"))

    rows = await db.fetch(
        "SELECT q.position, a.attempt, a.status, a.kind, a.duration_ms, a.segments, a.text_answer"
        " FROM answers a JOIN questions q ON q.id = a.question_id ORDER BY q.position, a.attempt"
    )
    summary = [(r["position"], r["attempt"], r["status"]) for r in rows]
    assert summary == [
        (0, 1, "recorded"),
        (1, 1, "discarded"),
        (1, 2, "recorded"),
        (2, 1, "submitted"),
    ]
    segments = json.loads(rows[0]["segments"])
    recording = objects_dir / segments[0]["key"]
    samples = decode_audio(recording.read_bytes())
    assert abs(len(samples) / 16_000 - video_seconds) <= 1.0
    assert segments[0]["video_frames"] > 100
    assert segments[0]["audio_red"]  # Chromium sends RED when the answer lists it first
    text = transcribe(samples)
    assert wer(SPEECH_TEXT, text) <= 0.15, text
    assert rows[3]["text_answer"] == "I love helping people solve problems."
    assert await db.fetchval("SELECT status FROM candidates") == "completed"
    # The page's device check was recorded, with the browser; each streamed attempt has it too.
    checked = await db.fetchrow(
        "SELECT devices_checked_at, client_browser, client_os, client_device FROM candidates"
    )
    assert checked["devices_checked_at"] is not None
    assert (checked["client_os"], checked["client_device"]) == ("Linux", "desktop")
    assert "Chrome" in checked["client_browser"]
    clients = await db.fetch(
        "SELECT DISTINCT client_browser, client_device FROM answers WHERE kind <> 'text'"
    )
    assert [tuple(r.values()) for r in clients] == [(checked["client_browser"], "desktop")]

    await recruiter.reload()
    row = recruiter.locator("tr[data-candidate='cora@example.com']")
    await expect(row).to_contain_text("Completed")
    await expect(row).to_contain_text("3 answered")
    await recruiter.screenshot(path=str(ARTIFACTS / "recruiter-interview.png"), full_page=True)

    # The review page: the video beside its transcript; selecting a word seeks the video.
    await row.get_by_role("link", name="Cora Candidate").click()
    first = recruiter.locator("section[data-question='0']")
    word = first.locator(".transcript .word", has_text="customer")
    await expect(word).to_be_visible(timeout=60_000)
    # The playback MP4 is made after the answer (a transcode): the page updates when it is ready.
    await expect(first.locator("video.playback")).to_be_visible(timeout=90_000)
    start = float(await word.get_attribute("data-start") or "nan")
    await word.click()
    position = await first.locator("video.playback").evaluate("v => v.currentTime")
    assert abs(position - start) < 0.6
    await expect(recruiter.locator("section[data-question='2']")).to_contain_text(
        "I love helping people solve problems."
    )

    # The transcript of record, and the AI evaluation (an LLM behind an OpenAI-compatible API)
    # with evidence quoted from it at its own times; the page renders both and the summary.
    await expect(first.locator(".evaluation")).to_contain_text(
        "AI evaluation of the answer's content by smollm2", timeout=300_000
    )
    await expect(recruiter.get_by_test_id("summary")).to_contain_text(
        "Summary across answers", timeout=300_000
    )
    transcript, evaluation = await db.fetchrow(
        "SELECT t.text, e.result FROM transcripts t JOIN evaluations e USING (answer_id)"
        " JOIN answers a ON a.id = t.answer_id JOIN questions q ON q.id = a.question_id"
        " WHERE q.position = 0 AND e.method = 'llm'"
    )
    assert wer(SPEECH_TEXT, transcript) <= 0.10, transcript
    evaluation = json.loads(evaluation)
    assert [c["criterion"] for c in evaluation["criteria"]] == ["Relevance to the question"]
    for e in evaluation["criteria"][0]["evidence"]:
        assert e["quote"] in transcript and 0 <= e["start"] < e["end"] <= video_seconds + 0.5
    await recruiter.screenshot(path=str(ARTIFACTS / "recruiter-review.png"), full_page=True)
