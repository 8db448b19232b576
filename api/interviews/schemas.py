"""Input and output shapes of Interview Management."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from api.text import Email, Name, OneLine, Title

Kind = Literal["video", "audio", "text"]
Status = Literal["draft", "active", "closed", "archived"]
CandidateStatus = Literal["invited", "opened", "in_progress", "completed", "expired", "revoked"]
Decision = Literal["advance", "hold", "reject"]
CandidateSort = Literal["newest", "name", "score", "completed"]
DecisionFilter = Literal["advance", "hold", "reject", "none"]  # none: undecided
Language = Literal["en", "ru"]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
BrandName = Annotated[OneLine, msgspec.Meta(max_length=200)]
LogoUrl = Annotated[str, msgspec.Meta(max_length=2000, pattern="^https://")]


class RubricCriterion(msgspec.Struct):
    name: Name
    weight: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    strong_answer: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class QuestionIn(msgspec.Struct):
    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    kind: Kind = "video"
    think_seconds: Annotated[int, msgspec.Meta(ge=0, le=600)] = 30
    answer_seconds: Annotated[int, msgspec.Meta(ge=10, le=1800)] = 120
    retakes: Annotated[int, msgspec.Meta(ge=0, le=3)] = 1
    required: bool = True
    rubric: Annotated[list[RubricCriterion], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )


class QuestionOut(msgspec.Struct):
    id: UUID
    position: int
    prompt: str
    kind: Kind
    think_seconds: int
    answer_seconds: int
    retakes: int
    required: bool
    rubric: list[RubricCriterion]


# Hours before a candidate's deadline to remind them (0: no reminder); at most two weeks.
ReminderHours = Annotated[int, msgspec.Meta(ge=0, le=336)]


MAX_QUESTIONS = 50
Questions = Annotated[list[QuestionIn], msgspec.Meta(max_length=MAX_QUESTIONS)]


class InterviewIn(msgspec.Struct):
    title: Title
    role_description: LongText = ""
    intro: LongText = ""
    language: Language = "en"
    brand_name: BrandName | None = None
    brand_logo_url: LogoUrl | None = None
    reminder_hours: ReminderHours = 24
    review_first: bool = False
    questions: Questions = msgspec.field(default_factory=list)
    template: str | None = None


class InterviewUpdate(msgspec.Struct):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    role_description: LongText | msgspec.UnsetType = msgspec.UNSET
    intro: LongText | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET
    brand_name: BrandName | msgspec.UnsetType | None = msgspec.UNSET
    brand_logo_url: LogoUrl | msgspec.UnsetType | None = msgspec.UNSET
    reminder_hours: ReminderHours | msgspec.UnsetType = msgspec.UNSET
    review_first: bool | msgspec.UnsetType = msgspec.UNSET


class CandidateCounts(msgspec.Struct):
    invited: int = 0
    opened: int = 0
    in_progress: int = 0
    completed: int = 0
    expired: int = 0
    revoked: int = 0


class InterviewOut(msgspec.Struct):
    id: UUID
    title: str
    role_description: str
    intro: str
    language: Language
    status: Status
    brand_name: str | None
    brand_logo_url: str | None
    reminder_hours: int  # reminder email this many hours before a candidate's deadline; 0: none
    # Review first, then reveal: each answer's AI evaluation shows to a reviewer once they rated it
    review_first: bool
    public_link: bool
    locked: bool  # questions are fixed once a candidate has started
    questions: list[QuestionOut]
    candidates: CandidateCounts
    created_at: datetime
    updated_at: datetime
    following: bool = False  # you hear about its candidates (bell, team emails); keys: false


class InterviewSummary(msgspec.Struct):
    id: UUID
    title: str
    status: Status
    language: Language
    questions: int
    candidates: CandidateCounts
    created_at: datetime


class InterviewPage(msgspec.Struct):
    items: list[InterviewSummary]
    next_cursor: str | None


class Following(msgspec.Struct):
    following: bool


class StatusChange(msgspec.Struct):
    status: Status


class Template(msgspec.Struct):
    key: str
    title: str
    role_description: str
    questions: list[QuestionIn]


class PublicLink(msgspec.Struct):
    url: str


class CandidateIn(msgspec.Struct):
    name: Name
    email: Email
    deadline: datetime | None = None
    extra_time_factor: Annotated[float, msgspec.Meta(ge=1.0, le=3.0)] = 1.0
    extra_retakes: Annotated[int, msgspec.Meta(ge=0, le=5)] = 0
    send_email: bool = True


class CandidateUpdate(msgspec.Struct):
    deadline: datetime | msgspec.UnsetType | None = msgspec.UNSET
    extra_time_factor: Annotated[float, msgspec.Meta(ge=1.0, le=3.0)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    extra_retakes: Annotated[int, msgspec.Meta(ge=0, le=5)] | msgspec.UnsetType = msgspec.UNSET


class InvitationEmail(msgspec.Struct):
    """The newest invitation (or reminder) email: whether it went out, and why not."""

    status: Literal["pending", "sent", "failed"]  # failed: refused, or every retry spent
    attempts: int
    last_error: str | None  # the SMTP server's reply or the connection error
    sent_at: datetime | None


class CandidateOut(msgspec.Struct):
    id: UUID
    interview_id: UUID
    name: str
    email: str
    status: CandidateStatus
    source: Literal["invited", "public_link", "import"]
    deadline: datetime | None
    extra_time_factor: float
    extra_retakes: int
    ai_consent: bool | None
    answered: int
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    invitation_email: InvitationEmail | None = None  # None: no email was sent (link shared)
    decision: Decision | None = None  # the hiring team's current decision
    # Mean overall score (1-5) of the answers that count, from LLM evaluations only; null until
    # an LLM has evaluated one (the local keyword coverage is never a score to rank on).
    score: float | None = None


class CandidateCreated(msgspec.Struct):
    candidate: CandidateOut
    link: str  # shown now; a resend makes a new one


class BulkAction(msgspec.Struct):
    """One action on several of the interview's candidates (the ones selected in the list)."""

    action: Literal["resend", "revoke", "decide"]
    candidate_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=200)]
    decision: Decision | None = None  # for "decide"
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class BulkFailure(msgspec.Struct):
    candidate_id: UUID
    error: str  # the code a single request would have answered with
    detail: str


