"""SQL of Reporting & Analytics (tenant-scoped). Every analytics query lives here, so that an
installation that outgrows Postgres can answer them from an analytics store instead
(docs/reporting.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from storage.db import Tenant


async def candidates(
    t: Tenant, interview_id: UUID, candidate_ids: list[UUID] | None
) -> list[dict[str, Any]]:
    """The interview's candidates (or the named ones) with their current decision and star."""
    rows = await t.conn.fetch(
        "SELECT c.id, c.name, c.email, c.status, c.ai_consent, c.created_at, c.opened_at,"
        " c.started_at, c.completed_at, (s.candidate_id IS NOT NULL) AS shortlisted,"
        " d.decision"
        " FROM candidates c"
        " LEFT JOIN shortlist s ON s.candidate_id = c.id"
        " LEFT JOIN LATERAL (SELECT decision FROM decisions x WHERE x.candidate_id = c.id"
        "   ORDER BY x.id DESC LIMIT 1) d ON true"
        " WHERE c.organization_id = $1 AND c.interview_id = $2"
        " AND ($3::uuid[] IS NULL OR c.id = ANY($3::uuid[]))"
        " ORDER BY c.created_at, c.id",
        t.organization_id,
        interview_id,
        candidate_ids,
    )
    return [dict(r) for r in rows]


async def questions(t: Tenant, interview_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT id, position, kind, prompt, rubric FROM questions"
        " WHERE organization_id = $1 AND interview_id = $2 ORDER BY position",
        t.organization_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def answers(t: Tenant, candidate_ids: list[UUID]) -> list[dict[str, Any]]:
    """Each candidate's latest attempt per question, with its text and evaluation."""
    rows = await t.conn.fetch(
        "SELECT a.candidate_id, a.question_id,"
        " a.id AS answer_id, a.status, a.duration_ms, coalesce(a.text_answer, tr.text) AS text,"
        " ev.status AS evaluation_status, ev.result AS evaluation"
        " FROM counting_answers($2::uuid[]) a LEFT JOIN transcripts tr ON tr.answer_id = a.id"
        " LEFT JOIN evaluations ev ON ev.answer_id = a.id"
        " WHERE a.organization_id = $1",
        t.organization_id,
        candidate_ids,
    )
    return [dict(r) for r in rows]


async def ratings(t: Tenant, answer_ids: list[UUID], user_id: UUID | None) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT answer_id, criterion, avg(score)::float8 AS average, count(*) AS n,"
        " max(score) FILTER (WHERE user_id = $3) AS mine"
        " FROM ratings WHERE organization_id = $1 AND answer_id = ANY($2::uuid[])"
        " GROUP BY answer_id, criterion",
        t.organization_id,
        answer_ids,
        user_id,
    )
    return [dict(r) for r in rows]


async def set_shortlisted(
    t: Tenant, candidate_id: UUID, interview_id: UUID, user_id: UUID | None, starred: bool
) -> None:
    if starred:
        await t.conn.execute(
            "INSERT INTO shortlist (candidate_id, organization_id, interview_id, user_id)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (candidate_id) DO NOTHING",
            candidate_id,
            t.organization_id,
            interview_id,
            user_id,
        )
    else:
        await t.conn.execute(
            "DELETE FROM shortlist WHERE organization_id = $1 AND candidate_id = $2",
            t.organization_id,
            candidate_id,
        )


# The funnel's cohort: the candidates invited (created) in [since, until), of one interview or
# (interview id NULL) of the whole organization. Two constant texts rather than "$2 IS NULL OR
# ...", so that a prepared statement's plan for one interview uses the interview's index.
_DATES = (
    " AND ($3::timestamptz IS NULL OR c.created_at >= $3)"
    " AND ($4::timestamptz IS NULL OR c.created_at < $4)"
)
_ONE_INTERVIEW = " c.organization_id = $1 AND c.interview_id = $2" + _DATES
_ALL_INTERVIEWS = " c.organization_id = $1 AND $2::uuid IS NULL" + _DATES


def _cohort(interview_id: UUID | None) -> str:
    return _ALL_INTERVIEWS if interview_id is None else _ONE_INTERVIEW


