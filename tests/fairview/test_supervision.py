"""Supervision seen from outside: `/readyz` names a failing background loop, and `fairview
worker` serves `/healthz`, `/readyz` and `/metrics` and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from pathlib import Path

import httpx

from fairview.runtime import build_app
from fairview.settings import Settings
from tests.http_server import serve
from tests.services import free_port


async def test_readyz_names_a_failing_loop_and_its_error(settings: Settings, kafka: str) -> None:
    # A model directory that does not exist: both transcription loops fail at start, again and
    # again; everything else keeps running.
    broken = dataclasses.replace(settings, stt_model="/nonexistent/whisper")
    async with (
        serve(build_app(broken, kafka=kafka), settings.port) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        async with asyncio.timeout(30):
            while len((r := await http.get("/readyz")).json()["failing"]) < 2:
                await asyncio.sleep(0.1)
        assert r.status_code == 503
        body = r.json()
        assert body["ready"] is False
        assert sorted(body["failing"]) == ["transcribe", "transcribe-live"]
        assert all(check["ok"] for check in body["checks"].values()), body["checks"]
        loop = body["loops"]["transcribe"]
        assert loop["state"] == "failing"
        assert loop["restarts"] >= 2 and loop["failing_since"] is not None
        assert loop["last_error"].startswith("ModelUnavailable at analysis/models.py:")
        assert "/nonexistent" not in loop["last_error"]  # messages stay in the log
        assert body["loops"]["mailer"]["state"] == "running"
        assert body["loops"]["outbox-relay"]["state"] == "running"
        metrics = (await http.get("/metrics")).text
        assert 'fairview_loop_state{loop="transcribe",state="failing"} 1.0' in metrics
        assert 'fairview_loop_state{loop="mailer",state="running"} 1.0' in metrics
        assert 'fairview_loop_restarts_total{loop="transcribe"}' in metrics


async def test_fairview_worker_serves_health_and_metrics_and_stops_on_sigterm(
    database_url: str, redis_url: str, kafka: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "FAIRVIEW_DATABASE_URL": database_url,
        "FAIRVIEW_REDIS_URL": redis_url,
        "FAIRVIEW_KAFKA": kafka,
        "FAIRVIEW_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "FAIRVIEW_OBJECT_STORE": str(tmp_path / "objects"),
        "FAIRVIEW_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "FAIRVIEW_STT_MODEL": "",
        "FAIRVIEW_WORKER_PORT": str(port),
    }
    for name in ("FAIRVIEW_HOST", "FAIRVIEW_SMTP_HOST", "FAIRVIEW_LLM_BASE_URL"):
        env.pop(name, None)
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fairview.cli", "worker", env=env,
            stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async with asyncio.timeout(60):
                while True:
                    assert proc.returncode is None, log.read_text()
                    try:
                        metrics = (await http.get("/metrics")).text
                        # Ready once the consumer groups own their partitions.
                        if 'fairview_consumer_partitions{group="evaluate",topic="pipeline"}' in (
                            metrics
                        ):
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            r = await http.get("/readyz")
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["ready"] is True and body["failing"] == []
            assert set(body["loops"]) == {
                "evaluate", "metering", "webhooks", "notifications", "scheduler",
                "webhook-delivery", "outbox-relay", "mailer", "playback-jobs", "sweeper",
                "erasures",
            }  # fmt: skip
            assert {loop["state"] for loop in body["loops"].values()} == {"running"}
            assert 'fairview_loop_state{loop="mailer",state="running"} 1.0' in metrics
            # The worker serves no API.
            assert (await http.get("/api/v1/me")).status_code == 404
        assert f"health and metrics at http://127.0.0.1:{port}/readyz" in log.read_text()
        started = asyncio.get_running_loop().time()
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            rc = await proc.wait()
        # uvicorn re-raises the signal once it has shut down gracefully
        assert rc == -signal.SIGTERM, (rc, log.read_text()[-3000:])
        assert asyncio.get_running_loop().time() - started < 10
        assert "background_loop_failed" not in log.read_text()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
