"""Fairness & data rights endpoints: AI switches, the AI runs audit, reviewer overrides,
candidates' requests (team side); the AI notice and the requests (candidate side, by link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api import pagination
from api.compliance import repository as repo
from api.compliance import schemas as s
from api.compliance import service
from api.context import services
from api.errors import NotFound, error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.pagination import Limit
from api.responses.routes import candidate_tx

Req = Request[Any, Any, Any]


def _filters(
    candidate: UUID | None,
    kind: s.RunKind | None,
    model: str | None,
    since: datetime | None,
    until: datetime | None,
) -> service.RunFilters:
    return candidate, kind, model, since, until


class ComplianceController(Controller):
    tags = ["compliance"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("/compliance/settings", summary="AI oversight settings")
    async def get_settings(
        self, request: Req, p: NamedDependency[Principal]
    ) -> s.ComplianceSettings:
        p.require("team:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            row = await repo.settings(t)
        return s.ComplianceSettings(ai_evaluation=row["ai_evaluation"])

    @put("/compliance/settings", summary="Switch AI evaluation for the organization")
    async def put_settings(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.ComplianceSettings]
    ) -> s.ComplianceSettings:
        """`ai_evaluation: false` stops every AI evaluation, live coverage and summary of the
        organization from now on (transcripts may stay); audited."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.set_organization_ai(t, p, data.ai_evaluation)

    @get(
        "/interviews/{interview_id:uuid}/ai-settings",
        responses=error_responses(404),
        summary="The interview's AI switch",
    )
    async def get_interview_ai(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> s.InterviewAiState:
        p.require("interviews:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.interview_ai(t, interview_id)

    @put(
        "/interviews/{interview_id:uuid}/ai-settings",
        responses=error_responses(404),
        summary="Switch AI evaluation for one interview",
    )
    async def put_interview_ai(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: JSONBody[s.InterviewAiSettings],
    ) -> s.InterviewAiState:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.set_interview_ai(t, p, interview_id, data.ai_evaluation)

    @get("/ai-runs", summary="Audit of AI runs")
    async def ai_runs(
        self,
        request: Req,
        p: NamedDependency[Principal],
        candidate: FromQuery[UUID | None] = None,
        kind: FromQuery[s.RunKind | None] = None,
        model: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.AiRunPage:
        """Every AI run (transcription, evaluation, live coverage, summary; failed ones too),
        newest first: its input hash, output, latency, tokens and error. Filter by candidate,
        kind, model and time (`since` inclusive, `until` exclusive)."""
        p.require("audit:read")
        filters = _filters(candidate, kind, model, since, until)
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.ai_runs(t, filters, limit, pagination.decode(cursor))
            models = await repo.ai_run_models(t)
        return s.AiRunPage(
            items=[service.run_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
            models=models,
        )

    @get("/ai-runs.csv", summary="Export AI runs as CSV", media_type="text/csv")
    async def export_ai_runs(
        self,
        request: Req,
        p: NamedDependency[Principal],
        candidate: FromQuery[UUID | None] = None,
        kind: FromQuery[s.RunKind | None] = None,
        model: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> Response[str]:
        """The runs the same filters select (up to 10,000, newest first), the output as JSON."""
        p.require("audit:read")
        filters = _filters(candidate, kind, model, since, until)
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            body = await service.export_runs(t, filters)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ai-runs.csv"'},
        )

    @get("/ai-overrides", summary="Reviewer overrides of AI scores")
    async def overrides(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.AiOverridePage:
        """Ratings that differ from the AI's score of the criterion, and decisions against the
        AI's lean (reject with a mean AI score of 3 or more, advance below 3), with both values."""
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.overrides(t, limit, pagination.decode(cursor))
        return s.AiOverridePage(
            items=[service.override_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @get("/candidate-requests", summary="Candidates' requests")
    async def candidate_requests(
        self,
        request: Req,
        p: NamedDependency[Principal],
        open_only: FromQuery[bool] = False,
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.CandidateRequestPage:
        """Human-only reviews and accommodations asked for from the notice page, newest first."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.requests(t, open_only, limit, pagination.decode(cursor))
        return s.CandidateRequestPage(
            items=[service.request_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @post(
        "/candidate-requests/{request_id:uuid}/resolve",
        status_code=204,
        responses=error_responses(404),
        summary="Mark a candidate's request handled",
    )
    async def resolve(
        self, request: Req, p: NamedDependency[Principal], request_id: FromPath[UUID]
    ) -> None:
        p.require("candidates:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            if not await repo.resolve_request(t, request_id, p.user_id):
                raise NotFound("No such open request.")


class CandidateRightsController(Controller):
    """The candidate's side: their rights link (in the confirmation email and on the notice
    page) is the credential; no account."""

    tags = ["candidate"]
    responses = error_responses(404)

    @get("/candidate/ai-notice", responses=error_responses(401, 409, 410))
    async def interview_notice(self, request: Req) -> s.CandidateNotice:
        """During the interview (the interview link's token): what the AI evaluates, generated
        from this interview's rubric, and the link where the candidate may ask for a review by
        people only or an accommodation."""
        svc = services(request.app.state)
        async with candidate_tx(request) as (t, c):
            link = service.rights_link(svc.public_url, svc.secret_key, t.organization_id, c["id"])
            return await service.notice(t, c["id"], svc.llm_evaluator, link)

    @get("/rights/{token:str}")
    async def rights(self, request: Req, token: FromPath[str]) -> s.CandidateNotice:
        """The AI notice for the candidate of a rights link."""
        svc = services(request.app.state)
        org, candidate_id = service.read_rights_token(svc.secret_key, token)
        async with svc.db.tenant(org) as t:
            return await service.notice(t, candidate_id, svc.llm_evaluator, None)

    @post("/rights/{token:str}/requests", status_code=201, responses=error_responses(400))
    async def ask(
        self, request: Req, token: FromPath[str], data: JSONBody[s.CandidateRequestIn]
    ) -> s.CandidateNotice:
        """Ask for a review by people only (AI stops for this candidate and what it produced
        is withdrawn) or for an accommodation (the team sees it with the message)."""
        svc = services(request.app.state)
        org, candidate_id = service.read_rights_token(svc.secret_key, token)
        async with svc.db.tenant(org) as t:
            await service.notice(t, candidate_id, svc.llm_evaluator, None)  # the candidate exists
            await service.add_request(t, candidate_id, data.kind, data.message)
            return await service.notice(t, candidate_id, svc.llm_evaluator, None)
