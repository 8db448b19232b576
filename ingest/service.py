"""Ingest rules: who may stream which answer, and what an ended segment means for the answer.

An answer streams in one or more segments (a reconnect continues in a new one) within its time
limit (the question's answer time times the candidate's extra-time factor, plus a grace period).
Every ending leaves a clear state: ``recorded`` (stopped or time limit), ``interrupted``
(connection lost; what arrived is kept and the candidate may continue or retake), ``failed`` (no
usable media, with the reason).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import structlog

from ingest import repository as repo
from ingest.playback import make_playback
from ingest.session import IngestSession, NegotiationError, SegmentResult
from storage.db import Database
from storage.objects import ObjectStore
from storage.outbox import add_event
from streaming.bus import EventBus

log = structlog.get_logger("fairview.ingest")

GRACE_S = 3.0


class StreamRefused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class Ingest:
    """The live sessions of this process and the rules around them."""

    def __init__(
        self,
        db: Database,
        objects: ObjectStore,
        bus: EventBus,
        ice_servers: list[Any] | None = None,
    ) -> None:
        self.db, self.objects, self.bus = db, objects, bus
        self.ice_servers = ice_servers or []
        self.sessions: dict[str, IngestSession] = {}
        self._by_answer: dict[UUID, str] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def start(
        self, answer_id: UUID, organization_id: UUID, offer_sdp: str
    ) -> tuple[IngestSession, str]:
        """Open a session for the answer and return it with the SDP answer."""
        if answer_id in self._by_answer:
            raise StreamRefused(
                409,
                "already_streaming",
                "This answer is already streaming from another connection.",
            )
        async with self.db.tenant(organization_id) as t:
            answer = await repo.answer_for_stream(t, answer_id, for_update=True)
            if answer is None:
                raise StreamRefused(404, "not_found", "No such answer.")
            remaining = self._remaining_s(answer)
            self._check(answer, remaining)
            await repo.mark_recording(t, answer_id)
        session = IngestSession(
            answer_id=answer_id,
            organization_id=organization_id,
            segment=len(answer["segments"]) + 1,
            video=answer["kind"] == "video",
            time_limit_s=remaining,
            objects=self.objects,
            bus=self.bus,
            on_end=self._ended,
            ice_servers=self.ice_servers,
        )
        self._by_answer[answer_id] = session.id
        self.sessions[session.id] = session
        try:
            answer_sdp = await session.negotiate(offer_sdp)
        except NegotiationError as exc:
            self._forget(session)
            async with self.db.tenant(organization_id) as t:
                await repo.finish_segment(
                    t,
                    answer_id,
                    None,
                    answer["status"] if answer["status"] != "recording" else "pending",
                    None,
                )
            raise StreamRefused(400, exc.code, exc.detail) from exc
        return session, answer_sdp

    @staticmethod
    def _remaining_s(answer: dict[str, Any]) -> float:
        limit = answer["answer_seconds"] * float(answer["extra_time_factor"]) + GRACE_S
        return float(limit - answer["duration_ms"] / 1000)

    @staticmethod
    def _check(answer: dict[str, Any], remaining: float) -> None:
        if answer["interview_status"] != "active":
            raise StreamRefused(409, "interview_not_active", "This interview is closed.")
        if answer["candidate_status"] not in ("opened", "in_progress"):
            raise StreamRefused(
                409, "candidate_closed", f"This interview is {answer['candidate_status']}."
            )
        if answer["kind"] == "text":
            raise StreamRefused(409, "text_question", "Text questions are answered in writing.")
        if answer["status"] not in ("pending", "interrupted"):
            raise StreamRefused(
                409, "answer_closed", f"This answer is {answer['status']}; start a retake instead."
            )
        if remaining <= GRACE_S:
            raise StreamRefused(409, "time_over", "The time for this answer is over.")

    def get(self, session_id: str) -> IngestSession | None:
        return self.sessions.get(session_id)

    def _forget(self, session: IngestSession) -> None:
        self.sessions.pop(session.id, None)
        if self._by_answer.get(session.answer_id) == session.id:
            del self._by_answer[session.answer_id]

    async def _ended(self, session: IngestSession, result: SegmentResult) -> None:
        self._forget(session)
        stats = result.stats
        segment = result.as_json() if stats.bytes_written else None
        if stats.bytes_written == 0:
            status, reason = "failed", "No audio or video arrived. Check the microphone and camera."
        elif "no_video" in stats.errors:
            status, reason = "failed", "Sound arrived but no picture: check that the camera is on."
        elif any(e for e in stats.errors if e != "no_video"):
            status, reason = "failed", "The recording could not be written; please answer again."
        elif result.ended_by == "connection_lost":
            status, reason = "interrupted", "The connection dropped; what was said is kept."
        else:
            status, reason = "recorded", None
        async with self.db.tenant(session.organization_id) as t:
            answer = await repo.answer_for_stream(t, session.answer_id, for_update=True)
            if status == "failed" and answer and answer["segments"]:
                status = "interrupted"  # earlier segments hold media: keep them usable
            await repo.finish_segment(t, session.answer_id, segment, status, reason)
            if status == "recorded":
                await add_event(
                    t.conn,
                    t.organization_id,
                    "answer.recorded",
                    {"answer_id": str(session.answer_id)},
                )
        if status == "recorded":
            task = asyncio.create_task(
                self.make_playback(session.organization_id, session.answer_id)
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def make_playback(self, organization_id: UUID, answer_id: UUID) -> None:
        try:
            async with self.db.tenant(organization_id) as t:
                answer = await repo.answer_for_stream(t, answer_id)
            assert answer is not None
            blobs = [await self.objects.get(s["key"]) for s in answer["segments"]]
            video, poster = await asyncio.to_thread(make_playback, blobs, answer["kind"] == "video")
            playback_key = f"answers/{answer_id}/playback.mp4"
            await self.objects.put(playback_key, video, "video/mp4")
            poster_key = None
            if poster:
                poster_key = f"answers/{answer_id}/poster.jpg"
                await self.objects.put(poster_key, poster, "image/jpeg")
            async with self.db.tenant(organization_id) as t:
                await repo.set_playback(t, answer_id, playback_key, poster_key)
        except Exception:  # the raw recording stays; playback can be made again later
            log.exception("playback_failed", answer_id=str(answer_id))

    async def end_session(self, session: IngestSession) -> SegmentResult:
        session.end("stopped")
        return await session.finished

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            session.end("connection_lost")
        await asyncio.gather(
            *(s.finished for s in list(self.sessions.values())), return_exceptions=True
        )
        await asyncio.gather(*self._background, return_exceptions=True)
