"""SQL of Data Rights: the requests and retention settings (its own tables), the candidate's
data for an export, and the erasure of what every other context stores about a candidate. The
erasure's statements live here, in one place, so that a new table holding candidate data has
one obvious home to be added to (and the erasure test searches every table to catch it)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from api.pagination import Position, keyset
from storage.db import Tenant

ERASED_NAME = "Erased candidate"
CHANNEL = "privacy_requests"


def erased_email(candidate_id: UUID) -> str:
    """Unique per candidate (one address per interview) and nobody's."""
    return f"erased-{candidate_id}@erased.invalid"


# ---- requests -----------------------------------------------------------------------------

_REQUEST_COLUMNS = (
    "SELECT r.id, r.candidate_id, c.name AS candidate, c.interview_id, r.kind, r.source, r.note,"
    " r.created_at, r.due_at, r.status, r.run_at, r.completed_at, r.last_error, r.receipt"
    " FROM privacy_requests r JOIN candidates c ON c.id = r.candidate_id"
)


async def add_request(
    t: Tenant,
    request_id: UUID,
    candidate_id: UUID,
    kind: str,
    source: str,
    note: str,
    requested_by: UUID | None,
    due_at: datetime,
    run_at: datetime | None,
) -> UUID:
    """The request's id; for an erasure already open for the candidate, that one's (a second
    request adds no job), moved earlier when this one is due sooner."""
    if kind != "export":
        existing = await t.conn.fetchrow(
            "UPDATE privacy_requests SET run_at = least(run_at, $4)"
            " WHERE organization_id = $1 AND candidate_id = $2 AND kind = $3"
            " AND status <> 'completed' RETURNING id",
            t.organization_id,
            candidate_id,
            kind,
            run_at,
        )
        if existing:
            return UUID(str(existing["id"]))
    await t.conn.execute(
        "INSERT INTO privacy_requests (id, organization_id, candidate_id, kind, source, note,"
        " requested_by, due_at, run_at, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        request_id,
        t.organization_id,
        candidate_id,
        kind,
        source,
        note,
        requested_by,
        due_at,
        run_at,
        "completed" if kind == "export" else "pending",
    )
    return request_id


async def requests(
    t: Tenant, open_only: bool, limit: int, after: Position | None
) -> list[dict[str, Any]]:
    page = keyset(after, 3, time="r.created_at", key="r.id")
    rows = await t.conn.fetch(
        f"{_REQUEST_COLUMNS} WHERE r.organization_id = $1"
        " AND (NOT $2 OR r.status <> 'completed')"
        f" AND {page.where} {page.order} LIMIT $5",
        t.organization_id,
        open_only,
        *page.params,
        limit,
    )
    return [dict(r) for r in rows]


async def request(t: Tenant, request_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        f"{_REQUEST_COLUMNS} WHERE r.organization_id = $1 AND r.id = $2",
        t.organization_id,
        request_id,
    )
    return dict(row) if row else None


async def candidate_requests(t: Tenant, candidate_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT id, kind, created_at, due_at, status, completed_at FROM privacy_requests"
        " WHERE organization_id = $1 AND candidate_id = $2 ORDER BY created_at DESC, id DESC",
        t.organization_id,
        candidate_id,
    )
    return [dict(r) for r in rows]


async def run_now(t: Tenant, request_id: UUID) -> bool:
    status: str = await t.conn.execute(
        "UPDATE privacy_requests SET run_at = now() WHERE organization_id = $1 AND id = $2"
        " AND status = 'pending' AND kind <> 'export'",
        t.organization_id,
        request_id,
    )
    return status != "UPDATE 0"


async def candidate(t: Tenant, candidate_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT c.id, c.name, c.email::text AS email, c.interview_id, c.status, c.erased_at,"
        " c.media_erased_at, i.language, i.title, i.brand_logo_url,"
        " coalesce(i.brand_name, o.name) AS organization"
        " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
        " JOIN organizations o ON o.id = c.organization_id"
        " WHERE c.organization_id = $1 AND c.id = $2",
        t.organization_id,
        candidate_id,
    )
    return dict(row) if row else None


# ---- the erasure job ------------------------------------------------------------------------


async def claim_due(conn: asyncpg.Connection, lease_s: float) -> dict[str, Any] | None:
    """The oldest due erasure, claimed until its lease runs out (a worker that dies mid-job
    leaves it due again)."""
    row = await conn.fetchrow(
        "UPDATE privacy_requests r SET run_at = now() + make_interval(secs => $1),"
        " attempts = attempts + 1"
        " FROM (SELECT id FROM privacy_requests WHERE status = 'pending' AND kind <> 'export'"
        "   AND run_at <= now() ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) due"
        " WHERE r.id = due.id RETURNING r.id, r.organization_id, r.candidate_id, r.kind",
        lease_s,
    )
    return dict(row) if row else None


