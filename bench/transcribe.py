"""Live transcription benchmark: N answers of recorded speech fed in real time (0.5 s chunks, as
the audio tap sends them) through the same incremental transcriber and single decode lock the
live worker uses, in two modes:

- utterance: decode each utterance once when it ends (nobody watching);
- live: also re-decode the current utterance about every second (someone watching).

Prints per mode and N: partial and committed latency p50/p95 (time from the end of the audio a
text covers to the text being available), CPU per stream (% of one core), whether the machine
keeps up (the backlog at the end of the speech stays under 3 s), and the WER of the live text
(everything committed incrementally) against a one-shot batch transcription's WER of the same
audio. The transcript of record is not the live text: it is a one-shot pass over the recording
(streaming/transcription.py), the same method as the batch baseline. Ratios are to
the N = 1 run of the same mode. The bus hop (Kafka, ~ms on loopback) is left out.

    .venv/bin/python bench/transcribe.py [--model tiny.en] [--streams 1,2,4,8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import av
import jiwer
import numpy as np

from analysis.models import resolve
from analysis.stt import SAMPLE_RATE, IncrementalTranscriber, SpeechToText, join_text

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "tests" / "fixtures" / "speech_en.wav"
TEXT = (ROOT / "tests" / "fixtures" / "speech_en.txt").read_text().strip()
CHUNK = SAMPLE_RATE // 2


def load() -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    parts = []
    with av.open(str(SPEECH)) as src:
        for frame in src.decode(audio=0):
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    speech = np.concatenate(parts)
    gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
    return np.concatenate([speech, gap, speech, gap])  # two sentences' worth, ~20 s


def words(text: str) -> str:
    return " ".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(words(reference), words(hypothesis)))


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


async def stream(
    stt: SpeechToText,
    lock: asyncio.Lock,
    audio: np.ndarray,
    live: bool,
    partial_lat: list[float],
    commit_lat: list[float],
) -> tuple[str, float]:
    transcriber = IncrementalTranscriber(stt, "en")
    start = time.monotonic()
    committed = []
    fed = 0
    pending: list[np.ndarray] = []
    for i in range(0, len(audio), CHUNK):
        # Audio arrives in real time; decoding happens when the lock is free.
        await asyncio.sleep(max(0.0, start + (i + CHUNK) / SAMPLE_RATE - time.monotonic()))
        pending.append(audio[i : i + CHUNK])
        if lock.locked():
            continue
        async with lock:
            chunk = np.concatenate(pending)
            pending.clear()
            fed += len(chunk)
            update = await asyncio.to_thread(transcriber.feed, chunk, live)
        now = time.monotonic()
        covered = start + fed / SAMPLE_RATE
        if update.partial:
            partial_lat.append(now - covered)
        for s in update.committed:
            commit_lat.append(now - (start + s.end))
            committed.append(s)
    async with lock:
        if pending:
            fed += sum(len(p) for p in pending)
            committed += (
                await asyncio.to_thread(transcriber.feed, np.concatenate(pending), False)
            ).committed
        backlog = time.monotonic() - (start + len(audio) / SAMPLE_RATE)
        for s in await asyncio.to_thread(transcriber.finish):
            commit_lat.append(time.monotonic() - (start + s.end))
            committed.append(s)
    return join_text(committed), backlog


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--streams", default="1,2,4,8")
    args = parser.parse_args()
    stt = SpeechToText(str(resolve(args.model, ROOT / "var" / "models")), cpu_threads=1)
    audio = load()
    reference = f"{TEXT} {TEXT}"
    batch_wer = wer(reference, stt.transcribe(audio, "en").text)
    print(
        f"model {args.model}; audio {len(audio) / SAMPLE_RATE:.1f} s; "
        f"one-shot batch WER {100 * batch_wer:.1f} %\n"
    )
    print(
        "mode       N  partial p50/p95 s  committed p50/p95 s (x N=1)  CPU/stream %core"
        "  backlog s  keeps up  WER %  vs batch"
    )
    for mode in ("utterance", "live"):
        base = None
        kept = 0
        for n in (int(x) for x in args.streams.split(",")):
            lock = asyncio.Lock()
            partial_lat: list[float] = []
            commit_lat: list[float] = []
            cpu0, t0 = cpu_s(), time.monotonic()
            results = await asyncio.gather(
                *(
                    stream(stt, lock, audio, mode == "live", partial_lat, commit_lat)
                    for _ in range(n)
                )
            )
            cpu = 100 * (cpu_s() - cpu0) / (time.monotonic() - t0) / n
            backlog = max(b for _, b in results)
            wers = [wer(reference, text) for text, _ in results]
            c50 = statistics.median(commit_lat) if commit_lat else float("nan")
            base = base or c50
            ok = backlog < 3.0
            kept = n if ok else kept
            print(
                f"{mode:<10} {n:<2} {pct(partial_lat, 0.5):6.2f}/{pct(partial_lat, 0.95):5.2f}"
                f"       {c50:6.2f}/{pct(commit_lat, 0.95):5.2f} ({c50 / base:.2f}x)"
                f"         {cpu:5.1f}          {backlog:5.1f}     {'yes' if ok else 'no '}"
                f"     {100 * statistics.mean(wers):5.1f}  {100 * (statistics.mean(wers) - batch_wer):+.1f}",
                flush=True,
            )
        print(f"{mode}: one 2-core machine keeps up with {kept} concurrent stream(s)\n")


if __name__ == "__main__":
    asyncio.run(main())
