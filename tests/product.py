"""`fairview run` as a real process, for fault tests: started, killed and started again on the
same port and data."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.services import free_port


class Fairview:
    """`fairview run` in its own process group, restartable on the same port and data."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.url = env["FAIRVIEW_PUBLIC_URL"]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "fairview.cli", "run", env=self.env,
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                assert self.proc.returncode is None, self.log.read_text()[-3000:]
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("fairview run did not become ready in 30 s")

    async def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


def product_env(
    database_url: str, redis_url: str, tmp_path: Path, **overrides: str
) -> dict[str, str]:
    """The environment of a `fairview run` on loopback with its data under ``tmp_path``
    (transcription off, mail to files); ``overrides`` by setting name, e.g. FAIRVIEW_KAFKA."""
    port = free_port()
    return {
        **os.environ,
        "FAIRVIEW_DATABASE_URL": database_url,
        "FAIRVIEW_REDIS_URL": redis_url,
        "FAIRVIEW_PORT": str(port),
        "FAIRVIEW_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FAIRVIEW_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "FAIRVIEW_SMTP_HOST": "",
        "FAIRVIEW_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "FAIRVIEW_OBJECT_STORE": str(tmp_path / "objects"),
        "FAIRVIEW_STT_MODEL": "",
        "FAIRVIEW_WEB_DIST": str(tmp_path / "no-web"),
        **overrides,
    }
