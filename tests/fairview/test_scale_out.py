"""Scale out on loopback: `fairview api`, two `fairview ingest` and three `fairview worker`
processes on one external Kafka-protocol broker, as an operator runs them on several machines.

Several answers stream at once through both ingest processes (as a load balancer would spread
them); every worker gets work, every answer is recorded, transcribed and evaluated exactly once,
and a worker killed with SIGKILL in the middle of a transcription hands its partitions to the
others, which finish its work without losing or doubling anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka.partitioner import murmur2

from fairview.settings import ROOT
from ingest.client import publish, wait_until_ended
from streaming.bus import PARTITIONS, PIPELINE
from tests.api_client import ApiClient
from tests.candidates import CandidateClient
from tests.services import OutboxDir, free_port
from tests.speech import SPEECH_TEXT, SPEECH_WAV, wer

WORKERS = 3
SESSION_TIMEOUT_MS = 2000


class Process:
    """One `fairview <role>` process with JSON logs in a file."""

    def __init__(self, name: str, role: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.role, self.env = name, role, env
        self.log_path = logs / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "fairview.cli", self.role, env=self.env,
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip

    def events(self, name: str) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == name:
                    out.append(record)
        return out

    def owned(self, group: str) -> set[int]:
        """The pipeline partitions this worker owns in ``group`` since the last rebalance."""
        assigned = [e for e in self.events("partitions_assigned") if e["group"] == group]
        return set(assigned[-1]["partitions"].get(PIPELINE, [])) if assigned else set()

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


async def until(condition: Any, timeout_s: float, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def ready(url: str) -> bool:
    async with httpx.AsyncClient() as http:
        try:
            return (await http.get(f"{url}/readyz")).status_code == 200
        except httpx.TransportError:
            return False


def partition_of(answer_id: str) -> int:
    """Where the relay's producer puts an answer's pipeline events (Kafka's default)."""
    return (murmur2(answer_id.encode()) & 0x7FFFFFFF) % PARTITIONS[PIPELINE]


def long_speech(path: Path, times: int) -> Path:
    """The speech fixture ``times`` over, one answer long enough to catch it being transcribed."""
    with wave.open(str(SPEECH_WAV)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * times)
    return path


@pytest.fixture
async def cluster(
    database_url: str, redis_url: str, kafka: str, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    api_port, ingest_ports = free_port(), [free_port(), free_port()]
    api_url = f"http://127.0.0.1:{api_port}"
    env = {
        **os.environ,
        "FAIRVIEW_DATABASE_URL": database_url,
        "FAIRVIEW_REDIS_URL": redis_url,
        "FAIRVIEW_KAFKA": kafka,
        "FAIRVIEW_KAFKA_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
        "FAIRVIEW_PUBLIC_URL": api_url,
        "FAIRVIEW_INGEST_URL": f"http://127.0.0.1:{ingest_ports[0]}",
        "FAIRVIEW_OBJECT_STORE": str(tmp_path / "objects"),
        "FAIRVIEW_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "FAIRVIEW_STT_MODEL": "tiny.en",
        "FAIRVIEW_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "FAIRVIEW_LOG_JSON": "true",
        "FAIRVIEW_WEB_DIST": str(ROOT / "web" / "dist"),
    }
    for name in ("FAIRVIEW_SMTP_HOST", "FAIRVIEW_LLM_BASE_URL", "FAIRVIEW_STT_BASE_URL"):
        env.pop(name, None)
    (tmp_path / "objects").mkdir()
    api = Process("api", "api", {**env, "FAIRVIEW_PORT": str(api_port)}, tmp_path)
    ingests = [
        Process(
            f"ingest-{i}",
            "ingest",
            {
                **env,
                "FAIRVIEW_PORT": str(port),
                "FAIRVIEW_INGEST_SELF_URL": f"http://127.0.0.1:{port}",
            },
            tmp_path,
        )
        for i, port in enumerate(ingest_ports)
    ]
    workers = [
        Process(
            f"worker-{i}", "worker", {**env, "FAIRVIEW_WORKER_PORT": str(free_port())}, tmp_path
        )
        for i in range(WORKERS)
    ]
    everyone = [api, *ingests, *workers]
    try:
        for p in everyone:
            await p.start()
        for url in [api_url] + [f"http://127.0.0.1:{port}" for port in ingest_ports]:
            await until(lambda url=url: ready(url), 60, f"{url} to be ready")
        # The three workers split the transcribe group's pipeline partitions between them.
        await until(
            lambda: (
                sorted(p for w in workers for p in w.owned("transcribe"))
                == list(range(PARTITIONS[PIPELINE]))
            ),
            60,
            "the workers to share the pipeline partitions",
        )
        yield {
            "api": api_url,
            "ingest": [f"http://127.0.0.1:{port}" for port in ingest_ports],
            "workers": workers,
        }
    finally:
        await asyncio.gather(*(p.stop() for p in everyone))


async def answer_for_each_worker(
    api: ApiClient, http: httpx.AsyncClient, workers: list[Process], at_least: int
) -> list[tuple[CandidateClient, dict[str, Any]]]:
    """Candidates with a started audio answer, until every worker owns one of the answers after
    the first (the long one, which the test kills a worker over)."""
    r = await api.post(
        "/api/v1/interviews",
        json={
            "title": "Support lead",
            "questions": [
                {
                    "prompt": "Tell us about yourself.",
                    "kind": "audio",
                    "think_seconds": 0,
                    "answer_seconds": 120,
                    "rubric": [{"name": "Experience", "weight": 1, "strong_answer": "support"}],
                }
            ],
        },
    )
    interview = r.json()
    await api.post(f"/api/v1/interviews/{interview['id']}/status", json={"status": "active"})
    answers: list[tuple[CandidateClient, dict[str, Any]]] = []
    while len(answers) < 20:
        n = len(answers)
        r = await api.post(
            f"/api/v1/interviews/{interview['id']}/candidates",
            json={"name": f"Candidate {n}", "email": f"c{n}@example.com", "send_email": False},
        )
        assert r.status_code == 201, r.text
        candidate = CandidateClient(http, r.json()["link"].rsplit("/", 1)[1])
        await candidate.consent()
        answers.append((candidate, await candidate.attempt(interview["questions"][0]["id"])))
        owners = {
            w.name
            for _, a in answers[1:]
            for w in workers
            if partition_of(a["answer_id"]) in w.owned("transcribe")
        }
        if len(owners) == len(workers) and len(answers) >= at_least:
            return answers
    raise AssertionError("20 answers and still a worker owns none of them")


async def test_workers_share_the_work_and_a_killed_worker_loses_nothing(
    cluster: dict[str, Any], db: Any, tmp_path: Path
) -> None:
    workers: list[Process] = cluster["workers"]
    async with (
        httpx.AsyncClient(base_url=cluster["api"], timeout=60) as http,
        httpx.AsyncClient(timeout=120) as whip,
    ):
        api = ApiClient(http, OutboxDir(tmp_path / "outbox"))
        await api.sign_up()
        answers = await answer_for_each_worker(api, http, workers, at_least=5)
        long_answer = answers[0][1]["answer_id"]
        long_file = long_speech(tmp_path / "long.wav", 3)

        async def stream(i: int, attempt: dict[str, Any]) -> httpx.Response:
            # Half of the answers through each ingest process, as a load balancer spreads them;
            # the session URL names the process that holds the session.
            base = cluster["ingest"][i % 2]
            url = base + httpx.URL(attempt["whip_url"]).raw_path.decode()
            audio = long_file if attempt["answer_id"] == long_answer else SPEECH_WAV
            session = await publish(
                whip, url, attempt["whip_token"], audio_file=str(audio), video=False
            )
            assert session.location.startswith(f"{base}/whip/sessions/"), session.location
            await wait_until_ended(session, timeout_s=90)
            return await session.stop(whip)

        streams = [
            asyncio.create_task(stream(i, attempt)) for i, (_, attempt) in enumerate(answers)
        ]

        # SIGKILL the worker that owns the long answer while it transcribes it.
        victim = next(w for w in workers if partition_of(long_answer) in w.owned("transcribe"))

        async def transcribing() -> bool:
            status = await db.fetchval(
                "SELECT status FROM transcripts WHERE answer_id = $1", UUID(long_answer)
            )
            assert status != "ready", "the long answer was transcribed before the kill"
            return status == "processing"

        for response in await asyncio.gather(*streams):
            assert response.status_code == 200, response.text
        await until(transcribing, 60, "the long answer's final transcription to start")
        victim.kill()
        survivors = [w for w in workers if w is not victim]

        # Within the session timeout (and a rebalance) the survivors own every partition ...
        await until(
            lambda: (
                sorted(p for w in survivors for p in w.owned("transcribe"))
                == list(range(PARTITIONS[PIPELINE]))
            ),
            10 * SESSION_TIMEOUT_MS / 1000,
            "the survivors to take over the killed worker's partitions",
        )

        # ... and every answer ends recorded, transcribed and evaluated exactly once.
        ids = [UUID(a["answer_id"]) for _, a in answers]

        async def all_evaluated() -> bool:
            done = await db.fetchval(
                "SELECT count(*) FROM evaluations WHERE answer_id = ANY($1) AND status = 'ready'",
                ids,
            )
            return bool(done == len(ids))

        await until(all_evaluated, 120, "every answer to be evaluated")

    rows = await db.fetch(
        "SELECT a.id, a.status, t.status AS transcript, t.text,"
        " (SELECT count(*) FROM ai_runs r WHERE r.answer_id = a.id AND r.kind = 'transcription')"
        "   AS transcriptions,"
        " (SELECT count(*) FROM ai_runs r WHERE r.answer_id = a.id AND r.kind = 'evaluation')"
        "   AS evaluations"
        " FROM answers a JOIN transcripts t ON t.answer_id = a.id WHERE a.id = ANY($1)",
        ids,
    )
    assert len(rows) == len(ids)
    for row in rows:
        assert (row["status"], row["transcript"]) == ("recorded", "ready"), dict(row)
        assert (row["transcriptions"], row["evaluations"]) == (1, 1), dict(row)
        if row["id"] != UUID(long_answer):
            assert wer(SPEECH_TEXT, row["text"]) <= 0.2, row["text"]
    long_text = next(r["text"] for r in rows if r["id"] == UUID(long_answer))
    assert wer(" ".join([SPEECH_TEXT] * 3), long_text) <= 0.2, long_text

    # Every worker did final transcriptions of its own answers; the long one was finished by a
    # survivor after the victim had started it.
    transcribed = {w.name: {e["answer_id"] for e in w.events("transcribed")} for w in workers}
    assert all(transcribed.values()), transcribed
    assert long_answer not in transcribed[victim.name]
    assert long_answer in transcribed[survivors[0].name] | transcribed[survivors[1].name]
    assert sorted(a for names in transcribed.values() for a in names) == sorted(map(str, ids))
