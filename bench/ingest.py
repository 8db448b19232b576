"""Ingest benchmark: N concurrent answers streamed with WebRTC (audio + 640x480 VP8 video) into
one `fairview run` on this machine, for N = 1, 4, 16, 32, with live transcription off (the ingest
alone) and then on.

Prints, per run: server CPU per stream (% of one core, over every process of `fairview run`,
with the busiest processes named), server memory per stream (MiB), video frames recorded /
frames the clients sent (20 fps over the streamed time), RTCP packet loss, and stop-to-durable
latency p50/p95 (DELETE sent → the segment is in the object store). Ratios are to the first N of
the same command. The idle baseline is taken only once the product has settled (at start it
loads models and joins consumer groups), and the machine's load average is printed beside each
run: on a shared machine, figures are only comparable within one command.

Clients send pre-encoded VP8 and Opus (aiortc, decode=False) so that the benchmark's own CPU does
not starve the server. Needs the machine's Postgres and Redis; starts everything else itself.

    .venv/bin/python bench/ingest.py [--seconds 20] [--streams 1,4,16,32] [--transcription off,on]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import asyncpg
import av
import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

if not __package__:  # run as a script (bench/ingest.py): bench.* from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.accounts import sign_up

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "tests" / "fixtures" / "speech_en.wav"
PG = os.environ.get("FAIRVIEW_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FPS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_clip(path: Path, seconds: int) -> None:
    """A WebM with VP8 640x480 at 20 fps (a moving pattern) and Opus speech, like a webcam."""
    out = av.open(str(path), "w", format="webm")
    video = out.add_stream("libvpx", rate=FPS)
    video.width, video.height, video.pix_fmt = 640, 480, "yuv420p"
    video.bit_rate = 800_000
    audio = out.add_stream("libopus", rate=48_000)
    audio.layout = "mono"
    base = (np.indices((480, 640)).sum(axis=0) % 256).astype(np.uint8)
    for n in range(seconds * FPS):
        frame = av.VideoFrame.from_ndarray(
            np.stack([base + np.uint8(n * 3 % 256)] * 3, -1), format="rgb24"
        ).reformat(format="yuv420p")
        frame.pts, frame.time_base = n, Fraction(1, FPS)
        for p in video.encode(frame):
            out.mux(p)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
    pts = 0
    while pts < seconds * 48_000:
        with av.open(str(SPEECH)) as src:
            for f in src.decode(audio=0):
                for r in resampler.resample(f):
                    r.pts, r.time_base = pts, Fraction(1, 48_000)
                    pts += r.samples
                    for p in audio.encode(r):
                        out.mux(p)
    for stream in (video, audio):
        for p in stream.encode(None):
            out.mux(p)
    out.close()


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_s(pgid: int) -> dict[str, float]:
    """CPU seconds of every live process in the product's process group, by pid and name."""
    out: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # the process group
            tck = os.sysconf("SC_CLK_TCK")
            out[f"{stat.parent.name}:{name}"] = (int(fields[11]) + int(fields[12])) / tck
    return out


