"""End-to-end live benchmark: word spoken → word on the recruiter's screen.

Starts `fairview run` as `make run` does (default settings, its own database, object store and
ports; ``--fresh-cache`` gives it an empty model cache), signs up through the API, and for each
N creates an interview with N candidates who answer an audio question at once: N WHIP clients
(aiortc) stream real speech in real time while one recruiter's SSE client watches the
interview's live view. The speech is the fixture sentence twice with a pause, ~21 s.

For every spoken word: the moment its audio left the client (the client's playback clock plus
the word's end time in the source; the source's word times come from a one-shot transcription of
the file with word timestamps, never from a table) to the moment the word first appeared on the
SSE stream, as partial text and as committed text; p50/p95 over all words of all answers.
Also: the live text's WER against the transcript of record (the final pass, read from the
database) and against the script; server CPU (the product's whole process group, % of one core,
during the speech); the lag from the end of the speech to the answer's "ended" event (keeps up:
under 3 s); ratios to N = 1; and the load average, since the machine may be shared.

    .venv/bin/python -m bench.live [--models base,tiny.en] [--streams 1,2,4,8] [--fresh-cache]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import os
import statistics
import tempfile
import time
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import jiwer
import numpy as np

from analysis.models import resolve
from bench import accounts
from bench.ingest import PG, Product
from ingest.client import publish, wait_until_ended

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "tests" / "fixtures" / "speech_en.wav"
SCRIPT = (ROOT / "tests" / "fixtures" / "speech_en.txt").read_text().strip()


def norm(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


def words(text: str) -> list[str]:
    return [w for w in (norm(x) for x in text.split()) if w]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = " ".join(words(reference)), " ".join(words(hypothesis))
    return float(jiwer.wer(ref, hyp)) if ref else float(bool(hyp))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def make_source(path: Path) -> None:
    """The fixture sentence, a second of silence, the sentence again, a second of silence."""
    with wave.open(str(SPEECH)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    gap = bytes(params.sampwidth * params.nchannels * params.framerate)
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(frames + gap + frames + gap)


def source_words(path: Path, cache: Path) -> list[tuple[str, float]]:
    """(word, end time in s) of the source speech: one-shot Whisper base, word timestamps."""
    from faster_whisper import WhisperModel

    with wave.open(str(path)) as src:
        pcm = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    model = WhisperModel(str(resolve("base", cache)), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(
        pcm.astype(np.float32) / 32768, language="en", beam_size=5, word_timestamps=True
    )
    return [(norm(w.word), w.end) for s in segments for w in (s.words or []) if norm(w.word)]


def proc_group_cpu_s(pgid: int) -> float:
    """CPU seconds of every process in the group (the server and its embedded broker)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Answer:
    answer_id: str
    whip_url: str
    whip_token: str
    events: list[tuple[float, str, str, bool]] = field(default_factory=list)  # at, text, partial
    left_at: float | None = None  # wall clock at which source time 0 left the client
    spoke_until: float = 0.0
    ended_at: float | None = None


class Recruiter:
    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=60)

    async def sign_up(self, outbox: Path) -> None:
        await accounts.sign_up(self.http, outbox)

    @property
    def csrf(self) -> dict[str, str]:
        return {"x-csrf-token": self.http.cookies["fairview_csrf"]}

    async def interview(self, n: int, http: httpx.AsyncClient) -> tuple[str, list[Answer]]:
        """An active interview with one audio question and N candidates with an open attempt."""
        question = {"prompt": "Talk", "kind": "audio", "think_seconds": 0, "answer_seconds": 600}
        r = await self.http.post(
            "/api/v1/interviews",
            headers=self.csrf,
            json={"title": f"Bench N={n}", "questions": [question], "language": "en"},
        )
        r.raise_for_status()
        interview = r.json()
        await self.http.post(
            f"/api/v1/interviews/{interview['id']}/status",
            headers=self.csrf,
            json={"status": "active"},
        )
        out = []
        for i in range(n):
            created = (
                await self.http.post(
                    f"/api/v1/interviews/{interview['id']}/candidates",
                    headers=self.csrf,
                    json={"name": f"C{i}", "send_email": False, "email": f"c{i}@example.com"},
                )
            ).json()
            token = {"Authorization": f"Bearer {created['link'].rsplit('/', 1)[1]}"}
            s = (await http.get("/api/v1/candidate/session", headers=token)).json()
            await http.post(
                "/api/v1/candidate/consent",
                headers=token,
                json={"notice_version": s["notice_version"], "recording": True, "ai": True},
            )
            attempt = (
                await http.post(
                    f"/api/v1/candidate/questions/{s['questions'][0]['id']}/attempts",
                    headers=token,
                )
            ).json()
            out.append(Answer(attempt["answer_id"], attempt["whip_url"], attempt["whip_token"]))
        return interview["id"], out

    async def watch(self, interview_id: str, ready: asyncio.Event, answers: list[Answer]) -> None:
        by_id = {a.answer_id: a for a in answers}
        path = f"/api/v1/interviews/{interview_id}/live"
        async with self.http.stream("GET", path, timeout=None) as response:
            response.raise_for_status()
            kind = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "ready":
                    ready.set()
                elif line.startswith("data: ") and kind == "transcript":
                    u = json.loads(line[6:])
                    a = by_id.get(u["answer_id"])
                    if a is not None:
                        a.events.append((time.time(), u["text"], u["partial"], u["ended"]))
                        if u["ended"] and a.ended_at is None:
                            a.ended_at = time.time()


