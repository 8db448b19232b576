"""Cursor pagination: ``?limit=&cursor=``; responses carry ``next_cursor`` (null at the end)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from litestar.params import Parameter

from api.errors import Invalid

DEFAULT_LIMIT = 50

# Page size of list endpoints (a query parameter: Litestar enforces Parameter's bounds there).
Limit = Annotated[int, Parameter(ge=1, le=200, description="Items per page (1-200)")]


def encode(value: datetime | int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else f"i:{value}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not valid.", code="invalid_cursor") from exc


def decode_time(cursor: str | None) -> datetime | None:
    if cursor is None:
        return None
    try:
        return datetime.fromisoformat(_decode(cursor))
    except ValueError as exc:
        raise Invalid("The cursor is not valid.", code="invalid_cursor") from exc


def decode_int(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    raw = _decode(cursor)
    if not raw.startswith("i:") or not raw[2:].isdigit():
        raise Invalid("The cursor is not valid.", code="invalid_cursor")
    return int(raw[2:])


def next_cursor(rows: list[dict[str, Any]], limit: int, field: str) -> str | None:
    return encode(rows[-1][field]) if len(rows) == limit else None
