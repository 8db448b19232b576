"""Server-side sessions in Redis (Litestar's session middleware), with a fresh session id at
every log-in so that an id planted before log-in is worthless after it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

_NEW_ID = "fairview.new_session_id"
_LOADED = "fairview.session_loaded"  # the session as read from the store, serialised
_SESSION_ID = re.compile(r"[0-9a-f]{16,128}")
SESSION_DAYS = 14


class _RotatingBackend(ServerSideSessionBackend):
    def _cookie(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
        """The session cookie, if it can be one of ours (anything else is ignored, never echoed
        back in a header)."""
        value = connection.cookies.get(self.config.key)
        return value if value and _SESSION_ID.fullmatch(value) else None

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new_id: str | None = connection.scope.get(_NEW_ID)  # type: ignore[assignment]
        if new_id:
            return new_id
        if connection.cookies.get(self.config.key) and not self._cookie(connection):
            return self.generate_session_id()
        return super().get_session_id(connection)

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        session_id = self._cookie(connection)
        if not session_id:
            return {}
        store = self.config.get_store_from_app(connection.scope["app"])
        data = await self.get(session_id, store=store)  # renews the expiry (renew_on_access)
        if data is None:
            return {}
        connection.scope[_LOADED] = data  # type: ignore[literal-required]
        return self.deserialize_data(data)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        # Anonymous visitors get no session (no cookie, no Redis write) until they log in.
        if scope_session == {} and not self._cookie(connection):
            return
        loaded = connection.scope.get(_LOADED)
        unchanged = (
            loaded is not None
            and isinstance(scope_session, dict)
            and not connection.scope.get(_NEW_ID)
            and self.serialize_data(scope_session, connection.scope) == loaded
        )
        if unchanged:
            # Reading it renewed its expiry: only the cookie is renewed (writing it back was one
            # more Redis round trip per request).
            headers = MutableScopeHeaders.from_message(message)
            headers.add("Set-Cookie", self._cookie_header(connection))
            return
        await super().store_in_message(scope_session, message, connection)

    def _cookie_header(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        session_id = self.get_session_id(connection)
        return Cookie(value=session_id, key=self.config.key, **params).to_header(header="")


class SessionConfig(ServerSideSessionConfig):
    _backend_class = _RotatingBackend


def session_config(secure: bool) -> SessionConfig:
    return SessionConfig(
        key="fairview_session",
        store="sessions",
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=SESSION_DAYS * 24 * 3600,
        renew_on_access=True,
    )


async def start_session(request: Request[Any, Any, Any], data: dict[str, Any]) -> None:
    """Log in: drop the old session (if any) and issue a new id carrying ``data``."""
    old = request.cookies.get("fairview_session")
    if old:
        await request.app.stores.get("sessions").delete(old)
    request.scope[_NEW_ID] = secrets.token_hex(32)  # type: ignore[literal-required]
    request.set_session(data)
