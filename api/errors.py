"""Typed errors as HTTP responses: every expected failure (``domain.errors``) has an HTTP status
and a stable machine-readable code.

Responses are ``{"error": code, "detail": message}`` (plus ``fields`` for validation errors).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import msgspec.structs
import redis.exceptions
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from api.text import CONTROL_DETAIL, is_control_character_error
from domain.errors import (  # the API's errors are the domain's (re-exported for the contexts)
    Conflict,
    FairviewError,
    Forbidden,
    Gone,
    Invalid,
    NotAuthenticated,
    NotFound,
    PaymentRequired,
    RateLimited,
)

__all__ = [
    "Conflict",
    "ErrorBody",
    "FairviewError",
    "Forbidden",
    "Gone",
    "Invalid",
    "NotAuthenticated",
    "NotFound",
    "PaymentRequired",
    "RateLimited",
]

log = structlog.get_logger("fairview.api")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    error: str
    detail: str
    fields: list[dict[str, Any]] | None = None


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    402: "plan_limit_reached",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _body(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content={k: v for k, v in msgspec.structs.asdict(body).items() if v is not None},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def handle_fairview_error(_: Request[Any, Any, Any], exc: FairviewError) -> Response[Any]:
    return _body(exc.status_code, ErrorBody(exc.code, exc.detail), exc.headers)


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        fields = [
            {"key": e.get("key"), "message": e.get("message")}
            for e in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(e, dict)
        ]
        bad_lines = [f["key"] for f in fields if is_control_character_error(f["message"] or "")]
        if bad_lines:
            detail = f"{CONTROL_DETAIL} ({', '.join(str(k) for k in bad_lines)})."
            return _body(422, ErrorBody("control_characters", detail, fields))
        return _body(400, ErrorBody("validation_error", "The request is not valid.", fields))
    status = exc.status_code
    if status >= 500:
        log.error("http_error", status=status, detail=exc.detail)
        return _body(status, ErrorBody("internal_error", "Something went wrong on our side."))
    code = _HTTP_CODES.get(status, "error")
    headers = dict(exc.headers or {})
    return _body(status, ErrorBody(code, exc.detail or code.replace("_", " ")), headers)


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error")
    return _body(
        HTTP_500_INTERNAL_SERVER_ERROR,
        ErrorBody("internal_error", "Something went wrong on our side; it has been logged."),
    )


def handle_outage(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A service every request needs (Redis keeps sessions and rate limits; Postgres the data)
    is away, e.g. restarting: the request may be repeated shortly, and nothing was changed."""
    log.warning("dependency_unavailable", error=f"{type(exc).__name__}: {exc}")
    return _body(
        503,
        ErrorBody("unavailable", "Fairview is briefly unavailable; please try again shortly."),
        {"Retry-After": "5"},
    )


def handle_unstorable_text(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Text Postgres cannot store (a NUL character, or bytes that are not UTF-8)."""
    return _body(400, ErrorBody("invalid_text", "Text must not contain NUL or invalid characters."))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    FairviewError: handle_fairview_error,
    asyncpg.UntranslatableCharacterError: handle_unstorable_text,
    asyncpg.CharacterNotInRepertoireError: handle_unstorable_text,
    HTTPException: handle_http_exception,
    redis.exceptions.ConnectionError: handle_outage,
    redis.exceptions.TimeoutError: handle_outage,
    asyncpg.PostgresConnectionError: handle_outage,
    asyncpg.CannotConnectNowError: handle_outage,
    Exception: handle_unexpected,
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error body for the given statuses."""
    return {
        s: ResponseSpec(
            data_container=ErrorBody,
            generate_examples=False,
            description=_HTTP_CODES.get(s, "error"),
        )
        for s in statuses
    }
