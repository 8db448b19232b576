"""Who is calling: a member through a session, or an organization's API key; and what each
role may do."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from api.errors import Forbidden

_REVIEW = {"team:read", "interviews:read", "candidates:read", "candidates:review"}
_RECRUIT = _REVIEW | {"interviews:manage", "candidates:manage", "candidates:decide"}
# fairness:read: the adverse-impact report, aggregates of candidates' self-identification.
_ADMIN = _RECRUIT | {
    "organization:manage",
    "team:manage",
    "api_keys:manage",
    "audit:read",
    "fairness:read",
}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(_ADMIN | {"team:grant_owner"}),
    "admin": frozenset(_ADMIN),
    "recruiter": frozenset(_RECRUIT),
    "reviewer": frozenset(_REVIEW),
}

# What an API key may do, and the scope it needs. Managing keys and roles needs a person.
API_KEY_ACTIONS: dict[str, str] = {
    "team:read": "read",
    "interviews:read": "read",
    "candidates:read": "read",
    "interviews:manage": "write",
    "candidates:manage": "write",
    "candidates:decide": "write",
}


@dataclass(frozen=True)
class Principal:
    organization_id: UUID
    role: str | None = None  # the member's role; None for an API key
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    scopes: frozenset[str] = frozenset()

    def can(self, action: str) -> bool:
        if self.api_key_id is not None:
            needed = API_KEY_ACTIONS.get(action)
            return needed is not None and needed in self.scopes
        return action in ROLE_ACTIONS.get(self.role or "", frozenset())

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden(f"Your role does not allow this ({action}).", code="permission_denied")

    def person(self) -> UUID:
        """The member calling; an API key is refused (403 ``people_only``)."""
        if self.user_id is None:
            raise Forbidden("This is done by people, not API keys.", code="people_only")
        return self.user_id


@dataclass(frozen=True)
class Operator:
    key_id: UUID
    name: str
