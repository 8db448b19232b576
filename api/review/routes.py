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

from api.compliance import service as compliance
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
from api.review import service as review
from storage.objects import ObjectNotFound, ObjectStore

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
    r: dict[str, Any],
    rated: dict[tuple[UUID, str], dict[str, Any]],
    visible: set[UUID] | None,
    held: bool,
    views: list[dict[str, Any]],
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
        if r["evaluation_status"] is None or held
        else s.EvaluationOut(
            status=r["evaluation_status"],
            reason=r["evaluation_reason"],
            method=r["method"],
            model=r["model"],
            result=r["evaluation_result"],
        ),
        ratings=_ratings(r, rated, visible is None or r["answer_id"] in visible),
        playback_status=r["playback_status"],
        playback_error=r["playback_error"],
        recording_urls=[f"{media}/recording/{n}" for n in range(1, len(r["segments"] or []) + 1)],
        failure_code=r["failure_code"],
        quality=_quality(r["segments"] or []),
        evaluation_held=held,
        evaluation_views=[
            s.EvaluationView(name=v["name"], shown_at=v["shown_at"], rated_before=v["rated_before"])
            for v in views
            if v["answer_id"] == r["answer_id"]
        ],
    )


def _quality(segments: list[dict[str, Any]]) -> s.AnswerQuality | None:
    measured = [seg["quality"] for seg in segments if seg.get("quality")]
    if not measured:
        return None
    return s.AnswerQuality(
        packet_loss_pct=max(q["packet_loss_pct"] for q in measured),
        audio_lost_ms=sum(q["audio_lost_ms"] for q in measured),
        silence_ms=sum(q["silence_ms"] for q in measured),
        frozen_ms=sum(q["frozen_ms"] for q in measured),
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
            # Fair review: the team's ratings of an answer show once you rated it (keys: all);
            # so does its AI evaluation when the interview reviews first.
            mine = fairness.rated_by_viewer(rows_rated)
            visible = None if p.user_id is None else mine
            first = await repo.review_first(t, c["interview_id"])
            evaluated = [r["answer_id"] for r in rows if r["evaluation_status"] == "ready"]
            held = {
                a for a in evaluated if not fairness.evaluation_visible(first, p.user_id, a, mine)
            }
            if p.user_id is not None:
                shown = [a for a in evaluated if a not in held]
                await repo.record_evaluation_views(t, p.user_id, shown, mine)
            views = await repo.evaluation_views(t, answer_ids)
            summary = await repo.summary(t, candidate_id)
            summary_held = summary is not None and bool(held)
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
                    answer=_answer(r, rated, visible, r["answer_id"] in held, views),
                )
                for r in rows
            ],
            summary=s.SummaryOut(**summary) if summary and not summary_held else None,
            comments=[s.CommentOut(**x) for x in comments],
            decisions=[s.DecisionOut(**x) for x in decisions],
            review_first=first,
            summary_held=summary_held,
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
            await compliance.record_rating_overrides(
                t, answer_id, user_id, [(r.criterion, r.score) for r in data.ratings]
            )

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
        async with services(request.app.state).db.tenant(p.organization_id) as t:
            await review.decide(t, p, candidate_id, data.decision, data.note)

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
        return await _serve(request, key, MEDIA_TYPES[kind])

    @get(
        "/answers/{answer_id:uuid}/recording/{segment:int}",
        responses=error_responses(416),
        summary="Answer recording",
    )
    async def recording(
        self,
        request: Req,
        p: NamedDependency[Principal],
        answer_id: FromPath[UUID],
        segment: FromPath[int],
    ) -> Response[bytes] | Stream:
        """One recorded segment of the answer as it was streamed (WebM), from 1: what plays when
        no playback file could be made. Supports `Range`."""
        p.require("candidates:read")
        svc = services(request.app.state)
        async with svc.db.tenant(p.organization_id) as t:
            key = await repo.recording_key(t, answer_id, segment)
        if key is None:
            raise NotFound("This answer has no such recording.")
        return await _serve(request, key, "video/webm")


async def _serve(request: Req, key: str, media_type: str) -> Response[bytes] | Stream:
    """An object as a response, whole or the requested byte range."""
    svc = services(request.app.state)
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
            media_type=media_type,
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
        media_type=media_type,
        headers={
            **headers,
            "Content-Range": f"bytes {start}-{end}/{size}",
            "Content-Length": str(end - start + 1),
        },
    )
