from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from api.interviews.schemas import CandidateOut, RubricCriterion


class TranscriptOut(msgspec.Struct):
    status: Literal["processing", "ready", "failed", "skipped"]
    reason: str | None
    language: str | None
    text: str
    segments: list[dict[str, Any]]  # {start, end, text, words: [{start, end, text, p}]}


class EvaluationOut(msgspec.Struct):
    status: Literal["ready", "failed", "skipped"]
    reason: str | None
    method: str | None
    model: str | None
    result: dict[str, Any]  # {label, summary, overall, criteria: [{criterion, weight, score,
    #                          rationale, evidence: [{quote, start, end}]}]}


class SummaryOut(msgspec.Struct):
    """Across the candidate's evaluated answers (advisory; people decide)."""

    status: Literal["ready", "failed"]
    reason: str | None
    method: str | None
    model: str | None
    result: dict[str, Any]  # {label, summary, strengths: [str], concerns: [str]}


class CriterionRatings(msgspec.Struct):
    criterion: str
    mine: int | None
    team_average: float | None  # hidden (null) from a member until they rated this answer
    team_count: int


class AnswerReview(msgspec.Struct):
    id: UUID
    attempt: int
    status: str
    failure_reason: str | None
    duration_ms: int
    text_answer: str | None
    playback_url: str | None
    poster_url: str | None
    transcript: TranscriptOut | None
    evaluation: EvaluationOut | None
    ratings: list[CriterionRatings]


class QuestionReview(msgspec.Struct):
    id: UUID
    position: int
    kind: Literal["video", "audio", "text"]
    prompt: str
    rubric: list[RubricCriterion]
    answer: AnswerReview | None


class CommentOut(msgspec.Struct):
    id: UUID
    author: str | None
    body: str
    created_at: datetime


class DecisionOut(msgspec.Struct):
    decision: Literal["advance", "hold", "reject"]
    note: str
    by: str | None
    created_at: datetime


class CandidateReview(msgspec.Struct):
    candidate: CandidateOut
    interview_title: str
    questions: list[QuestionReview]
    summary: SummaryOut | None  # once every answer is evaluated
    comments: list[CommentOut]
    decisions: list[DecisionOut]  # newest first; the first is the current decision


Score = Annotated[int, msgspec.Meta(ge=1, le=5)]


class RatingIn(msgspec.Struct):
    criterion: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    score: Score


class RatingsIn(msgspec.Struct):
    ratings: Annotated[list[RatingIn], msgspec.Meta(max_length=20)]


class CommentIn(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]


class DecisionIn(msgspec.Struct):
    decision: Literal["advance", "hold", "reject"]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
