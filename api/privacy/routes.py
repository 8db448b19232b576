"""Data-rights endpoints: the team's requests page, erasure, exports and retention; the
candidate's requests and export, by their rights link (the confirmation email's link)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api import pagination
from api.compliance.links import read_rights_token
from api.context import services
from api.errors import NotFound, error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.identity.service import audit
from api.pagination import Limit
from api.privacy import repository as repo
from api.privacy import schemas as s
from api.privacy import service

Req = Request[Any, Any, Any]


def _zip(body: bytes, candidate_id: UUID) -> Response[bytes]:
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="candidate-{candidate_id}.zip"'},
    )


class PrivacyController(Controller):
    tags = ["privacy"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("/privacy/requests", summary="Candidates' data requests")
    async def list_requests(
        self,
        request: Req,
        p: NamedDependency[Principal],
        open_only: FromQuery[bool] = False,
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.DataRequestPage:
        """Requests for a copy of their data or its erasure (from the candidate's link, the
        team, or a retention schedule), newest first, each with its due date and, once done,
        the receipt of what was deleted."""
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.requests(t, open_only, limit, pagination.decode(cursor))
        return s.DataRequestPage(
            items=[service.request_out(r) for r in rows],
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @post(
        "/privacy/requests",
        status_code=201,
        responses=error_responses(404, 409),
        summary="Record a data request made another way",
    )
    async def add_request(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.TeamDataRequestIn]
    ) -> s.DataRequest:
        """A request the candidate made by email, phone or letter. An erasure runs at its due
        date (30 days), unless the operator made erasure immediate or the team erases now."""
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            return await service.team_request(t, p, data, svc.erase_immediately)

    @get("/privacy/requests/{request_id:uuid}", responses=error_responses(404))
    async def get_request(
        self, request: Req, p: NamedDependency[Principal], request_id: FromPath[UUID]
    ) -> s.DataRequest:
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.get_request(t, request_id)

    @post(
        "/privacy/requests/{request_id:uuid}/erase-now",
        status_code=200,
        responses=error_responses(404),
        summary="Carry out a pending erasure now",
    )
    async def erase_now(
        self, request: Req, p: NamedDependency[Principal], request_id: FromPath[UUID]
    ) -> s.DataRequest:
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.erase_now(t, p, request_id)

    @get(
        "/candidates/{candidate_id:uuid}/export",
        media_type="application/zip",
        responses=error_responses(404),
        summary="A candidate's data as a zip",
    )
    async def export(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> Response[bytes]:
        """`data.json` (answers, transcripts, evaluations, summaries, ratings, decisions,
        consent, requests) and `media/…` (recordings, playback files, posters); audited."""
        p.require("organization:manage")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            body = await service.export_archive(t, svc.objects, candidate_id)
            await audit(t, p, "privacy.exported", f"candidate:{candidate_id}")
        return _zip(body, candidate_id)

    @get("/privacy/retention", summary="The organization's retention schedule")
    async def get_retention(
        self, request: Req, p: NamedDependency[Principal]
    ) -> s.RetentionSettings:
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.retention_settings(t)

    @put(
        "/privacy/retention",
        responses=error_responses(400, 409),
        summary="Set the retention schedule",
    )
    async def put_retention(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.RetentionSettings]
    ) -> s.RetentionSettings:
        """Recordings go `media_days` and all data (erased and anonymised, as for a request)
        `data_days` after the candidate completed or the latest decision; null keeps them.
        An hourly job queues what is due; audited."""
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.set_retention(t, p, data)

    @get("/privacy/retention/preview", summary="What the next retention run removes")
    async def preview(
        self, request: Req, p: NamedDependency[Principal], at: FromQuery[datetime | None] = None
    ) -> s.RetentionPreview:
        """The candidates whose data (`all`) or recordings (`media`) a run at `at` (default:
        now) removes."""
        p.require("audit:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return await service.retention_preview(t, at or datetime.now(UTC))


class CandidateDataController(Controller):
    """The candidate's side: the rights link in their confirmation email is the credential."""

    tags = ["candidate"]
    responses = error_responses(404)

    @get("/rights/{token:str}/data-requests")
    async def my_requests(self, request: Req, token: FromPath[str]) -> s.CandidateDataRequests:
        """The candidate's requests for a copy of their data or its erasure, and their state."""
        svc = services(request.app.state)
        org, candidate_id = read_rights_token(svc.secret_key, token)
        async with svc.db.tenant(org) as t:
            if await repo.candidate(t, candidate_id) is None:
                raise NotFound("This link is not valid.", code="invalid_link")
            return await service.candidate_requests(
                t, candidate_id, f"/api/v1/rights/{token}/export"
            )

    @post(
        "/rights/{token:str}/data-requests",
        status_code=201,
        responses=error_responses(400, 409),
    )
    async def ask(
        self, request: Req, token: FromPath[str], data: JSONBody[s.CandidateDataRequestIn]
    ) -> s.CandidateDataRequests:
        """Ask for a copy of your data (download it at `export_url`) or for its deletion
        (done within 30 days; you get a receipt by email)."""
        svc = services(request.app.state)
        org, candidate_id = read_rights_token(svc.secret_key, token)
        async with svc.db.tenant(org) as t:
            await service.add_request(
                t, candidate_id, data.kind, "candidate", "", None, svc.erase_immediately
            )
            return await service.candidate_requests(
                t, candidate_id, f"/api/v1/rights/{token}/export"
            )

    @get("/rights/{token:str}/export", media_type="application/zip")
    async def export(self, request: Req, token: FromPath[str]) -> Response[bytes]:
        """A copy of your data: `data.json` and your recordings (`media/…`)."""
        svc = services(request.app.state)
        org, candidate_id = read_rights_token(svc.secret_key, token)
        async with svc.db.tenant(org) as t:
            body = await service.export_archive(t, svc.objects, candidate_id)
        return _zip(body, candidate_id)
