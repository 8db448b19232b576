"""Live transcripts: audio chunks from the ``audio`` topic become text while the candidate
speaks, pushed to recruiters watching the interview (Redis pub/sub, then SSE), with live rubric
coverage of the text so far.

Decoding costs CPU, so partial text (a re-decode of the current utterance about every second) is
made only while someone watches the interview (each open live view holds a renewed lease in a
Redis sorted set and gives it up when it closes);
otherwise utterances are decoded once they end. Chunks are de-duplicated by (segment, seq).
The final pass over the recording (``transcription.py``) remains the transcript of record.

While someone watches, the rubric evaluator scores the committed text so far, at most once per
``coverage_interval_s`` per answer and one run at a time (an LLM call is slow and costs money),
and once more when the answer ends; each run is audited as ``live_evaluation``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np
import structlog
from redis.asyncio import Redis

from analysis.evaluation import RubricEvaluator
from analysis.stt import IncrementalTranscriber, Transcribes, pcm16_to_float
from storage.db import Database
from streaming.ai_runs import record_run
from streaming.bus import AUDIO, TRANSCRIPTS, EventBus

log = structlog.get_logger("fairview.live")


def watchers_key(interview_id: UUID | str) -> str:
    """A sorted set: who watches the interview's live view, each until when (epoch seconds)."""
    return f"fairview:watchers:{interview_id}"


async def watch(redis: Redis, interview_id: UUID | str, watcher: str, ttl_s: float) -> None:
    """``watcher`` (one open live view) watches for ``ttl_s`` more seconds; renew it to go on."""
    key, now = watchers_key(interview_id), time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {watcher: now + ttl_s})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, int(ttl_s) + 1)
        await pipe.execute()


async def unwatch(redis: Redis, interview_id: UUID | str, watcher: str) -> None:
    """The live view closed: partial decodes for it stop at once, not when its lease ends."""
    await redis.zrem(watchers_key(interview_id), watcher)


async def watched(redis: Redis, interview_id: UUID | str) -> bool:
    return bool(await redis.zcount(watchers_key(interview_id), time.time(), "+inf"))


def live_channel(interview_id: UUID | str) -> str:
    return f"fairview:live:{interview_id}"


@dataclass
class AnswerStream:
    answer_id: str
    organization_id: UUID
    interview_id: str
    candidate_id: str
    position: int
    prompt: str
    rubric: list[dict[str, Any]]
    transcriber: IncrementalTranscriber
    seen: set[tuple[int, int]] = field(default_factory=set)
    pending: list[Any] = field(default_factory=list)
    busy: bool = False
    text: list[str] = field(default_factory=list)
    last_audio_at: float = field(default_factory=time.monotonic)
    ended: bool = False
    covered_words: int = 0  # how much text the last coverage run saw
    covered_at: float = 0.0
    covering: bool = False
    speaking: bool = False


