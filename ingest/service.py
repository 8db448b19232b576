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

from domain import lifecycle
from domain.errors import Conflict, FairviewError, NotFound
from domain.events import AnswerRecorded, emit
from ingest import media_jobs
from ingest import repository as repo
from ingest.retry import retry_db
from ingest.session import IngestSession, SegmentResult, segment_key
from storage.db import Database, Tenant
from storage.objects import ObjectStore
from streaming.bus import EventBus

log = structlog.get_logger("fairview.ingest")

GRACE_S = 3.0
KEEP_ALIVE_S = 2.0  # how often live recordings are marked as alive (with their progress)
LOST_AFTER_S = 10.0  # a recording not marked alive this long has lost its ingest (a crash)
CLOSE_TIMEOUT_S = 4.0  # at shutdown, how long live recordings get to finish


# Why a segment failed, as stable codes (stored with the answer; the candidate page words each
# one in the candidate's language, with what to try) and the reason in English.
FAILURES = {
    "udp_blocked": (
        "Nothing from your network reached Fairview: the connection for audio and video is"
        " blocked. Try another network (a phone's hotspot), or turn off the VPN or firewall."
    ),
    "ice_failed": (
        "The connection to Fairview could not be set up from this network. Try another network,"
        " or turn off the VPN, then try again."
    ),
    "dtls_failed": (
        "The secure connection to Fairview could not be set up. Update the browser or try"
        " another one (Chrome, Firefox, Edge, Safari), then try again."
    ),
    "no_media": (
        "Connected, but no audio or video arrived. Check that the microphone and camera are on"
        " and not in use by another app."
    ),
    "no_video": "Sound arrived but no picture: check that the camera is on.",
    "storage_failed": (
        "The recording could not be stored (the storage refused it); what arrived before is"
        " kept. Please answer again."
    ),
    "recording_failed": "The recording could not be written; please answer again.",
    "connection_lost": "The connection dropped; what was said is kept.",
}


