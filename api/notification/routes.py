"""A member's notifications (the bell: list, unread count, live stream, mark read) and email
preferences, with the signed unsubscribe links of team emails."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api import pagination
from api.context import Services, services
from api.errors import NotFound, error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.notification import preferences
from api.notification import repository as repo
from api.notification import schemas as s
from api.notification.feed import channel
from api.sse import relay
from storage.db import Tenant

Req = Request[Any, Any, Any]


async def publish_unread(svc: Services, t: Tenant, user_id: UUID) -> s.UnreadCount:
    """Tell the member's open tabs the new unread count (after reading in one of them)."""
    unread = await repo.unread_count(t, user_id)
    await svc.redis.publish(
        channel(t.organization_id, user_id), json.dumps({"type": "unread", "unread": unread})
    )
    return s.UnreadCount(unread)


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403)

    @get("")
    async def list_notifications(
        self,
        request: Req,
        p: NamedDependency[Principal],
        limit: pagination.Limit = 20,
        cursor: FromQuery[str | None] = None,
    ) -> s.NotificationPage:
        """Your notifications in this organization, newest first, with the unread count."""
        user_id = p.person()
        after = pagination.decode(cursor)
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            rows = await repo.notifications(t, user_id, limit, after)
            unread = await repo.unread_count(t, user_id)
        return s.NotificationPage(
            items=[msgspec.convert(r, s.NotificationOut) for r in rows],
            unread=unread,
            next_cursor=pagination.next_cursor(rows, limit),
        )

    @get("/stream", responses=error_responses(429))
    async def stream(self, request: Req, p: NamedDependency[Principal]) -> ServerSentEvent:
        """`text/event-stream`: `unread` first and whenever it changes, `notification` for each
        new one (with the new unread count)."""
        user_id = p.person()
        svc = services(request.app.state)
        svc.streams.admit(str(user_id))
        async with svc.db.tenant(p.organization_id) as t:
            unread = await repo.unread_count(t, user_id)
        greeting = ServerSentEventMessage(
            event="unread", data=json.dumps({"type": "unread", "unread": unread})
        )
        return ServerSentEvent(
            relay(svc.streams, channel(p.organization_id, user_id), str(user_id), greeting)
        )

    @post("/{notification_id:uuid}/read", responses=error_responses(404))
    async def read(
        self, request: Req, p: NamedDependency[Principal], notification_id: FromPath[UUID]
    ) -> s.UnreadCount:
        """Mark one notification read."""
        user_id = p.person()
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            if not await repo.mark_read(t, user_id, notification_id):
                raise NotFound("No such notification.")
            return await publish_unread(svc, t, user_id)

    @post("/read-all")
    async def read_all(self, request: Req, p: NamedDependency[Principal]) -> s.UnreadCount:
        """Mark all your notifications in this organization read."""
        user_id = p.person()
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            await repo.mark_all_read(t, user_id)
            return await publish_unread(svc, t, user_id)


def _preferences(opt_out: Sequence[str]) -> s.EmailPreferences:
    return s.EmailPreferences(**{k: k not in opt_out for k in preferences.KINDS})


Token = Annotated[str, Parameter(description="The token of the email's unsubscribe link")]


async def _by_token(request: Req, token: str, subscribe: bool | None) -> s.UnsubscribeInfo:
    """Read (subscribe None) or change one kind of team email through a signed link."""
    svc = services(request.app.state)
    user_id, org, kind = preferences.read(svc.secret_key, token)
    async with svc.db.tenant(org) as t:
        member = await repo.member_preferences(t, user_id)
        if member is None:
            raise NotFound("You are no longer a member of this organization.", code="not_a_member")
        opt_out: list[str] = member["email_opt_out"]
        if subscribe is not None:
            opt_out = [k for k in opt_out if k != kind] + ([] if subscribe else [kind])
            await repo.set_email_opt_out(t, user_id, opt_out)
    return s.UnsubscribeInfo(
        email=member["email"],
        organization=member["organization"],
        kind=kind,
        subscribed=kind not in opt_out,
    )


class EmailPreferencesController(Controller):
    path = "/email-preferences"
    tags = ["notifications"]

    @get("", dependencies={"p": Provide(provide_principal)}, responses=error_responses(401, 403))
    async def get_preferences(
        self, request: Req, p: NamedDependency[Principal]
    ) -> s.EmailPreferences:
        """Which team emails you get in this organization."""
        user_id = p.person()
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            member = await repo.member_preferences(t, user_id)
        return _preferences(member["email_opt_out"] if member else [])

    @put(
        "",
        dependencies={"p": Provide(provide_principal)},
        responses=error_responses(400, 401, 403),
    )
    async def set_preferences(
        self, request: Req, p: NamedDependency[Principal], data: JSONBody[s.EmailPreferences]
    ) -> s.EmailPreferences:
        """Turn team emails on or off for yourself in this organization."""
        user_id = p.person()
        off = [k for k in preferences.KINDS if not getattr(data, k)]
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await repo.set_email_opt_out(t, user_id, off)
        return _preferences(off)

    @get("/unsubscribe", responses=error_responses(404))
    async def unsubscribe_info(self, request: Req, token: Token) -> s.UnsubscribeInfo:
        """What an unsubscribe link turns off, and whether it is on now (no sign-in needed)."""
        return await _by_token(request, token, None)

    @post("/unsubscribe", responses=error_responses(404), status_code=200)
    async def unsubscribe(self, request: Req, token: Token) -> s.UnsubscribeInfo:
        """Turn one kind of team email off: the unsubscribe page, and mail clients' one-click
        unsubscribe (RFC 8058; its form body is not needed)."""
        return await _by_token(request, token, False)

    @post("/resubscribe", responses=error_responses(404), status_code=200)
    async def resubscribe(self, request: Req, token: Token) -> s.UnsubscribeInfo:
        """Undo an unsubscribe."""
        return await _by_token(request, token, True)
