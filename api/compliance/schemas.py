from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

RunKind = Literal["transcription", "evaluation", "live_evaluation", "summary"]


class ComplianceSettings(msgspec.Struct):
    ai_evaluation: bool  # False: no AI evaluation for any interview (transcripts may stay)


class InterviewAiSettings(msgspec.Struct):
    ai_evaluation: bool  # this interview's switch


class InterviewAiState(msgspec.Struct):
    ai_evaluation: bool  # this interview's switch
    organization_ai_evaluation: bool
    effective: bool  # both on


class AiRun(msgspec.Struct):
    id: int
    kind: str
    candidate_id: UUID | None
    answer_id: UUID | None
    provider: str
    model: str
    prompt_version: str | None
    input_hash: str
    output: dict[str, Any]
    latency_ms: int
    tokens_in: int | None
    tokens_out: int | None
    error: str | None
    created_at: datetime


class AiRunPage(msgspec.Struct):
    items: list[AiRun]
    next_cursor: str | None
    models: list[str]  # every model that ran for the organization (for the filter)


class AiOverride(msgspec.Struct):
    id: int
    kind: Literal["rating", "decision"]
    candidate_id: UUID
    candidate: str
    answer_id: UUID | None
    criterion: str | None
    ai_score: float  # the AI's criterion score, or the candidate's mean AI score
    human_value: str  # the reviewer's 1-5 rating, or the decision
    reviewer: str | None
    created_at: datetime


class AiOverridePage(msgspec.Struct):
    items: list[AiOverride]
    next_cursor: str | None


class NoticeCriterion(msgspec.Struct):
    name: str
    strong_answer: str


class NoticeQuestion(msgspec.Struct):
    position: int
    criteria: list[NoticeCriterion]  # what the AI compares the answer with


class CandidateNotice(msgspec.Struct):
    """What the AI does with a candidate's answers, generated from the interview's rubric."""

    organization: str
    interview: str
    name: str
    language: str
    ai_consent: bool | None
    ai_active: bool  # consented, not switched off, no human-only review asked for
    ai_off_reason: str | None
    engine: str  # what evaluates: an LLM, or key-point coverage without a grade
    evaluates: list[NoticeQuestion]
    never: list[str]
    requests: list[str]  # kinds already asked for
    rights_link: str | None  # the page where the candidate asks (on the interview's notice)


class CandidateRequestIn(msgspec.Struct):
    kind: Literal["human_review", "accommodation"]
    message: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class CandidateRequest(msgspec.Struct):
    id: UUID
    kind: Literal["human_review", "accommodation"]
    message: str
    candidate_id: UUID
    candidate: str
    interview_id: UUID
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


class CandidateRequestPage(msgspec.Struct):
    items: list[CandidateRequest]
    next_cursor: str | None