def segment_outcome(result: SegmentResult) -> tuple[str, str | None]:
    """What an ended segment means for its answer: its status and failure code (see FAILURES)."""
    stats = result.stats
    if any(e.startswith("storage: ") for e in stats.errors):
        return "failed", "storage_failed"
    if stats.bytes_written == 0:
        return "failed", "no_media" if result.connection == "connected" else result.connection
    if "no_video" in stats.errors:
        return "failed", "no_video"
    if any(e for e in stats.errors if e != "no_video"):
        return "failed", "recording_failed"
    if result.ended_by == "connection_lost":
        return "interrupted", "connection_lost"
    return "recorded", None


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
        self._keeper: asyncio.Task[None] | None = None

    async def start_up(self) -> None:
        """Keep this process's recordings alive, and reconcile recordings whose ingest died
        (this one before a restart, or another): now, and every few seconds."""
        self._keeper = asyncio.create_task(self._keep_alive(), name="ingest-keep-alive")

    async def _keep_alive(self) -> None:
        while True:
            try:
                live = [
                    (s.answer_id, s.recorder.stats.bytes_written, s.recorder.stats.duration_ms)
                    for s in list(self.sessions.values())
                ]
                if live:
                    async with self.db.platform() as conn:
                        await repo.keep_alive(conn, live)
                await self.reconcile_lost()
            except Exception as exc:  # the database may be away; try again at the next beat
                log.warning("keep_alive_failed", error=repr(exc))
            await asyncio.sleep(KEEP_ALIVE_S)

    async def reconcile_lost(self) -> int:
        """Recordings whose ingest stopped (a crash): what reached the object store is
        finalised and kept as a segment, and the answer becomes interrupted (resumable)."""
        async with self.db.platform() as conn:
            lost = await repo.lost_recordings(conn, LOST_AFTER_S, list(self._by_answer))
            for a in lost:
                opened = a["open_segment"]
                size = await self.objects.recover(opened["key"])
                segment = None
                if size:
                    segment = {
                        "key": opened["key"],
                        "ended_by": "ingest_lost",
                        "bytes": size,
                        "duration_ms": int(opened.get("duration_ms") or 0),
                        "video_frames": 0,
                        "audio_frames": 0,
                        "errors": [],
                    }
                status = "interrupted" if segment or a["segments"] else "failed"
                reason = "The recording stopped unexpectedly" + (
                    "; what arrived is kept." if status == "interrupted" else "."
                )
                await repo.finish_segment(
                    Tenant(conn, a["organization_id"]),
                    a["id"],
                    segment,
                    status,
                    reason,
                    failure_code="connection_lost" if status == "interrupted" else "no_media",
                )
                log.warning(
                    "recording_reconciled", answer_id=str(a["id"]), bytes=size, status=status
                )
        return len(lost)

    async def start(
        self, answer_id: UUID, organization_id: UUID, offer_sdp: str
    ) -> tuple[IngestSession, str]:
        """Open a session for the answer and return it with the SDP answer."""
        if answer_id in self._by_answer:
            raise Conflict(
                "This answer is already streaming from another connection.",
                code="already_streaming",
            )
        async with self.db.tenant(organization_id) as t:
            answer = await repo.answer_for_stream(t, answer_id, for_update=True)
            if answer is None:
                raise NotFound("No such answer.")
            remaining = self._remaining_s(answer)
            self._check(answer, remaining)
            await repo.mark_recording(
                t, answer_id, segment_key(answer_id, len(answer["segments"]) + 1)
            )
        session: IngestSession | None = None
        try:
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
            answer_sdp = await session.negotiate(offer_sdp)
        except BaseException as exc:
            # Whatever went wrong, the answer goes back to where it was: still answerable.
            if session is not None:
                self._forget(session)
            await self._unmark(organization_id, answer)
            if isinstance(exc, Exception) and not isinstance(exc, FairviewError):
                log.exception("stream_start_failed", answer_id=str(answer_id))
                raise FairviewError(
                    "The stream could not be started; please try again.",
                    code="stream_failed",
                    status_code=500,
                ) from exc
            raise
        return session, answer_sdp

    async def _unmark(self, organization_id: UUID, answer: dict[str, Any]) -> None:
        async def unmark() -> None:
            async with self.db.tenant(organization_id) as t:
                await repo.unmark_recording(t, answer)

        await retry_db(unmark, "answer_unmark")

    @staticmethod
    def _remaining_s(answer: dict[str, Any]) -> float:
        return GRACE_S + lifecycle.remaining_s(
            answer["answer_seconds"], answer["extra_time_factor"], answer["duration_ms"]
        )

    @staticmethod
    def _check(answer: dict[str, Any], remaining: float) -> None:
        if answer["interview_status"] != "active":
            raise Conflict("This interview is closed.", code="interview_not_active")
        if answer["candidate_status"] not in lifecycle.OPEN:
            raise Conflict(
                f"This interview is {answer['candidate_status']}.", code="candidate_closed"
            )
        if answer["kind"] == "text":
            raise Conflict("Text questions are answered in writing.", code="text_question")
        if answer["status"] not in lifecycle.STREAMABLE:
            raise Conflict(
                f"This answer is {answer['status']}; start a retake instead.", code="answer_closed"
            )
        if remaining <= GRACE_S:
            raise Conflict("The time for this answer is over.", code="time_over")

    def get(self, session_id: str) -> IngestSession | None:
        return self.sessions.get(session_id)

    def _forget(self, session: IngestSession) -> None:
        self.sessions.pop(session.id, None)
        if self._by_answer.get(session.answer_id) == session.id:
            del self._by_answer[session.answer_id]

    async def _ended(self, session: IngestSession, result: SegmentResult) -> None:
        self._forget(session)
        status, code = segment_outcome(result)
        reason = FAILURES[code] if code else None
        segment = result.as_json() if result.stats.bytes_written else None

        async def record() -> str:
            async with self.db.tenant(session.organization_id) as t:
                answer = await repo.answer_for_stream(t, session.answer_id, for_update=True)
                final = status
                if final == "failed" and answer and answer["segments"]:
                    final = "interrupted"  # earlier segments hold media: keep them usable
                await repo.finish_segment(
                    t, session.answer_id, segment, final, reason, failure_code=code
                )
                if final == "recorded":
                    await emit(
                        t.conn, t.organization_id, AnswerRecorded(answer_id=session.answer_id)
                    )
                    # The playback file is a job (a child process, with retries), not made here.
                    await media_jobs.queue(t.conn, t.organization_id, session.answer_id)
                return final

        # The DELETE is answered only once this is stored, so a database outage is waited out.
        await retry_db(record, "segment_end")

    async def end_session(self, session: IngestSession) -> SegmentResult:
        session.end("stopped")
        return await session.finished

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        for session in list(self.sessions.values()):
            session.end("connection_lost")
        # Bounded, so the process stops in any state (a database outage would hold a segment's
        # end for good): what is left unfinished is reconciled by the next start, as after a crash.
        pending = [asyncio.ensure_future(s.finished) for s in list(self.sessions.values())]
        if pending:
            _, unfinished = await asyncio.wait(pending, timeout=CLOSE_TIMEOUT_S)
            if unfinished:
                log.warning("sessions_left_for_recovery", sessions=len(unfinished))