async def receipts_delivered(
    conn: asyncpg.Connection, give_up_after_s: float
) -> list[dict[str, Any]]:
    """Erasures whose receipt went out (or failed for good, or never left in time): the
    candidate's address can go now."""
    rows = await conn.fetch(
        "SELECT r.id, r.organization_id, r.candidate_id, r.receipt_email_id FROM privacy_requests r"
        " LEFT JOIN email_deliveries e ON e.id = r.receipt_email_id"
        " WHERE r.status = 'awaiting_receipt' AND (e.id IS NULL OR e.status <> 'pending'"
        "   OR r.completed_at < now() - make_interval(secs => $1))"
        " LIMIT 20 FOR UPDATE OF r SKIP LOCKED",
        give_up_after_s,
    )
    return [dict(r) for r in rows]


async def fail_attempt(conn: asyncpg.Connection, request_id: UUID, error: str) -> None:
    await conn.execute(
        "UPDATE privacy_requests SET last_error = $2,"
        " run_at = now() + make_interval(secs => least(3600, 30 * attempts * attempts))"
        " WHERE id = $1",
        request_id,
        error[:1000],
    )


async def media_keys(t: Tenant, candidate_id: UUID) -> list[str]:
    """Every object-store key of the candidate's answers: recorded segments, the segment being
    recorded, playback files and posters, and the keys those files would have (a crash between
    writing an object and recording its key leaves one nobody points to)."""
    rows = await t.conn.fetch(
        "SELECT id, segments, open_segment, playback_key, poster_key FROM answers"
        " WHERE organization_id = $1 AND candidate_id = $2",
        t.organization_id,
        candidate_id,
    )
    keys: list[str] = []
    for r in rows:
        segments = r["segments"] or []
        keys += [s["key"] for s in segments if s.get("key")]
        if r["open_segment"] and r["open_segment"].get("key"):
            keys.append(r["open_segment"]["key"])
        keys += [k for k in (r["playback_key"], r["poster_key"]) if k]
        base = f"answers/{r['id']}"
        keys += [f"{base}/segment-{n}.webm" for n in range(len(segments) + 2)]
        keys += [f"{base}/playback.mp4", f"{base}/poster.jpg"]
    return list(dict.fromkeys(keys))


async def stored_media_keys(t: Tenant, candidate_id: UUID) -> list[str]:
    """The keys the database points to (what the receipt lists as deleted)."""
    rows = await t.conn.fetch(
        "SELECT k FROM answers a,"
        " LATERAL (SELECT s ->> 'key' AS k FROM jsonb_array_elements(a.segments) s"
        "  UNION ALL SELECT a.open_segment ->> 'key' UNION ALL SELECT a.playback_key"
        "  UNION ALL SELECT a.poster_key) keys"
        " WHERE a.organization_id = $1 AND a.candidate_id = $2 AND k IS NOT NULL ORDER BY k",
        t.organization_id,
        candidate_id,
    )
    return [r["k"] for r in rows]


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[1])


async def erase_media(t: Tenant, candidate_id: UUID) -> int:
    """The answers forget their recordings (the objects are deleted by the caller)."""
    return _count(
        await t.conn.execute(
            "UPDATE answers SET segments = '[]', open_segment = NULL, playback_key = NULL,"
            " poster_key = NULL, playback_error = NULL, playback_next_at = NULL,"
            " playback_status = CASE WHEN playback_status IS NULL THEN NULL ELSE 'failed' END"
            " WHERE organization_id = $1 AND candidate_id = $2"
            " AND (segments <> '[]' OR open_segment IS NOT NULL OR playback_key IS NOT NULL"
            "  OR poster_key IS NOT NULL OR playback_status IN ('pending', 'running'))",
            t.organization_id,
            candidate_id,
        )
    )


def _word(text: str) -> str:
    """A case-insensitive whole-word Postgres regex for ``text``."""
    return r"\m" + re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text) + r"\M"


