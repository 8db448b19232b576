from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

Decision = Literal["advance", "hold", "reject"]


class CriterionCell(msgspec.Struct):
    criterion: str
    score: int | None  # the evaluation's (advisory)
    team_average: float | None
    team_count: int
    mine: int | None


class AnswerCell(msgspec.Struct):
    question_id: UUID
    answer_id: UUID | None
    status: str | None
    duration_ms: int | None
    excerpt: str  # the answer's first lines (transcript or written text)
    overall: float | None  # the evaluation's weighted score for this answer
    criteria: list[CriterionCell]


class ComparedCandidate(msgspec.Struct):
    id: UUID
    name: str
    email: str
    status: str
    shortlisted: bool
    decision: Decision | None  # the current one
    overall_score: float | None  # mean of the evaluated answers' scores
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
