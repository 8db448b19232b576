"""Interview Management rules, free of HTTP.

- Statuses: draft → active ⇄ closed → archived (and draft → archived). Only an active interview
  takes new candidates or answers; activating needs at least one question.
- Questions are fixed once any candidate has started, so every answer refers to the question it
  answered; duplicate the interview to change them.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.billing import service as billing_service
from api.billing.service import Billing
from api.errors import Conflict, Invalid, NotFound, PaymentRequired
from api.identity import repository as identity_repo
from api.identity import security
from api.identity.principal import Principal
from api.identity.service import normalize_email, require_verified_sender
from api.interviews import repository as repo
from api.interviews.templates import TEMPLATES
from api.notification.repository import queue_email
from api.notification.templates import render
from api.text import check_one_line
from domain.events import InvitationCreated
from storage.db import Tenant, savepoint

TRANSITIONS: dict[str, set[str]] = {
    "draft": {"active", "archived"},
    "active": {"closed"},
    "closed": {"active", "archived"},
    "archived": set(),
}
MAX_IMPORT_ROWS = 5000

# What a new candidate may use up: checked when they are invited, so that anyone invited within
# the plan can always finish.
CANDIDATE_LIMITS = ("completed_interviews_per_month", "ai_minutes_per_month", "storage_gb")


def _question_values(q: dict[str, Any]) -> dict[str, Any]:
    return {**q, "id": uuid4(), "rubric": list(q.get("rubric", []))}


async def get(t: Tenant, interview_id: UUID, *, for_update: bool = False) -> dict[str, Any]:
    row = await repo.interview(t, interview_id, for_update=for_update)
    if row is None:
        raise NotFound("No such interview.")
    return row


async def create(t: Tenant, p: Principal, values: dict[str, Any]) -> UUID:
    p.require("interviews:manage")
    questions = values.pop("questions")
    template_key = values.pop("template", None)
    if template_key is not None:
        template = TEMPLATES.get(template_key)
        if template is None:
            raise Invalid(f"Unknown template {template_key!r}.", code="unknown_template")
        questions = questions or template["questions"]
        values["role_description"] = values["role_description"] or template["role_description"]
    interview_id = uuid4()
    await repo.create_interview(t, {**values, "id": interview_id, "created_by": p.user_id})
    if p.user_id is not None:
        await repo.set_following(t, interview_id, p.user_id, True)  # the creator hears first
    await repo.replace_questions(t, interview_id, [_question_values(q) for q in questions])
    await identity_repo.record_audit(
        t, "interview.created", values["title"], {}, p.user_id, p.api_key_id
    )
    return interview_id


async def update(t: Tenant, p: Principal, interview_id: UUID, changes: dict[str, Any]) -> None:
    p.require("interviews:manage")
    interview = await get(t, interview_id, for_update=True)
    if interview["status"] == "archived":
        raise Conflict("Archived interviews cannot be edited.", code="interview_archived")
    await repo.update_interview(t, interview_id, changes)


async def set_questions(
    t: Tenant, p: Principal, interview_id: UUID, questions: list[dict[str, Any]]
) -> None:
    p.require("interviews:manage")
    interview = await get(t, interview_id, for_update=True)
    if interview["status"] == "archived":
        raise Conflict("Archived interviews cannot be edited.", code="interview_archived")
    if await repo.has_started_candidates(t, interview_id):
        raise Conflict(
            "Candidates have started this interview, so its questions are fixed. "
            "Duplicate it to change them.",
            code="interview_locked",
        )
    if not questions and interview["status"] == "active":
        raise Invalid("An active interview needs at least one question.", code="no_questions")
    await repo.replace_questions(t, interview_id, [_question_values(q) for q in questions])
    await repo.update_interview(t, interview_id, {})


async def change_status(
    t: Tenant, p: Principal, interview_id: UUID, status: str, billing: Billing
) -> None:
    p.require("interviews:manage")
    interview = await get(t, interview_id, for_update=True)
    current = interview["status"]
    if status == current:
        return
    if status not in TRANSITIONS[current]:
        raise Conflict(
            f"An interview cannot go from {current} to {status}.", code="invalid_transition"
        )
    if status == "active" and not await repo.questions(t, interview_id):
        raise Invalid("Add at least one question before activating.", code="no_questions")
    if status == "active":
        await billing_service.require_within(t, billing, "active_interviews")
    changes: dict[str, Any] = {"status": status}
    if status == "archived":
        changes["public_token_hash"] = None
    await repo.update_interview(t, interview_id, changes)
    await identity_repo.record_audit(
        t, f"interview.{status}", interview["title"], {}, p.user_id, p.api_key_id
    )


async def duplicate(t: Tenant, p: Principal, interview_id: UUID) -> UUID:
    p.require("interviews:manage")
    source = await get(t, interview_id)
    questions = await repo.questions(t, interview_id)
    values = {k: source[k] for k in repo.DETAILS}
    values["title"] = f"{source['title']} (copy)"[:200]
    return await create(t, p, {**values, "questions": questions})


async def set_public_link(t: Tenant, p: Principal, interview_id: UUID, public_url: str) -> str:
    """A new public link (the previous one stops working)."""
    p.require("interviews:manage")
    interview = await get(t, interview_id, for_update=True)
    if interview["status"] == "archived":
        raise Conflict("Archived interviews take no candidates.", code="interview_archived")
    token = security.new_token()
    await repo.update_interview(t, interview_id, {"public_token_hash": security.token_hash(token)})
    return f"{public_url.rstrip('/')}/join/{token}"


async def disable_public_link(t: Tenant, p: Principal, interview_id: UUID) -> None:
    p.require("interviews:manage")
    await get(t, interview_id, for_update=True)
    await repo.update_interview(t, interview_id, {"public_token_hash": None})


def candidate_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/i/{token}"


async def new_link(
    conn: asyncpg.Connection,
    organization_id: UUID,
    candidate_id: UUID,
    purpose: str,
    public_url: str,
) -> str:
    """A new personal link for the candidate (invitation, reminder, resend, public-link rejoin).
    It is added beside the ones they hold, never instead: a link in use keeps working, and every
    link ends with the invitation (its deadline, or the candidate completing or being revoked)."""
    token = security.new_token()
    await repo.add_link(conn, organization_id, candidate_id, security.token_hash(token), purpose)
    return candidate_link(public_url, token)


async def add_candidate(
    t: Tenant,
    p: Principal | None,
    interview_id: UUID,
    values: dict[str, Any],
    public_url: str,
    *,
    billing: Billing,
    source: str = "invited",
    send_email: bool = True,
) -> tuple[dict[str, Any], str]:
    """Invite one candidate (``p`` is None when a candidate joins through the public link)."""
    if p is not None:
        p.require("candidates:manage")
        if send_email:
            await require_verified_sender(t, p)
    for field in ("name", "email"):  # a CSV import arrives without a schema
        check_one_line(field, values[field])
    interview = await get(t, interview_id, for_update=True)
    if interview["status"] != "active":
        raise Conflict(
            "Only an active interview takes candidates. Activate it first.",
            code="interview_not_active",
        )
    email = normalize_email(values["email"])
    deadline: datetime | None = values.get("deadline")
    if deadline is not None and deadline <= datetime.now(UTC):
        raise Invalid("The deadline must be in the future.", code="deadline_past")
    if await repo.candidate_by_email(t, interview_id, email) is not None:
        raise Conflict(
            "This person is already a candidate for this interview; resend their link instead.",
            code="already_invited",
        )
    for limit in CANDIDATE_LIMITS:
        await billing_service.require_within(t, billing, limit)
    row = await repo.create_candidate(
        t,
        {
            "id": uuid4(),
            "interview_id": interview_id,
            "name": values["name"].strip(),
            "email": email,
            "source": source,
            "deadline": deadline,
            "extra_time_factor": values.get("extra_time_factor", 1.0),
            "extra_retakes": values.get("extra_retakes", 0),
        },
    )
    link = await new_link(
        t.conn,
        t.organization_id,
        row["id"],
        "public_link" if source == "public_link" else "invitation",
        public_url,
    )
    if send_email:
        await _send_invitation(t, interview, row, link)
        row = await repo.candidate(t, row["id"]) or row  # with its invitation email's state
    await identity_repo.add_outbox_event(
        t, InvitationCreated(candidate_id=row["id"], interview_id=interview_id, source=source)
    )
    return row, link


async def _send_invitation(
    t: Tenant, interview: dict[str, Any], candidate: dict[str, Any], link: str
) -> None:
    org = await identity_repo.organization(t)
    assert org is not None
    lang = interview["language"]
    deadline = ""
    if candidate["deadline"] is not None:
        date = candidate["deadline"].strftime("%Y-%m-%d %H:%M UTC")
        deadline = f" до {date}" if lang == "ru" else f" before {date}"
    mail = render(
        "candidate_invitation",
        lang,
        link,
        logo=interview["brand_logo_url"],
        name=candidate["name"],
        organization=interview["brand_name"] or org["name"],
        interview=interview["title"],
        deadline=deadline,
    )
    email_id = await queue_email(t.conn, candidate["email"], "candidate_invitation", mail)
    await repo.update_candidate(t, candidate["id"], {"invitation_email_id": email_id})


async def import_csv(
    t: Tenant,
    p: Principal,
    interview_id: UUID,
    text: str,
    deadline: datetime | None,
    public_url: str,
    send_email: bool,
    billing: Billing,
) -> tuple[int, list[dict[str, Any]]]:
    """Create a candidate per row (columns: name, email); each bad row is reported, the good
    rows are created. Runs in one transaction; rows are isolated by savepoints."""
    p.require("candidates:manage")
    if send_email:
        await require_verified_sender(t, p)
    await get(t, interview_id)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"name", "email"} <= fields:
        raise Invalid(
            "The CSV needs a header row with the columns name and email.", code="csv_columns"
        )
    created, errors = 0, []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            errors.append(
                {
                    "row": number,
                    "email": None,
                    "error": f"Only {MAX_IMPORT_ROWS} rows are imported at a time.",
                }
            )
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not row.get("name") or not row.get("email"):
            errors.append(
                {
                    "row": number,
                    "email": row.get("email") or None,
                    "error": "Name and email are both required.",
                }
            )
            continue
        try:
            async with savepoint(t.conn):
                await add_candidate(
                    t,
                    p,
                    interview_id,
                    {"name": row["name"], "email": row["email"], "deadline": deadline},
                    public_url,
                    billing=billing,
                    source="import",
                    send_email=send_email,
                )
            created += 1
        except (Invalid, Conflict, PaymentRequired) as exc:
            errors.append({"row": number, "email": row["email"], "error": exc.detail})
    return created, errors


async def get_candidate(t: Tenant, candidate_id: UUID) -> dict[str, Any]:
    row = await repo.candidate(t, candidate_id)
    if row is None:
        raise NotFound("No such candidate.")
    return row


async def update_candidate(
    t: Tenant, p: Principal, candidate_id: UUID, changes: dict[str, Any]
) -> dict[str, Any]:
    p.require("candidates:manage")
    candidate = await get_candidate(t, candidate_id)
    deadline = changes.get("deadline")
    if deadline is not None and deadline <= datetime.now(UTC):
        raise Invalid("The deadline must be in the future.", code="deadline_past")
    if "deadline" in changes and candidate["status"] == "expired" and deadline is not None:
        changes["status"] = "opened" if candidate["opened_at"] else "invited"
    await repo.update_candidate(t, candidate_id, changes)
    return await get_candidate(t, candidate_id)


async def send_new_link(
    t: Tenant, candidate: dict[str, Any], public_url: str, purpose: str = "resend"
) -> str:
    """Email the candidate one more personal link; the links they hold keep working."""
    link = await new_link(t.conn, t.organization_id, candidate["id"], purpose, public_url)
    interview = await get(t, candidate["interview_id"])
    await _send_invitation(t, interview, candidate, link)
    return link


async def resend(
    t: Tenant, p: Principal, candidate_id: UUID, public_url: str
) -> tuple[dict[str, Any], str]:
    p.require("candidates:manage")
    await require_verified_sender(t, p)
    candidate = await get_candidate(t, candidate_id)
    if candidate["status"] in ("completed", "revoked"):
        raise Conflict(
            f"This candidate's interview is {candidate['status']}.", code="candidate_closed"
        )
    return candidate, await send_new_link(t, candidate, public_url)


async def revoke(t: Tenant, p: Principal, candidate_id: UUID) -> dict[str, Any]:
    p.require("candidates:manage")
    candidate = await get_candidate(t, candidate_id)
    if candidate["status"] == "completed":
        raise Conflict("A completed interview cannot be revoked.", code="candidate_closed")
    await repo.update_candidate(t, candidate_id, {"status": "revoked"})
    return await get_candidate(t, candidate_id)
