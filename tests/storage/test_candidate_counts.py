"""The per-interview candidate counter kept by triggers agrees with counting the rows, through
inserts of many rows at once, status changes, deletions and an interview's deletion."""

from __future__ import annotations

import uuid
from typing import Any


async def counter(db: Any) -> dict[tuple[uuid.UUID, str], int]:
    rows = await db.fetch(
        "SELECT interview_id, status, n FROM interview_candidate_counts WHERE n <> 0"
    )
    return {(r["interview_id"], r["status"]): r["n"] for r in rows}


async def counted(db: Any) -> dict[tuple[uuid.UUID, str], int]:
    rows = await db.fetch(
        "SELECT interview_id, status, count(*) AS n FROM candidates GROUP BY interview_id, status"
    )
    return {(r["interview_id"], r["status"]): r["n"] for r in rows}


async def test_counter_follows_inserts_updates_and_deletes(db: Any) -> None:
    org = uuid.uuid4()
    a, b = uuid.uuid4(), uuid.uuid4()
    await db.execute("INSERT INTO organizations (id, name) VALUES ($1, 'Org')", org)
    for interview in (a, b):
        await db.execute(
            "INSERT INTO interviews (id, organization_id, title) VALUES ($1, $2, 'I')",
            interview,
            org,
        )

    async def add(interview: uuid.UUID, n: int, status: str = "invited") -> None:
        await db.execute(
            "INSERT INTO candidates (id, organization_id, interview_id, name, email, status)"
            " SELECT gen_random_uuid(), $1, $2, 'C', 'c' || g || '-' || $4 || '@x.org', $3"
            " FROM generate_series(1, $5) g",
            org,
            interview,
            status,
            uuid.uuid4().hex[:6],
            n,
        )

    await add(a, 30)
    await add(b, 5)
    await add(a, 4, "completed")
    assert (
        await counter(db)
        == await counted(db)
        == {
            (a, "invited"): 30,
            (b, "invited"): 5,
            (a, "completed"): 4,
        }
    )
    # One statement moving rows of two interviews between statuses, and one changing nothing.
    await db.execute(
        "UPDATE candidates SET status = 'opened' WHERE id IN (SELECT id FROM candidates"
        " WHERE status = 'invited' ORDER BY interview_id, id LIMIT 20)"
    )
    await db.execute("UPDATE candidates SET extra_retakes = 1 WHERE status = 'opened'")
    await db.execute(
        "UPDATE candidates SET status = 'revoked' WHERE interview_id = $1 AND status = 'completed'",
        a,
    )
    assert await counter(db) == await counted(db)
    await db.execute(
        "DELETE FROM candidates WHERE id IN (SELECT id FROM candidates ORDER BY id LIMIT 7)"
    )
    assert await counter(db) == await counted(db)
    # An interview's deletion takes its candidates and its counter rows with it.
    await db.execute("DELETE FROM interviews WHERE id = $1", b)
    assert await counter(db) == await counted(db)
    assert all(interview == a for interview, _ in await counter(db))
    assert sum((await counter(db)).values()) == await db.fetchval("SELECT count(*) FROM candidates")
