from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

EventType = Literal[
    "invitation.created",
    "invitation.opened",
    "interview.completed",
    "answer.recorded",
    "transcript.ready",
    "evaluation.ready",
    "candidate.decided",
    "candidate.erased",
]


class EndpointIn(msgspec.Struct):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    events: Annotated[list[EventType], msgspec.Meta(min_length=1)]
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""


class EndpointChange(msgspec.Struct, omit_defaults=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)] | None = None
    events: Annotated[list[EventType], msgspec.Meta(min_length=1)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    status: Literal["active", "disabled"] | None = None


class EndpointOut(msgspec.Struct):
    id: UUID
    url: str
    events: list[str]
    description: str
    status: Literal["active", "disabled"]
    disabled_reason: str | None
    secret: str  # whsec_…: verify signatures with it (Standard Webhooks)
    created_at: datetime


class EndpointList(msgspec.Struct):
    items: list[EndpointOut]


class DeliveryAttempt(msgspec.Struct):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(msgspec.Struct):
    id: UUID
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[DeliveryAttempt]


class DeliveryList(msgspec.Struct):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class TestSent(msgspec.Struct):
    delivery_id: UUID
    event_id: str


def endpoint_out(r: dict[str, Any]) -> EndpointOut:
    return EndpointOut(
        r["id"],
        r["url"],
        list(r["events"]),
        r["description"],
        r["status"],
        r["disabled_reason"],
        r["secret"],
        r["created_at"],
    )
