"""Server-sent events of live transcripts for one interview.

While a recruiter keeps this stream open, it holds a watch on the interview (renewed with each
keep-alive), which tells the live transcription workers to make partial text (otherwise they
decode finished utterances only); when the stream closes, the watch ends at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.context import services
from api.errors import error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.sse import relay
from streaming.live import live_channel, unwatch, watch

Req = Request[Any, Any, Any]
WATCH_TTL_S = 15  # a watch that is not renewed (its process died) lapses after this


class LiveController(Controller):
    tags = ["live"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404, 429)

    @get("/interviews/{interview_id:uuid}/live", summary="Watch live transcripts")
    async def live(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> ServerSentEvent:
        """`text/event-stream` for candidates answering this interview now: `transcript` events
        (answer, question, committed text and the current partial text) and `coverage` events
        (rubric scores of the text so far; advisory)."""
        p.require("candidates:read")
        svc = services(request.app.state)
        owner = str(p.user_id or p.api_key_id)
        svc.streams.admit(owner)
        async with svc.db.tenant(p.organization_id) as t:
            await interviews.get(t, interview_id)

        watcher = uuid4().hex

        async def watching() -> None:
            await watch(svc.redis, interview_id, watcher, WATCH_TTL_S)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            try:
                async for message in relay(
                    svc.streams, live_channel(interview_id), owner, greeting, tick=watching
                ):
                    yield message
            finally:  # the recruiter left (or the connection broke): the watch ends now
                with contextlib.suppress(Exception):
                    await asyncio.shield(unwatch(svc.redis, interview_id, watcher))

        greeting = ServerSentEventMessage(event="ready", data=json.dumps({"watching": True}))
        return ServerSentEvent(stream())
