"""Input and output shapes of Identity & Access."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.text import Email, Name, OneLine

Role = Literal["owner", "admin", "recruiter", "reviewer"]
InvitableRole = Literal["admin", "recruiter", "reviewer"]
Locale = Literal["en", "ru"]
Scope = Literal["read", "write"]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
Token = Annotated[str, msgspec.Meta(min_length=16, max_length=200)]


class SignUp(msgspec.Struct):
    organization_name: Name
    name: Name
    email: Email
    password: Password
    locale: Locale = "en"


class SignUpAccepted(msgspec.Struct):
    """The same answer whether or not the address has an account: the email tells the rest."""

    email: str
    status: str = "check_email"


class LogIn(msgspec.Struct):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    organization_id: UUID | None = None


class TokenIn(msgspec.Struct):
    token: Token


class PasswordResetRequest(msgspec.Struct):
    email: Email


class PasswordResetConfirm(msgspec.Struct):
    token: Token
    password: Password


class SwitchOrganization(msgspec.Struct):
    organization_id: UUID


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    name: str
    locale: Locale
    email_verified: bool


class OrganizationOut(msgspec.Struct):
    id: UUID
    name: str
    locale: Locale
    status: Literal["active", "suspended"]
    created_at: datetime


class OrganizationBrief(msgspec.Struct):
    id: UUID
    name: str
    role: Role


class Me(msgspec.Struct):
    user: UserOut
    organization: OrganizationOut
    role: Role
    organizations: list[OrganizationBrief]


class OrganizationUpdate(msgspec.Struct):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET


class MemberOut(msgspec.Struct):
    user_id: UUID
    email: str
    name: str
    role: Role
    email_verified: bool
    joined_at: datetime


class MemberPage(msgspec.Struct):
    items: list[MemberOut]
    next_cursor: str | None


class RoleUpdate(msgspec.Struct):
    role: Role


class TeamInvitationIn(msgspec.Struct):
    email: Email
    role: InvitableRole = "recruiter"


class TeamInvitationOut(msgspec.Struct):
    id: UUID
    email: str
    role: InvitableRole
    expires_at: datetime
    created_at: datetime


class TeamInvitationPage(msgspec.Struct):
    items: list[TeamInvitationOut]
    next_cursor: str | None


class TeamInvitationPreview(msgspec.Struct):
    organization_name: str
    email: str
    role: InvitableRole
    account_exists: bool


class AcceptInvitation(msgspec.Struct):
    token: Token
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name: Name | None = None


class ApiKeyIn(msgspec.Struct):
    name: Annotated[OneLine, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["read"]
    )


class ApiKeyOut(msgspec.Struct):
    id: UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(msgspec.Struct):
    key: ApiKeyOut
    secret: str  # shown once; only its hash is stored


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKeyOut]
    next_cursor: str | None


class AuditEntry(msgspec.Struct):
    id: int
    action: str
    target: str | None
    details: dict[str, object]
    actor_email: str | None
    actor_api_key_id: UUID | None
    created_at: datetime


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None