# (what, table, statement): each statement takes the organization ($1) and candidate ($2);
# rows of the candidate's answers are found through ``answers`` (which stays, anonymised).
_DELETES: list[tuple[str, str, str]] = [
    (
        "transcripts",
        "transcripts",
        "DELETE FROM transcripts WHERE answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2)",
    ),
    (
        "evaluations",
        "evaluations",
        "DELETE FROM evaluations WHERE answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2)",
    ),
    (
        "summaries",
        "candidate_summaries",
        "DELETE FROM candidate_summaries WHERE organization_id = $1 AND candidate_id = $2",
    ),
    (
        "comments",
        "comments",
        "DELETE FROM comments WHERE organization_id = $1 AND candidate_id = $2",
    ),
    (
        "guest comments",
        "share_comments",
        "DELETE FROM share_comments WHERE organization_id = $1 AND candidate_id = $2",
    ),
    (
        "guest ratings",
        "share_ratings",
        "DELETE FROM share_ratings WHERE organization_id = $1 AND answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2)",
    ),
    (
        "share link views",
        "share_accesses",
        "DELETE FROM share_accesses WHERE organization_id = $1 AND candidate_id = $2",
    ),
    (
        "notifications",
        "notifications",
        "DELETE FROM notifications WHERE organization_id = $1"
        " AND (candidate_id = $2 OR data::text LIKE '%' || $2::text || '%')",
    ),
    (
        "candidate links",
        "candidate_links",
        "DELETE FROM candidate_links WHERE organization_id = $1 AND candidate_id = $2",
    ),
]
_ANONYMISE: list[tuple[str, str, str]] = [
    (
        "written answers",
        "answers",
        "UPDATE answers SET text_answer = NULL, failure_reason = NULL"
        " WHERE organization_id = $1 AND candidate_id = $2"
        " AND (text_answer IS NOT NULL OR failure_reason IS NOT NULL)",
    ),
    (
        "AI run inputs and outputs",
        "ai_runs",
        "UPDATE ai_runs SET output = '{}', input_hash = '', error = NULL"
        " WHERE organization_id = $1 AND (candidate_id = $2 OR answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2))"
        " AND (output <> '{}' OR input_hash <> '' OR error IS NOT NULL)",
    ),
    (
        "decision notes",
        "decisions",
        "UPDATE decisions SET note = '' WHERE organization_id = $1 AND candidate_id = $2"
        " AND note <> ''",
    ),
    (
        "request messages",
        "candidate_requests",
        "UPDATE candidate_requests SET message = '' WHERE organization_id = $1"
        " AND candidate_id = $2 AND message <> ''",
    ),
    (
        "request notes",
        "privacy_requests",
        "UPDATE privacy_requests SET note = '' WHERE organization_id = $1 AND candidate_id = $2"
        " AND note <> ''",
    ),
]


