"""Playback files as jobs: a recorded answer queues one (``answers.playback_status``), a worker
claims it (``FOR UPDATE SKIP LOCKED``, committed) and makes the MP4 and poster in a child process
(``python -m ingest.playback``) under a deadline, so that a codec crash, a hang or a kill fails
that attempt only, never the server. A failed attempt is retried after 2 s and then 30 s; after
the third the job is ``failed`` with its reason, and the answer plays from its recording. A worker
that dies mid-job leaves a claim whose lease runs out: the job is then due again."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from storage.db import Database
from storage.objects import ObjectStore
from storage.wakeup import drain_forever

log = structlog.get_logger("fairview.media_jobs")

CHANNEL = "playback_jobs"
ATTEMPTS = 3
RETRY_AFTER_S = (2.0, 30.0)
LEASE_MARGIN_S = 60.0


def deadline_s(duration_ms: int) -> float:
    """How long one attempt may take: generous for the answer's length (encoding runs at
    several times real time on one core)."""
    return 60.0 + 3.0 * duration_ms / 1000


async def queue(conn: asyncpg.Connection, organization_id: UUID, answer_id: UUID) -> None:
    """Queue the answer's playback job (in the transaction that records the answer)."""
    await conn.execute(
        "UPDATE answers SET playback_status = 'pending', playback_next_at = now(),"
        " playback_attempts = 0, playback_error = NULL WHERE organization_id = $1 AND id = $2",
        organization_id,
        answer_id,
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def claim(conn: asyncpg.Connection) -> dict[str, Any] | None:
    """The oldest due job, claimed until its lease (deadline plus a margin) runs out."""
    row = await conn.fetchrow(
        "UPDATE answers a SET playback_status = 'running',"
        " playback_next_at = now() + make_interval(secs => $1 + 3.0 * a.duration_ms / 1000 + $2)"
        " FROM (SELECT id FROM answers WHERE playback_status IN ('pending', 'running')"
        "   AND playback_next_at <= now() ORDER BY playback_next_at LIMIT 1"
        "   FOR UPDATE SKIP LOCKED) due"
        " WHERE a.id = due.id"
        " RETURNING a.id, a.organization_id, a.kind, a.segments, a.duration_ms,"
        " a.playback_attempts",
        deadline_s(0),
        LEASE_MARGIN_S,
    )
    return dict(row) if row else None


async def record(
    conn: asyncpg.Connection,
    job: dict[str, Any],
    keys: tuple[str, str | None] | None,
    error: str | None,
) -> str:
    """Record an attempt's outcome: the job's new status."""
    if keys is not None:
        await conn.execute(
            "UPDATE answers SET playback_key = $2, poster_key = $3, playback_status = 'ready',"
            " playback_attempts = playback_attempts + 1, playback_error = NULL,"
            " playback_next_at = NULL WHERE id = $1",
            job["id"],
            *keys,
        )
        return "ready"
    attempts = job["playback_attempts"] + 1
    retry = RETRY_AFTER_S[attempts - 1] if attempts < ATTEMPTS else None
    await conn.execute(
        "UPDATE answers SET playback_status = $2, playback_attempts = playback_attempts + 1,"
        " playback_error = $3,"
        " playback_next_at = now() + make_interval(secs => coalesce($4::float8, 0)) WHERE id = $1",
        job["id"],
        "failed" if retry is None else "pending",
        (error or "")[:2000],
        retry,
    )
    return "failed" if retry is None else "pending"


def _exit_reason(code: int, stderr: bytes) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        what = f"The media process was killed by {name}"
    else:
        what = f"The media process failed (exit code {code})"
    last = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    return f"{what}: {last[0]}"[:2000] if last[0] else what + "."


class PlaybackJobs:
    """The worker loop that runs due playback jobs, one at a time (each is CPU-bound)."""

    def __init__(self, db: Database, objects: ObjectStore, python: str = sys.executable) -> None:
        self.db, self.objects, self.python = db, objects, python
        self.running: asyncio.subprocess.Process | None = None  # the child of the current job

    async def run(self, poll_s: float = 1.0) -> None:
        # A short poll: a retry (2 s, 30 s) is picked up within a second of falling due.
        await drain_forever(self.db.pool, CHANNEL, self.run_due, poll_s)

    async def run_due(self) -> bool:
        """Run one due job, if any: whether there was one."""
        async with self.db.platform() as conn:
            job = await claim(conn)
        if job is None:
            return False
        try:
            keys, error = await self.make(job), None
        except Exception as exc:
            keys, error = None, str(exc) or type(exc).__name__
        async with self.db.platform() as conn:
            status = await record(conn, job, keys, error)
        log.info(
            "playback_job",
            answer_id=str(job["id"]),
            attempt=job["playback_attempts"] + 1,
            status=status,
            error=error,
        )
        return True

    async def make(self, job: dict[str, Any]) -> tuple[str, str | None]:
        """Make and store the job's files: (playback key, poster key); raises with the reason."""
        answer_id = job["id"]
        with tempfile.TemporaryDirectory(prefix=f"fairview-playback-{answer_id}-") as tmp:
            out = Path(tmp)
            paths = []
            for n, segment in enumerate(job["segments"], start=1):
                path = out / f"segment-{n}.webm"
                await asyncio.to_thread(path.write_bytes, await self.objects.get(segment["key"]))
                paths.append(str(path))
            if not paths:
                raise RuntimeError("The answer has no recorded segments.")
            args = [self.python, "-m", "ingest.playback", tmp, *paths]
            if job["kind"] == "video":
                args.append("--video")
            proc = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            self.running = proc
            limit = deadline_s(job["duration_ms"])
            try:
                async with asyncio.timeout(limit):
                    _, stderr = await proc.communicate()
            except TimeoutError:
                raise RuntimeError(f"The media process took longer than {limit:.0f} s.") from None
            finally:
                self.running = None
                if proc.returncode is None:  # timed out or cancelled: it must not linger
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()
            if proc.returncode != 0:
                raise RuntimeError(_exit_reason(proc.returncode or 0, stderr))
            try:
                return await self._store(answer_id, out)
            except OSError as exc:
                raise RuntimeError(f"The object store refused the file: {exc.strerror}") from exc
            except Exception as exc:
                raise RuntimeError(f"The object store refused the file: {exc}") from exc

    async def _store(self, answer_id: UUID, out: Path) -> tuple[str, str | None]:
        playback_key = f"answers/{answer_id}/playback.mp4"
        video = await asyncio.to_thread((out / "playback.mp4").read_bytes)
        await self.objects.put(playback_key, video, "video/mp4")
        poster_key = None
        if (out / "poster.jpg").exists():
            poster_key = f"answers/{answer_id}/poster.jpg"
            poster = await asyncio.to_thread((out / "poster.jpg").read_bytes)
            await self.objects.put(poster_key, poster, "image/jpeg")
        return playback_key, poster_key