async def funnel(
    t: Tenant, interview_id: UUID | None, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Counts of the cohort at every step, and the median time from start to completion in
    seconds."""
    row = await t.conn.fetchrow(
        "SELECT count(*) AS invited,"  # noqa: S608 - constant fragments
        " count(*) FILTER (WHERE c.opened_at IS NOT NULL) AS opened,"
        " count(*) FILTER (WHERE c.consented_at IS NOT NULL) AS consented,"
        " count(*) FILTER (WHERE c.devices_checked_at IS NOT NULL) AS devices_checked,"
        " count(*) FILTER (WHERE c.started_at IS NOT NULL) AS started,"
        " count(*) FILTER (WHERE c.status = 'completed') AS completed,"
        " count(*) FILTER (WHERE c.status = 'expired') AS expired,"
        " count(*) FILTER (WHERE c.status = 'revoked') AS revoked,"
        " count(*) FILTER (WHERE c.ai_consent IS false) AS declined_ai,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
        "   c.completed_at - c.started_at)) FILTER (WHERE c.status = 'completed'"
        "   AND c.started_at IS NOT NULL) AS median_seconds"
        f" FROM candidates c WHERE{_cohort(interview_id)}",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return dict(row) if row else {}


async def completed_by_day(
    t: Tenant, interview_id: UUID | None, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """Completions per UTC day, of the cohort."""
    rows = await t.conn.fetch(
        "SELECT (c.completed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS completed"  # noqa: S608 - constant fragments
        f" FROM candidates c WHERE{_cohort(interview_id)} AND c.status = 'completed'"
        " GROUP BY 1 ORDER BY 1",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return [dict(r) for r in rows]


async def attempt_outcomes(
    t: Tenant, interview_id: UUID | None, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """The cohort's streamed attempts (video and audio) that the ingest gave an outcome (it
    ended them), counted per client (the attempt's, else the one of the candidate's device
    check) and failure code (NULL: no technical failure)."""
    rows = await t.conn.fetch(
        "SELECT coalesce(a.client_browser, c.client_browser, 'Unknown') AS browser,"  # noqa: S608 - constant fragments
        " coalesce(a.client_device, c.client_device, 'other') AS device,"
        " a.failure_code, count(*) AS attempts"
        f" FROM answers a JOIN candidates c ON c.id = a.candidate_id"
        f" WHERE{_cohort(interview_id)}"
        " AND a.organization_id = $1 AND a.kind IN ('video', 'audio')"
        " AND a.ended_at IS NOT NULL"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return [dict(r) for r in rows]


async def interview_totals(
    t: Tenant, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """Per interview of the organization: its cohort's invited, started and completed."""
    rows = await t.conn.fetch(
        "SELECT i.id, i.title, count(c.id) AS invited,"  # noqa: S608 - constant fragments
        " count(c.id) FILTER (WHERE c.started_at IS NOT NULL) AS started,"
        " count(c.id) FILTER (WHERE c.status = 'completed') AS completed"
        f" FROM interviews i JOIN candidates c ON c.interview_id = i.id AND{_ALL_INTERVIEWS}"
        " WHERE i.organization_id = $1"
        " GROUP BY i.id, i.title ORDER BY count(c.id) DESC, i.title, i.id",
        t.organization_id,
        None,
        since,
        until,
    )
    return [dict(r) for r in rows]