async def erase_records(t: Tenant, c: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    """Delete or anonymise everything stored about the candidate but their address (the
    receipt still has to reach them): (what, table, rows, action) for the receipt."""
    done: list[tuple[str, str, int, str]] = []
    org, cid = t.organization_id, c["id"]
    for what, table, sql in _DELETES:
        done.append((what, table, _count(await t.conn.execute(sql, org, cid)), "deleted"))
    for what, table, sql in _ANONYMISE:
        done.append((what, table, _count(await t.conn.execute(sql, org, cid)), "anonymised"))
    shares = _count(
        await t.conn.execute(
            "UPDATE share_links SET candidate_ids = array_remove(candidate_ids, $2)"
            " WHERE organization_id = $1 AND $2 = ANY(candidate_ids)",
            org,
            cid,
        )
    )
    await t.conn.execute(
        "DELETE FROM share_links WHERE organization_id = $1 AND candidate_ids = '{}'", org
    )
    done.append(("share links", "share_links", shares, "deleted"))
    done.append(await _erase_mentions(t, c))
    done.append(("emails", "email_deliveries", await _erase_emails(t.conn, c), "deleted"))
    await t.conn.execute(
        "UPDATE candidates SET name = $3, erased_at = now(), media_erased_at = now()"
        " WHERE organization_id = $1 AND id = $2",
        org,
        cid,
        ERASED_NAME,
    )
    done.append(("name", "candidates", 1, "anonymised"))
    return done


async def _erase_mentions(t: Tenant, c: dict[str, Any]) -> tuple[str, str, int, str]:
    """Audit entries and event payloads that name the candidate keep their action and time
    and lose their details."""
    name, email = _word(c["name"]), c["email"]
    n = _count(
        await t.conn.execute(
            "UPDATE audit_log SET details = '{\"redacted\": true}',"
            " target = CASE WHEN target ILIKE '%' || $4 || '%' THEN 'candidate:' || $2::text"
            "  ELSE target END"
            " WHERE organization_id = $1 AND (details::text ~* $3"
            "  OR strpos(lower(details::text), lower($4)) > 0"
            "  OR strpos(lower(coalesce(target, '')), lower($4)) > 0)",
            t.organization_id,
            str(c["id"]),
            name,
            email,
        )
    )
    n += _count(
        await t.conn.execute(
            'UPDATE webhook_deliveries SET payload = payload || \'{"data": {"redacted": true}}\''
            " WHERE organization_id = $1 AND (payload::text ~* $2"
            "  OR strpos(lower(payload::text), lower($3)) > 0)",
            t.organization_id,
            name,
            email,
        )
    )
    return ("audit and webhook details", "audit_log, webhook_deliveries", n, "anonymised")


async def _erase_emails(conn: asyncpg.Connection, c: dict[str, Any]) -> int:
    """Emails to the candidate, and emails about them (the team's, which link to the candidate
    or name them). Emails are not tenant rows: matched by address, candidate id or name."""
    status: str = await conn.execute(
        "DELETE FROM email_deliveries WHERE lower(to_address) = lower($1)"
        " OR strpos(text_body, $2::text) > 0 OR subject ~* $3 OR text_body ~* $3",
        c["email"],
        str(c["id"]),
        _word(c["name"]),
    )
    return _count(status)


async def erase_address(
    conn: asyncpg.Connection, candidate_id: UUID, email_id: UUID | None
) -> None:
    """The last step, after the receipt went out: the receipt's delivery and the address."""
    if email_id is not None:
        await conn.execute("DELETE FROM email_deliveries WHERE id = $1", email_id)
    await conn.execute(
        "UPDATE candidates SET email = $2 WHERE id = $1", candidate_id, erased_email(candidate_id)
    )


async def mark_awaiting_receipt(
    t: Tenant, request_id: UUID, receipt: dict[str, Any], email_id: UUID | None
) -> None:
    await t.conn.execute(
        "UPDATE privacy_requests SET status = 'awaiting_receipt', receipt = $3,"
        " receipt_email_id = $4, completed_at = now(), last_error = NULL, run_at = NULL"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        request_id,
        receipt,
        email_id,
    )


async def mark_completed(conn: asyncpg.Connection, request_id: UUID, now_complete: bool) -> None:
    await conn.execute(
        "UPDATE privacy_requests SET status = 'completed', receipt_email_id = NULL,"
        " completed_at = CASE WHEN $2 THEN now() ELSE completed_at END, run_at = NULL"
        " WHERE id = $1",
        request_id,
        now_complete,
    )


async def set_media_erased(t: Tenant, candidate_id: UUID) -> None:
    await t.conn.execute(
        "UPDATE candidates SET media_erased_at = now() WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        candidate_id,
    )


# ---- the export ---------------------------------------------------------------------------


async def export_data(t: Tenant, candidate_id: UUID) -> dict[str, Any]:
    """What Fairview holds about the candidate, as plain rows (JSON-ready)."""
    org = t.organization_id

    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in await t.conn.fetch(sql, org, candidate_id)]

    return {
        "candidate": (
            await rows(
                "SELECT c.id, c.name, c.email::text AS email, c.status, c.source, c.deadline,"
                " c.consent_version, c.consented_at, c.ai_consent, c.opened_at, c.started_at,"
                " c.completed_at, c.created_at, c.decision, i.title AS interview"
                " FROM candidates c JOIN interviews i ON i.id = c.interview_id"
                " WHERE c.organization_id = $1 AND c.id = $2"
            )
        )[0],
        "answers": await rows(
            "SELECT a.id, q.position + 1 AS question, q.prompt AS question_prompt, a.attempt,"
            " a.kind, a.status, a.text_answer, a.duration_ms, a.started_at, a.ended_at,"
            " a.segments, a.playback_key, a.poster_key"
            " FROM answers a JOIN questions q ON q.id = a.question_id"
            " WHERE a.organization_id = $1 AND a.candidate_id = $2 ORDER BY q.position, a.attempt"
        ),
        "transcripts": await rows(
            "SELECT x.answer_id, x.status, x.language, x.text, x.segments, x.model, x.updated_at"
            " FROM transcripts x WHERE x.answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2) ORDER BY x.answer_id"
        ),
        "evaluations": await rows(
            "SELECT e.answer_id, e.status, e.reason, e.method, e.provider, e.model, e.result,"
            " e.updated_at FROM evaluations e WHERE e.answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2)"
            " ORDER BY e.answer_id"
        ),
        "summaries": await rows(
            "SELECT status, method, model, result, updated_at FROM candidate_summaries"
            " WHERE organization_id = $1 AND candidate_id = $2"
        ),
        "ratings": await rows(
            "SELECT r.answer_id, r.criterion, r.score, r.updated_at FROM ratings r"
            " WHERE r.organization_id = $1 AND r.answer_id IN (SELECT id FROM answers WHERE organization_id = $1 AND candidate_id = $2)"
            " ORDER BY r.answer_id, r.criterion"
        ),
        "decisions": await rows(
            "SELECT decision, note, created_at FROM decisions"
            " WHERE organization_id = $1 AND candidate_id = $2 ORDER BY created_at, id"
        ),
        "consent": await rows(
            "SELECT consent_version AS notice_version, consented_at, ai_consent FROM candidates"
            " WHERE organization_id = $1 AND id = $2 AND consented_at IS NOT NULL"
        ),
        "requests": await rows(
            "SELECT kind, message, created_at, resolved_at FROM candidate_requests"
            " WHERE organization_id = $1 AND candidate_id = $2"
            " UNION ALL SELECT kind, note, created_at, completed_at FROM privacy_requests"
            " WHERE organization_id = $1 AND candidate_id = $2 ORDER BY created_at"
        ),
    }


