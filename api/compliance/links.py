"""A candidate's rights link (in the confirmation email, and on the notice page) proves who they
are without an account: it is signed with the secret key and names the candidate."""

from __future__ import annotations

from uuid import UUID

from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.errors import NotFound

RIGHTS_LINK_MAX_AGE_S = 400 * 24 * 3600


def _rights_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="fairview.rights")


def rights_token(secret: str, organization_id: UUID, candidate_id: UUID) -> str:
    return _rights_serializer(secret).dumps({"o": str(organization_id), "c": str(candidate_id)})


def rights_link(public_url: str, secret: str, organization_id: UUID, candidate_id: UUID) -> str:
    token = rights_token(secret, organization_id, candidate_id)
    return f"{public_url.rstrip('/')}/rights/{token}"


def read_rights_token(secret: str, token: str) -> tuple[UUID, UUID]:
    """The (organization, candidate) of a rights link; NotFound when it is not one of ours."""
    try:
        data = _rights_serializer(secret).loads(token, max_age=RIGHTS_LINK_MAX_AGE_S)
        return UUID(data["o"]), UUID(data["c"])
    except (BadSignature, KeyError, ValueError, TypeError) as exc:
        raise NotFound("This link is not valid.", code="invalid_link") from exc
