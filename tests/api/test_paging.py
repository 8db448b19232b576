"""Keyset paging on (created_at, id): rows written in one transaction share created_at."""

from __future__ import annotations

from typing import Any

from tests.api.test_interviews import activate, make_interview
from tests.api_client import ApiClient


async def test_pages_through_a_csv_import_exactly_once(api: ApiClient, db: Any) -> None:
    await api.sign_up()
    interview = await make_interview(api)
    await activate(api, interview["id"])
    emails = [f"c{i:03}@example.com" for i in range(120)]
    csv_text = "name,email\n" + "".join(f"C {e[:4]},{e}\n" for e in emails)
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates/import",
        json={"csv": csv_text, "send_email": False},
    )
    assert (r.status_code, r.json()["created"]) == (201, 120), r.text
    # The case that lost rows: one import, one transaction time for all of them.
    assert await db.fetchval("SELECT count(DISTINCT created_at) FROM candidates") == 1

    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"limit": "50", **({"cursor": cursor} if cursor else {})}
        r = await api.get(f"/api/v1/interviews/{interview['id']}/candidates", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        sizes.append(len(page["items"]))
        seen += [c["email"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [50, 50, 20]
    assert sorted(seen) == emails  # every row once: none skipped, none repeated


async def test_a_forged_cursor_is_refused(api: ApiClient) -> None:
    await api.sign_up()
    for cursor in ("not base64!", "MjAyNi0xMi0wMlQwMDowMDowMCswMDowMHxub3BlCg", "eA"):
        r = await api.get("/api/v1/interviews", params={"cursor": cursor})
        assert (r.status_code, r.json()["error"]) == (422, "invalid_cursor"), cursor