async def question_drop_off(
    t: Tenant, interview_id: UUID, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """Per question: how many candidates answered it, and how many started the interview but
    stopped there (it is the first question they never answered, and they did not finish)."""
    rows = await t.conn.fetch(
        "WITH cohort AS (SELECT c.id, c.status FROM candidates c"
        "   WHERE c.organization_id = $1 AND c.interview_id = $2 AND c.started_at IS NOT NULL"
        "   AND ($3::timestamptz IS NULL OR c.created_at >= $3)"
        "   AND ($4::timestamptz IS NULL OR c.created_at < $4)),"
        # An answer counts once recorded or submitted (interrupted or failed ones do not).
        " answered AS (SELECT DISTINCT a.candidate_id, a.question_id FROM answers a"
        "   JOIN cohort ON cohort.id = a.candidate_id WHERE a.status IN ('recorded', 'submitted')),"
        " stopped AS (SELECT cohort.id, (SELECT q.id FROM questions q"
        "   WHERE q.interview_id = $2 AND NOT EXISTS (SELECT 1 FROM answered x"
        "     WHERE x.candidate_id = cohort.id AND x.question_id = q.id)"
        "   ORDER BY q.position LIMIT 1) AS question_id"
        "   FROM cohort WHERE cohort.status <> 'completed')"
        " SELECT q.id, q.position, q.prompt,"
        " (SELECT count(*) FROM answered x WHERE x.question_id = q.id) AS answered,"
        " (SELECT count(*) FROM stopped s WHERE s.question_id = q.id) AS stopped"
        " FROM questions q WHERE q.organization_id = $1 AND q.interview_id = $2"
        " ORDER BY q.position",
        t.organization_id,
        interview_id,
        since,
        until,
    )
    return [dict(r) for r in rows]


# Share links.


async def shortlisted(t: Tenant, interview_id: UUID) -> list[UUID]:
    rows = await t.conn.fetch(
        "SELECT s.candidate_id FROM shortlist s JOIN candidates c ON c.id = s.candidate_id"
        " WHERE s.organization_id = $1 AND s.interview_id = $2 ORDER BY c.created_at, c.id",
        t.organization_id,
        interview_id,
    )
    return [r["candidate_id"] for r in rows]


async def create_share(t: Tenant, values: dict[str, Any]) -> None:
    await t.conn.execute(
        "INSERT INTO share_links (id, organization_id, interview_id, token_hash, recipient,"
        " candidate_ids, hide_identity, hide_video, expires_at, created_by, email)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        values["id"],
        t.organization_id,
        values["interview_id"],
        values["token_hash"],
        values["recipient"],
        values["candidate_ids"],
        values["hide_identity"],
        values["hide_video"],
        values["expires_at"],
        values["created_by"],
        values["email"],
    )


SHARE_COLUMNS = (
    "s.id, s.interview_id, s.recipient, s.candidate_ids, s.hide_identity, s.hide_video,"
    " s.expires_at, s.revoked_at, s.created_at, u.name AS created_by, s.email,"
    " EXISTS (SELECT 1 FROM share_confirmations k WHERE k.share_id = s.id"
    "   AND k.confirmed_at IS NOT NULL) AS confirmed"
)


async def shares(t: Tenant, interview_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        f"SELECT {SHARE_COLUMNS} FROM share_links s LEFT JOIN users u ON u.id = s.created_by"  # noqa: S608
        " WHERE s.organization_id = $1 AND s.interview_id = $2 ORDER BY s.created_at DESC",
        t.organization_id,
        interview_id,
    )
    return [dict(r) for r in rows]


async def share(t: Tenant, share_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        f"SELECT {SHARE_COLUMNS} FROM share_links s LEFT JOIN users u ON u.id = s.created_by"  # noqa: S608
        " WHERE s.organization_id = $1 AND s.id = $2",
        t.organization_id,
        share_id,
    )
    return dict(row) if row else None


async def share_by_token(t: Tenant, token_hash: bytes) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        f"SELECT {SHARE_COLUMNS}, i.title, i.language, o.name AS organization"  # noqa: S608
        " FROM share_links s JOIN interviews i ON i.id = s.interview_id"
        " JOIN organizations o ON o.id = s.organization_id"
        " LEFT JOIN users u ON u.id = s.created_by"
        " WHERE s.organization_id = $1 AND s.token_hash = $2",
        t.organization_id,
        token_hash,
    )
    return dict(row) if row else None


async def revoke_share(t: Tenant, share_id: UUID) -> None:
    await t.conn.execute(
        "UPDATE share_links SET revoked_at = coalesce(revoked_at, now())"
        " WHERE organization_id = $1 AND id = $2",
        t.organization_id,
        share_id,
    )


async def add_confirmation(
    t: Tenant, confirmation_id: UUID, share_id: UUID, code_hash: bytes, expires_at: datetime
) -> None:
    await t.conn.execute(
        "INSERT INTO share_confirmations (id, organization_id, share_id, code_hash, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        confirmation_id,
        t.organization_id,
        share_id,
        code_hash,
        expires_at,
    )


async def confirmations_since(t: Tenant, share_id: UUID, since: datetime) -> int:
    n: int = await t.conn.fetchval(
        "SELECT count(*) FROM share_confirmations"
        " WHERE organization_id = $1 AND share_id = $2 AND created_at >= $3",
        t.organization_id,
        share_id,
        since,
    )
    return n


async def confirm(t: Tenant, share_id: UUID, code_hash: bytes, grant_hash: bytes) -> bool:
    """Use an emailed code once, before it expires: its grant is what the browser holds."""
    row = await t.conn.fetchval(
        "UPDATE share_confirmations SET confirmed_at = now(), grant_hash = $4"
        " WHERE organization_id = $1 AND share_id = $2 AND code_hash = $3"
        " AND confirmed_at IS NULL AND expires_at > now() RETURNING id",
        t.organization_id,
        share_id,
        code_hash,
        grant_hash,
    )
    return row is not None


