"""API benchmark: the lists and details recruiters and integrations read, under 50 concurrent
clients, against one `fairview run` (or `fairview api --workers N`) on this machine.

Seeds one organization (through the API for the account, then SQL for volume) with one interview
of N candidates, each with a submitted answer to each of its 3 questions, plus notifications and
webhook deliveries; then drives each endpoint with wrk (Debian's `wrk`, `apt-get install wrk`)
and prints req/s and p50/p95/p99, each as a ratio to `/healthz` measured in the same run.

    .venv/bin/python bench/api.py [--candidates 10000] [--seconds 10] [--connections 50]
                                  [--command run|api] [--workers 1] [--only a,b]
                                  [--profile DIR]

`--profile DIR` samples the server with py-spy (`pip install py-spy`) while each endpoint is
measured, writes its collapsed stacks to DIR/<endpoint>.txt and prints where the time went: the
share of samples in each of Fairview's own functions and in the libraries they call.

Needs the machine's Postgres and Redis. Note `uptime` with the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx

if not __package__:  # run as a script (bench/api.py): bench.* from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.accounts import sign_up

PG = os.environ.get("FAIRVIEW_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# wrk reports what it measured as one JSON line (latencies in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Product:
    """The product as shipped, on a free loopback port with its own database."""

    def __init__(self, tmp: Path, command: str, workers: int) -> None:
        self.tmp, self.command, self.workers = tmp, command, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = f"fairview_bench_{uuid.uuid4().hex[:8]}"
        self.database_url = PG.rsplit("/", 1)[0] + f"/{self.db}"
        self.outbox = tmp / "outbox"
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Product:
        conn = await asyncpg.connect(PG)
        await conn.execute(f'CREATE DATABASE "{self.db}"')
        await conn.close()
        env = {
            **os.environ,
            "FAIRVIEW_DATABASE_URL": self.database_url,
            "FAIRVIEW_PORT": str(self.port),
            "FAIRVIEW_PUBLIC_URL": self.url,
            "FAIRVIEW_KAFKA_PORT": str(free_port()),
            "FAIRVIEW_OBJECT_STORE": str(self.tmp / "objects"),
            "FAIRVIEW_MAIL_OUTBOX_DIR": str(self.outbox),
            "FAIRVIEW_SMTP_HOST": "",  # emails as files in the outbox: sign-up reads its link
            "FAIRVIEW_STT_MODEL": "",
            "FAIRVIEW_API_REQUESTS_PER_MINUTE": "100000000",
            "FAIRVIEW_SIGNUPS_PER_HOUR": "100000000",  # every run signs up from 127.0.0.1
            "FAIRVIEW_API_WORKERS": str(self.workers),
        }
        env.pop("FAIRVIEW_KAFKA", None)
        fairview = [sys.executable, "-m", "fairview.cli"]
        if self.command == "api":  # `api` does not migrate; `run` does
            migrate = await asyncio.create_subprocess_exec(*fairview, "migrate", env=env)
            if await migrate.wait() != 0:
                raise RuntimeError("fairview migrate failed")
        log = open(self.tmp / "server.log", "wb")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            *fairview, self.command, env=env, stdout=log, stderr=log, start_new_session=True
        )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return self
                await asyncio.sleep(0.1)
        raise RuntimeError((self.tmp / "server.log").read_text())

    async def __aexit__(self, *_: object) -> None:
        if self.proc and self.proc.returncode is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            await self.proc.wait()
        conn = await asyncpg.connect(PG)
        await conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        await conn.close()


async def seed(product: Product, candidates: int) -> dict[str, str]:
    """An account (by the API, as a person would) and volume (by SQL); returns paths and auth."""
    api = httpx.AsyncClient(base_url=product.url, timeout=60)
    # `fairview api` runs no workers, so no mailer: the confirmation is sent from here.
    mailer_db = product.database_url if product.command == "api" else None
    await sign_up(api, product.outbox, email="bench@example.com", mailer_database_url=mailer_db)
    csrf = {"x-csrf-token": api.cookies["fairview_csrf"]}
    questions = [{"prompt": f"Q{i}", "kind": "text", "answer_seconds": 600} for i in range(3)]
    interview = (
        await api.post(
            "/api/v1/interviews", headers=csrf, json={"title": "Bench", "questions": questions}
        )
    ).json()
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/status", headers=csrf, json={"status": "active"}
    )
    r.raise_for_status()
    cookie = "; ".join(f"{k}={v}" for k, v in api.cookies.items())
    await api.aclose()

    conn = await asyncpg.connect(product.database_url)
    try:
        org, user = await conn.fetchrow("SELECT organization_id, user_id FROM memberships LIMIT 1")
        iid = uuid.UUID(interview["id"])
        # One statement per table: a CSV-import-like batch (one created_at) per 1,000 rows.
        await conn.execute(
            "INSERT INTO candidates (id, organization_id, interview_id, name, email,"
            " source, status, created_at, started_at, completed_at)"
            " SELECT gen_random_uuid(), $1, $2, 'Candidate ' || n, 'c' || n || '@example.com',"
            "  'import',"
            "  (ARRAY['invited','opened','in_progress','completed'])[1 + n % 4],"
            "  now() - (n / 1000) * interval '1 hour',"
            "  CASE WHEN n % 4 >= 2 THEN now() END, CASE WHEN n % 4 = 3 THEN now() END"
            " FROM generate_series(1, $3) n",
            org,
            iid,
            candidates,
        )
        await conn.execute(
            "INSERT INTO answers (id, organization_id, candidate_id, question_id, attempt, kind,"
            " status, text_answer)"
            " SELECT gen_random_uuid(), c.organization_id, c.id, q.id, 1, 'text', 'submitted',"
            "  'An answer of a few words.'"
            " FROM candidates c JOIN questions q ON q.interview_id = c.interview_id"
            " WHERE c.status = 'completed'",
        )
        await conn.execute(
            "INSERT INTO notifications (id, organization_id, user_id, event_id, kind,"
            " candidate_id, data, created_at)"
            " SELECT gen_random_uuid(), c.organization_id, $1, 'evt_' || c.id,"
            "  'candidate_completed', c.id, jsonb_build_object('candidate', c.name,"
            "  'interview', 'Bench', 'interview_id', c.interview_id), c.completed_at"
            " FROM candidates c WHERE c.status = 'completed'",
            user,
        )
        endpoint = uuid.uuid4()
        await conn.execute(
            "INSERT INTO webhook_endpoints (id, organization_id, url, secret, events)"
            " VALUES ($1, $2, 'https://hooks.example.com/fairview', 'whsec_bench', ARRAY['*'])",
            endpoint,
            org,
        )
        await conn.execute(
            "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id,"
            " event_type, payload, status, attempts, delivered_at)"
            " SELECT gen_random_uuid(), $1, $2, 'evt_' || n, 'candidate.completed', '{}'::jsonb,"
            "  'succeeded', 1, now() FROM generate_series(1, $3) n",
            org,
            endpoint,
            max(candidates // 10, 100),
        )
        await conn.execute("ANALYZE")
        candidate = await conn.fetchval(
            "SELECT id FROM candidates WHERE status = 'completed' ORDER BY created_at DESC LIMIT 1"
        )
    finally:
        await conn.close()
    return {
        "cookie": cookie,
        "interview": interview["id"],
        "candidate": str(candidate),
        "endpoint": str(endpoint),
    }


async def operator_key(product: Product) -> str:
    env = {**os.environ, "FAIRVIEW_DATABASE_URL": product.database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fairview.cli", "operator-key", "bench", env=env,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return out.decode().strip().splitlines()[-1]


def profile_summary(stacks: Path, top: int = 25) -> str:
    """The functions holding the most samples (inclusive), from py-spy's collapsed stacks: ours
    (api, storage, fairview, streaming) and the first library frame each of ours calls into."""
    inclusive: dict[str, int] = {}
    total = 0
    ours = ("api/", "storage/", "fairview/", "streaming/")
    for line in stacks.read_text().splitlines():
        trace, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        seen: set[str] = set()
        frames = trace.split(";")
        for i, frame in enumerate(frames):
            name, _, where = frame.partition(" (")
            file = where.split(":")[0]
            mine = file.startswith(ours)
            caller_mine = i > 0 and frames[i - 1].partition(" (")[2].startswith(ours)
            if mine or caller_mine:
                key = f"{name} ({file})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] = inclusive.get(key, 0) + n
    lines = [f"  {n / max(total, 1):6.1%}  {key}" for key, n in sorted(
        inclusive.items(), key=lambda kv: -kv[1])[:top]]  # fmt: skip
    return f"  {total} samples\n" + "\n".join(lines)


def profiler(pid: int, out: Path, seconds: int) -> subprocess.Popen:
    """py-spy sampling the server (and its worker processes) for ``seconds``."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
         "--nolineno", "--rate", "200", "--duration", str(seconds), "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int, script: Path) -> dict:
    args = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    report: dict = json.loads(out.strip().splitlines()[-1])
    report["rps"] = report["requests"] / report["seconds"]
    return report


