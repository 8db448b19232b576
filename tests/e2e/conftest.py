"""End-to-end fixtures: the real ``fairview run`` process and headless Chromium (Playwright)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairview.settings import ROOT
from streaming.broker import port_open
from tests.api_client import PASSWORD
from tests.services import REDIS_URL, Inbox, body_text, free_port, link_in, unavailable

CHROMIUM = os.environ.get("FAIRVIEW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-results"
SPEECH = ROOT / "tests" / "fixtures" / "speech_en.wav"
# A fake camera (Chromium's test pattern) and a microphone playing real speech once per capture.
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    f"--use-file-for-fake-audio-capture={SPEECH}%noloop",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


async def sign_up(
    page: Any,
    product: str,
    inbox: Inbox,
    org: str = "Acme Hiring",
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
) -> None:
    """Create an account in the browser as a new customer would, confirm the address from the
    email; ends on the Interviews page."""

    seen = len(inbox.messages)
    await page.goto(f"{product}/signup")
    await page.get_by_label("Organization name").fill(org)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await confirm_email(page, inbox, email, seen)


async def confirm_email(page: Any, inbox: Inbox, email: str, seen: int) -> None:
    """After "Create account": the page says to check the email; its link logs in."""
    from playwright.async_api import expect

    await expect(page.get_by_text("Check your email")).to_be_visible()
    mail = await inbox.wait_for(
        lambda m: m["To"] == email and "/verify-email?token=" in body_text(m), since=seen
    )
    await page.goto(link_in(mail, "verify-email"))
    await expect(page.get_by_text("Your email is confirmed")).to_be_visible()
    await page.get_by_role("link", name="Continue").click()
    await expect(page.get_by_role("heading", name="Interviews")).to_be_visible()


@pytest.fixture
def objects_dir(tmp_path: Path) -> Path:
    """Where the product under test keeps recordings (its FAIRVIEW_OBJECT_STORE)."""
    return tmp_path / "objects"


@pytest.fixture
def product_env() -> dict[str, str]:
    """Extra FAIRVIEW_* settings for the product under test (a test module may override)."""
    return {}


@pytest.fixture
async def product(
    database_url: str,
    smtp_server: tuple[int, Inbox],
    inbox: Inbox,
    tmp_path: Path,
    llm_url: str,
    product_env: dict[str, str],
) -> AsyncIterator[str]:
    """``fairview run`` exactly as ``make run`` starts it, on free loopback ports, with AI
    evaluation by the test suite's OpenAI-compatible LLM server."""
    dist = ROOT / "web" / "dist"
    if not (dist / "index.html").exists():
        unavailable("the built web app (run `make web`)", dist)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FAIRVIEW_DATABASE_URL": database_url,
        "FAIRVIEW_REDIS_URL": REDIS_URL,
        "FAIRVIEW_PORT": str(port),
        "FAIRVIEW_PUBLIC_URL": url,
        "FAIRVIEW_KAFKA_PORT": str(free_port()),
        "FAIRVIEW_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "FAIRVIEW_SMTP_HOST": "127.0.0.1",
        "FAIRVIEW_SMTP_PORT": str(smtp_server[0]),
        "FAIRVIEW_OBJECT_STORE": str(tmp_path / "objects"),
        "FAIRVIEW_STT_MODEL": "tiny.en",
        "FAIRVIEW_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "FAIRVIEW_LLM_BASE_URL": llm_url,
        "FAIRVIEW_LLM_MODEL": "smollm2",
        "FAIRVIEW_LLM_RESPONSE_FORMAT": "json_object",
        **product_env,
    }
    env.pop("FAIRVIEW_KAFKA", None)
    (tmp_path / "objects").mkdir()
    log = open(tmp_path / "fairview.log", "wb")  # noqa: SIM115
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fairview.cli",
        "run",
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if proc.returncode is not None:
                    break
                try:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("fairview run did not become ready in 30 s")
        if proc.returncode is not None:
            raise AssertionError(f"fairview run exited: {(tmp_path / 'fairview.log').read_text()}")
        yield url
    finally:
        stopped = await stop(proc)
        log.close()
    # `fairview run` stops on SIGTERM (as systemd or Docker stop it), and takes its broker along.
    assert stopped, "fairview run ignored SIGTERM for 15 s and was killed"
    assert not port_open(int(env["FAIRVIEW_KAFKA_PORT"])), "the embedded broker outlived it"


async def stop(proc: asyncio.subprocess.Process) -> bool:
    """SIGTERM, then SIGKILL after 15 s: whether SIGTERM was enough."""
    if proc.returncode is not None:
        return True
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return False
    return True


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS)
        yield b
        await b.close()
