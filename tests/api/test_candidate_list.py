"""The candidates list: server-side search, filters and sorting, each paged by keyset through a
120-row CSV import (one transaction, one created_at), and bulk actions on selected candidates."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.test_interviews import activate, make_interview
from tests.api_client import ApiClient

FIRST = ["Ada", "Bea", "Cyd", "Dan", "Eve", "Fay"]


async def imported(api: ApiClient, db: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An active interview with 120 imported candidates, some completed, scored and decided."""
    await api.sign_up()
    interview = await make_interview(api)
    await activate(api, interview["id"])
    lines = [f"{FIRST[i % 6]} Q{i:03},person{i:03}@example.com" for i in range(120)]
    lines[7] = "Zoë 100%_off,zoe@example.com"  # LIKE's wildcards are text in a search
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates/import",
        json={"csv": "name,email\n" + "\n".join(lines) + "\n", "send_email": False},
    )
    assert (r.status_code, r.json()["created"]) == (201, 120), r.text
    assert await db.fetchval("SELECT count(DISTINCT created_at) FROM candidates") == 1
    rows = await db.fetch("SELECT id, name, email FROM candidates ORDER BY email")
    people = [dict(r) for r in rows]
    # Every third completed, at distinct times; LLM scores on every fifth of those (two tied).
    question = interview["questions"][2]["id"]
    for n, c in enumerate(people):
        if n % 3:
            continue
        await db.execute(
            "UPDATE candidates SET status = 'completed', started_at = now(),"
            " completed_at = now() - $2 * interval '1 minute' WHERE id = $1",
            c["id"],
            n,
        )
        if n % 5 == 0:
            answer = uuid.uuid4()
            await db.execute(
                "INSERT INTO answers (id, organization_id, candidate_id, question_id, attempt,"
                " kind, status, text_answer) SELECT $1, organization_id, id, $3, 1, 'text',"
                " 'submitted', 'An answer.' FROM candidates WHERE id = $2",
                answer,
                c["id"],
                uuid.UUID(question),
            )
            await db.execute(
                "INSERT INTO evaluations (answer_id, organization_id, status, method, result)"
                " SELECT $1, organization_id, 'ready', 'llm', jsonb_build_object('overall', $2::float8)"
                " FROM answers WHERE id = $1",
                answer,
                1 + (n % 4) + (0.5 if n == 30 else 0),
            )
    return interview, people


