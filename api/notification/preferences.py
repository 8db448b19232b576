"""Team emails a member may turn off, and the signed unsubscribe links in them.

A link names the member, the organization and the kind of email; it is signed with the secret
key and does not expire (an old email's link must still work). The email body links to the web
page; the ``List-Unsubscribe`` header gives the API address for one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from itsdangerous import BadSignature, URLSafeSerializer

from api.errors import NotFound

Kind = Literal["candidate_completed", "evaluation_ready"]
KINDS: tuple[Kind, ...] = ("candidate_completed", "evaluation_ready")


@dataclass(frozen=True)
class Unsubscribe:
    page: str  # the web page a person opens from the email
    one_click: str  # what a mail client POSTs to (List-Unsubscribe)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="fairview.unsubscribe")


def links(
    public_url: str, secret: str, user_id: UUID, organization_id: UUID, kind: str
) -> Unsubscribe:
    """The links for one kind of team email (one of KINDS; ``read`` refuses any other)."""
    token = _serializer(secret).dumps({"u": str(user_id), "o": str(organization_id), "k": kind})
    return Unsubscribe(
        page=f"{public_url}/unsubscribe?token={token}",
        one_click=f"{public_url}/api/v1/email-preferences/unsubscribe?token={token}",
    )


def read(secret: str, token: str) -> tuple[UUID, UUID, Kind]:
    """The (member, organization, kind) of an unsubscribe token, or 404 ``invalid_link``."""
    try:
        data = _serializer(secret).loads(token)
        kind = data["k"]
        if kind not in KINDS:
            raise ValueError(kind)
        return UUID(data["u"]), UUID(data["o"]), kind
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound("This unsubscribe link is not valid.", code="invalid_link") from exc
