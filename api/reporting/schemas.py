from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.text import Email

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


class ClientFailures(msgspec.Struct):
    """Technical failures of streamed attempts with one browser family on one device type."""

    browser: str  # ua-parser's family ("Chrome", "Mobile Safari", …); "Unknown" when not known
    device: Literal["desktop", "mobile", "tablet", "other"]
    attempts: int  # streamed attempts the ingest ended
    failed: int  # of them, ended by a technical failure (a failure code)
    failure_rate: float  # failed / attempts, from 0 to 1 (4 decimals)
    codes: dict[str, int]  # failure code (udp_blocked, ice_failed, no_media, …) → attempts


class Funnel(msgspec.Struct):
    """Of the candidates invited in [since, until)."""

    invited: int
    opened: int
    consented: int
    devices_checked: int  # passed the device check on the candidate page
    started: int
    completed: int
    expired: int
    revoked: int
    declined_ai: int
    median_seconds_to_complete: float | None
    questions: list[QuestionDropOff]
    completed_by_day: list[DayCount]  # UTC days with at least one completion
    failures: list[ClientFailures]  # per browser and device, most attempts first


class InterviewTotals(msgspec.Struct):
    interview_id: UUID
    title: str
    invited: int
    started: int
    completed: int


class OrganizationFunnel(msgspec.Struct):
    """The funnel of every interview of the organization: of the candidates invited in
    [since, until)."""

    invited: int
    opened: int
    consented: int
    devices_checked: int
    started: int
    completed: int
    expired: int
    revoked: int
    declined_ai: int
    median_seconds_to_complete: float | None
    completed_by_day: list[DayCount]
    failures: list[ClientFailures]
    interviews: list[InterviewTotals]  # with at least one candidate invited in the range


class ShareIn(msgspec.Struct):
    """One candidate (`candidate_id`) or the interview's shortlist as it stands (`shortlist`)."""

    recipient: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]  # who it is for
    candidate_id: UUID | None = None
    shortlist: bool = False
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 14
    hide_identity: bool = False  # blind review: no name or email
    hide_video: bool = False  # blind review: transcripts (and audio answers) only
    # Only this address may open the link: its guest confirms it through an emailed link first.
    email: Email | None = None


ShareAction = Literal[
    "view", "watch", "rate", "comment", "confirmation_sent", "wrong_email", "confirmed"
]


class ShareAccess(msgspec.Struct):
    action: ShareAction
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
    email: str | None  # the only address that may open it (after confirming), if limited
    confirmed: bool  # a guest confirmed the address (always false without one)
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


class ConfirmationRequest(msgspec.Struct):
    """The guest's address, for a link limited to a named email."""

    email: Email


class ConfirmationIn(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]  # from the emailed link
