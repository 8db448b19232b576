from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import msgspec

from api.interviews.schemas import CandidateOut, RubricCriterion


class TranscriptOut(msgspec.Struct):
    status: Literal["processing", "ready", "failed", "skipped"]
    reason: str | None
    language: str | None
    text: str
    segments: list[dict[str, Any]]  # {start, end, text, words: [{start, end, text, p}]}


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


class QuestionReview(msgspec.Struct):
    id: UUID
    position: int
    kind: Literal["video", "audio", "text"]
    prompt: str
    rubric: list[RubricCriterion]
    answer: AnswerReview | None


class CandidateReview(msgspec.Struct):
    candidate: CandidateOut
    interview_title: str
    questions: list[QuestionReview]
