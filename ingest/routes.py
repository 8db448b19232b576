"""WHIP (RFC 9725) endpoints: any WebRTC client streams an answer with an HTTP offer/answer.

POST   /whip/answers/{answer_id}   Authorization: Bearer <streaming token>, body: SDP offer
       → 201, body: SDP answer, Location: /whip/sessions/{session_id}
DELETE /whip/sessions/{session_id} (same token) → 200; the answer is recorded
PATCH  /whip/sessions/{session_id} → 405: trickle ICE is not used (the answer carries
       all candidates)
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from domain.errors import FairviewError
from ingest.service import Ingest
from storage.signed_tokens import TokenError, verify

Req = Request[Any, Any, Any]
MAX_SDP_BYTES = 64 * 1024


class WhipError(msgspec.Struct):
    error: str
    detail: str


def _error(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response({"error": code, "detail": detail}, status_code=status, headers=headers)


def _ingest(request: Req) -> Ingest:
    ingest: Ingest = request.app.state.ingest
    return ingest


def _token(request: Req) -> tuple[UUID, UUID]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise TokenError(
            "not_authenticated", "Send the answer's streaming token as a Bearer token."
        )
    return verify(request.app.state.secret_key, token.strip())


class WhipController(Controller):
    path = "/whip"
    tags = ["ingest (WHIP)"]

    @post(
        "/answers/{answer_id:uuid}",
        status_code=201,
        responses={
            s: ResponseSpec(WhipError, generate_examples=False)
            for s in (400, 401, 404, 409, 415, 500, 503)
        },
    )
    async def offer(self, request: Req, answer_id: FromPath[UUID]) -> Response[Any]:
        """Start streaming an answer: the body is an SDP offer (`application/sdp`)."""
        try:
            token_answer, organization_id = _token(request)
        except TokenError as exc:
            return _error(401, exc.code, exc.detail, {"WWW-Authenticate": "Bearer"})
        if token_answer != answer_id:
            return _error(404, "not_found", "No such answer for this token.")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/sdp":
            return _error(415, "unsupported_media_type", "Send the offer as application/sdp.")
        body = await request.body()
        if not body or len(body) > MAX_SDP_BYTES:
            return _error(400, "invalid_offer", "The SDP offer is empty or too large.")
        try:
            session, answer_sdp = await _ingest(request).start(
                answer_id, organization_id, body.decode("utf-8", "replace")
            )
        except FairviewError as exc:
            return _error(exc.status_code, exc.code, exc.detail)
        return Response(
            answer_sdp,
            status_code=201,
            media_type="application/sdp",
            headers={
                # Absolute when this process is one of several behind a load balancer.
                "Location": f"{request.app.state.session_base_url}/whip/sessions/{session.id}",
                "ETag": f'"{session.id}"',
            },
        )

    @delete(
        "/sessions/{session_id:str}",
        status_code=200,
        responses={s: ResponseSpec(WhipError, generate_examples=False) for s in (401, 404, 503)},
    )
    async def stop(self, request: Req, session_id: FromPath[str]) -> Response[Any]:
        """End the stream: the segment is finished and stored before this returns."""
        try:
            answer_id, _ = _token(request)
        except TokenError as exc:
            return _error(401, exc.code, exc.detail)
        session = _ingest(request).get(session_id)
        if session is None or session.answer_id != answer_id:
            return _error(404, "not_found", "No such streaming session (it may have ended).")
        result = await _ingest(request).end_session(session)
        if not session.recorded:
            return _error(
                503,
                "not_recorded",
                "The recording is kept, but its end could not be saved: the database did not"
                " answer.",
            )
        return Response({"segment": result.as_json()}, status_code=200)

    @patch("/sessions/{session_id:str}", status_code=405)
    async def trickle(self, session_id: FromPath[str]) -> Response[Any]:
        return _error(
            405,
            "method_not_allowed",
            "Trickle ICE is not supported: the SDP answer has every candidate.",
            {"Allow": "DELETE"},
        )
