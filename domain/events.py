"""The domain events, one typed struct each: what happened in an organization, queued in the
outbox in the transaction that made it happen and published on topic ``events`` after commit
(webhooks, notifications, metering, AI work). On the wire an event is
``{"id", "type", "organization_id", "data"}``; ``data`` is the struct's fields."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from storage.outbox import add_event


class Event(msgspec.Struct, kw_only=True, tag_field="type"):
    """A domain event; its tag is its ``type`` on the wire (``answer.recorded``)."""


class OrganizationCreated(Event, tag="organization.created"):
    organization_id: UUID
    owner_id: UUID


class MemberJoined(Event, tag="member.joined"):
    user_id: UUID
    role: str


class InvitationCreated(Event, tag="invitation.created"):
    candidate_id: UUID
    interview_id: UUID
    source: str  # how the candidate came: api, csv, public_link, …


class InvitationOpened(Event, tag="invitation.opened"):
    candidate_id: UUID


class InvitationExpired(Event, tag="invitation.expired"):
    candidate_id: UUID
    interview_id: UUID


class InvitationUndeliverable(Event, tag="invitation.undeliverable"):
    candidate_id: UUID
    error: str


class InterviewStarted(Event, tag="interview.started"):
    candidate_id: UUID


class InterviewCompleted(Event, tag="interview.completed"):
    candidate_id: UUID
    interview_id: UUID


class AnswerRecorded(Event, tag="answer.recorded"):
    answer_id: UUID


class TranscriptReady(Event, tag="transcript.ready"):
    answer_id: UUID


class EvaluationReady(Event, tag="evaluation.ready"):
    answer_id: UUID


class CandidateEvaluated(Event, tag="candidate.evaluated"):
    candidate_id: UUID


class CandidateDecided(Event, tag="candidate.decided"):
    candidate_id: UUID
    decision: str
    decided_by: UUID | None  # None: an API key decided


class CandidateErased(Event, tag="candidate.erased"):
    candidate_id: UUID
    interview_id: UUID
    erased_at: str


TYPES: frozenset[str] = frozenset(str(c.__struct_config__.tag) for c in Event.__subclasses__())


async def emit(conn: asyncpg.Connection, organization_id: UUID, event: Event) -> None:
    """Queue ``event`` for topic ``events`` in the caller's transaction (sent once it commits)."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    await add_event(conn, organization_id, data.pop("type"), data)
