"""What the Notification context's API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from api.notification.preferences import Kind

NotificationKind = Literal[
    "candidate_completed", "evaluation_ready", "candidate_decided", "invitation_failed"
]


class NotificationData(msgspec.Struct):
    candidate: str
    interview: str
    interview_id: UUID
    decision: Literal["advance", "hold", "reject"] | None = None  # for candidate_decided
    error: str | None = None  # for invitation_failed: the mail server's reply


class NotificationOut(msgspec.Struct):
    id: UUID
    kind: NotificationKind
    candidate_id: UUID | None
    data: NotificationData
    read_at: datetime | None
    created_at: datetime


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    unread: int  # unread notifications in all
    next_cursor: str | None


class UnreadCount(msgspec.Struct):
    unread: int


class EmailPreferences(msgspec.Struct):
    """Which team emails this member gets in this organization (account emails always go)."""

    candidate_completed: bool = True  # "a candidate completed an interview you created"
    evaluation_ready: bool = True  # "the evaluation of such a candidate is ready"


class UnsubscribeInfo(msgspec.Struct):
    email: str
    organization: str
    kind: Kind
    subscribed: bool
