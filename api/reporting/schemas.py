from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

Decision = Literal["advance", "hold", "reject"]


class CriterionCell(msgspec.Struct):
    criterion: str
    score: int | None  # the evaluation's (advisory); None unless an evaluator judged content
    covered: list[str] | None  # keyword coverage only: the key points the answer mentions
    missing: list[str] | None  # keyword coverage only: those it does not
    team_average: float | None
    team_count: int
    mine: int | None


class AnswerCell(msgspec.Struct):
    question_id: UUID
    answer_id: UUID | None
    status: str | None
    duration_ms: int | None
    excerpt: str  # the answer's first lines (transcript or written text)
    overall: float | None  # the evaluation's weighted score; None for keyword coverage
    criteria: list[CriterionCell]


class ComparedCandidate(msgspec.Struct):
    id: UUID
    name: str
    email: str
    status: str
    shortlisted: bool
    decision: Decision | None  # the current one
    overall_score: float | None  # mean of the answers' judged scores (never keyword coverage)
    team_rating: float | None  # mean of the team's ratings over all answers and criteria
    answers: list[AnswerCell]  # in question order


class ComparedQuestion(msgspec.Struct):
    id: UUID
    position: int
    prompt: str
    criteria: list[str]


class Comparison(msgspec.Struct):
    interview_id: UUID
    questions: list[ComparedQuestion]
    candidates: list[ComparedCandidate]


class QuestionDropOff(msgspec.Struct):
    question_id: UUID
    position: int
    prompt: str
    answered: int
    stopped: int  # started the interview, never answered this one, never finished


class DayCount(msgspec.Struct):
    day: date
    completed: int


class Funnel(msgspec.Struct):
    invited: int
    opened: int
    consented: int
    started: int
    completed: int
    expired: int
    revoked: int
    declined_ai: int
    median_seconds_to_complete: float | None
    questions: list[QuestionDropOff]
    completed_by_day: list[DayCount]  # UTC days with at least one completion


class ShareIn(msgspec.Struct):
    """One candidate (`candidate_id`) or the interview's shortlist as it stands (`shortlist`)."""

    recipient: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]  # who it is for
    candidate_id: UUID | None = None
    shortlist: bool = False
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 14
    hide_identity: bool = False  # blind review: no name or email
    hide_video: bool = False  # blind review: transcripts (and audio answers) only


class ShareAccess(msgspec.Struct):
    action: Literal["view", "watch", "rate", "comment"]
    candidate: str | None
    ip: str
    user_agent: str
    at: datetime


class GuestFeedback(msgspec.Struct):
    candidate: str
    question: int | None  # position of the rated question; None for a comment
    criterion: str | None
    score: int | None
    comment: str | None
    at: datetime


class ShareOut(msgspec.Struct):
    id: UUID
    recipient: str
    candidate_ids: list[UUID]
    hide_identity: bool
    hide_video: bool
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    created_by: str | None
    active: bool
    accesses: list[ShareAccess]  # newest first
    feedback: list[GuestFeedback]


class ShareCreated(msgspec.Struct):
    share: ShareOut
    link: str  # shown once: only its hash is stored


class SharedAnswer(msgspec.Struct):
    id: UUID
    status: str
    duration_ms: int
    text: str | None  # the written answer or the transcript
    playback_url: str | None  # None when the link hides video
    my_ratings: dict[str, int]  # criterion → the guest's score


class SharedQuestion(msgspec.Struct):
    id: UUID
    position: int
    kind: str
    prompt: str
    criteria: list[str]
    answer: SharedAnswer | None


class SharedCandidate(msgspec.Struct):
    id: UUID
    label: str  # the name, or "Candidate N" in blind review
    email: str | None
    questions: list[SharedQuestion]
    my_comments: list[str]


class SharedView(msgspec.Struct):
    interview_title: str
    recipient: str
    expires_at: datetime
    hide_identity: bool
    hide_video: bool
    candidates: list[SharedCandidate]


class GuestRating(msgspec.Struct):
    criterion: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]


class GuestRatingsIn(msgspec.Struct):
    ratings: Annotated[list[GuestRating], msgspec.Meta(max_length=20)]


class GuestCommentIn(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
