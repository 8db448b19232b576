from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec


class Usage(msgspec.Struct):
    members: int
    pending_invitations: int
    api_keys: int


class AdminOrganization(msgspec.Struct):
    id: UUID
    name: str
    status: Literal["active", "suspended"]
    suspended_reason: str | None
    created_at: datetime
    usage: Usage


class AdminOrganizationPage(msgspec.Struct):
    items: list[AdminOrganization]
    next_cursor: str | None


class AdminMembership(msgspec.Struct):
    organization_id: UUID
    role: str


class AdminUser(msgspec.Struct):
    id: UUID
    email: str
    name: str
    email_verified: bool
    created_at: datetime
    memberships: list[AdminMembership]


class AdminUserPage(msgspec.Struct):
    items: list[AdminUser]
    next_cursor: str | None


class Suspend(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
