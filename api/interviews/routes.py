"""HTTP endpoints of Interview Management (recruiters and integrations)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
import msgspec.structs
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api import pagination
from api.context import services
from api.errors import FairviewError, Invalid, NotFound, error_responses
from api.examples import json_body
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import repository as repo
from api.interviews import schemas as s
from api.interviews import service
from api.interviews.templates import TEMPLATES
from api.pagination import Limit
from api.review import service as review
from storage.db import savepoint

Req = Request[Any, Any, Any]


Search = Annotated[str, Parameter(max_length=200, description="Text in the name or email")]
Score = Annotated[float, Parameter(ge=1, le=5, description="An LLM score, 1-5")]


def _examples(*names: str) -> dict[str, Any]:
    return {name: s.EXAMPLES[name] for name in names}


def question_out(q: dict[str, Any]) -> s.QuestionOut:
    return msgspec.convert(q, s.QuestionOut)


def candidate_out(c: dict[str, Any]) -> s.CandidateOut:
    """A candidate row of ``repo`` (its columns are named as ``CandidateOut``'s fields)."""
    return msgspec.convert(c, s.CandidateOut)


async def interview_out(request: Req, p: Principal, interview_id: UUID) -> s.InterviewOut:
    async with services(request.app.state).db.tenant(p.organization_id) as t:
        row = await repo.interview_detail(t, interview_id, p.user_id)
    if row is None:
        raise NotFound("No such interview.")
    return msgspec.convert(row, s.InterviewOut)


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
        return s.InterviewPage(
            items=msgspec.convert(rows, list[s.InterviewSummary]),
            next_cursor=pagination.next_cursor(rows, limit),
        )

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
        decision: FromQuery[s.DecisionFilter | None] = None,
        q: FromQuery[Search | None] = None,
        score_min: FromQuery[Score | None] = None,
        score_max: FromQuery[Score | None] = None,
        sort: FromQuery[s.CandidateSort] = "newest",
    ) -> s.CandidatePage:
        """Candidates of the interview, searched (`q`: name or email), filtered (status, the
        current decision or `none`, the LLM score's range) and sorted: `newest` first, by
        `name`, by `score` (highest first; unscored last) or by `completed` (latest first).
        Every order pages by keyset: pass `next_cursor` with the same sort."""
        p.require("candidates:read")
        for bound in (score_min, score_max):
            if bound is not None and not 1 <= bound <= 5:  # an optional number's bounds are ours
                raise Invalid("A score is between 1 and 5.", code="validation_error")
        where = repo.CandidateFilter(
            status=status,
            decision=decision,
            search=q.strip() if q and q.strip() else None,
            score_min=score_min,
            score_max=score_max,
        )
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.list_candidates(t, interview_id, limit, cursor, sort, where)
            # Candidates prove their interview exists; only an empty page needs to ask.
            if not rows and not await repo.interview_exists(t, interview_id):
                raise NotFound("No such interview.")
        return s.CandidatePage(
            items=msgspec.convert(rows, list[s.CandidateOut]),
            next_cursor=pagination.ordered_next_cursor(repo.CANDIDATE_ORDERS[sort], rows, limit),
        )

    @post(
        "/{interview_id:uuid}/candidates/bulk",
        status_code=200,
        responses=error_responses(400, 404, 422),
        summary="Act on several candidates",
    )
    async def bulk(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: Annotated[s.BulkAction, json_body(**_examples("bulk_decide"))],
    ) -> s.BulkResult:
        """Resend the invitation to, revoke or decide on each selected candidate (at most 200).
        Each one succeeds or fails alone, with the error its single request would give; those
        that are not candidates of this interview fail as `not_found`."""
        p.require("candidates:decide" if data.action == "decide" else "candidates:manage")
        if data.action == "decide" and data.decision is None:
            raise Invalid("Name the decision to record.", code="decision_required")
        svc = services(request.app.state)
        done: list[UUID] = []
        failed: list[s.BulkFailure] = []
        async with svc.db.tenant(p.organization_id) as t:
            await service.get(t, interview_id)
            ids = list(dict.fromkeys(data.candidate_ids))
            mine = set(await repo.candidates_of_interview(t, interview_id, ids))
            for candidate_id in ids:
                try:
                    if candidate_id not in mine:
                        raise NotFound("No such candidate in this interview.")
                    async with savepoint(t.conn):
                        if data.action == "resend":
                            await service.resend(t, p, candidate_id, svc.public_url)
                        elif data.action == "revoke":
                            await service.revoke(t, p, candidate_id)
                        else:
                            await review.decide(t, p, candidate_id, data.decision or "", data.note)
                except FairviewError as e:
                    failed.append(s.BulkFailure(candidate_id, e.code, e.detail))
                else:
                    done.append(candidate_id)
        return s.BulkResult(done=done, failed=failed)

    @post(
        "/{interview_id:uuid}/candidates",
        responses=error_responses(400, 403, 404, 409, 422),
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
        responses=error_responses(400, 403, 404, 422),
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
        responses=error_responses(403, 409),
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
