"""Keyset pagination: ``?limit=&cursor=``; responses carry ``next_cursor`` (null at the end).

Every list is ordered by ``(created_at, id)``: rows written in one transaction (a CSV import)
share one ``created_at``, so the id breaks the tie and a page never skips or repeats a row.
The cursor is the position of the last row of the previous page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar.params import Parameter

from api.errors import Invalid

DEFAULT_LIMIT = 50

# Page size of list endpoints (a query parameter: Litestar enforces Parameter's bounds there).
Limit = Annotated[int, Parameter(ge=1, le=200, description="Items per page (1-200)")]

KeyType = Literal["uuid", "bigint"]

# Where a first page starts: before (or after) every row, so that one statement serves every
# page and Postgres walks the index from its end (no "cursor IS NULL OR ..." branch to plan).
_EDGE = {True: datetime.max.replace(tzinfo=UTC), False: datetime.min.replace(tzinfo=UTC)}
_EDGE_ID = {"uuid": "00000000-0000-0000-0000-000000000000", "bigint": "0"}


@dataclass(frozen=True)
class Position:
    """The ``(created_at, id)`` of the last row of a page."""

    created_at: datetime
    id: str


def decode(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        time, _, key = raw.partition("|")
        created_at = datetime.fromisoformat(time)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not valid.", code="invalid_cursor") from exc
    if not key or created_at.tzinfo is None:
        raise Invalid("The cursor is not valid.", code="invalid_cursor")
    return Position(created_at, key)


def encode(created_at: datetime, key: object) -> str:
    raw = f"{created_at.isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def next_cursor(rows: list[dict[str, Any]], limit: int, key: str = "id") -> str | None:
    """The cursor of the page after ``rows`` (``key`` names the id column in the rows)."""
    if len(rows) < limit:
        return None
    return encode(rows[-1]["created_at"], rows[-1][key])


@dataclass(frozen=True)
class Keyset:
    """SQL of one page: ``where`` uses parameters ``$n`` and ``$n+1`` (bind ``params``)."""

    where: str
    order: str
    params: tuple[Any, ...]


def keyset(
    after: Position | None,
    n: int,
    *,
    time: str = "created_at",
    key: str = "id",
    key_type: KeyType = "uuid",
    descending: bool = True,
) -> Keyset:
    op, direction = ("<", "DESC") if descending else (">", "ASC")
    position = after or Position(_EDGE[descending], _EDGE_ID[key_type])
    try:
        value: int | UUID = int(position.id) if key_type == "bigint" else UUID(position.id)
    except ValueError as exc:
        raise Invalid("The cursor is not valid.", code="invalid_cursor") from exc
    return Keyset(
        where=f"({time}, {key}) {op} (${n}::timestamptz, ${n + 1}::{key_type})",
        order=f"ORDER BY {time} {direction}, {key} {direction}",
        params=(position.created_at, value),
    )


@dataclass(frozen=True)
class Order:
    """A list order by some value, then by id (which makes every position unique). The rows of
    a page select the value as text in ``sort_key``; the cursor carries it with the order's name,
    so a cursor of one order is refused by another."""

    name: str
    value: str  # SQL of the value
    type: str  # its SQL type
    descending: bool


def ordered(order: Order, cursor: str | None, n: int, *, key: str = "id") -> Keyset:
    """SQL of one page in ``order`` after ``cursor``: parameters ``$n`` and ``$n+1`` (when a
    cursor is given; ``params`` is empty for a first page)."""
    op, direction = ("<", "DESC") if order.descending else (">", "ASC")
    sql_order = f"ORDER BY {order.value} {direction}, {key} {direction}"
    if cursor is None:
        return Keyset(where="true", order=sql_order, params=())
    try:
        name, value, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = (str(value), UUID(str(ident)))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not valid.", code="invalid_cursor") from exc
    if name != order.name or not isinstance(value, str):
        raise Invalid("The cursor belongs to another order of this list.", code="invalid_cursor")
    return Keyset(
        where=f"({order.value}, {key}) {op} (${n}::text::{order.type}, ${n + 1}::uuid)",
        order=sql_order,
        params=position,
    )


def ordered_next_cursor(order: Order, rows: list[dict[str, Any]], limit: int) -> str | None:
    if len(rows) < limit:
        return None
    raw = json.dumps([order.name, rows[-1]["sort_key"], str(rows[-1]["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