async def speak(answer: Answer, source: Path, http: httpx.AsyncClient) -> None:
    session = await publish(
        http, answer.whip_url, answer.whip_token, audio_file=str(source), video=False
    )
    await wait_until_ended(session, timeout_s=120)
    answer.spoke_until = time.time()
    assert session.player is not None
    answer.left_at = session.player.audio._start  # type: ignore[union-attr]
    await session.stop(http)


def first_seen(
    spoken: list[tuple[str, float]], events: list[tuple[float, str]]
) -> dict[int, float]:
    """For each spoken word (by index), when it first appeared: the first event whose text,
    aligned with the spoken words, contains it."""
    seen: dict[int, float] = {}
    ref = [w for w, _ in spoken]
    for at, text in events:
        hyp = words(text)
        for block in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_matching_blocks():
            for i in range(block.a, block.a + block.size):
                seen.setdefault(i, at)
    return seen


async def record_text(db: str, answer_id: str, timeout_s: float) -> str:
    conn = await asyncpg.connect(PG.rsplit("/", 1)[0] + f"/{db}")
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            row = await conn.fetchrow(
                "SELECT status, text FROM transcripts WHERE answer_id = $1", uuid.UUID(answer_id)
            )
            if row is not None and row["status"] in ("ready", "failed", "skipped"):
                return str(row["text"]) if row["status"] == "ready" else ""
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return ""


async def run_n(
    product: Product,
    recruiter: Recruiter,
    n: int,
    source: Path,
    spoken: list[tuple[str, float]],
) -> dict[str, float]:
    assert product.proc is not None
    async with httpx.AsyncClient(base_url=product.url, timeout=60) as http:
        interview_id, answers = await recruiter.interview(n, http)
        ready = asyncio.Event()
        watcher = asyncio.create_task(recruiter.watch(interview_id, ready, answers))
        await asyncio.wait_for(ready.wait(), 30)
        load0 = os.getloadavg()[0]
        cpu0, t0 = proc_group_cpu_s(product.proc.pid), time.monotonic()
        await asyncio.gather(*(speak(a, source, http) for a in answers))
        busy = (proc_group_cpu_s(product.proc.pid) - cpu0) / (time.monotonic() - t0)
        load1 = os.getloadavg()[0]
        deadline = time.monotonic() + 120
        while any(a.ended_at is None for a in answers) and time.monotonic() < deadline:
            if watcher.done():
                watcher.result()
            await asyncio.sleep(0.2)
        # The live path's whole cost, until every answer's live text ended (the final pass
        # starts then too, so this includes some of it): CPU s per second of audio per stream.
        cost = (proc_group_cpu_s(product.proc.pid) - cpu0) / (n * spoken[-1][1])
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    partial: list[float] = []
    committed: list[float] = []
    live_wer, script_wer, record_wer, lags, missed = [], [], [], [], 0
    for a in answers:
        assert a.left_at is not None
        shown = first_seen(spoken, [(at, f"{text} {part}") for at, text, part, _ in a.events])
        final = first_seen(spoken, [(at, text) for at, text, _, _ in a.events])
        for i, (_, end) in enumerate(spoken):
            left = a.left_at + end
            if i in shown:
                partial.append(shown[i] - left)
            else:
                missed += 1
            if i in final:
                committed.append(final[i] - left)
        live_text = a.events[-1][1] if a.events else ""
        record = await record_text(product.db, a.answer_id, 180)
        live_wer.append(wer(record, live_text))
        script_wer.append(wer(f"{SCRIPT} {SCRIPT}", live_text))
        record_wer.append(wer(f"{SCRIPT} {SCRIPT}", record))
        lags.append((a.ended_at or float("inf")) - a.spoke_until)
    return {
        "shown_p50": pct(partial, 0.5),
        "shown_p95": pct(partial, 0.95),
        "committed_p50": pct(committed, 0.5),
        "committed_p95": pct(committed, 0.95),
        "missed_pct": 100 * missed / (len(spoken) * n),
        "live_wer_vs_record": 100 * statistics.mean(live_wer),
        "live_wer_vs_script": 100 * statistics.mean(script_wer),
        "record_wer_vs_script": 100 * statistics.mean(record_wer),
        "end_lag_max": max(lags),
        "cpu_pct": 100 * busy,
        "cpu_per_audio_s": cost,
        "updates_per_answer": statistics.mean(len(a.events) for a in answers),
        "load": (load0 + load1) / 2,
    }


