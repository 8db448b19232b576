"""Resolve the caller of a request: an API key (``Authorization: Bearer``) or a session cookie.

Requests that carry a bearer token never use the session, which is why CSRF checks apply only to
cookie-authenticated requests.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from limits import RateLimitItemPerMinute
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from api.context import Services
from api.errors import Forbidden, NotAuthenticated
from api.identity import repository as repo
from api.identity import security
from api.identity.principal import Operator, Principal
from api.rate_limits import enforce


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _session_principal(
    svc: Services, session: dict[str, Any], allow_suspended: bool
) -> Principal:
    try:
        user_id = UUID(session["user_id"])
        org_id = UUID(session["organization_id"])
    except (KeyError, ValueError, TypeError) as exc:
        raise NotAuthenticated("Please log in.") from exc
    async with svc.db.statement() as conn:
        row = await repo.session_member(conn, user_id, org_id)
    if row is None or row["password_changed_at"].isoformat() != session.get("password_changed_at"):
        raise NotAuthenticated("Your session has ended. Please log in again.", code="session_ended")
    if row["status"] != "active" and not allow_suspended:
        raise Forbidden(
            "This organization is suspended. Contact support.", code="organization_suspended"
        )
    return Principal(organization_id=org_id, role=row["role"], user_id=user_id)


async def _key_principal(svc: Services, token: str) -> Principal:
    async with svc.db.platform() as conn:
        key = await repo.api_key_by_hash(conn, security.token_hash(token))
        status = key and await conn.fetchval(
            "SELECT status FROM organizations WHERE id = $1", key["organization_id"]
        )
    if key is None:
        raise NotAuthenticated("This API key is not valid.", code="invalid_api_key")
    if status != "active":
        raise Forbidden("This organization is suspended.", code="organization_suspended")
    await enforce(
        svc.limiter,
        RateLimitItemPerMinute(svc.api_requests_per_minute),
        "api_key",
        str(key["id"]),
        f"This API key made more than {svc.api_requests_per_minute} requests in a minute.",
    )
    return Principal(
        organization_id=key["organization_id"],
        api_key_id=key["id"],
        scopes=frozenset(key["scopes"]),
    )


async def current_principal(
    request: Request[Any, Any, Any], allow_suspended: bool = False
) -> Principal:
    svc: Services = request.app.state.services
    token = bearer_token(request)
    if token is not None:
        return await _key_principal(svc, token)
    session = request.session if "session" in request.scope else {}
    if not session:
        raise NotAuthenticated("Please log in.")
    return await _session_principal(svc, session, allow_suspended)


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return await current_principal(request)


async def provide_operator(request: Request[Any, Any, Any]) -> Operator:
    svc: Services = request.app.state.services
    token = bearer_token(request)
    if token is None or not token.startswith(security.OPERATOR_KEY_PREFIX):
        raise NotAuthenticated("The admin API needs an operator key.", code="operator_key_required")
    async with svc.db.platform() as conn:
        key = await repo.operator_key_by_hash(conn, security.token_hash(token))
    if key is None:
        raise NotAuthenticated("This operator key is not valid.", code="invalid_api_key")
    return Operator(key_id=key["id"], name=key["name"])


class CookieCSRFMiddleware(CSRFMiddleware):
    """Litestar's double-submit CSRF check, skipped for bearer-token requests (no cookies used)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            for name, value in scope["headers"]:
                if name == b"authorization" and value[:7].lower() == b"bearer ":
                    await self.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)