class BulkResult(msgspec.Struct):
    done: list[UUID]  # in the order given
    failed: list[BulkFailure]


class CandidatePage(msgspec.Struct):
    items: list[CandidateOut]
    next_cursor: str | None


class ImportRowError(msgspec.Struct):
    row: int
    email: str | None
    error: str


class ImportResult(msgspec.Struct):
    created: int
    errors: list[ImportRowError]


class CsvImport(msgspec.Struct):
    csv: Annotated[str, msgspec.Meta(max_length=2_000_000)]
    deadline: datetime | None = None
    send_email: bool = True


# Examples of the public API's request bodies (see api/examples.py).
EXAMPLES: dict[str, Any] = {
    "create_interview": {
        "title": "Customer support lead",
        "role_description": "Lead a team of six support agents for our EU customers.",
        "intro": "Three questions, about 15 minutes. Take a moment to think before each one.",
        "language": "en",
        "reminder_hours": 24,
        "questions": [
            {
                "prompt": "Tell us about a time you turned an angry customer around.",
                "kind": "video",
                "think_seconds": 30,
                "answer_seconds": 120,
                "retakes": 1,
                "rubric": [
                    {
                        "name": "Empathy",
                        "weight": 2,
                        "strong_answer": "Acknowledges the customer's feelings before solving",
                    },
                    {
                        "name": "Outcome",
                        "weight": 1,
                        "strong_answer": "A concrete, measurable result",
                    },
                ],
            },
            {"prompt": "How do you coach a struggling agent?", "kind": "audio"},
            {"prompt": "Why this role?", "kind": "text", "answer_seconds": 600},
        ],
    },
    "from_template": {"title": "Backend engineer", "template": "software_engineer"},
    "update_interview": {"title": "Customer support lead (EU)", "reminder_hours": 48},
    "replace_questions": [
        {
            "prompt": "Walk us through how you would handle a service outage.",
            "kind": "video",
            "rubric": [
                {"name": "Structure", "weight": 2, "strong_answer": "Triage, fix, follow up"}
            ],
        }
    ],
    "activate": {"status": "active"},
    "invite_one": {"name": "Cora Diaz", "email": "cora.diaz@example.com"},
    "invite_with_adjustments": {
        "name": "Dan Ito",
        "email": "dan.ito@example.com",
        "extra_time_factor": 1.5,
        "extra_retakes": 1,
    },
    "invite_many": {
        "csv": "name,email\nErin Moss,erin.moss@example.com\nFinn Wu,finn.wu@example.com\n",
        "send_email": True,
    },
    "adjust_candidate": {"extra_time_factor": 2.0, "extra_retakes": 2},
    "bulk_decide": {
        "action": "decide",
        "candidate_ids": ["0b9f3a52-8d1e-4c1a-9a57-2f0e6c1d4b7e"],
        "decision": "hold",
        "note": "Waiting for the second round.",
    },
}