async def granted(t: Tenant, share_id: UUID, grant_hash: bytes) -> bool:
    found: bool = await t.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM share_confirmations WHERE organization_id = $1"
        " AND share_id = $2 AND grant_hash = $3 AND confirmed_at IS NOT NULL)",
        t.organization_id,
        share_id,
        grant_hash,
    )
    return found


async def log_access(
    t: Tenant, share_id: UUID, action: str, candidate_id: UUID | None, ip: str, agent: str
) -> None:
    await t.conn.execute(
        "INSERT INTO share_accesses (organization_id, share_id, action, candidate_id, ip,"
        " user_agent) VALUES ($1, $2, $3, $4, $5, $6)",
        t.organization_id,
        share_id,
        action,
        candidate_id,
        ip,
        agent[:300],
    )


async def accesses(t: Tenant, share_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT a.share_id, a.action, a.ip, a.user_agent, a.at, c.name AS candidate"
        " FROM share_accesses a LEFT JOIN candidates c ON c.id = a.candidate_id"
        " WHERE a.organization_id = $1 AND a.share_id = ANY($2::uuid[]) ORDER BY a.id DESC",
        t.organization_id,
        share_ids,
    )
    return [dict(r) for r in rows]


async def guest_feedback(t: Tenant, share_ids: list[UUID]) -> list[dict[str, Any]]:
    """The guests' ratings and comments, for the team (one row per rating or comment)."""
    rows = await t.conn.fetch(
        "SELECT r.share_id, c.name AS candidate, q.position, r.criterion, r.score, NULL AS body,"
        " r.updated_at AS at FROM share_ratings r JOIN answers a ON a.id = r.answer_id"
        " JOIN candidates c ON c.id = a.candidate_id JOIN questions q ON q.id = a.question_id"
        " WHERE r.organization_id = $1 AND r.share_id = ANY($2::uuid[])"
        " UNION ALL SELECT m.share_id, c.name, NULL, NULL, NULL, m.body, m.created_at"
        " FROM share_comments m JOIN candidates c ON c.id = m.candidate_id"
        " WHERE m.organization_id = $1 AND m.share_id = ANY($2::uuid[]) ORDER BY at",
        t.organization_id,
        share_ids,
    )
    return [dict(r) for r in rows]


async def guest_ratings(t: Tenant, share_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT answer_id, criterion, score FROM share_ratings"
        " WHERE organization_id = $1 AND share_id = $2",
        t.organization_id,
        share_id,
    )
    return [dict(r) for r in rows]


async def guest_comments(t: Tenant, share_id: UUID) -> list[dict[str, Any]]:
    rows = await t.conn.fetch(
        "SELECT id, candidate_id, body, created_at FROM share_comments"
        " WHERE organization_id = $1 AND share_id = $2 ORDER BY created_at",
        t.organization_id,
        share_id,
    )
    return [dict(r) for r in rows]


async def set_guest_rating(
    t: Tenant, share_id: UUID, answer_id: UUID, criterion: str, score: int
) -> None:
    await t.conn.execute(
        "INSERT INTO share_ratings (organization_id, share_id, answer_id, criterion, score)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (share_id, answer_id, criterion)"
        " DO UPDATE SET score = $5, updated_at = now()",
        t.organization_id,
        share_id,
        answer_id,
        criterion,
        score,
    )


async def add_guest_comment(
    t: Tenant, comment_id: UUID, share_id: UUID, candidate_id: UUID, body: str
) -> None:
    await t.conn.execute(
        "INSERT INTO share_comments (id, organization_id, share_id, candidate_id, body)"
        " VALUES ($1, $2, $3, $4, $5)",
        comment_id,
        t.organization_id,
        share_id,
        candidate_id,
        body,
    )


async def answer_of(t: Tenant, answer_id: UUID) -> dict[str, Any] | None:
    row = await t.conn.fetchrow(
        "SELECT a.id, a.candidate_id, a.kind, a.playback_key, q.rubric FROM answers a"
        " JOIN questions q ON q.id = a.question_id WHERE a.organization_id = $1 AND a.id = $2",
        t.organization_id,
        answer_id,
    )
    return dict(row) if row else None