async def measure(args: argparse.Namespace) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        async with Product(Path(tmp), args.command, args.workers) as product:
            ids = await seed(product, args.candidates)
            person = {"Cookie": ids["cookie"]}
            operator = {"Authorization": f"Bearer {await operator_key(product)}"}
            v1 = "/api/v1"
            endpoints = [
                ("healthz", "/healthz", {}),
                ("auth/me", f"{v1}/auth/me", person),
                ("interviews", f"{v1}/interviews", person),
                ("candidates?limit=50", f"{v1}/interviews/{ids['interview']}/candidates?limit=50", person),
                ("candidate", f"{v1}/candidates/{ids['candidate']}", person),
                ("candidate answers", f"{v1}/candidates/{ids['candidate']}/answers", person),
                ("notifications", f"{v1}/notifications", person),
                ("webhook deliveries", f"{v1}/webhooks/{ids['endpoint']}/deliveries", person),
                ("admin organizations", f"{v1}/admin/organizations", operator),
            ]  # fmt: skip
            only = set(filter(None, args.only.split(",")))
            async with httpx.AsyncClient(base_url=product.url) as client:
                for name, path, headers in endpoints:  # fail loudly, not with fast 4xx figures
                    r = await client.get(path, headers=headers)
                    if r.status_code != 200:
                        sys.exit(f"{name}: {r.status_code} {r.text[:200]}")
            results = {}
            for name, path, headers in endpoints:
                if name == "healthz" or not only or name in only:
                    spy = None
                    if args.profile and name != "healthz":
                        out = Path(args.profile) / f"{name.replace('/', '_').split('?')[0]}.txt"
                        out.parent.mkdir(parents=True, exist_ok=True)
                        spy = profiler(product.proc.pid, out, args.seconds)
                    results[name] = wrk(
                        product.url + path, headers, args.seconds, args.connections, script
                    )
                    if spy is not None:
                        spy.wait()
                        results[name]["profile"] = profile_summary(out)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--command", choices=("run", "api"), default="run")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--profile", default="", help="a directory for py-spy's stacks")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    results = asyncio.run(measure(args))
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"\nfairview {args.command} --workers {args.workers}: {args.candidates:,} candidates,"
        f" {args.connections} clients, {args.seconds} s per endpoint; load average {' '.join(load)}"
        f" on {os.cpu_count()} cores\n"
    )
    base = results["healthz"]
    head = f"{'endpoint':<22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(head + "   ratios to /healthz: req/s  p50  p95  p99")
    for name, r in results.items():
        ms = [r[k] / 1000 for k in ("p50", "p95", "p99")]
        ratios = [r["rps"] / base["rps"]] + [r[k] / max(base[k], 1) for k in ("p50", "p95", "p99")]
        print(
            f"{name:<22}{r['rps']:>8.0f}{ms[0]:>9.1f}{ms[1]:>9.1f}{ms[2]:>9.1f}{r['errors']:>8}"
            f"   {ratios[0]:>25.3f} {ratios[1]:>4.1f} {ratios[2]:>4.1f} {ratios[3]:>4.1f}"
        )
    for name, r in results.items():
        if "profile" in r:
            print(f"\nprofile of {name} (share of samples, inclusive):\n{r['profile']}")


if __name__ == "__main__":
    main()
