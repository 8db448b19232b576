"""Scale-out benchmark: transcription capacity with 1, 2 and 3 `fairview worker` processes on one
external broker, as an operator adds workers (or machines).

Seeds once, through the product: `fairview api` and `fairview ingest` on one broker, an interview
and K candidates, each answering with the speech fixture streamed over WebRTC (WHIP). Then, for
each worker count W (fresh worker processes, timed only once they own their partitions):

- final pass: the answers' transcripts are dropped and their ``answer.recorded`` events queued
  again (the outbox, as the ingest does); answers of speech per minute until all are ready;
- utterance mode: the answers' audio, as the ingest's audio tap chunks it, published at once to
  ``audio`` with nobody watching (decode per utterance); answers per minute until each ended;
- live partials: S answers fed in real time while a recruiter watches (re-decodes about every
  second); the backlog when each answer ends (p50, p95; under 3 s keeps up).

Prints each figure and its ratio to W = 1, and CPU per worker. Needs the machine's Postgres and
Redis; starts the broker and everything else itself.

    .venv/bin/python bench/scale.py [--answers 12] [--live 4] [--workers 1,2,3] [--model tiny.en]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import av
import httpx
import jiwer
import numpy as np
from redis.asyncio import Redis

# Run as a script, this folder comes first on the path, and its ingest.py would shadow the
# ingest package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.* from this checkout

from bench.accounts import sign_up
from ingest.client import speak
from storage.db import Database
from storage.migrate import migrate
from storage.outbox import add_event
from streaming.broker import EmbeddedBroker
from streaming.bus import AUDIO, PARTITIONS, PIPELINE, KafkaBus
from streaming.live import live_channel, unwatch, watch

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "tests" / "fixtures" / "speech_en.wav"
TEXT = (ROOT / "tests" / "fixtures" / "speech_en.txt").read_text().strip()
PG = os.environ.get("FAIRVIEW_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("FAIRVIEW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
PASSWORD = "a long enough passphrase"
CHUNK = 8000  # 0.5 s at 16 kHz, as the audio tap sends


def wer(hypothesis: str) -> float:
    def words(t: str) -> str:
        return " ".join("".join(c for c in w.lower() if c.isalnum()) for w in t.split())

    return float(jiwer.wer(words(TEXT), words(hypothesis)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speech_pcm() -> bytes:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=16_000)
    parts = []
    with av.open(str(SPEECH)) as src:
        for frame in src.decode(audio=0):
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    return np.concatenate(parts).astype(np.int16).tobytes()


class Process:
    def __init__(self, role: str, env: dict[str, str], log: Path) -> None:
        self.role, self.env, self.log = role, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "fairview.cli", self.role, env=self.env,
                stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip

    def owned(self, group: str, topic: str) -> list[int]:
        assigned = [
            r
            for r in map(json.loads, (s for s in self.log.read_text().splitlines() if s[:1] == "{"))
            if r.get("event") == "partitions_assigned" and r.get("group") == group
        ]
        return assigned[-1]["partitions"].get(topic, []) if assigned else []

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                os.killpg(self.proc.pid, signal.SIGKILL)


async def until(check: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done in {timeout_s} s")
        await asyncio.sleep(0.05)


async def seed(env: dict[str, str], tmp: Path, answers: int) -> dict[str, Any]:
    """An interview and ``answers`` recorded audio answers, made through the API and WHIP."""
    api_port, ingest_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = {**env, "FAIRVIEW_PUBLIC_URL": api_url}
    env["FAIRVIEW_INGEST_URL"] = f"http://127.0.0.1:{ingest_port}"
    procs = [
        Process("api", {**env, "FAIRVIEW_PORT": str(api_port)}, tmp / "api.log"),
        Process("ingest", {**env, "FAIRVIEW_PORT": str(ingest_port)}, tmp / "ingest.log"),
    ]
    for p in procs:
        await p.start()
    try:
        async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:

            async def up() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    ok = (await http.get("/readyz")).status_code == 200
                    return (
                        ok and (await http.get(f"{env['FAIRVIEW_INGEST_URL']}/readyz")).is_success
                    )
                return False

            await until(up, 60)
            # `fairview api` and `ingest` run no mailer: the confirmation is sent from here.
            outbox = Path(env["FAIRVIEW_MAIL_OUTBOX_DIR"])
            await sign_up(
                http, outbox, email="ada@example.com", password=PASSWORD, name="Ada",
                mailer_database_url=env["FAIRVIEW_DATABASE_URL"],
            )  # fmt: skip
            csrf = {"x-csrf-token": http.cookies["fairview_csrf"]}
            question = {"prompt": "Tell us about yourself.", "kind": "audio",
                        "think_seconds": 0, "answer_seconds": 120}  # fmt: skip
            r = await http.post(
                "/api/v1/interviews",
                headers=csrf,
                json={"title": "Bench", "questions": [question]},
            )
            interview = r.json()
            await http.post(
                f"/api/v1/interviews/{interview['id']}/status",
                headers=csrf,
                json={"status": "active"},
            )
            attempts = []
            for n in range(2 * answers):
                r = await http.post(
                    f"/api/v1/interviews/{interview['id']}/candidates",
                    headers=csrf,
                    json={"name": f"C{n}", "email": f"c{n}@example.com", "send_email": False},
                )
                auth = {"Authorization": f"Bearer {r.json()['link'].rsplit('/', 1)[1]}"}
                s = (await http.get("/api/v1/candidate/session", headers=auth)).json()
                await http.post(
                    "/api/v1/candidate/consent",
                    headers=auth,
                    json={"notice_version": s["notice_version"], "recording": True, "ai": True},
                )
                qid = interview["questions"][0]["id"]
                attempts.append(
                    (
                        await http.post(f"/api/v1/candidate/questions/{qid}/attempts", headers=auth)
                    ).json()
                )
            async with httpx.AsyncClient(timeout=120) as whip:
                await asyncio.gather(
                    *(
                        speak(
                            whip,
                            a["whip_url"],
                            a["whip_token"],
                            audio_file=str(SPEECH),
                            video=False,
                        )
                        for a in attempts[:answers]
                    )
                )
            me = (await http.get("/api/v1/auth/me")).json()
        return {
            "interview": interview["id"],
            "organization": me["organization"]["id"],
            # Recorded answers for the final pass; others to feed audio for (live text), so
            # that what the ingest's tap sent while seeding is never mistaken for it.
            "answers": [a["answer_id"] for a in attempts[:answers]],
            "fed": [a["answer_id"] for a in attempts[answers:]],
        }
    finally:
        for p in procs:
            await p.stop()


async def round_with(
    workers: int, env: dict[str, str], tmp: Path, seeded: dict[str, Any], args: Any
) -> dict[str, float]:
    procs = [  # each serves its health endpoints on a free port
        Process("worker", {**env, "FAIRVIEW_WORKER_PORT": "0"}, tmp / f"w{workers}-{i}.log")
        for i in range(workers)
    ]
    for p in procs:
        await p.start()
    db = await asyncpg.connect(env["FAIRVIEW_DATABASE_URL"])
    redis = Redis.from_url(REDIS)
    bus = KafkaBus(env["FAIRVIEW_KAFKA"])
    await bus.start()
    ids = [uuid.UUID(a) for a in seeded["answers"]]
    org = uuid.UUID(seeded["organization"])
    out: dict[str, float] = {}
    try:

        async def joined() -> bool:  # both groups balanced over every worker, models loaded
            return all(
                sorted(p for w in procs for p in w.owned(group, topic))
                == list(range(PARTITIONS[topic]))
                and all(w.owned(group, topic) for w in procs)
                for group, topic in (("transcribe", PIPELINE), ("transcribe-live", AUDIO))
            )

        await until(joined, 120)
        cpu0, t0 = sum(proc_cpu_s(p.proc.pid) for p in procs if p.proc), time.monotonic()

        # Final pass over every recording.
        await db.execute("DELETE FROM transcripts WHERE answer_id = ANY($1)", ids)
        started = time.monotonic()
        product_db = Database(env["FAIRVIEW_DATABASE_URL"], "fairview_app")
        await product_db.connect()
        async with product_db.platform() as conn:
            for answer in ids:
                await add_event(conn, org, "answer.recorded", {"answer_id": str(answer)})
        await product_db.close()

        async def transcribed() -> bool:
            n = await db.fetchval(
                "SELECT count(*) FROM transcripts WHERE answer_id = ANY($1) AND status = 'ready'",
                ids,
            )
            return bool(n == len(ids))

        await until(transcribed, 600)
        out["final answers/min"] = len(ids) / (time.monotonic() - started) * 60

        # Utterance mode: everyone's audio at once, nobody watching.
        pcm = speech_pcm()
        pubsub = redis.pubsub()
        await pubsub.subscribe(live_channel(seeded["interview"]))
        ended: dict[str, float] = {}
        texts: dict[str, str] = {}

        async def listen() -> None:
            async for m in pubsub.listen():
                if m["type"] == "message":
                    payload = json.loads(m["data"])
                    if payload.get("ended") and payload["answer_id"] in seeded["fed"]:
                        ended.setdefault(payload["answer_id"], time.monotonic())
                        texts[payload["answer_id"]] = payload["text"]

        listener = asyncio.create_task(listen())

        async def feed(answer: str, segment: int, realtime: bool) -> float:
            chunks = [pcm[i : i + 2 * CHUNK] for i in range(0, len(pcm), 2 * CHUNK)]
            for seq, chunk in enumerate(chunks):
                await bus.publish(AUDIO, answer, {
                    "answer_id": answer, "segment": segment, "seq": seq,
                    "sample_rate": 16_000, "pcm_s16le": base64.b64encode(chunk).decode(),
                    "final": seq == len(chunks) - 1, "sent_at": time.time(),
                })  # fmt: skip
                if realtime:
                    await asyncio.sleep(0.5)
            return time.monotonic()

        started = time.monotonic()
        await asyncio.gather(*(feed(a, 101, False) for a in seeded["fed"]))

        async def all_ended() -> bool:
            return len(ended) == len(ids)

        await until(all_ended, 600)
        out["utterance answers/min"] = len(ids) / (max(ended.values()) - started) * 60
        out["utterance WER %"] = 100 * statistics.mean(wer(t) for t in texts.values())

        # Live partials for the first S answers, fed in real time while someone watches.
        ended.clear()
        await watch(redis, seeded["interview"], "bench", 600)
        live = seeded["fed"][: args.live]
        last_chunk = dict(
            zip(live, await asyncio.gather(*(feed(a, 102, True) for a in live)), strict=True)
        )

        async def live_ended() -> bool:
            return all(a in ended for a in live)

        await until(live_ended, 300)
        backlog = sorted(ended[a] - last_chunk[a] for a in live)
        out["live backlog p50 s"] = statistics.median(backlog)
        out["live backlog p95 s"] = backlog[min(len(backlog) - 1, int(0.95 * len(backlog)))]
        await unwatch(redis, seeded["interview"], "bench")
        listener.cancel()
        await pubsub.aclose()
        out["cpu % of a core per worker"] = (
            (sum(proc_cpu_s(p.proc.pid) for p in procs if p.proc) - cpu0)
            / (time.monotonic() - t0)
            * 100
            / workers
        )
    finally:
        await bus.stop()
        await redis.aclose()
        await db.close()
        for p in procs:
            await p.stop()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=12)
    parser.add_argument("--live", type=int, default=4)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fairview-scale-"))
    name = f"fairview_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = PG.rsplit("/", 1)[0] + f"/{name}"
    await asyncio.to_thread(migrate, database_url)
    broker = EmbeddedBroker(free_port())
    await broker.start()
    env = {
        **os.environ,
        "FAIRVIEW_DATABASE_URL": database_url,
        "FAIRVIEW_REDIS_URL": REDIS,
        "FAIRVIEW_KAFKA": broker.bootstrap,
        "FAIRVIEW_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "FAIRVIEW_OBJECT_STORE": str(tmp / "objects"),
        "FAIRVIEW_MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "FAIRVIEW_SMTP_HOST": "",  # emails as files in the outbox: sign-up reads its link
        "FAIRVIEW_STT_MODEL": args.model,
        "FAIRVIEW_MODEL_CACHE_DIR": str(ROOT / "var" / "models"),
        "FAIRVIEW_LOG_JSON": "true",
        "FAIRVIEW_LOGIN_ATTEMPTS_PER_15MIN": "1000",
    }
    for unset in ("FAIRVIEW_LLM_BASE_URL", "FAIRVIEW_STT_BASE_URL"):
        env.pop(unset, None)
    (tmp / "objects").mkdir()
    try:
        seeded = await seed(env, tmp, args.answers)
        print(
            f"model {args.model}, {args.answers} answers of {len(speech_pcm()) / 32000:.1f} s,"
            f" {args.live} watched live; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}"
        )
        results: dict[int, dict[str, float]] = {}
        for w in (int(x) for x in args.workers.split(",")):
            results[w] = await round_with(w, env, tmp, seeded, args)
            base = results[min(results)]
            print(f"\nworkers = {w}")
            for k, v in results[w].items():
                ratio = f"×{v / base[k]:.2f}" if base[k] else "—"
                print(f"  {k:28s} {v:8.2f}   {ratio} of workers = {min(results)}")
    finally:
        broker.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
