"""Candidate Response rules, free of HTTP: opening a link, consent, attempts, finishing. The
lifecycle rules themselves (open states, deadlines with grace, time limits with accommodations,
attempts allowed, what counts) are ``domain.lifecycle``'s.

- Nothing is recorded before consent to recording; AI consent is separate and optional.
- Finishing needs every required question answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from api.identity import security
from api.notification.repository import queue_email
from api.notification.templates import render
from api.responses import repository as repo
from api.user_agent import Client
from domain.events import (
    AnswerRecorded,
    InterviewCompleted,
    InterviewStarted,
    InvitationExpired,
    InvitationOpened,
    emit,
)
from domain.lifecycle import ANSWERED, DEFAULT_DEADLINE_GRACE, attempts_allowed, past_deadline
from storage.db import Tenant

NOTICE_VERSION = "2026-11-24"


async def open_candidate(
    conn: asyncpg.Connection, token: str, grace: timedelta = DEFAULT_DEADLINE_GRACE
) -> dict[str, Any]:
    """The candidate a link belongs to, with what opening it changes: ``opened`` on first visit,
    ``expired`` after the deadline. Call ``ensure_open`` after the transaction commits them."""
    c = await repo.candidate_by_token(conn, security.token_hash(token))
    if c is None:
        raise NotFound(
            "This interview link is not valid. Check the link in your email.", code="invalid_link"
        )
    t = Tenant(conn, c["organization_id"])
    if past_deadline(c["status"], c["deadline"], datetime.now(UTC), grace):
        await repo.set_candidate(t, c["id"], status="expired")
        await emit(
            conn,
            c["organization_id"],
            InvitationExpired(candidate_id=c["id"], interview_id=c["interview_id"]),
        )
        c["status"] = "expired"
    elif c["status"] == "invited" and c["interview_status"] == "active":
        await repo.set_candidate(t, c["id"], status="opened", opened_at=datetime.now(UTC))
        await emit(conn, c["organization_id"], InvitationOpened(candidate_id=c["id"]))
        c["status"] = "opened"
    return c


def ensure_open(c: dict[str, Any]) -> None:
    """Refuse a link that no longer takes answers, saying why."""
    if c["status"] == "revoked":
        raise Gone("This interview link was withdrawn by the hiring team.", code="link_revoked")
    if c["status"] == "completed":
        raise Gone("You have completed this interview. Thank you!", code="completed")
    if c["status"] == "expired":
        raise Gone(
            "The deadline for this interview has passed. Contact the hiring team if "
            "you need more time.",
            code="expired",
        )
    if c["interview_status"] != "active":
        raise Gone("This interview is closed and no longer takes answers.", code="interview_closed")


async def session_state(t: Tenant, c: dict[str, Any]) -> tuple[list[dict[str, Any]], int | None]:
    questions = await repo.questions_with_latest(t, c["id"], c["interview_id"])
    current = next((q["position"] for q in questions if q["answer_status"] not in ANSWERED), None)
    return questions, current


async def consent(t: Tenant, c: dict[str, Any], version: str, recording: bool, ai: bool) -> None:
    if version != NOTICE_VERSION:
        raise Conflict("The notice has changed; please read it again.", code="notice_changed")
    if not recording:
        raise Invalid(
            "Answers are recorded: without consent to recording the interview "
            "cannot go ahead. You can close this page; nothing was recorded.",
            code="recording_consent_required",
        )
    await repo.set_candidate(
        t, c["id"], consent_version=version, consented_at=datetime.now(UTC), ai_consent=ai
    )


def _require_consent(c: dict[str, Any]) -> None:
    if c["consented_at"] is None:
        raise Forbidden("Please read the notice and give consent first.", code="consent_required")


async def _question_to_answer(t: Tenant, c: dict[str, Any], question_id: UUID) -> dict[str, Any]:
    questions, current = await session_state(t, c)
    q = next((q for q in questions if q["id"] == question_id), None)
    if q is None:
        raise NotFound("No such question in this interview.")
    if current is not None and q["position"] > current:
        raise Conflict("Please answer the questions in order.", code="out_of_order")
    if q["answer_status"] == "recording":
        raise Conflict("This answer is still recording.", code="still_recording")
    if q["attempts_used"] >= attempts_allowed(q["retakes"], c["extra_retakes"]):
        raise Conflict("No retakes are left for this question.", code="no_retakes_left")
    return q


async def _start(t: Tenant, c: dict[str, Any]) -> None:
    if c["status"] == "opened":
        await repo.set_candidate(t, c["id"], status="in_progress", started_at=datetime.now(UTC))
        await emit(t.conn, t.organization_id, InterviewStarted(candidate_id=c["id"]))


async def devices_checked(t: Tenant, c: dict[str, Any], client: Client) -> None:
    """The candidate's camera and microphone work in this browser (the page's device check
    passed): recorded once, with the client, for the funnel and the failure rates."""
    _require_consent(c)
    await repo.mark_devices_checked(t, c["id"], client)


async def new_attempt(
    t: Tenant, c: dict[str, Any], question_id: UUID, client: Client | None = None
) -> tuple[dict[str, Any], UUID, int]:
    _require_consent(c)
    q = await _question_to_answer(t, c, question_id)
    if q["kind"] == "text":
        raise Conflict("This question is answered in writing.", code="text_question")
    await _start(t, c)
    await repo.discard_attempts(t, c["id"], question_id)
    answer_id = uuid4()
    attempt = int(q["last_attempt"]) + 1
    await repo.create_answer(t, answer_id, c["id"], question_id, attempt, q["kind"], client=client)
    return q, answer_id, attempt


async def text_answer(t: Tenant, c: dict[str, Any], question_id: UUID, text: str) -> UUID:
    _require_consent(c)
    q = await _question_to_answer(t, c, question_id)
    if q["kind"] != "text":
        raise Conflict("This question is answered on camera or microphone.", code="media_question")
    await _start(t, c)
    await repo.discard_attempts(t, c["id"], question_id)
    answer_id = uuid4()
    await repo.create_answer(
        t, answer_id, c["id"], question_id, int(q["last_attempt"]) + 1, "text", text.strip()
    )
    await emit(t.conn, t.organization_id, AnswerRecorded(answer_id=answer_id))
    return answer_id


async def resumable(
    t: Tenant, c: dict[str, Any], answer_id: UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    _require_consent(c)
    a = await get_answer(t, c, answer_id)
    if a["status"] != "interrupted":
        raise Conflict("Only an interrupted answer can be continued.", code="not_interrupted")
    questions, _ = await session_state(t, c)
    q = next(q for q in questions if q["id"] == a["question_id"])
    return q, a


async def get_answer(t: Tenant, c: dict[str, Any], answer_id: UUID) -> dict[str, Any]:
    a = await repo.answer(t, c["id"], answer_id)
    if a is None:
        raise NotFound("No such answer.")
    return a


async def finish(t: Tenant, c: dict[str, Any], rights_link: str) -> None:
    _require_consent(c)
    questions, _ = await session_state(t, c)
    missing = [
        q["position"] + 1 for q in questions if q["required"] and q["answer_status"] not in ANSWERED
    ]
    if missing:
        raise Conflict(
            f"Please answer question(s) {', '.join(map(str, missing))} first.",
            code="unanswered_questions",
        )
    await repo.set_candidate(t, c["id"], status="completed", completed_at=datetime.now(UTC))
    await emit(
        t.conn,
        t.organization_id,
        InterviewCompleted(candidate_id=c["id"], interview_id=c["interview_id"]),
    )
    await _completion_email(t, c["id"], rights_link)


async def _completion_email(t: Tenant, candidate_id: UUID, rights_link: str) -> None:
    """A confirmation to the candidate (the team hears through its notifications), with the
    link to their rights page: the AI notice, a copy of their data or its deletion."""
    row = await repo.completion_context(t, candidate_id)
    if row is None:
        return
    mail = render(
        "candidate_completed",
        row["language"],
        rights_link,
        logo=row["brand_logo_url"],
        name=row["name"],
        interview=row["title"],
        organization=row["organization"],
    )
    await queue_email(t.conn, row["email"], "candidate_completed", mail)
