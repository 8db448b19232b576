from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

RequestKind = Literal["export", "erasure"]
JobKind = Literal["export", "erasure", "media_erasure"]
Source = Literal["candidate", "team", "retention"]
Status = Literal["pending", "awaiting_receipt", "completed"]
Days = Annotated[int, msgspec.Meta(ge=1, le=36500)]


class CandidateDataRequestIn(msgspec.Struct):
    kind: RequestKind


class TeamDataRequestIn(msgspec.Struct):
    """A request the candidate made another way (email, phone, letter)."""

    candidate_id: UUID
    kind: RequestKind
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""  # how and when it was made


class ReceiptItem(msgspec.Struct):
    what: str  # e.g. "recordings", "transcripts"
    where: str  # "object store" or "database: <table>"
    count: int
    action: Literal["deleted", "anonymised"]


class Receipt(msgspec.Struct):
    request_id: UUID
    candidate_id: UUID
    erased_at: datetime
    scope: Literal["all", "media"]
    items: list[ReceiptItem]
    objects: list[str]  # the object-store keys deleted


class DataRequest(msgspec.Struct):
    id: UUID
    candidate_id: UUID
    candidate: str  # the name, or "Erased candidate"
    interview_id: UUID
    kind: JobKind
    source: Source
    note: str
    created_at: datetime
    due_at: datetime  # 30 days after the request
    status: Status
    run_at: datetime | None  # when the erasure runs (the due date, or now)
    completed_at: datetime | None
    last_error: str | None
    receipt: Receipt | None


class DataRequestPage(msgspec.Struct):
    items: list[DataRequest]
    next_cursor: str | None


class CandidateDataRequest(msgspec.Struct):
    id: UUID
    kind: JobKind
    created_at: datetime
    due_at: datetime
    status: Status
    completed_at: datetime | None


class CandidateDataRequests(msgspec.Struct):
    items: list[CandidateDataRequest]
    export_url: str  # download a copy of the data now (a zip)


class RetentionSettings(msgspec.Struct):
    """Days after the basis (completion, or the decision) after which a candidate's recordings
    (media_days) or all their data (data_days: erased and anonymised) go; null keeps them."""

    basis: Literal["completion", "decision"] = "completion"
    media_days: Days | None = None
    data_days: Days | None = None


class RetentionCandidate(msgspec.Struct):
    candidate_id: UUID
    interview_id: UUID
    scope: Literal["all", "media"]
    since: datetime  # the completion or decision the period counts from


class RetentionPreview(msgspec.Struct):
    at: datetime
    items: list[RetentionCandidate]


def receipt_of(data: dict[str, Any] | None) -> Receipt | None:
    return msgspec.convert(data, Receipt) if data else None