# ---- retention ----------------------------------------------------------------------------


async def retention(t: Tenant) -> dict[str, Any]:
    row = await t.conn.fetchrow(
        "SELECT basis, media_days, data_days FROM retention_settings WHERE organization_id = $1",
        t.organization_id,
    )
    return dict(row) if row else {"basis": "completion", "media_days": None, "data_days": None}


async def set_retention(
    t: Tenant, basis: str, media_days: int | None, data_days: int | None
) -> None:
    await t.conn.execute(
        "INSERT INTO retention_settings (organization_id, basis, media_days, data_days)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id) DO UPDATE"
        " SET basis = $2, media_days = $3, data_days = $4, updated_at = now()",
        t.organization_id,
        basis,
        media_days,
        data_days,
    )


# The candidates a retention run removes at ``$2``: all their data past data_days, else their
# recordings past media_days, counted from completion or from the latest decision. Candidates
# already erased (or whose media went) and those with an erasure under way or due are not due
# again; a request still waiting for its later due date is brought forward.
_DUE = """
WITH s AS (SELECT * FROM retention_settings WHERE ($1::uuid IS NULL OR organization_id = $1)),
base AS (
  SELECT c.id, c.organization_id, c.interview_id, c.erased_at, c.media_erased_at,
    s.media_days, s.data_days,
    CASE WHEN s.basis = 'completion' THEN c.completed_at
      ELSE (SELECT max(d.created_at) FROM decisions d WHERE d.candidate_id = c.id) END AS since
  FROM candidates c JOIN s ON s.organization_id = c.organization_id
  WHERE c.erased_at IS NULL
)
SELECT b.id AS candidate_id, b.organization_id, b.interview_id, b.since,
  CASE WHEN b.data_days IS NOT NULL AND b.since + make_interval(days => b.data_days) <= $2
    THEN 'all' ELSE 'media' END AS scope
FROM base b
WHERE b.since IS NOT NULL AND (
  (b.data_days IS NOT NULL AND b.since + make_interval(days => b.data_days) <= $2)
  OR (b.media_erased_at IS NULL AND b.media_days IS NOT NULL
      AND b.since + make_interval(days => b.media_days) <= $2))
AND NOT EXISTS (SELECT 1 FROM privacy_requests r WHERE r.candidate_id = b.id
  AND r.kind <> 'export' AND r.status <> 'completed'
  AND (r.status <> 'pending' OR r.attempts > 0 OR r.run_at <= $2))
ORDER BY b.organization_id, b.since, b.id
"""


async def retention_due(
    conn: asyncpg.Connection, organization_id: UUID | None, now: datetime
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_DUE, organization_id, now)]


async def queue_retention(
    conn: asyncpg.Connection, request_id: UUID, due: dict[str, Any], now: datetime
) -> bool:
    status: str = await conn.execute(
        "INSERT INTO privacy_requests (id, organization_id, candidate_id, kind, source, due_at,"
        " run_at) VALUES ($1, $2, $3, $4, 'retention', $5, $5)"
        " ON CONFLICT (candidate_id, kind) WHERE status <> 'completed' AND kind <> 'export'"
        " DO UPDATE SET run_at = least(privacy_requests.run_at, $5)",
        request_id,
        due["organization_id"],
        due["candidate_id"],
        "erasure" if due["scope"] == "all" else "media_erasure",
        now,
    )
    return status == "INSERT 0 1"
