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
    # abstained: a spoken answer with too little clear speech is not scored (reason says so)
    status: Literal["ready", "failed", "skipped", "abstained"]
    reason: str | None
    method: str | None
    model: str | None
    result: dict[str, Any]  # {label, graded, summary, overall, criteria: [{criterion, weight,
    #   score, rationale, evidence: [{quote, start, end}], covered?, missing?}]}; graded false
    #   (keyword coverage): score and overall are null, covered/missing list the key points


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


class AnswerQuality(msgspec.Struct):
    """The network's effect on a recorded answer, from the ingest's own statistics: the worst
    segment's packet loss (packets never received, after retransmission), audio lost to the
    network (concealed, or silent where nothing could be concealed) and the time the picture
    stood still, summed over segments."""

    packet_loss_pct: float
    audio_lost_ms: int
    silence_ms: int
    frozen_ms: int


class EvaluationView(msgspec.Struct):
    """When the AI evaluation was first shown to a reviewer, and whether they had rated first."""

    name: str
    shown_at: datetime
    rated_before: bool


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
    # The playback file's job: pending, running, ready or failed (then playback_error says why
    # and the answer plays from its recording: WebM, one URL per segment).
    playback_status: Literal["pending", "running", "ready", "failed"] | None = None
    playback_error: str | None = None
    recording_urls: list[str] = msgspec.field(default_factory=list)
    failure_code: str | None = None
    quality: AnswerQuality | None = None  # null for text answers and older recordings
    # The interview reviews first: an evaluation exists and shows once you rated this answer.
    evaluation_held: bool = False
    evaluation_views: list[EvaluationView] = msgspec.field(default_factory=list)


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
    review_first: bool = False  # AI evaluations show to a reviewer only after their own rating
    summary_held: bool = False  # a summary exists and shows once you rated every answer


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