async def bench_model(
    model: str, streams: list[int], fresh: bool, source: Path, spoken: list[tuple[str, float]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"FAIRVIEW_STT_MODEL": model}
        if fresh:
            env["FAIRVIEW_MODEL_CACHE_DIR"] = str(Path(tmp) / "models")
        started = time.monotonic()
        async with Product(Path(tmp), env) as product:
            print(
                f"\nmodel {model}: fairview run ready in {time.monotonic() - started:.1f} s"
                f"{' (fresh model cache)' if fresh else ''}; {os.cpu_count()} CPUs",
                flush=True,
            )
            recruiter = Recruiter(product.url)
            await recruiter.sign_up(product.outbox)
            # A first answer that is not measured: the model is joined and loaded, and the
            # consumer groups joined, in the background after the server is ready.
            r = await run_n(product, recruiter, 1, source, spoken)
            print(
                f"first answer after start (not in the table): word shown p50 "
                f"{r['shown_p50']:.2f} s, end lag {r['end_lag_max']:.1f} s",
                flush=True,
            )
            print(
                "N  shown p50/p95 s   committed p50/p95 s  (p50 x N=1)  missed %  "
                "live WER % vs record / script (record vs script)  end lag s  keeps up  "
                "server CPU %core  CPU s/audio s  updates  load",
                flush=True,
            )
            base: dict[str, float] | None = None
            for n in streams:
                r = await run_n(product, recruiter, n, source, spoken)
                base = base or r
                print(
                    f"{n:<2} {r['shown_p50']:5.2f}/{r['shown_p95']:5.2f}"
                    f"        {r['committed_p50']:5.2f}/{r['committed_p95']:5.2f}"
                    f"        ({r['shown_p50'] / base['shown_p50']:.2f}x/"
                    f"{r['committed_p50'] / base['committed_p50']:.2f}x)"
                    f"   {r['missed_pct']:5.1f}"
                    f"     {r['live_wer_vs_record']:5.1f} / {r['live_wer_vs_script']:5.1f}"
                    f" ({r['record_wer_vs_script']:4.1f})"
                    f"                        {r['end_lag_max']:5.1f}     "
                    f"{'yes' if r['end_lag_max'] < 3 else 'no '}"
                    f"       {r['cpu_pct']:5.0f} ({r['cpu_pct'] / base['cpu_pct']:.2f}x)"
                    f"      {r['cpu_per_audio_s']:4.2f}"
                    f"           {r['updates_per_answer']:4.0f}   {r['load']:.1f}",
                    flush=True,
                )
            await recruiter.http.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--fresh-cache", action="store_true", help="start with no model cache")
    args = parser.parse_args()
    cache = ROOT / "build" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / "live-speech.wav"
    make_source(source)
    with tempfile.TemporaryDirectory() as models:
        spoken = await asyncio.to_thread(source_words, source, Path(models))
    print(
        f"source: {source.name}, {len(spoken)} words, the last ending at {spoken[-1][1]:.1f} s"
        f" (word times: one-shot Whisper base, word timestamps); load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        flush=True,
    )
    for model in args.models.split(","):
        await bench_model(
            model, [int(x) for x in args.streams.split(",")], args.fresh_cache, source, spoken
        )


if __name__ == "__main__":
    asyncio.run(main())
