"""Reporting endpoints: compare candidates, the shortlist, exports and the funnel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api.context import services
from api.errors import NotFound, error_responses
from api.identity import security
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.reporting import report, service, shares
from api.reporting import repository as repo
from api.reporting import schemas as s
from storage.db import Tenant
from storage.objects import ObjectNotFound

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
        when none is named); sorted by the overall score of an evaluator that judges content (by
        name when there is none: keyword coverage is never ranked), team rating or name."""
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
        then per question and criterion the evaluation's score (empty for keyword coverage), the
        key points the answer mentions (keyword coverage) and the team's average. Cells a
        spreadsheet would read as formulas are prefixed with `'`."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            body = await service.export_csv(t, interview_id, p.user_id)
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
        """A self-contained page to print: questions, answers and transcripts, the evaluation with
        its evidence and times, the team's ratings, comments and decisions."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            blocks, title = await service.report(t, candidate_id, p.user_id)
        return Response(report.html(blocks, title), media_type="text/html; charset=utf-8")

    @get(
        "/candidates/{candidate_id:uuid}/report.pdf",
        summary="Candidate report as PDF",
        media_type="application/pdf",
    )
    async def report_pdf(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> Response[bytes]:
        """The same report as a PDF document, made on the server."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            blocks, title = await service.report(t, candidate_id, p.user_id)
        document = await asyncio.to_thread(report.pdf, blocks, title)
        return Response(
            document,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="report-{candidate_id}.pdf"'},
        )

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
        passed the device check, started and completed (and expired, were revoked, declined
        AI); per question how many answered it and how many stopped there; the median time from
        start to completion; completions per UTC day; and the technical failure rate of
        streamed attempts per browser family and device type."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.funnel(t, interview_id, since, until)

    @get("/funnel", summary="The organization's funnel")
    async def organization_funnel(
        self,
        request: Req,
        p: NamedDependency[Principal],
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> s.OrganizationFunnel:
        """The funnel of all the organization's interviews together, of the candidates invited
        in [since, until): the same steps, median time to complete, completions per day and
        failure rates per browser and device as an interview's, and each interview's invited,
        started and completed."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.organization_funnel(t, since, until)

    @post(
        "/interviews/{interview_id:uuid}/shares",
        responses=error_responses(400, 422),
        summary="Share with someone without an account",
    )
    async def share(
        self,
        request: Req,
        p: NamedDependency[Principal],
        interview_id: FromPath[UUID],
        data: JSONBody[s.ShareIn],
    ) -> s.ShareCreated:
        """A link for a hiring manager without an account: one candidate or the shortlist as it
        stands, until it expires or is revoked; optionally blind (no name, email or video).
        The guest watches, reads, rates per criterion and comments; never decides or sees other
        candidates. The link is shown once."""
        p.require("candidates:manage")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            return await shares.create(t, p.user_id, interview_id, data, svc.public_url)

    @get("/interviews/{interview_id:uuid}/shares", summary="Share links and their access log")
    async def list_shares(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> list[s.ShareOut]:
        """Every share link of the interview with each access (who, when, what) and the guests'
        ratings and comments."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await shares.list_for(t, interview_id)

    @delete("/shares/{share_id:uuid}", status_code=204, summary="Revoke a share link")
    async def revoke_share(
        self, request: Req, p: NamedDependency[Principal], share_id: FromPath[UUID]
    ) -> None:
        p.require("candidates:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await shares.revoke(t, share_id)


@asynccontextmanager
async def guest_tx(
    request: Req, token: str, confirmed: bool = True
) -> AsyncIterator[tuple[Tenant, dict[str, Any]]]:
    """The share of the link's token, in a transaction scoped to its organization (for a link
    limited to a named email, with the browser's grant unless ``confirmed`` is false)."""
    db = services(request.app.state).db
    async with db.platform() as conn:
        org_id = await conn.fetchval(
            "SELECT organization_id FROM share_links WHERE token_hash = $1",
            security.token_hash(token),
        )
    if org_id is None:
        raise NotFound("This link is not valid.", code="invalid_link")
    grant = request.cookies.get(shares.GRANT_COOKIE)
    async with db.tenant(org_id) as t:
        yield t, await shares.open_share(t, token, grant, confirmed)


async def _log(
    request: Req, t: Tenant, share: dict[str, Any], action: str, candidate_id: UUID | None
) -> None:
    ip = request.client.host if request.client else ""
    agent = request.headers.get("user-agent", "")
    await repo.log_access(t, share["id"], action, candidate_id, ip, agent)


class SharedController(Controller):
    """What a guest with a share link sees and does (authorised by the link's token)."""

    path = "/shared/{token:str}"
    tags = ["shared"]
    responses = error_responses(403, 404, 410)

    @post(
        "/confirmation",
        status_code=202,
        responses=error_responses(409, 422, 429),
        summary="Ask for a confirmation link (a link limited to a named email)",
    )
    async def request_confirmation(
        self, request: Req, token: FromPath[str], data: JSONBody[s.ConfirmationRequest]
    ) -> None:
        """When the address is the one the link is for, a confirmation link is emailed to it
        (it works once, for an hour); the answer is the same for any other address, to which
        nothing is sent."""
        svc = services(request.app.state)
        async with guest_tx(request, token, confirmed=False) as (t, share):
            action = await shares.request_confirmation(t, share, token, data.email, svc.public_url)
            await _log(request, t, share, action, None)

    @post(
        "/confirm",
        status_code=204,
        responses=error_responses(422),
        summary="Confirm the address with the emailed code",
    )
    async def confirm(
        self, request: Req, token: FromPath[str], data: JSONBody[s.ConfirmationIn]
    ) -> Response[None]:
        """Opens the link in this browser (a cookie holds the grant) until it expires or is
        revoked."""
        svc = services(request.app.state)
        async with guest_tx(request, token, confirmed=False) as (t, share):
            grant = await shares.confirm(t, share, data.code)
            await _log(request, t, share, "confirmed", None)
        seconds = int((share["expires_at"] - datetime.now(UTC)).total_seconds())
        return Response(
            None,
            status_code=204,
            cookies=[
                Cookie(
                    key=shares.GRANT_COOKIE,
                    value=grant,
                    path=shares.cookie_path(token),
                    max_age=max(seconds, 1),
                    httponly=True,
                    secure=svc.public_url.startswith("https://"),
                    samesite="lax",
                )
            ],
        )

    @get("", summary="What the link shares")
    async def view(self, request: Req, token: FromPath[str]) -> s.SharedView:
        async with guest_tx(request, token) as (t, share):
            await _log(request, t, share, "view", None)
            return await shares.view(t, share, token)

    @get("/answers/{answer_id:uuid}/playback", summary="An answer's recording, for the guest")
    async def playback(
        self, request: Req, token: FromPath[str], answer_id: FromPath[UUID]
    ) -> Response[bytes]:
        svc = services(request.app.state)
        async with guest_tx(request, token) as (t, share):
            key, candidate_id = await shares.playback_key(t, share, answer_id)
            await _log(request, t, share, "watch", candidate_id)
        url = await svc.objects.url(key, expires_s=600)
        if url is not None:
            return Response(b"", status_code=307, headers={"Location": url})
        try:
            data = await svc.objects.get(key)
        except ObjectNotFound as exc:
            raise NotFound("The media file is missing.") from exc
        return Response(data, media_type="video/mp4", headers={"Cache-Control": "private"})

    @put(
        "/answers/{answer_id:uuid}/ratings",
        status_code=204,
        responses=error_responses(400, 422),
        summary="Rate an answer as the guest",
    )
    async def rate(
        self,
        request: Req,
        token: FromPath[str],
        answer_id: FromPath[UUID],
        data: JSONBody[s.GuestRatingsIn],
    ) -> None:
        async with guest_tx(request, token) as (t, share):
            candidate_id = await shares.rate(t, share, answer_id, data.ratings)
            await _log(request, t, share, "rate", candidate_id)

    @post(
        "/candidates/{candidate_id:uuid}/comments",
        status_code=204,
        responses=error_responses(400),
        summary="Comment as the guest",
    )
    async def comment(
        self,
        request: Req,
        token: FromPath[str],
        candidate_id: FromPath[UUID],
        data: JSONBody[s.GuestCommentIn],
    ) -> None:
        async with guest_tx(request, token) as (t, share):
            await shares.comment(t, share, candidate_id, data.body)
            await _log(request, t, share, "comment", candidate_id)
