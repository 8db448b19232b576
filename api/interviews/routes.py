"""HTTP endpoints of Interview Management (recruiters and integrations)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
import msgspec.structs
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api import pagination
from api.context import services
from api.errors import FairviewError, NotFound, error_responses
from api.examples import json_body
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import repository as repo
from api.interviews import schemas as s
from api.interviews import service
from api.interviews.templates import TEMPLATES
from api.pagination import Limit

Req = Request[Any, Any, Any]


def _examples(*names: str) -> dict[str, Any]:
    return {name: s.EXAMPLES[name] for name in names}


def _counts(raw: dict[str, int] | None) -> s.CandidateCounts:
    return s.CandidateCounts(**(raw or {}))


def question_out(q: dict[str, Any]) -> s.QuestionOut:
    return s.QuestionOut(
        id=q["id"],
        position=q["position"],
        prompt=q["prompt"],
        kind=q["kind"],
        think_seconds=q["think_seconds"],
        answer_seconds=q["answer_seconds"],
        retakes=q["retakes"],
        required=q["required"],
        rubric=[s.RubricCriterion(**c) for c in q["rubric"]],
    )


def candidate_out(c: dict[str, Any]) -> s.CandidateOut:
    return s.CandidateOut(
        id=c["id"],
        interview_id=c["interview_id"],
        name=c["name"],
        email=c["email"],
        status=c["status"],
        source=c["source"],
        deadline=c["deadline"],
        extra_time_factor=float(c["extra_time_factor"]),
        extra_retakes=c["extra_retakes"],
        ai_consent=c["ai_consent"],
        answered=c["answered"],
        opened_at=c["opened_at"],
        started_at=c["started_at"],
        completed_at=c["completed_at"],
        created_at=c["created_at"],
        invitation_email=s.InvitationEmail(
            status=c["email_status"],
            attempts=c["email_attempts"],
            last_error=c["email_error"],
            sent_at=c["email_sent_at"],
        )
        if c.get("email_status")
        else None,
    )


async def interview_out(request: Req, p: Principal, interview_id: UUID) -> s.InterviewOut:
    async with services(request.app.state).db.tenant(p.organization_id) as t:
        i = await service.get(t, interview_id)
        counts = await repo.candidate_counts(t, interview_id)
        questions = await repo.questions(t, interview_id)
        locked = await repo.has_started_candidates(t, interview_id)
        following = await repo.is_following(t, interview_id, p.user_id)
    return s.InterviewOut(
        id=i["id"],
        title=i["title"],
        role_description=i["role_description"],
        intro=i["intro"],
        language=i["language"],
        status=i["status"],
        brand_name=i["brand_name"],
        brand_logo_url=i["brand_logo_url"],
        reminder_hours=i["reminder_hours"],
        public_link=i["public_token_hash"] is not None,
        locked=locked,
        questions=[question_out(q) for q in questions],
        candidates=_counts(counts),
        created_at=i["created_at"],
        updated_at=i["updated_at"],
        following=following,
    )


def _set(struct: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not msgspec.UNSET}


class InterviewController(Controller):
    path = "/interviews"
    tags = ["interviews"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("/", summary="List interviews")
    async def list_interviews(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
        status: FromQuery[s.Status | None] = None,
    ) -> s.InterviewPage:
        """Interviews, newest first (archived ones only when asked for by status)."""
        p.require("interviews:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_interviews(t, limit, pagination.decode(cursor), status)
        items = [
            s.InterviewSummary(
                id=r["id"],
                title=r["title"],
                status=r["status"],
                language=r["language"],
                questions=r["question_count"],
                candidates=_counts(r["candidate_counts"]),
                created_at=r["created_at"],
            )
            for r in rows
        ]
        return s.InterviewPage(items=items, next_cursor=pagination.next_cursor(rows, limit))

    @post("/", responses=error_responses(400, 422), summary="Create an interview")
    async def create(
        self,
        request: Req,
        p: NamedDependency[Principal],
        data: Annotated[s.InterviewIn, json_body(**_examples("create_interview", "from_template"))],
    ) -> s.InterviewOut:
        """Create a draft interview, optionally from a template (`GET /interview-templates`)."""
        values = msgspec.structs.asdict(data)
        values["questions"] = [msgspec.to_builtins(q) for q in data.questions]
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            interview_id = await service.create(t, p, values)
        return await interview_out(request, p, interview_id)

    @get("/{interview_id:uuid}", responses=error_responses(404), summary="Get an interview")
    async def get_interview(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> s.InterviewOut:
        p.require("interviews:read")
        return await interview_out(request, p, interview_id)

    @patch(
        "/{interview_id:uuid}",
        responses=error_responses(400, 404, 409),
        summary="Update an interview",
    )
    async def update(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[s.InterviewUpdate, json_body(**_examples("update_interview"))],
    ) -> s.InterviewOut:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.update(t, p, interview_id, _set(data))
        return await interview_out(request, p, interview_id)

    @put(
        "/{interview_id:uuid}/questions",
        responses=error_responses(400, 404, 409, 422),
        summary="Replace the questions",
    )
    async def set_questions(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[s.Questions, json_body(**_examples("replace_questions"))],
    ) -> s.InterviewOut:
        """Replace the questions (in order, at most 50). Refused once a candidate has started."""
        if len(data) > s.MAX_QUESTIONS:  # the body's list is decoded without its length rule
            raise FairviewError(
                f"An interview has at most {s.MAX_QUESTIONS} questions.", code="validation_error"
            )
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.set_questions(t, p, interview_id, [msgspec.to_builtins(q) for q in data])
        return await interview_out(request, p, interview_id)

    @post(
        "/{interview_id:uuid}/status",
        responses=error_responses(400, 404, 409, 422),
        summary="Activate, close or archive",
    )
    async def change_status(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[s.StatusChange, json_body(**_examples("activate"))],
    ) -> s.InterviewOut:
        """draft → active ⇄ closed → archived; only active interviews take candidates."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            await service.change_status(t, p, interview_id, data.status, svc.billing)
        return await interview_out(request, p, interview_id)

    @post(
        "/{interview_id:uuid}/duplicate",
        responses=error_responses(404),
        summary="Duplicate an interview",
    )
    async def duplicate(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> s.InterviewOut:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            new_id = await service.duplicate(t, p, interview_id)
        return await interview_out(request, p, new_id)

    @put(
        "/{interview_id:uuid}/following",
        responses=error_responses(400, 404),
        summary="Follow or stop following",
    )
    async def set_following(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: JSONBody[s.Following],
    ) -> s.Following:
        """Hear (or stop hearing) about this interview's candidates: completions, ready
        evaluations, decisions and undeliverable invitations, in the bell and by email."""
        p.require("candidates:read")
        user_id = p.person()
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.get(t, interview_id)
            await repo.set_following(t, interview_id, user_id, data.following)
        return data

    @post(
        "/{interview_id:uuid}/public-link",
        responses=error_responses(404, 409),
        summary="Open the public link",
    )
    async def public_link(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> s.PublicLink:
        """Make a public link where candidates enter their own name and email (replaces any
        previous link)."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            url = await service.set_public_link(t, p, interview_id, svc.public_url)
        return s.PublicLink(url=url)

    @delete(
        "/{interview_id:uuid}/public-link",
        responses=error_responses(404),
        summary="Close the public link",
    )
    async def disable_public_link(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> None:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.disable_public_link(t, p, interview_id)

    @get(
        "/{interview_id:uuid}/candidates", responses=error_responses(404), summary="List candidates"
    )
    async def list_candidates(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
        status: FromQuery[s.CandidateStatus | None] = None,
    ) -> s.CandidatePage:
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_candidates(
                t, interview_id, limit, pagination.decode(cursor), status
            )
            # Candidates prove their interview exists; only an empty page needs to ask.
            if not rows and not await repo.interview_exists(t, interview_id):
                raise NotFound("No such interview.")
        return s.CandidatePage(
            items=[candidate_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @post(
        "/{interview_id:uuid}/candidates",
        responses=error_responses(400, 404, 409, 422),
        summary="Invite a candidate",
    )
    async def add_candidate(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[
            s.CandidateIn, json_body(**_examples("invite_one", "invite_with_adjustments"))
        ],
    ) -> s.CandidateCreated:
        """Invite a candidate: emails them a personal link (also returned here, once)."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            row, link = await service.add_candidate(
                t,
                p,
                interview_id,
                msgspec.structs.asdict(data),
                svc.public_url,
                billing=svc.billing,
                send_email=data.send_email,
            )
        return s.CandidateCreated(candidate=candidate_out(row), link=link)

    @post(
        "/{interview_id:uuid}/candidates/import",
        responses=error_responses(400, 404, 422),
        summary="Invite candidates from CSV",
    )
    async def import_candidates(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[s.CsvImport, json_body(**_examples("invite_many"))],
    ) -> s.ImportResult:
        """Invite many candidates from CSV text with a header row `name,email`; good rows are
        created and each bad row is reported with its line number."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            created, errors = await service.import_csv(
                t,
                p,
                interview_id,
                data.csv,
                data.deadline,
                svc.public_url,
                data.send_email,
                svc.billing,
            )
        return s.ImportResult(created=created, errors=[s.ImportRowError(**e) for e in errors])


class CandidateController(Controller):
    path = "/candidates"
    tags = ["candidates"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get("/{candidate_id:uuid}", summary="Get a candidate")
    async def get_candidate(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> s.CandidateOut:
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return candidate_out(await service.get_candidate(t, candidate_id))

    @patch(
        "/{candidate_id:uuid}", responses=error_responses(400, 422), summary="Adjust a candidate"
    )
    async def update_candidate(
        self,
        request: Req,
        p: NamedDependency[Principal],
        candidate_id: FromPath[UUID],
        data: Annotated[s.CandidateUpdate, json_body(**_examples("adjust_candidate"))],
    ) -> s.CandidateOut:
        """Change the deadline or the accommodations (extra time factor, extra retakes)."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return candidate_out(await service.update_candidate(t, p, candidate_id, _set(data)))

    @post(
        "/{candidate_id:uuid}/resend",
        responses=error_responses(409),
        summary="Resend the invitation",
    )
    async def resend(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> s.CandidateCreated:
        """Email a new link (the old one stops working)."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            row, link = await service.resend(t, p, candidate_id, svc.public_url)
        return s.CandidateCreated(candidate=candidate_out(row), link=link)

    @post(
        "/{candidate_id:uuid}/revoke",
        responses=error_responses(409),
        summary="Revoke the invitation",
    )
    async def revoke(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> s.CandidateOut:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return candidate_out(await service.revoke(t, p, candidate_id))


@get("/interview-templates", tags=["interviews"], sync_to_thread=False)
def list_templates() -> list[s.Template]:
    """Built-in interviews to start from: pass `template` when creating one."""
    return [
        s.Template(
            key=k,
            title=v["title"],
            role_description=v["role_description"],
            questions=[msgspec.convert(q, s.QuestionIn) for q in v["questions"]],
        )
        for k, v in TEMPLATES.items()
    ]