async def walk(api: ApiClient, interview_id: str, **query: Any) -> tuple[list[dict], list[int]]:
    """Every page of the list with ``query`` (limit 50); the items and each page's size."""
    items: list[dict[str, Any]] = []
    sizes: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        params = {"limit": "50", **query, **({"cursor": cursor} if cursor else {})}
        r = await api.get(f"/api/v1/interviews/{interview_id}/candidates", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return items, sizes
    raise AssertionError("the list did not end")


async def test_every_sort_pages_through_the_import_exactly_once(api: ApiClient, db: Any) -> None:
    interview, _ = await imported(api, db)
    rows = await db.fetch("SELECT id, name, score, completed_at, created_at FROM candidates")
    key = {
        "newest": lambda r: (r["created_at"], str(r["id"])),
        "name": lambda r: (r["name"].lower(), str(r["id"])),
        "score": lambda r: (r["score"] if r["score"] is not None else -1, str(r["id"])),
        "completed": lambda r: (r["completed_at"] is not None, r["completed_at"], str(r["id"])),
    }
    scored = [r for r in rows if r["score"] is not None]
    assert len(scored) == 8 and len({r["score"] for r in scored}) < 8  # ties break on the id
    for sort, by in key.items():
        items, sizes = await walk(api, interview["id"], sort=sort)
        assert sizes == [50, 50, 20], sort
        want = sorted(rows, key=by, reverse=sort != "name")
        assert [c["id"] for c in items] == [str(r["id"]) for r in want], sort
    # The list says what it sorted by.
    items, _ = await walk(api, interview["id"], sort="score")
    assert [c["score"] for c in items[:8]] == sorted((r["score"] for r in scored), reverse=True)
    assert all(c["score"] is None for c in items[8:])


async def test_search_and_filters(api: ApiClient, db: Any) -> None:
    interview, people = await imported(api, db)
    iid = interview["id"]
    # Name or email, anywhere, any case; wildcards are plain text.
    items, _ = await walk(api, iid, q="ADA")
    assert {c["name"] for c in items} == {p["name"] for p in people if "ada" in p["name"].lower()}
    assert len(items) == 20
    items, _ = await walk(api, iid, q="person11")
    assert sorted(c["email"] for c in items) == [f"person11{d}@example.com" for d in range(10)]
    items, _ = await walk(api, iid, q="100%_")
    assert [c["email"] for c in items] == ["zoe@example.com"]
    assert (await walk(api, iid, q="%"))[0][0]["email"] == "zoe@example.com"
    assert (await walk(api, iid, q="nobody-like-this"))[0] == []
    # Status, with a search, paged.
    completed = {str(r["id"]) for r in await db.fetch(
        "SELECT id FROM candidates WHERE status = 'completed'")}  # fmt: skip
    items, sizes = await walk(api, iid, status="completed", sort="completed")
    assert {c["id"] for c in items} == completed and sizes == [40]
    # Score range (LLM scores only), both ends inclusive.
    scores = {str(r["id"]): r["score"] for r in await db.fetch(
        "SELECT id, score FROM candidates WHERE score IS NOT NULL")}  # fmt: skip
    items, _ = await walk(api, iid, score_min="2", score_max="3.5", sort="score")
    assert {c["id"] for c in items} == {i for i, v in scores.items() if 2 <= v <= 3.5}
    assert items and all(2 <= c["score"] <= 3.5 for c in items)
    r = await api.get(f"/api/v1/interviews/{iid}/candidates", params={"score_min": "9"})
    assert (r.status_code, r.json()["error"]) == (422, "validation_error"), r.text
    # Decisions: the current one counts, "none" is undecided.
    a, b = people[0]["id"], people[1]["id"]
    for cid, decision in ((a, "reject"), (a, "advance"), (b, "hold")):
        r = await api.post(f"/api/v1/candidates/{cid}/decision", json={"decision": decision})
        assert r.status_code == 204, r.text
    assert [c["id"] for c in (await walk(api, iid, decision="advance"))[0]] == [str(a)]
    assert [c["decision"] for c in (await walk(api, iid, decision="hold"))[0]] == ["hold"]
    assert (await walk(api, iid, decision="reject"))[0] == []
    assert len((await walk(api, iid, decision="none"))[0]) == 118


async def test_a_cursor_belongs_to_its_sort(api: ApiClient, db: Any) -> None:
    interview, _ = await imported(api, db)
    url = f"/api/v1/interviews/{interview['id']}/candidates"
    page = (await api.get(url, params={"sort": "name", "limit": "10"})).json()
    for params in (
        {"cursor": page["next_cursor"], "sort": "score"},
        {"cursor": page["next_cursor"]},
        {"cursor": "bm90IGpzb24"},
        {"cursor": "WyJuYW1lIiwgMSwgIngiXQ", "sort": "name"},
    ):
        r = await api.get(url, params=params)
        assert (r.status_code, r.json()["error"]) == (422, "invalid_cursor"), params


async def test_bulk_actions_each_succeed_or_fail_alone(api: ApiClient, db: Any) -> None:
    interview, people = await imported(api, db)
    url = f"/api/v1/interviews/{interview['id']}/candidates/bulk"
    status = {
        str(r["id"]): r["status"] for r in await db.fetch("SELECT id, status FROM candidates")
    }
    done = [p["id"] for p in people if status[str(p["id"])] == "completed"][:2]
    open_ = [p["id"] for p in people if status[str(p["id"])] == "invited"][:3]
    stranger = uuid.uuid4()

    r = await api.post(
        url, json={"action": "revoke", "candidate_ids": [str(i) for i in [*open_, *done, stranger]]}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] == [str(i) for i in open_]
    assert [(f["candidate_id"], f["error"]) for f in body["failed"]] == [
        (str(done[0]), "candidate_closed"),
        (str(done[1]), "candidate_closed"),
        (str(stranger), "not_found"),
    ]
    after = {str(r["id"]): r["status"] for r in await db.fetch("SELECT id, status FROM candidates")}
    assert [after[str(i)] for i in open_] == ["revoked"] * 3
    assert [after[str(i)] for i in done] == ["completed"] * 2  # nothing changed for the failed

    # Resending to revoked candidates fails for each; to invited ones it mails a new link.
    fresh = [p["id"] for p in people if after[str(p["id"])] == "invited"][:2]
    links = await db.fetchval("SELECT count(*) FROM candidate_links")
    r = await api.post(
        url, json={"action": "resend", "candidate_ids": [str(i) for i in [*fresh, open_[0]]]}
    )
    assert r.json()["done"] == [str(i) for i in fresh], r.text
    assert [f["error"] for f in r.json()["failed"]] == ["candidate_closed"]
    assert await db.fetchval("SELECT count(*) FROM candidate_links") == links + 2

    r = await api.post(url, json={"action": "decide", "candidate_ids": [str(done[0])]})
    assert (r.status_code, r.json()["error"]) == (422, "decision_required"), r.text
    r = await api.post(
        url,
        json={"action": "decide", "decision": "hold", "note": "Round two",
              "candidate_ids": [str(i) for i in done]},
    )  # fmt: skip
    assert r.json() == {"done": [str(i) for i in done], "failed": []}, r.text
    items, _ = await walk(api, interview["id"], decision="hold")
    assert sorted(c["id"] for c in items) == sorted(str(i) for i in done)
    notes = await db.fetch("SELECT note FROM decisions")
    assert [n["note"] for n in notes] == ["Round two"] * 2
    r = await api.post(url, json={"action": "revoke", "candidate_ids": []})
    assert r.status_code == 400, r.text


async def test_only_llm_evaluations_of_counting_answers_score(api: ApiClient, db: Any) -> None:
    await imported(api, db)
    scored = await db.fetchrow(
        "SELECT c.id, c.score, a.id AS answer FROM candidates c JOIN answers a"
        " ON a.candidate_id = c.id WHERE c.score IS NOT NULL LIMIT 1"
    )
    # The local keyword coverage is not a score: it never ranks anyone.
    await db.execute(
        "UPDATE evaluations SET method = 'local_rubric' WHERE answer_id = $1", scored["answer"]
    )
    assert await db.fetchval("SELECT score FROM candidates WHERE id = $1", scored["id"]) is None
    await db.execute("UPDATE evaluations SET method = 'llm' WHERE answer_id = $1", scored["answer"])
    assert (
        await db.fetchval("SELECT score FROM candidates WHERE id = $1", scored["id"])
        == scored["score"]
    )
    # A retake discards the attempt: its evaluation no longer counts.
    await db.execute("UPDATE answers SET status = 'discarded' WHERE id = $1", scored["answer"])
    assert await db.fetchval("SELECT score FROM candidates WHERE id = $1", scored["id"]) is None
