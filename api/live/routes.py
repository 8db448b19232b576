"""Server-sent events of live transcripts for one interview.

While a recruiter keeps this stream open, the interview's watch key stays set, which tells the
live transcription workers to make partial text (otherwise they decode finished utterances only).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

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
from streaming.live import live_channel, watch_key

Req = Request[Any, Any, Any]
WATCH_TTL_S = 15


class LiveController(Controller):
    tags = ["live"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get("/interviews/{interview_id:uuid}/live", summary="Watch live transcripts")
    async def live(
        self, request: Req, p: NamedDependency[Principal], interview_id: FromPath[UUID]
    ) -> ServerSentEvent:
        """`text/event-stream` for candidates answering this interview now: `transcript` events
        (answer, question, committed text and the current partial text) and `coverage` events
        (rubric scores of the text so far; advisory)."""
        p.require("candidates:read")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            await interviews.get(t, interview_id)

        async def watching() -> None:
            await svc.redis.set(watch_key(interview_id), "1", ex=WATCH_TTL_S)

        greeting = ServerSentEventMessage(event="ready", data=json.dumps({"watching": True}))
        return ServerSentEvent(
            relay(svc.redis, live_channel(interview_id), greeting, tick=watching)
        )
