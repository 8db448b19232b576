"""Shapes of the candidate-facing API."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.text import Email, Name

AnswerStatus = Literal[
    "pending", "recording", "recorded", "interrupted", "failed", "discarded", "submitted"
]


class CandidateQuestion(msgspec.Struct):
    id: UUID
    position: int
    kind: Literal["video", "audio", "text"]
    required: bool
    think_seconds: int
    time_limit_seconds: int  # the answer time with the candidate's extra-time factor
    attempts_allowed: int
    attempts_used: int
    status: AnswerStatus | None  # of the latest attempt
    answer_id: UUID | None  # the latest attempt
    failure_reason: str | None
    prompt: str | None  # shown once the candidate reaches the question


class CandidateInterview(msgspec.Struct):
    title: str
    intro: str
    language: Literal["en", "ru"]
    organization: str
    logo_url: str | None


class CandidateSession(msgspec.Struct):
    name: str
    status: Literal["invited", "opened", "in_progress", "completed"]
    consented: bool
    ai_consent: bool | None
    notice_version: str
    interview: CandidateInterview
    questions: list[CandidateQuestion]
    current: int | None  # position of the question to answer next; None when all are answered


class Consent(msgspec.Struct):
    notice_version: str
    recording: bool  # consent to being recorded (required to take part)
    ai: bool  # consent to AI transcription and evaluation (optional: humans review otherwise)


class Attempt(msgspec.Struct):
    answer_id: UUID
    attempt: int
    attempts_left: int
    time_limit_seconds: int
    whip_url: str
    whip_token: str


class TextAnswer(msgspec.Struct):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]


class AnswerState(msgspec.Struct):
    id: UUID
    status: AnswerStatus
    failure_reason: str | None
    duration_ms: int
    playback_ready: bool
    # Why the media failed, a stable code: udp_blocked, ice_failed, dtls_failed, no_media,
    # no_video, storage_failed, recording_failed, connection_lost (docs/whip.md).
    failure_code: str | None = None


class PublicInterview(msgspec.Struct):
    title: str
    intro: str
    language: Literal["en", "ru"]
    organization: str


class Join(msgspec.Struct):
    name: Name
    email: Email


class Joined(msgspec.Struct):
    link: str | None  # the personal link; None when it was emailed to an existing candidate
    emailed: bool
