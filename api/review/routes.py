"""Review endpoints: a candidate's answers, and their media (with HTTP Range for seeking)."""

from __future__ import annotations

import re
from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from api.context import services
from api.errors import NotFound, error_responses
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.interviews.routes import candidate_out
from api.interviews.schemas import RubricCriterion
from api.review import repository as repo
from api.review import schemas as s
from storage.objects import ObjectNotFound

Req = Request[Any, Any, Any]
MEDIA_TYPES = {"playback": "video/mp4", "poster": "image/jpeg"}
MAX_RANGE = 8 * 1024 * 1024


def _answer(r: dict[str, Any]) -> s.AnswerReview | None:
    if r["answer_id"] is None:
        return None
    media = f"/api/v1/answers/{r['answer_id']}"
    transcript = None
    if r["transcript_status"] is not None:
        transcript = s.TranscriptOut(
            status=r["transcript_status"],
            reason=r["transcript_reason"],
            language=r["language"],
            text=r["transcript_text"],
            segments=r["transcript_segments"],
        )
    return s.AnswerReview(
        id=r["answer_id"],
        attempt=r["attempt"],
        status=r["status"],
        failure_reason=r["failure_reason"],
        duration_ms=r["duration_ms"],
        text_answer=r["text_answer"],
        playback_url=f"{media}/playback" if r["playback_key"] else None,
        poster_url=f"{media}/poster" if r["poster_key"] else None,
        transcript=transcript,
    )


class ReviewController(Controller):
    tags = ["review"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get("/candidates/{candidate_id:uuid}/answers")
    async def answers(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> s.CandidateReview:
        """Every question with the candidate's answer (latest attempt), playback and transcript."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            c = await interviews.get_candidate(t, candidate_id)
            rows = await repo.questions_with_answers(t, candidate_id, c["interview_id"])
            title = await repo.interview_title(t, c["interview_id"])
        return s.CandidateReview(
            candidate=candidate_out(c),
            interview_title=title,
            questions=[
                s.QuestionReview(
                    id=r["id"],
                    position=r["position"],
                    kind=r["kind"],
                    prompt=r["prompt"],
                    rubric=[RubricCriterion(**x) for x in r["rubric"]],
                    answer=_answer(r),
                )
                for r in rows
            ],
        )

    @get("/answers/{answer_id:uuid}/{kind:str}", responses=error_responses(416))
    async def media(
        self,
        request: Req,
        p: NamedDependency[Principal],
        answer_id: FromPath[UUID],
        kind: FromPath[Literal["playback", "poster"]],
    ) -> Response[bytes]:
        """The answer's playback video or poster; supports `Range` so players can seek."""
        p.require("candidates:read")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            key = await repo.media_key(t, answer_id, kind)
        if key is None:
            raise NotFound("This answer has no such media yet.")
        url = await svc.objects.url(key, expires_s=600)
        if url is not None:  # S3: the browser fetches it directly
            return Response(b"", status_code=307, headers={"Location": url})
        try:
            size = await svc.objects.size(key)
        except ObjectNotFound as exc:
            raise NotFound("The media file is missing.") from exc
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=600"}
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
        if not match or (not match[1] and not match[2]):
            return Response(
                await svc.objects.get(key), media_type=MEDIA_TYPES[kind], headers=headers
            )
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]) if match[2] else size - 1, size - 1, start + MAX_RANGE - 1)
        else:  # the last N bytes
            start, end = max(0, size - int(match[2])), size - 1
        if start >= size or start > end:
            return Response(
                b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
        data = await svc.objects.get(key, start, end)
        return Response(
            data,
            status_code=206,
            media_type=MEDIA_TYPES[kind],
            headers={**headers, "Content-Range": f"bytes {start}-{end}/{size}"},
        )
