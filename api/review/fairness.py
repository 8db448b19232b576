"""Fair review by default: a member sees the others' ratings of an answer only after rating it
themselves (any criterion), so the first impression is their own. An interview set to review
first (`review_first`) holds the AI evaluation the same way. Integrations (API keys) read
everything."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID


def rated_by_viewer(rows: Iterable[dict[str, Any]]) -> set[UUID]:
    """The answers the viewer has rated, from rating rows carrying the viewer's own `mine`."""
    return {r["answer_id"] for r in rows if r["mine"] is not None}


def team_visible(user_id: UUID | None, answer_id: UUID, rated: set[UUID]) -> bool:
    return user_id is None or answer_id in rated


def evaluation_visible(
    review_first: bool, user_id: UUID | None, answer_id: UUID, rated: set[UUID]
) -> bool:
    return not review_first or team_visible(user_id, answer_id, rated)
