"""Share links for hiring managers without an account: the rules of what a guest sees and may
do. A guest watches, reads, rates per criterion and comments on the candidates of their link;
they never decide, never see other candidates, the team's ratings or the evaluation, and every
use is logged for the team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from api.errors import Conflict, Forbidden, Gone, Invalid, NotFound, RateLimited
from api.identity import security
from api.identity.service import normalize_email
from api.interviews import service as interviews
from api.notification.repository import queue_email
from api.notification.templates import render
from api.reporting import repository as repo
from api.reporting import schemas as s
from api.review import repository as review
from storage.db import Tenant

CONFIRMATION_TTL = timedelta(hours=1)
CONFIRMATIONS_PER_HOUR = 5  # emails one link may send its named address in an hour
GRANT_COOKIE = "fairview_share"  # the confirmed guest's grant, scoped to the link's API path


def link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/shared/{token}"


def cookie_path(token: str) -> str:
    return f"/api/v1/shared/{token}"


def share_out(
    row: dict[str, Any], accesses: list[dict[str, Any]], feedback: list[dict[str, Any]]
) -> s.ShareOut:
    return s.ShareOut(
        id=row["id"],
        recipient=row["recipient"],
        email=row["email"],
        confirmed=row["confirmed"],
        candidate_ids=row["candidate_ids"],
        hide_identity=row["hide_identity"],
        hide_video=row["hide_video"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        active=row["revoked_at"] is None and row["expires_at"] > datetime.now(UTC),
        accesses=[
            s.ShareAccess(
                action=a["action"],
                candidate=a["candidate"],
                ip=a["ip"],
                user_agent=a["user_agent"],
                at=a["at"],
            )
            for a in accesses
            if a["share_id"] == row["id"]
        ],
        feedback=[
            s.GuestFeedback(
                candidate=f["candidate"],
                question=None if f["position"] is None else f["position"] + 1,
                criterion=f["criterion"],
                score=f["score"],
                comment=f["body"],
                at=f["at"],
            )
            for f in feedback
            if f["share_id"] == row["id"]
        ],
    )


async def create(
    t: Tenant, user_id: UUID | None, interview_id: UUID, data: s.ShareIn, public_url: str
) -> s.ShareCreated:
    await interviews.get(t, interview_id)
    if (data.candidate_id is None) == (not data.shortlist):
        raise Invalid("Share one candidate or the shortlist.", code="share_what")
    if data.candidate_id is not None:
        c = await interviews.get_candidate(t, data.candidate_id)
        if c["interview_id"] != interview_id:
            raise NotFound("No such candidate in this interview.")
        candidate_ids = [data.candidate_id]
    else:
        candidate_ids = await repo.shortlisted(t, interview_id)
        if not candidate_ids:
            raise Invalid("The shortlist is empty.", code="shortlist_empty")
    token = security.new_token()
    share_id = uuid4()
    await repo.create_share(
        t,
        {
            "id": share_id,
            "interview_id": interview_id,
            "token_hash": security.token_hash(token),
            "recipient": data.recipient.strip(),
            "candidate_ids": candidate_ids,
            "hide_identity": data.hide_identity,
            "hide_video": data.hide_video,
            "expires_at": datetime.now(UTC) + timedelta(days=data.expires_in_days),
            "created_by": user_id,
            "email": normalize_email(data.email) if data.email is not None else None,
        },
    )
    row = await repo.share(t, share_id)
    assert row is not None
    return s.ShareCreated(share=share_out(row, [], []), link=link(public_url, token))


async def list_for(t: Tenant, interview_id: UUID) -> list[s.ShareOut]:
    await interviews.get(t, interview_id)
    rows = await repo.shares(t, interview_id)
    ids = [r["id"] for r in rows]
    accesses = await repo.accesses(t, ids)
    feedback = await repo.guest_feedback(t, ids)
    return [share_out(r, accesses, feedback) for r in rows]


async def revoke(t: Tenant, share_id: UUID) -> None:
    if await repo.share(t, share_id) is None:
        raise NotFound("No such share link.")
    await repo.revoke_share(t, share_id)


async def open_share(
    t: Tenant, token: str, grant: str | None, confirmed: bool = True
) -> dict[str, Any]:
    """The share of a guest's token, refused (410) once revoked or expired; a link limited to
    a named email is refused (403) to a browser without the grant of a confirmation, unless
    ``confirmed`` is false (asking for and using a confirmation)."""
    row = await repo.share_by_token(t, security.token_hash(token))
    if row is None:
        raise NotFound("This link is not valid.", code="invalid_link")
    if row["revoked_at"] is not None:
        raise Gone("This link was withdrawn by the hiring team.", code="link_revoked")
    if row["expires_at"] <= datetime.now(UTC):
        raise Gone("This link has expired. Ask the hiring team for a new one.", code="link_expired")
    if (
        confirmed
        and row["email"] is not None
        and not (grant and await repo.granted(t, row["id"], security.token_hash(grant)))
    ):
        raise Forbidden(
            "This link is for one person: enter your email address to get a link that opens it.",
            code="confirmation_required",
        )
    return row


async def request_confirmation(
    t: Tenant, share: dict[str, Any], token: str, email: str, public_url: str
) -> str:
    """Email a confirmation link to the share's named address when the guest gave that address
    (the guest hears the same either way): the access log's action."""
    if share["email"] is None:
        raise Conflict("This link opens without confirmation.", code="no_confirmation_needed")
    try:
        given = normalize_email(email)
    except Invalid:
        return "wrong_email"
    if given.casefold() != share["email"].casefold():
        return "wrong_email"
    now = datetime.now(UTC)
    if await repo.confirmations_since(t, share["id"], now - timedelta(hours=1)) >= (
        CONFIRMATIONS_PER_HOUR
    ):
        raise RateLimited(
            "Several confirmation emails were sent in the last hour: use the latest, or try"
            " again later.",
            code="too_many_confirmations",
        )
    code = security.new_token()
    await repo.add_confirmation(
        t, uuid4(), share["id"], security.token_hash(code), now + CONFIRMATION_TTL
    )
    mail = render(
        "share_confirmation",
        share["language"],
        f"{link(public_url, token)}?confirm={code}",
        organization=share["organization"],
        interview=share["title"],
        email=share["email"],
        minutes=int(CONFIRMATION_TTL.total_seconds() // 60),
    )
    await queue_email(t.conn, share["email"], "share_confirmation", mail)
    return "confirmation_sent"


async def confirm(t: Tenant, share: dict[str, Any], code: str) -> str:
    """Use the emailed code (once, within the hour): the grant for the guest's browser."""
    grant = security.new_token()
    if not await repo.confirm(
        t, share["id"], security.token_hash(code), security.token_hash(grant)
    ):
        raise Invalid(
            "This confirmation link was used already or has expired: ask for a new one.",
            code="confirmation_invalid",
        )
    return grant


async def view(t: Tenant, share: dict[str, Any], token: str) -> s.SharedView:
    mine = {
        (r["answer_id"], r["criterion"]): r["score"]
        for r in await repo.guest_ratings(t, share["id"])
    }
    comments = await repo.guest_comments(t, share["id"])
    out = []
    for n, candidate_id in enumerate(share["candidate_ids"], start=1):
        c = await interviews.get_candidate(t, candidate_id)
        rows = await review.questions_with_answers(t, candidate_id, c["interview_id"])
        out.append(
            s.SharedCandidate(
                id=candidate_id,
                label=f"Candidate {n}" if share["hide_identity"] else c["name"],
                email=None if share["hide_identity"] else c["email"],
                questions=[_question(r, share, token, mine) for r in rows],
                my_comments=[m["body"] for m in comments if m["candidate_id"] == candidate_id],
            )
        )
    return s.SharedView(
        interview_title=share["title"],
        recipient=share["recipient"],
        expires_at=share["expires_at"],
        hide_identity=share["hide_identity"],
        hide_video=share["hide_video"],
        candidates=out,
    )


def _media_hidden(share: dict[str, Any], kind: str) -> bool:
    return bool(share["hide_video"]) and kind == "video"


def _question(
    r: dict[str, Any], share: dict[str, Any], token: str, mine: dict[tuple[UUID, str], int]
) -> s.SharedQuestion:
    answer = None
    if r["answer_id"] is not None:
        answer = s.SharedAnswer(
            id=r["answer_id"],
            status=r["status"],
            duration_ms=r["duration_ms"],
            text=r["text_answer"] if r["text_answer"] is not None else r["transcript_text"],
            playback_url=f"/api/v1/shared/{token}/answers/{r['answer_id']}/playback"
            if r["playback_key"] and not _media_hidden(share, r["kind"])
            else None,
            my_ratings={
                c["name"]: mine[(r["answer_id"], c["name"])]
                for c in r["rubric"]
                if (r["answer_id"], c["name"]) in mine
            },
        )
    return s.SharedQuestion(
        id=r["id"],
        position=r["position"],
        kind=r["kind"],
        prompt=r["prompt"],
        criteria=[c["name"] for c in r["rubric"]],
        answer=answer,
    )


async def shared_answer(t: Tenant, share: dict[str, Any], answer_id: UUID) -> dict[str, Any]:
    """An answer of one of the link's candidates (404 for anything else)."""
    a = await repo.answer_of(t, answer_id)
    if a is None or a["candidate_id"] not in share["candidate_ids"]:
        raise NotFound("No such answer.")
    return a


async def playback_key(t: Tenant, share: dict[str, Any], answer_id: UUID) -> tuple[str, UUID]:
    a = await shared_answer(t, share, answer_id)
    if a["playback_key"] is None or _media_hidden(share, a["kind"]):
        raise NotFound("This link shows no recording of this answer.")
    return a["playback_key"], a["candidate_id"]


async def rate(
    t: Tenant, share: dict[str, Any], answer_id: UUID, ratings: list[s.GuestRating]
) -> UUID:
    a = await shared_answer(t, share, answer_id)
    criteria = {c["name"] for c in a["rubric"]}
    unknown = [r.criterion for r in ratings if r.criterion not in criteria]
    if unknown:
        raise Invalid(
            f"Not criteria of this question: {', '.join(unknown)}.", code="unknown_criterion"
        )
    for r in ratings:
        await repo.set_guest_rating(t, share["id"], answer_id, r.criterion, r.score)
    candidate_id: UUID = a["candidate_id"]
    return candidate_id


async def comment(t: Tenant, share: dict[str, Any], candidate_id: UUID, body: str) -> None:
    if candidate_id not in share["candidate_ids"]:
        raise NotFound("No such candidate.")
    await repo.add_guest_comment(t, uuid4(), share["id"], candidate_id, body.strip())
