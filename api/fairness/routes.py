"""Fairness endpoints: the candidate's voluntary self-identification (by their interview link,
after they finish) and the adverse-impact report for admins (JSON and CSV)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from api.context import services
from api.errors import NotAuthenticated, NotFound, error_responses
from api.fairness import repository as repo
from api.fairness import schemas as s
from api.fairness import service
from api.identity import security
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from storage.db import Tenant

Req = Request[Any, Any, Any]


@asynccontextmanager
async def _finished_candidate(request: Req) -> AsyncIterator[tuple[Tenant, dict[str, Any]]]:
    """The candidate of the interview link (``Authorization: Bearer <token>``), whatever their
    status: unlike the interview's own routes, these answer after the interview is over."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "Open the interview from the link in your email.", code="invalid_link"
        )
    digest = security.token_hash(token.strip())
    svc = services(request.app.state)
    async with svc.db.platform() as conn:
        org = await repo.organization_of_link(conn, digest)
    if org is not None:
        async with svc.db.tenant(org) as t:
            c = await repo.candidate_of_link(t, digest)
            if c is not None:
                yield t, c
                return
    raise NotFound(
        "This interview link is not valid. Check the link in your email.", code="invalid_link"
    )


class SelfIdentificationController(Controller):
    """Optional questions after the interview; never required, never seen by the hiring team."""

    path = "/candidate/self-identification"
    tags = ["candidate"]
    responses = error_responses(401, 404)

    @get("", summary="Whether the candidate may and did self-identify")
    async def show(self, request: Req) -> s.SelfIdentificationState:
        async with _finished_candidate(request) as (t, c):
            return await service.state(t, c)

    @put("", responses=error_responses(409), summary="Self-identify (optional)")
    async def answer(
        self, request: Req, data: JSONBody[s.SelfIdentificationIn]
    ) -> s.SelfIdentificationState:
        """Sex and race/ethnicity in the NYC Local Law 144 categories, each optional and with
        "prefer_not_to_say"; only once the interview is completed (409 before). Replaces an
        earlier answer. Kept apart from the candidate's record: the hiring team sees only
        counts in the adverse-impact report, and it never reaches the AI."""
        async with _finished_candidate(request) as (t, c):
            return await service.answer(t, c, data)

    @delete("", status_code=200, summary="Withdraw the self-identification")
    async def withdraw(self, request: Req) -> s.SelfIdentificationState:
        async with _finished_candidate(request) as (t, c):
            return await service.withdraw(t, c)


def _csv(body: str, name: str) -> Response[str]:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class AdverseImpactController(Controller):
    tags = ["fairness"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("/adverse-impact", summary="Adverse-impact report of the organization")
    async def organization(self, request: Req, p: NamedDependency[Principal]) -> s.ImpactReport:
        """Scoring rates (the AI stage) and selection rates (the human stage) with impact
        ratios per sex, race/ethnicity and their intersections, over every interview's
        completed candidates; from voluntary self-identification, in counts only. Admins."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.report(t, p, None)

    @get(
        "/adverse-impact.csv",
        summary="Export the organization's adverse-impact report as CSV",
        media_type="text/csv",
    )
    async def organization_csv(self, request: Req, p: NamedDependency[Principal]) -> Response[str]:
        """One row per stage, dimension and category (and each table's unknown), for an
        independent auditor."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return _csv(await service.export_csv(t, p, None), "adverse-impact.csv")

    @get(
        "/interviews/{interview_id:uuid}/adverse-impact",
        responses=error_responses(404),
        summary="Adverse-impact report of an interview",
    )
    async def interview(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> s.ImpactReport:
        """The report over one interview's completed candidates (the AI stage's median is
        this interview's). Admins."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.report(t, p, interview_id)

    @get(
        "/interviews/{interview_id:uuid}/adverse-impact.csv",
        responses=error_responses(404),
        summary="Export an interview's adverse-impact report as CSV",
        media_type="text/csv",
    )
    async def interview_csv(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> Response[str]:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            body = await service.export_csv(t, p, interview_id)
        return _csv(body, f"adverse-impact-{interview_id}.csv")
