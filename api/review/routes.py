"""Review endpoints: a candidate's answers, and their media (with HTTP Range for seeking)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from api.context import services
from api.errors import Invalid, NotFound, error_responses
from api.examples import json_body
from api.identity.auth import provide_principal
from api.identity.principal import Principal
from api.interviews import service as interviews
from api.interviews.routes import candidate_out
from api.interviews.schemas import RubricCriterion
from api.review import fairness
from api.review import repository as repo
from api.review import schemas as s
from storage.objects import ObjectNotFound, ObjectStore
from storage.outbox import add_event

Req = Request[Any, Any, Any]
MEDIA_TYPES = {"playback": "video/mp4", "poster": "image/jpeg"}
MAX_RANGE = 8 * 1024 * 1024
CHUNK = 256 * 1024  # what one read holds in memory while a file streams


async def read_chunks(objects: ObjectStore, key: str, start: int, end: int) -> AsyncIterator[bytes]:
    """Bytes ``start``..``end`` (inclusive) of an object, read a chunk at a time."""
    while start <= end:
        stop = min(start + CHUNK - 1, end)
        yield await objects.get(key, start, stop)
        start = stop + 1


def _ratings(
    r: dict[str, Any], rated: dict[tuple[UUID, str], dict[str, Any]], visible: bool
) -> list[s.CriterionRatings]:
    out = []
    for criterion in r["rubric"]:
        row = rated.get((r["answer_id"], criterion["name"]))
        out.append(
            s.CriterionRatings(
                criterion=criterion["name"],
                mine=row["mine"] if row else None,
                team_average=round(row["average"], 2) if row and visible else None,
                team_count=row["n"] if row else 0,
            )
        )
    return out


def _answer(
    r: dict[str, Any], rated: dict[tuple[UUID, str], dict[str, Any]], visible: set[UUID] | None
) -> s.AnswerReview | None:
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
        evaluation=None
        if r["evaluation_status"] is None
        else s.EvaluationOut(
            status=r["evaluation_status"],
            reason=r["evaluation_reason"],
            method=r["method"],
            model=r["model"],
            result=r["evaluation_result"],
        ),
        ratings=_ratings(r, rated, visible is None or r["answer_id"] in visible),
    )


class ReviewController(Controller):
    tags = ["review"]
    dependencies = {"p": Provide(provide_principal)}
    responses = error_responses(401, 403, 404)

    @get(
        "/candidates/{candidate_id:uuid}/answers",
        summary="Answers with transcripts and evaluations",
    )
    async def answers(
        self, request: Req, p: NamedDependency[Principal], candidate_id: FromPath[UUID]
    ) -> s.CandidateReview:
        """Every question with the candidate's answer (latest attempt), playback and transcript."""
        p.require("candidates:read")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            c = await interviews.get_candidate(t, candidate_id)
            rows = await repo.questions_with_answers(t, candidate_id, c["interview_id"])
            title = await repo.interview_title(t, c["interview_id"])
            answer_ids = [r["answer_id"] for r in rows if r["answer_id"]]
            rows_rated = await repo.ratings(t, answer_ids, p.user_id)
            rated = {(x["answer_id"], x["criterion"]): x for x in rows_rated}
            # Fair review: the team's ratings of an answer show once you rated it (keys: all).
            visible = None if p.user_id is None else fairness.rated_by_viewer(rows_rated)
            summary = await repo.summary(t, candidate_id)
            comments = await repo.comments(t, candidate_id)
            decisions = await repo.decisions(t, candidate_id)
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
                    answer=_answer(r, rated, visible),
                )
                for r in rows
            ],
            summary=s.SummaryOut(**summary) if summary else None,
            comments=[s.CommentOut(**x) for x in comments],
            decisions=[s.DecisionOut(**x) for x in decisions],
        )

    @put(
        "/answers/{answer_id:uuid}/ratings",
        status_code=204,
        responses=error_responses(400, 422),
        summary="Rate an answer",
    )
    async def rate(
        self,
        request: Req,
        p: NamedDependency[Principal],
        answer_id: FromPath[UUID],
        data: JSONBody[s.RatingsIn],
    ) -> None:
        """Your own 1-5 rating per rubric criterion (kept apart from any automatic score)."""
        p.require("candidates:review")
        user_id = p.person()
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            criteria = await repo.answer_criteria(t, answer_id)
            if criteria is None:
                raise NotFound("No such answer.")
            unknown = [r.criterion for r in data.ratings if r.criterion not in criteria]
            if unknown:
                raise Invalid(
                    f"Not criteria of this question: {', '.join(unknown)}.",
                    code="unknown_criterion",
                )
            for rating in data.ratings:
                await repo.set_rating(t, answer_id, user_id, rating.criterion, rating.score)

    @post(
        "/candidates/{candidate_id:uuid}/comments",
        status_code=204,
        responses=error_responses(400),
        summary="Comment on a candidate",
    )
    async def comment(
        self,
        request: Req,
        p: NamedDependency[Principal],
        candidate_id: FromPath[UUID],
        data: JSONBody[s.CommentIn],
    ) -> None:
        p.require("candidates:review")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await interviews.get_candidate(t, candidate_id)
            await repo.add_comment(t, uuid4(), candidate_id, p.user_id, data.body.strip())

    @post(
        "/candidates/{candidate_id:uuid}/decision",
        status_code=204,
        responses=error_responses(400),
        summary="Record a decision",
    )
    async def decide(
        self,
        request: Req,
        p: NamedDependency[Principal],
        candidate_id: FromPath[UUID],
        data: Annotated[
            s.DecisionIn,
            json_body(advance={"decision": "advance", "note": "Clear, structured answers."}),
        ],
    ) -> None:
        """Record the hiring team's decision (advance, hold, reject). Every decision is kept;
        the newest is current. Fairview never decides on its own."""
        p.require("candidates:decide")
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await interviews.get_candidate(t, candidate_id)
            await repo.add_decision(t, candidate_id, p.user_id, data.decision, data.note.strip())
            await add_event(
                t.conn,
                t.organization_id,
                "candidate.decided",
                {
                    "candidate_id": str(candidate_id),
                    "decision": data.decision,
                    "decided_by": str(p.user_id) if p.user_id else None,  # None: an API key
                },
            )

    @get(
        "/answers/{answer_id:uuid}/{kind:str}",
        responses=error_responses(416),
        summary="Answer video or poster",
    )
    async def media(
        self,
        request: Req,
        p: NamedDependency[Principal],
        answer_id: FromPath[UUID],
        kind: FromPath[Literal["playback", "poster"]],
    ) -> Response[bytes] | Stream:
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
            return Stream(
                read_chunks(svc.objects, key, 0, size - 1),
                media_type=MEDIA_TYPES[kind],
                headers={**headers, "Content-Length": str(size)},
            )
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]) if match[2] else size - 1, size - 1, start + MAX_RANGE - 1)
        else:  # the last N bytes, as many as any other range at most
            start, end = max(0, size - min(int(match[2]), MAX_RANGE)), size - 1
        if start >= size or start > end:
            return Response(
                b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
        return Stream(
            read_chunks(svc.objects, key, start, end),
            status_code=206,
            media_type=MEDIA_TYPES[kind],
            headers={
                **headers,
                "Content-Range": f"bytes {start}-{end}/{size}",
                "Content-Length": str(end - start + 1),
            },
        )