def cores_between(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    return {k: (v - before.get(k, 0.0)) / seconds for k, v in after.items()}


async def settle(pgid: int, window_s: float = 2.0, limit_s: float = 120.0) -> tuple[float, float]:
    """Wait until the product is idle (two windows in a row under 10 % of a core): seconds waited
    and the idle CPU (cores) of the last window."""
    started = time.monotonic()
    quiet = 0
    idle = 0.0
    while time.monotonic() - started < limit_s:
        before, t0 = group_cpu_s(pgid), time.monotonic()
        await asyncio.sleep(window_s)
        idle = sum(cores_between(before, group_cpu_s(pgid), time.monotonic() - t0).values())
        quiet = quiet + 1 if idle < 0.10 else 0
        if quiet >= 2:
            break
    return time.monotonic() - started, idle


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Product:
    """`fairview run` on free loopback ports with its own database and object store."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = f"fairview_bench_{uuid.uuid4().hex[:8]}"
        self.outbox = tmp / "outbox"
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Product:
        conn = await asyncpg.connect(PG)
        await conn.execute(f'CREATE DATABASE "{self.db}"')
        await conn.close()
        env = {
            **os.environ,
            "FAIRVIEW_DATABASE_URL": PG.rsplit("/", 1)[0] + f"/{self.db}",
            "FAIRVIEW_PORT": str(self.port),
            "FAIRVIEW_PUBLIC_URL": self.url,
            "FAIRVIEW_KAFKA_PORT": str(free_port()),
            "FAIRVIEW_OBJECT_STORE": str(self.tmp / "objects"),
            "FAIRVIEW_MAIL_OUTBOX_DIR": str(self.outbox),
            "FAIRVIEW_SMTP_HOST": "",  # emails as files in the outbox: sign-up reads its link
            "FAIRVIEW_LOGIN_ATTEMPTS_PER_15MIN": "1000",
            "FAIRVIEW_SIGNUPS_PER_HOUR": "1000",  # one account per run, all from 127.0.0.1
            **self.env,
        }
        env.pop("FAIRVIEW_KAFKA", None)
        log = open(self.tmp / "server.log", "wb")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fairview.cli",
            "run",
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return self
                await asyncio.sleep(0.1)
        raise RuntimeError((self.tmp / "server.log").read_text())

    async def __aexit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:  # say why: the server's log goes with the temporary folder
            lines = (self.tmp / "server.log").read_text(errors="replace").splitlines()
            print("\n".join(lines[-60:]), file=sys.stderr, flush=True)
        if self.proc and self.proc.returncode is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                print("fairview run ignored SIGTERM for 15 s: killed", flush=True)
                os.killpg(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
        conn = await asyncpg.connect(PG)
        await conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        await conn.close()


async def answers(url: str, outbox: Path, n: int, http: httpx.AsyncClient) -> list[dict[str, str]]:
    """N candidates, each with an open attempt at a 10-minute video question."""
    api = httpx.AsyncClient(base_url=url, timeout=30)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(api, outbox, email=email)
    csrf = {"x-csrf-token": api.cookies["fairview_csrf"]}
    interview = (
        await api.post(
            "/api/v1/interviews",
            headers=csrf,
            json={
                "title": "Bench",
                "questions": [
                    {"prompt": "Talk", "kind": "video", "think_seconds": 0, "answer_seconds": 600}
                ],
            },
        )
    ).json()
    await api.post(
        f"/api/v1/interviews/{interview['id']}/status", headers=csrf, json={"status": "active"}
    )
    out = []
    for i in range(n):
        created = (
            await api.post(
                f"/api/v1/interviews/{interview['id']}/candidates",
                headers=csrf,
                json={"name": f"C{i}", "send_email": False, "email": f"c{i}-{email}"},
            )
        ).json()
        token = {"Authorization": f"Bearer {created['link'].rsplit('/', 1)[1]}"}
        s = (await http.get(f"{url}/api/v1/candidate/session", headers=token)).json()
        await http.post(
            f"{url}/api/v1/candidate/consent",
            headers=token,
            json={"notice_version": s["notice_version"], "recording": True, "ai": True},
        )
        attempt = (
            await http.post(
                f"{url}/api/v1/candidate/questions/{s['questions'][0]['id']}/attempts",
                headers=token,
            )
        ).json()
        out.append(attempt)
    await api.aclose()
    return out


async def stream(
    http: httpx.AsyncClient,
    attempt: dict[str, str],
    clip: Path,
    seconds: float,
    started: asyncio.Event,
) -> dict[str, float]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    player = MediaPlayer(str(clip), decode=False)
    pc.addTrack(player.audio)
    pc.addTrack(player.video)
    await pc.setLocalDescription(await pc.createOffer())
    auth = {"Authorization": f"Bearer {attempt['whip_token']}"}
    r = await http.post(
        attempt["whip_url"],
        content=pc.localDescription.sdp,
        headers={**auth, "Content-Type": "application/sdp"},
    )
    r.raise_for_status()
    await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
    connected = time.monotonic()
    location = str(httpx.URL(attempt["whip_url"]).join(r.headers["location"]))
    await started.wait()
    await asyncio.sleep(seconds)
    streamed_s = time.monotonic() - connected
    stats = await pc.getStats()
    sent = {s.kind: s.packetsSent for s in stats.values() if s.type == "outbound-rtp"}
    lost = sum(s.packetsLost for s in stats.values() if s.type == "remote-inbound-rtp")
    t0 = time.perf_counter()
    done = await http.delete(location, headers=auth)
    durable_s = time.perf_counter() - t0
    await pc.close()
    segment = done.json()["segment"]
    return {
        "durable_s": durable_s,
        "frames_ratio": segment["video_frames"] / (streamed_s * FPS),
        "packets_sent": sum(sent.values()),
        "packets_lost": lost,
        "bytes": segment["bytes"],
    }


async def run(n: int, seconds: float, clip: Path, transcription: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            Product(Path(tmp), {} if transcription else {"FAIRVIEW_STT_MODEL": ""}) as product,
            httpx.AsyncClient(timeout=60) as http,
        ):
            attempts = await answers(product.url, product.outbox, n, http)
            assert product.proc is not None
            pgid = product.proc.pid  # started in a session of its own
            settled_s, idle_cores = await settle(pgid)
            rss0 = proc_rss_mib(pgid)
            load = os.getloadavg()[0]
            started = asyncio.Event()
            tasks = [asyncio.create_task(stream(http, a, clip, seconds, started)) for a in attempts]
            await asyncio.sleep(2)  # every connection set up
            started.set()
            await asyncio.sleep(2)  # steady state
            cpu0, t0 = group_cpu_s(pgid), time.monotonic()
            await asyncio.sleep(max(1.0, seconds - 4))
            busy = cores_between(cpu0, group_cpu_s(pgid), time.monotonic() - t0)
            rss = proc_rss_mib(pgid)
            load = max(load, os.getloadavg()[0])
            results = await asyncio.gather(*tasks)
    durable = sorted(r["durable_s"] for r in results)
    busiest = sorted(busy.items(), key=lambda kv: -kv[1])[:3]
    return {
        "cpu_per_stream_pct": 100 * (sum(busy.values()) - idle_cores) / n,
        "mem_per_stream_mib": (rss - rss0) / n,
        "frames_received_ratio": statistics.mean(r["frames_ratio"] for r in results),
        "packet_loss_pct": 100
        * sum(r["packets_lost"] for r in results)
        / max(1, sum(r["packets_sent"] for r in results)),
        "durable_p50_s": statistics.median(durable),
        "durable_p95_s": durable[min(len(durable) - 1, round(0.95 * (len(durable) - 1)))],
        "settled_s": settled_s,
        "idle_pct_core": 100 * idle_cores,
        "load": load,
        "busiest": ", ".join(f"{k} {100 * v:.0f}%" for k, v in busiest),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--streams", default="1,4,16,32")
    parser.add_argument("--transcription", default="off,on")
    args = parser.parse_args()
    cache = ROOT / "build" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    clip = cache / f"clip-{int(args.seconds) + 10}s.webm"
    if not clip.exists():
        make_clip(clip, int(args.seconds) + 10)
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()}", flush=True)
    for mode in args.transcription.split(","):
        rows = []
        for n in (int(x) for x in args.streams.split(",")):
            result = await run(n, args.seconds, clip, mode == "on")
            rows.append((n, result))
            print(
                f"transcription {mode} N={n}: "
                + ", ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in result.items()
                ),
                flush=True,
            )
        base = rows[0][1]
        print(
            f"\ntranscription {mode}\nN   cpu/stream %core (x first)  mem/stream MiB  frames recv/sent"
            "  loss %  durable p50 s  p95 s (x first)  idle %core  load"
        )
        for n, r in rows:
            print(
                f"{n:<3} {r['cpu_per_stream_pct']:6.1f} ({r['cpu_per_stream_pct'] / base['cpu_per_stream_pct']:.2f}x)"
                f"        {r['mem_per_stream_mib']:6.1f}        {r['frames_received_ratio']:.3f}"
                f"       {r['packet_loss_pct']:.2f}   {r['durable_p50_s']:.3f}"
                f"        {r['durable_p95_s']:.3f} ({r['durable_p95_s'] / base['durable_p95_s']:.2f}x)"
                f"    {r['idle_pct_core']:5.1f}   {r['load']:.1f}"
            )
        print(flush=True)


if __name__ == "__main__":
    asyncio.run(main())
