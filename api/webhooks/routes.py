"""Webhook endpoints of an organization: register, change, remove; their deliveries with every
attempt; send a test event; redeliver."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from api import pagination
from api.context import services
from api.errors import Invalid, NotFound, error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.pagination import Limit
from api.webhooks import repository as repo
from api.webhooks import schemas as s
from api.webhooks.delivery import payload_of
from api.webhooks.ssrf import UnsafeUrl, check_url
from storage.db import Tenant

Req = Request[Any, Any, Any]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def safe_url(url: str, allow_private: bool) -> str:
    try:
        await check_url(url, allow_private)
    except UnsafeUrl as e:
        raise Invalid(str(e), code="unsafe_url") from e
    return url


async def existing_endpoint(t: Tenant, endpoint_id: UUID) -> dict[str, Any]:
    row = await repo.endpoint(t, endpoint_id)
    if row is None:
        raise NotFound("No such webhook endpoint.")
    return row


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get("")
    async def list_endpoints(self, request: Req, p: NamedDependency[Principal]) -> s.EndpointList:
        p.require("organization:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            return s.EndpointList([s.endpoint_out(r) for r in await repo.endpoints(t)])

    @post("", responses=error_responses(400, 422))
    async def create_endpoint(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.EndpointIn]
    ) -> s.EndpointOut:
        """Register an endpoint; the response carries its signing secret."""
        p.require("organization:manage")
        svc = services(request.app.state)
        url = await safe_url(data.url, svc.webhooks_allow_private)
        async with svc.db.tenant(p.organization_id) as t:
            row = await repo.create_endpoint(
                t,
                {
                    "url": url,
                    "secret": new_secret(),
                    "events": sorted(set(data.events)),
                    "description": data.description,
                },
            )
        return s.endpoint_out(row)

    @patch("/{endpoint_id:uuid}", responses=error_responses(400, 422))
    async def change_endpoint(
        self,
        request: Req,
        p: NamedDependency[Principal],
        endpoint_id: FromPath[UUID],
        data: JSONBody[s.EndpointChange],
    ) -> s.EndpointOut:
        """Change the URL, events or description; enable a disabled endpoint again."""
        p.require("organization:manage")
        svc = services(request.app.state)
        changes = msgspec.structs.asdict(data)
        changes = {k: v for k, v in changes.items() if v is not None}
        if "url" in changes:
            await safe_url(changes["url"], svc.webhooks_allow_private)
        if "events" in changes:
            changes["events"] = sorted(set(changes["events"]))
        if changes.get("status") == "active":
            changes["disabled_reason"] = None
        async with svc.db.tenant(p.organization_id) as t:
            await existing_endpoint(t, endpoint_id)
            if changes:
                await repo.update_endpoint(t, endpoint_id, changes)
            row = await repo.endpoint(t, endpoint_id)
        assert row is not None
        return s.endpoint_out(row)

    @delete("/{endpoint_id:uuid}", status_code=204)
    async def delete_endpoint(
        self, request: Req, p: NamedDependency[Principal], endpoint_id: FromPath[UUID]
    ) -> None:
        p.require("organization:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            if not await repo.delete_endpoint(t, endpoint_id):
                raise NotFound("No such webhook endpoint.")

    @get("/{endpoint_id:uuid}/deliveries")
    async def list_deliveries(
        self,
        request: Req,
        p: NamedDependency[Principal],
        endpoint_id: FromPath[UUID],
        limit: FromQuery[Limit] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> s.DeliveryList:
        """Deliveries, newest first, each with its attempts."""
        p.require("organization:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await existing_endpoint(t, endpoint_id)
            rows = await repo.deliveries(t, endpoint_id, limit, pagination.decode(cursor))
        return s.DeliveryList(
            [msgspec.convert(r, s.DeliveryOut) for r in rows], pagination.next_cursor(rows, limit)
        )

    @post("/{endpoint_id:uuid}/test")
    async def send_test(
        self, request: Req, p: NamedDependency[Principal], endpoint_id: FromPath[UUID]
    ) -> s.TestSent:
        """Send a `webhook.test` event to this endpoint now."""
        p.require("organization:manage")
        event_id = f"evt_test_{uuid4().hex}"
        payload = payload_of(
            {"type": "webhook.test", "data": {"message": "A test event from Fairview."}}
        )
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await existing_endpoint(t, endpoint_id)
            delivery_id = await repo.add_delivery(t, endpoint_id, event_id, "webhook.test", payload)
        return s.TestSent(delivery_id, event_id)

    @post("/deliveries/{delivery_id:uuid}/redeliver", status_code=204)
    async def redeliver(
        self, request: Req, p: NamedDependency[Principal], delivery_id: FromPath[UUID]
    ) -> None:
        """Deliver again now (same event id, so the receiver can de-duplicate)."""
        p.require("organization:manage")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            if not await repo.redeliver(t, delivery_id):
                raise NotFound("No such delivery.")
