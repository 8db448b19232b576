"""Expected failures with an HTTP status and a stable machine-readable code, free of any web
framework: the API renders them as ``{"error": code, "detail": message}`` (``api.errors``), the
ingest's WHIP routes the same way."""

from __future__ import annotations


class FairviewError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        status_code: int | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.headers = headers or {}


class NotAuthenticated(FairviewError):
    status_code, code = 401, "not_authenticated"


class Forbidden(FairviewError):
    status_code, code = 403, "forbidden"


class NotFound(FairviewError):
    status_code, code = 404, "not_found"


class Conflict(FairviewError):
    status_code, code = 409, "conflict"


class Gone(FairviewError):
    status_code, code = 410, "gone"


class Invalid(FairviewError):
    status_code, code = 422, "invalid"


class PaymentRequired(FairviewError):
    """The plan's limit would be exceeded; the detail names the limit and how to upgrade."""

    status_code, code = 402, "plan_limit_reached"


class RateLimited(FairviewError):
    status_code, code = 429, "rate_limited"


class Unavailable(FairviewError):
    status_code, code = 503, "unavailable"
