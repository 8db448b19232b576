"""Reporting endpoints: compare candidates, the shortlist, exports and the funnel."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from api.context import services
from api.errors import error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.reporting import report, service
from api.reporting import schemas as s
from api.review import repository as review

Req = Request[Any, Any, Any]


class ReportingController(Controller):
    tags = ["reporting"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get("/interviews/{interview_id:uuid}/comparison", summary="Compare candidates")
    async def compare(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        candidate: FromQuery[list[UUID] | None] = None,
        sort: FromQuery[service.Sort] = "score",
    ) -> s.Comparison:
        """Candidates side by side, question by question: per criterion the evaluation's score
        and the team's ratings, the answer's first lines, its duration, and the decision.
        Name candidates with repeated `candidate` parameters (all of the interview's, up to 50,
        when none is named); sorted by overall score, team rating or name, highest first."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.compare(t, interview_id, candidate, p.user_id, sort)

    @put(
        "/candidates/{candidate_id:uuid}/shortlist",
        status_code=204,
        summary="Shortlist a candidate",
    )
    async def star(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> None:
        """Star a candidate: the interview's shortlist is shared by the team."""
        p.require("candidates:review")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.set_shortlisted(t, candidate_id, p.user_id, True)

    @delete(
        "/candidates/{candidate_id:uuid}/shortlist",
        status_code=204,
        summary="Take a candidate off the shortlist",
    )
    async def unstar(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> None:
        p.require("candidates:review")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await service.set_shortlisted(t, candidate_id, p.user_id, False)

    @get(
        "/interviews/{interview_id:uuid}/candidates.csv",
        summary="Export candidates as CSV",
        media_type="text/csv",
    )
    async def export_csv(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> Response[str]:
        """One row per candidate: status, dates, overall score, team rating, decision, shortlist,
        then per question and criterion the evaluation's score and the team's average. Cells a
        spreadsheet would read as formulas are prefixed with `'`."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            body = await service.export_csv(t, interview_id)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="candidates-{interview_id}.csv"'
            },
        )

    @get(
        "/candidates/{candidate_id:uuid}/report",
        summary="Printable candidate report",
        media_type="text/html",
    )
    async def report(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> Response[str]:
        """A self-contained page to print or save as PDF: questions, answers and transcripts, the
        evaluation with its evidence and times, the team's ratings, comments and decisions."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            c = await interviews.get_candidate(t, candidate_id)
            rows = await review.questions_with_answers(t, candidate_id, c["interview_id"])
            title = await review.interview_title(t, c["interview_id"])
            rated = await review.ratings(t, [r["answer_id"] for r in rows if r["answer_id"]], None)
            comments = await review.comments(t, candidate_id)
            decisions = await review.decisions(t, candidate_id)
        page = report.render(
            c,
            title,
            rows,
            {(r["answer_id"], r["criterion"]): r for r in rated},
            comments,
            decisions,
        )
        return Response(page, media_type="text/html; charset=utf-8")

    @get("/interviews/{interview_id:uuid}/funnel", summary="Funnel and drop-off")
    async def funnel(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> s.Funnel:
        """Of the candidates invited in [since, until): how many opened the link, consented,
        started and completed (and expired, were revoked, declined AI); per question how many
        answered it and how many stopped there; the median time from start to completion."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.funnel(t, interview_id, since, until)