def decode_slots() -> int:
    """Live decodes that may run at once: the cores this process may use, less one."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


class LiveTranscriber:
    IDLE_S = 120.0  # forget an answer that stopped streaming
    STALE_S = 30.0  # chunks older than this are history, not live (e.g. after a restart)

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        redis: Redis,
        stt: Transcribes,
        engine: RubricEvaluator,
        coverage_interval_s: float,
    ) -> None:
        self.db, self.bus, self.redis, self.stt = db, bus, redis, stt
        self.engine, self.coverage_interval_s = engine, coverage_interval_s
        self.streams: dict[str, AnswerStream] = {}
        # Decodes at once: one per core but one (left to the final pass and the rest).
        self._decode = asyncio.Semaphore(decode_slots())
        self._tasks: set[asyncio.Task[None]] = set()

    async def _open(self, answer_id: str) -> AnswerStream | None:
        async with self.db.platform() as conn:
            row = await conn.fetchrow(
                "SELECT a.organization_id, c.interview_id, a.candidate_id, q.position, q.prompt,"
                " q.rubric, i.language, c.ai_consent"
                " FROM answers a JOIN candidates c ON c.id = a.candidate_id"
                " JOIN questions q ON q.id = a.question_id"
                " JOIN interviews i ON i.id = c.interview_id WHERE a.id = $1",
                UUID(answer_id),
            )
        if row is None or not row["ai_consent"]:
            return None  # no AI for candidates who declined it
        return AnswerStream(
            answer_id,
            row["organization_id"],
            str(row["interview_id"]),
            str(row["candidate_id"]),
            row["position"],
            row["prompt"],
            row["rubric"],
            IncrementalTranscriber(self.stt, row["language"]),
        )

    async def handle(self, message: dict[str, Any]) -> None:
        answer_id = message["answer_id"]
        if time.time() - float(message.get("sent_at", 0)) > self.STALE_S:
            return
        stream = self.streams.get(answer_id)
        if stream is None:
            opened = await self._open(answer_id)
            if opened is None:
                return
            stream = self.streams[answer_id] = opened
            # The answer appears on the live view as soon as its stream starts; text follows.
            await self._publish(stream, [], None, False)
        key = (int(message["segment"]), int(message["seq"]))
        if key in stream.seen:
            return  # redelivered
        stream.seen.add(key)
        stream.last_audio_at = time.monotonic()
        stream.pending.append(pcm16_to_float(base64.b64decode(message["pcm_s16le"])))
        stream.ended = bool(message.get("final"))
        if not stream.busy:
            stream.busy = True
            task = asyncio.create_task(self._drain(stream))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self, stream: AnswerStream) -> None:
        try:
            while stream.pending:
                audio = np.concatenate(stream.pending)
                stream.pending.clear()
                live = await watched(self.redis, stream.interview_id)
                async with self._decode:
                    update = await asyncio.to_thread(stream.transcriber.feed, audio, live)
                    # Ended only once the last chunk is decoded too: audio that arrived in a
                    # burst (after a reconnect, or a backlog) is still pending otherwise.
                    done = stream.ended and not stream.pending
                    finished = await asyncio.to_thread(stream.transcriber.finish) if done else []
                segments = update.committed + finished
                committed = [s.text for s in segments]
                stream.text.extend(committed)
                speaking = stream.transcriber.speaking and not done
                if committed or update.partial is not None or done or speaking != stream.speaking:
                    stream.speaking = speaking
                    # Once the answer ended its text is all committed: no partial beside it
                    # (it would repeat the last words).
                    await self._publish(stream, committed, None if done else update.partial, done)
                if segments:  # for other consumers: committed segments with word timestamps
                    await self.bus.publish(
                        TRANSCRIPTS,
                        stream.answer_id,
                        {
                            "answer_id": stream.answer_id,
                            "kind": "committed",
                            "segments": [s.as_json() for s in segments],
                        },
                    )
                if live:
                    self._maybe_cover(stream)
        except Exception:
            log.exception("live_transcription_failed", answer_id=stream.answer_id)
        finally:
            stream.busy = False

    async def _publish(
        self, stream: AnswerStream, committed: list[str], partial: str | None, ended: bool
    ) -> None:
        payload = {
            "type": "transcript",
            "answer_id": stream.answer_id,
            "candidate_id": stream.candidate_id,
            "question": stream.position,
            "prompt": stream.prompt,
            "committed": committed,
            "text": " ".join(stream.text),
            "partial": partial or "",
            "ended": ended,
            "speaking": stream.speaking,
            "elapsed_s": round(stream.transcriber.elapsed_s, 1),
            "at": time.time(),
        }
        await self.redis.publish(live_channel(stream.interview_id), json.dumps(payload))

    def _maybe_cover(self, stream: AnswerStream) -> None:
        """Start a coverage run if there is new text and the last run is old enough (or the
        answer just ended)."""
        words = sum(len(t.split()) for t in stream.text)
        due = time.monotonic() - stream.covered_at >= self.coverage_interval_s or stream.ended
        if stream.covering or words == stream.covered_words or not due:
            return
        stream.covering = True
        task = asyncio.create_task(self._cover(stream, words))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cover(self, stream: AnswerStream, words: int) -> None:
        text = " ".join(stream.text)
        try:
            async with self.db.tenant(stream.organization_id) as t:
                off = await t.conn.fetchval(
                    "SELECT ai_evaluation_off($1)", UUID(stream.candidate_id)
                )
            if off:  # switched off, or the candidate asked for people only: no live coverage
                return
            started = time.perf_counter()
            evaluation = await self.engine.evaluate(stream.prompt, stream.rubric, text)
            latency_ms = max(1, int((time.perf_counter() - started) * 1000))
            coverage = {
                "type": "coverage",
                "answer_id": stream.answer_id,
                "candidate_id": stream.candidate_id,
                "question": stream.position,
                "label": evaluation.label,
                "criteria": [  # a score only from an evaluator that judges content
                    {
                        "criterion": c.criterion,
                        "score": c.score,
                        "covered": c.covered,
                        "missing": c.missing,
                    }
                    for c in evaluation.criteria
                ],
                "words": words,
                "at": time.time(),
            }
            async with self.db.tenant(stream.organization_id) as t:
                await record_run(
                    t,
                    "live_evaluation",
                    self.engine.provider,
                    self.engine.model,
                    hashlib.sha256(text.encode()).hexdigest(),
                    coverage,
                    latency_ms,
                    answer_id=UUID(stream.answer_id),
                    prompt_version=self.engine.prompt_version,
                    tokens_in=evaluation.tokens_in,
                    tokens_out=evaluation.tokens_out,
                )
            await self.redis.publish(live_channel(stream.interview_id), json.dumps(coverage))
        except Exception:
            log.exception("live_coverage_failed", answer_id=stream.answer_id)
        finally:
            stream.covered_words, stream.covered_at = words, time.monotonic()
            stream.covering = False

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for answer_id, stream in list(self.streams.items()):
            if not stream.busy and now - stream.last_audio_at > self.IDLE_S:
                del self.streams[answer_id]

    async def run(self) -> None:
        async for message in self.bus.consume([AUDIO], group="transcribe-live"):
            try:
                await self.handle(message.value)
            except Exception:
                log.exception("live_chunk_failed")
            self._forget_idle()
