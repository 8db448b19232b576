"""Short-lived signed tokens: a streaming (WHIP) token authorises one answer, signed with the
secret key, so the API can issue it and the ingest process can check it without a lookup."""

from __future__ import annotations

from uuid import UUID

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TOKEN_TTL_S = 15 * 60


class TokenError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="fairview.whip")


def issue(secret: str, answer_id: UUID, organization_id: UUID) -> str:
    return _serializer(secret).dumps({"a": str(answer_id), "o": str(organization_id)})


def verify(secret: str, token: str, max_age_s: int = TOKEN_TTL_S) -> tuple[UUID, UUID]:
    """The (answer id, organization id) a token grants, or TokenError."""
    try:
        data = _serializer(secret).loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise TokenError("token_expired", "This streaming token has expired.") from exc
    except BadSignature as exc:
        raise TokenError("invalid_token", "This streaming token is not valid.") from exc
    return UUID(data["a"]), UUID(data["o"])
