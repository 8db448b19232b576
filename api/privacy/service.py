"""Data-rights rules (no HTTP): candidates' requests for a copy of their data or its erasure,
the export archive, the erasure job (with its receipt and the ``candidate.erased`` event) and
retention schedules, which queue the same erasure jobs.

Erasure is a job (``privacy_requests`` rows, run by ``api.privacy.jobs``): it runs at the
request's due date (30 days), at once when the team says so, or at once for every request when
the operator sets ``FAIRVIEW_PRIVACY_ERASE_IMMEDIATELY``. It deletes the candidate's objects
first (idempotent: a rerun deletes nothing twice), then in one transaction deletes or
anonymises their rows, queues the receipt to the candidate and the event, and audits. The
candidate's address is erased last, once the receipt has gone out."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import structlog

from api.errors import Conflict, NotFound
from api.identity.principal import Principal
from api.identity.repository import record_audit
from api.identity.service import audit
from api.notification.repository import queue_email
from api.notification.templates import render
from api.privacy import repository as repo
from api.privacy import schemas as s
from domain.events import CandidateErased, emit
from storage.db import Database, Tenant
from storage.objects import ObjectNotFound, ObjectStore

log = structlog.get_logger("fairview.privacy")

RESPONSE_DAYS = 30  # the Illinois AI Video Interview Act's deadline for deleting the videos
LEASE_S = 600.0  # an erasure claimed this long ago by a worker that died is due again
RECEIPT_WAIT_S = 7 * 24 * 3600.0  # an undelivered receipt holds the address no longer


# ---- requests -----------------------------------------------------------------------------


async def add_request(
    t: Tenant,
    candidate_id: UUID,
    kind: str,
    source: str,
    note: str,
    requested_by: UUID | None,
    immediate: bool,
) -> UUID:
    """Record a request: an export is answered at once (the archive is made on download); an
    erasure is queued for its due date, or for now when erasure is immediate."""
    c = await repo.candidate(t, candidate_id)
    if c is None:
        raise NotFound("No such candidate.")
    if kind == "erasure" and c["erased_at"] is not None:
        raise Conflict("This candidate's data has already been erased.", code="already_erased")
    now = datetime.now(UTC)
    due = now + timedelta(days=RESPONSE_DAYS)
    run_at = None if kind == "export" else (now if immediate else due)
    request_id = await repo.add_request(
        t, uuid4(), candidate_id, kind, source, note.strip(), requested_by, due, run_at
    )
    await record_audit(
        t,
        f"privacy.{kind}_requested",
        f"candidate:{candidate_id}",
        {"request_id": str(request_id), "source": source},
        requested_by,
        None,
    )
    return request_id


async def team_request(
    t: Tenant, p: Principal, data: s.TeamDataRequestIn, immediate: bool
) -> s.DataRequest:
    p.require("organization:manage")
    request_id = await add_request(
        t, data.candidate_id, data.kind, "team", data.note, p.user_id, immediate
    )
    return await get_request(t, request_id)


async def get_request(t: Tenant, request_id: UUID) -> s.DataRequest:
    row = await repo.request(t, request_id)
    if row is None:
        raise NotFound("No such request.")
    return request_out(row)


async def erase_now(t: Tenant, p: Principal, request_id: UUID) -> s.DataRequest:
    p.require("organization:manage")
    if not await repo.run_now(t, request_id):
        raise NotFound("No such pending erasure.")
    await audit(t, p, "privacy.erasure_run_now", f"request:{request_id}")
    return await get_request(t, request_id)


def request_out(r: dict[str, Any]) -> s.DataRequest:
    return s.DataRequest(
        id=r["id"],
        candidate_id=r["candidate_id"],
        candidate=r["candidate"],
        interview_id=r["interview_id"],
        kind=r["kind"],
        source=r["source"],
        note=r["note"],
        created_at=r["created_at"],
        due_at=r["due_at"],
        status=r["status"],
        run_at=r["run_at"] if r["status"] == "pending" else None,
        completed_at=r["completed_at"],
        last_error=r["last_error"],
        receipt=s.receipt_of(r["receipt"]),
    )


async def candidate_requests(
    t: Tenant, candidate_id: UUID, export_url: str
) -> s.CandidateDataRequests:
    return s.CandidateDataRequests(
        items=[
            msgspec.convert(r, s.CandidateDataRequest)
            for r in await repo.candidate_requests(t, candidate_id)
        ],
        export_url=export_url,
    )


# ---- export -------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(type(value).__name__)


async def export_archive(t: Tenant, objects: ObjectStore, candidate_id: UUID) -> bytes:
    """A zip: ``data.json`` (the candidate, answers, transcripts, evaluations, summaries,
    ratings, decisions, consent and requests) and ``media/<key>`` for every recording, playback
    file and poster the store still holds."""
    if await repo.candidate(t, candidate_id) is None:
        raise NotFound("No such candidate.")
    data = await repo.export_data(t, candidate_id)
    keys = await repo.stored_media_keys(t, candidate_id)
    media: list[tuple[str, bytes]] = []
    for key in keys:
        try:
            media.append((key, await objects.get(key)))
        except ObjectNotFound:
            log.warning("export_object_missing", key=key)
    data["media"] = [f"media/{k}" for k, _ in media]
    data["exported_at"] = datetime.now(UTC)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, default=_json, indent=2, ensure_ascii=False))
        for key, body in media:
            archive.writestr(f"media/{key}", body, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


# ---- the erasure job ------------------------------------------------------------------------


def _receipt_text(receipt: dict[str, Any]) -> str:
    lines = [
        f"- {i['what']}: {i['count']} {i['action']} ({i['where']})"
        for i in receipt["items"]
        if i["count"]
    ]
    return "\n".join(lines) or "- nothing was stored"


async def erase(db: Database, objects: ObjectStore, job: dict[str, Any]) -> None:
    """Carry out one claimed erasure (``erasure``: everything; ``media_erasure``: the
    recordings). Safe to run again after a crash at any point."""
    org, cid, request_id = job["organization_id"], job["candidate_id"], job["id"]
    async with db.tenant(org) as t:
        keys = await repo.media_keys(t, cid)
    for key in keys:  # before the rows that name them: a crash leaves the keys to retry with
        await objects.delete(key)
    async with db.tenant(org) as t:
        c = await repo.candidate(t, cid)
        assert c is not None  # requests cascade with their candidate
        stored = await repo.stored_media_keys(t, cid)
        answers = await repo.erase_media(t, cid)
        items = [
            ("recordings, playback files and posters", "object store", len(stored), "deleted"),
            ("recording references", "database: answers", answers, "deleted"),
        ]
        scope = "media" if job["kind"] == "media_erasure" else "all"
        if scope == "all":
            items += [
                (w, f"database: {tb}", n, a) for w, tb, n, a in await repo.erase_records(t, c)
            ]
        erased_at = datetime.now(UTC)
        receipt: dict[str, Any] = {
            "request_id": str(request_id),
            "candidate_id": str(cid),
            "erased_at": erased_at.isoformat(),
            "scope": scope,
            "items": [{"what": w, "where": wh, "count": n, "action": a} for w, wh, n, a in items],
            "objects": stored,
        }
        summary = {"request_id": str(request_id), "scope": scope, "objects": len(stored)}
        await record_audit(
            t,
            f"candidate.{'erased' if scope == 'all' else 'media_erased'}",
            f"candidate:{cid}",
            summary,
            None,
            None,
        )
        if scope == "media":
            await repo.set_media_erased(t, cid)
            await repo.mark_awaiting_receipt(t, request_id, receipt, None)
            await repo.mark_completed(t.conn, request_id, False)
            return
        mail = render(
            "candidate_erased",
            c["language"],
            "",
            logo=c["brand_logo_url"],
            organization=c["organization"],
            interview=c["title"],
            when=erased_at.strftime("%Y-%m-%d %H:%M UTC"),
            items=_receipt_text(receipt),
        )
        email_id = await queue_email(t.conn, c["email"], "candidate_erased", mail)
        await emit(
            t.conn,
            org,
            CandidateErased(
                candidate_id=cid, interview_id=c["interview_id"], erased_at=receipt["erased_at"]
            ),
        )
        await repo.mark_awaiting_receipt(t, request_id, receipt, email_id)
    log.info("candidate_erased", candidate=str(cid), request=str(request_id))


async def run_due(db: Database, objects: ObjectStore) -> int:
    """One step of the erasure worker: one due erasure, then the addresses whose receipts went
    out. The number of things done (0: nothing was due)."""
    async with db.platform() as conn:
        job = await repo.claim_due(conn, LEASE_S)
    if job is not None:
        try:
            await erase(db, objects, job)
        except Exception as exc:  # e.g. the object store away: retried with a back-off
            log.exception("erasure_failed", request=str(job["id"]))
            async with db.platform() as conn:
                await repo.fail_attempt(conn, job["id"], f"{type(exc).__name__}: {exc}")
    async with db.platform() as conn:
        delivered = await repo.receipts_delivered(conn, RECEIPT_WAIT_S)
        for r in delivered:
            await repo.erase_address(conn, r["candidate_id"], r["receipt_email_id"])
            await repo.mark_completed(conn, r["id"], False)
    return (job is not None) + len(delivered)


# ---- retention ----------------------------------------------------------------------------


async def retention_settings(t: Tenant) -> s.RetentionSettings:
    return msgspec.convert(await repo.retention(t), s.RetentionSettings)


async def set_retention(t: Tenant, p: Principal, data: s.RetentionSettings) -> s.RetentionSettings:
    p.require("organization:manage")
    if data.media_days and data.data_days and data.media_days > data.data_days:
        raise Conflict(
            "Recordings cannot be kept longer than the rest of the data.", code="media_after_data"
        )
    await repo.set_retention(t, data.basis, data.media_days, data.data_days)
    await audit(t, p, "retention.changed", "organization", msgspec.to_builtins(data))
    return await retention_settings(t)


async def retention_preview(t: Tenant, at: datetime) -> s.RetentionPreview:
    rows = await repo.retention_due(t.conn, t.organization_id, at)
    return s.RetentionPreview(
        at=at,
        items=[
            s.RetentionCandidate(
                candidate_id=r["candidate_id"],
                interview_id=r["interview_id"],
                scope=r["scope"],
                since=r["since"],
            )
            for r in rows
        ],
    )


async def run_retention(db: Database, now: datetime) -> int:
    """Queue the erasures every organization's schedule makes due at ``now`` (what the preview
    shows), audited per organization; the erasure worker carries them out. Idempotent: a
    candidate with an open job gets no second one. The number of erasures queued."""
    async with db.platform() as conn:
        due = await repo.retention_due(conn, None, now)
        by_org: dict[UUID, list[dict[str, Any]]] = {}
        for d in due:
            if await repo.queue_retention(conn, uuid4(), d, now):
                by_org.setdefault(d["organization_id"], []).append(d)
        for org, rows in by_org.items():
            await record_audit(
                Tenant(conn, org),
                "retention.run",
                "organization",
                {
                    "erasures": sum(r["scope"] == "all" for r in rows),
                    "media_erasures": sum(r["scope"] == "media" for r in rows),
                    "candidates": [str(r["candidate_id"]) for r in rows],
                },
                None,
                None,
            )
    return sum(len(rows) for rows in by_org.values())
