"""Candidates' data rights: a copy of their data, erasure that leaves nothing of them (the
database's every text, JSON and binary column and the object store searched), its receipt and
webhook, and retention schedules that remove exactly what their preview showed."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from fairview.settings import Settings
from ingest.client import speak
from tests.api_client import ApiClient
from tests.candidates import CandidateClient, interview_with_candidate
from tests.services import Inbox
from tests.speech import SPEECH_WAV

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.quill@example.org"
WRITTEN = "My favourite animal is the quokka, and I volunteer at Bartholomew's shelter."
QUESTIONS = [
    {
        "prompt": "Tell us about yourself.",
        "kind": "video",
        "think_seconds": 0,
        "answer_seconds": 60,
        "rubric": [{"name": "Clarity", "weight": 1, "strong_answer": "Structured"}],
    },
    {"prompt": "Why this role?", "kind": "text", "think_seconds": 0, "answer_seconds": 600},
]
TEXT_TYPES = ("text", "character varying", "jsonb", "json", "bytea", "USER-DEFINED", "ARRAY")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(
        settings,
        stt_model="tiny.en",
        model_cache_dir=str(tmp_path / "models"),
        webhooks_allow_private=True,
    )


async def wait_until(check: Any, timeout_s: float = 90) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def answered_candidate(
    api: ApiClient, server: str, inbox: Inbox, name: str = NAME, email: str = EMAIL
) -> dict[str, Any]:
    """A candidate who answered on camera and in writing and finished; the team rated,
    commented and decided. Returns ids, the rights token and the review once processed."""
    interview, token = await interview_with_candidate(api, QUESTIONS, name=name, email=email)
    c = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await c.consent(ai=True)
    video_q, text_q = interview["questions"]
    attempt = await c.attempt(video_q["id"])
    async with httpx.AsyncClient(timeout=30) as http:
        stopped = await speak(
            http, attempt["whip_url"], attempt["whip_token"], audio_file=str(SPEECH_WAV), video=True
        )
        assert stopped.status_code == 200
    r = await c.post(f"/questions/{text_q['id']}/text", json={"text": WRITTEN})
    assert r.status_code in (200, 201), r.text
    assert (await c.post("/finish")).status_code == 204
    mail = await inbox.wait_for(lambda m: m["To"] == email and "complete" in m["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    rights = re.search(r"/rights/(\S+)", body.get_content())
    assert rights is not None
    items = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    candidate_id = next(i["id"] for i in items if i["email"] == email)

    async def processed() -> dict[str, Any] | None:
        review = (await api.get(f"/api/v1/candidates/{candidate_id}/answers")).json()
        a = review["questions"][0]["answer"]
        ready = (
            a
            and a["transcript"]
            and a["transcript"]["status"] == "ready"
            and a["poster_url"]
            and a["evaluation"]
            and a["evaluation"]["status"] == "ready"
        )
        return review if ready else None

    review = await wait_until(processed)
    answer_id = review["questions"][0]["answer"]["id"]
    r = await api.request(
        "PUT",
        f"/api/v1/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Clarity", "score": 4}]},
    )
    assert r.status_code in (200, 204), r.text
    r = await api.post(
        f"/api/v1/candidates/{candidate_id}/comments", json={"body": f"{name} was clear."}
    )
    assert r.status_code in (201, 204), r.text
    r = await api.post(
        f"/api/v1/candidates/{candidate_id}/decision",
        json={"decision": "advance", "note": f"Invite {name} to a call"},
    )
    assert r.status_code in (200, 201, 204), r.text
    return {
        "interview": interview,
        "candidate_id": candidate_id,
        "answer_id": answer_id,
        "token": rights.group(1),
        "review": review,
    }


async def mentions(db: asyncpg.Connection, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) of the database whose values contain a needle."""
    columns = await db.fetch(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        " AND c.data_type = ANY($1::text[])",
        list(TEXT_TYPES),
    )
    assert len(columns) > 100  # every table's every such column
    found = []
    for col in columns:
        table, column = col["table_name"], col["column_name"]
        for needle in needles:
            if col["data_type"] == "bytea":
                where = f"position(convert_to($1, 'UTF8') IN \"{column}\") > 0"
            else:
                where = f'strpos(lower("{column}"::text), lower($1)) > 0'
            if await db.fetchval(f'SELECT count(*) FROM "{table}" WHERE {where}', needle):
                found.append((table, column, needle))
    return found


def stored_objects(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def spoken_words(review: dict[str, Any]) -> list[str]:
    text = review["questions"][0]["answer"]["transcript"]["text"]
    title = "support lead"  # the interview's title (tests.candidates) is no candidate data
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 7} - set(title.split())
    assert len(words) >= 3, text  # "experience", "customer", "support", "difficult", ...
    return sorted(words)


async def test_export_then_erasure_leaves_nothing_of_the_candidate(
    api: ApiClient, server: str, db: asyncpg.Connection, inbox: Inbox, settings: Settings
) -> None:
    await api.sign_up()
    r = await api.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["candidate.erased"]}
    )
    assert r.status_code == 201, r.text
    endpoint_id = r.json()["id"]
    cand = await answered_candidate(api, server, inbox)
    cid, token = cand["candidate_id"], cand["token"]
    root = Path(settings.object_store)
    words = spoken_words(cand["review"])
    needles = [NAME, "Zephyrine", "Quillfeather", EMAIL, "quokka", "Bartholomew", *words]

    # The search finds every needle before the erasure: it would see what was left.
    before = {n for _, _, n in await mentions(db, needles)}
    assert before == set(needles)
    objects = stored_objects(root)
    answer_id = cand["answer_id"]
    keys = {k for k in objects if k.startswith(f"answers/{answer_id}/")}
    assert {f"answers/{answer_id}/playback.mp4", f"answers/{answer_id}/poster.jpg"} <= keys
    assert any(k.endswith(".webm") for k in keys)

    # The candidate, by the link in their confirmation email, downloads a copy of their data.
    anon = ApiClient(httpx.AsyncClient(base_url=server, timeout=30))  # a browser: CSRF cookie
    r = await anon.get(f"/api/v1/rights/{token}/export")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    data = json.loads(archive.read("data.json"))
    assert (data["candidate"]["name"], data["candidate"]["email"]) == (NAME, EMAIL)
    assert [a["kind"] for a in data["answers"]] == ["video", "text"]
    assert data["answers"][1]["text_answer"] == WRITTEN
    transcript = cand["review"]["questions"][0]["answer"]["transcript"]["text"]
    assert [t["text"] for t in data["transcripts"]] == [transcript]
    answer_ids = {a["id"] for a in data["answers"]}
    assert {e["answer_id"] for e in data["evaluations"]} == answer_ids  # spoken and written
    assert {e["status"] for e in data["evaluations"]} == {"ready"}
    assert [(x["criterion"], x["score"]) for x in data["ratings"]] == [("Clarity", 4)]
    assert [(d["decision"], d["note"]) for d in data["decisions"]] == [
        ("advance", f"Invite {NAME} to a call")
    ]
    assert data["consent"][0]["ai_consent"] is True and data["consent"][0]["notice_version"]
    assert sorted(data["media"]) == sorted(f"media/{k}" for k in keys)
    for key in keys:  # the media files themselves, byte for byte
        assert archive.read(f"media/{key}") == objects[key]
    bad = await anon.get("/api/v1/rights/not-a-token/export")
    assert bad.status_code == 404

    # They ask for the deletion: due in 30 days, visible to the team.
    r = await anon.post(f"/api/v1/rights/{token}/data-requests", json={"kind": "erasure"})
    assert r.status_code == 201, r.text
    mine = r.json()["items"]
    assert [(m["kind"], m["status"]) for m in mine] == [("erasure", "pending")]
    page = (await api.get("/api/v1/privacy/requests?open_only=true")).json()
    (request,) = page["items"]
    assert (request["candidate"], request["source"], request["status"]) == (
        NAME,
        "candidate",
        "pending",
    )
    due = datetime.fromisoformat(request["due_at"]) - datetime.fromisoformat(request["created_at"])
    assert abs(due - timedelta(days=30)) < timedelta(seconds=5)
    assert request["run_at"] == request["due_at"]
    assert await db.fetchval("SELECT erased_at FROM candidates WHERE id = $1", cid) is None

    # The team carries it out now; the job deletes, then the receipt goes to the candidate.
    r = await api.post(f"/api/v1/privacy/requests/{request['id']}/erase-now")
    assert r.status_code == 200, r.text
    receipt_mail = await inbox.wait_for(
        lambda m: m["To"] == EMAIL and "deleted" in m["Subject"], timeout_s=60
    )
    receipt_text = receipt_mail.get_body(("plain",))
    assert receipt_text is not None
    content = receipt_text.get_content()
    assert "transcripts: 1 deleted (database: transcripts)" in content
    assert "recordings, playback files and posters" in content and NAME not in content

    async def completed() -> dict[str, Any] | None:
        got = (await api.get(f"/api/v1/privacy/requests/{request['id']}")).json()
        return got if got["status"] == "completed" else None

    done = await wait_until(completed, timeout_s=60)
    receipt = done["receipt"]
    assert sorted(receipt["objects"]) == sorted(k for k in keys if not k.endswith(".tmp"))
    by_what = {i["what"]: i for i in receipt["items"]}
    assert by_what["transcripts"]["count"] == 1 and by_what["evaluations"]["count"] == 2
    assert by_what["recordings, playback files and posters"]["where"] == "object store"
    assert done["candidate"] == "Erased candidate"

    # The webhook tells integrations to delete their copies.
    async def delivery() -> Any:
        return await db.fetchrow(
            "SELECT payload FROM webhook_deliveries WHERE endpoint_id = $1"
            " AND event_type = 'candidate.erased'",
            endpoint_id,
        )

    hook = await wait_until(delivery, timeout_s=30)
    assert json.loads(hook["payload"])["data"]["candidate_id"] == cid

    # Nothing of the candidate remains: no table, no object, no byte of media.
    assert await mentions(db, needles) == []
    left = stored_objects(root)
    assert not [k for k in left if k.startswith(f"answers/{answer_id}/")]
    for key, body in left.items():
        assert not any(n.lower().encode() in body.lower() for n in needles), key

    # What stays is anonymous and keeps the counts: the candidate, their answers, the decision,
    # and the audit trail saying that an erasure happened.
    row = await db.fetchrow("SELECT name, email, status, decision, erased_at FROM candidates")
    assert (row["name"], row["email"], row["status"], row["decision"]) == (
        "Erased candidate",
        f"erased-{cid}@erased.invalid",
        "completed",
        "advance",
    )
    assert await db.fetchval("SELECT count(*) FROM answers WHERE candidate_id = $1", cid) == 2
    assert await db.fetchval("SELECT count(*) FROM ratings") == 1
    audit = await db.fetch(
        "SELECT action, details FROM audit_log WHERE target = $1 ORDER BY id", f"candidate:{cid}"
    )
    assert [a["action"] for a in audit][-1] == "candidate.erased"
    assert json.loads(audit[-1]["details"])["request_id"] == request["id"]
    # A second request for an erased candidate is refused; the job ran once.
    r = await anon.post(f"/api/v1/rights/{token}/data-requests", json={"kind": "erasure"})
    assert r.status_code == 409
    assert (
        await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'candidate.erased'") == 1
    )


WRITTEN_ONLY = [QUESTIONS[1]]


async def written_candidate(api: ApiClient, server: str, name: str, email: str) -> str:
    interview, token = await interview_with_candidate(api, WRITTEN_ONLY, name=name, email=email)
    c = CandidateClient(httpx.AsyncClient(base_url=server, timeout=30), token)
    await c.consent(ai=True)
    r = await c.post(f"/questions/{interview['questions'][0]['id']}/text", json={"text": WRITTEN})
    assert r.status_code in (200, 201), r.text
    assert (await c.post("/finish")).status_code == 204
    items = (await api.get(f"/api/v1/interviews/{interview['id']}/candidates")).json()["items"]
    return str(items[0]["id"])


async def test_retention_removes_exactly_what_the_preview_showed(
    api: ApiClient, server: str, db: asyncpg.Connection, inbox: Inbox, settings: Settings
) -> None:
    from api.privacy.service import run_retention
    from storage.db import Database

    await api.sign_up()
    spoken = await answered_candidate(api, server, inbox, "Ines Okonkwo", "ines@example.org")
    media_id, media_answer = spoken["candidate_id"], spoken["answer_id"]
    old_id = await written_candidate(api, server, "Olek Brandt", "olek@example.org")
    new_id = await written_candidate(api, server, "Nadia Voss", "nadia@example.org")
    now = datetime.now(UTC)
    for cid, days in ((old_id, 40), (media_id, 15), (new_id, 2)):
        await db.execute(
            "UPDATE candidates SET completed_at = $2 WHERE id = $1", cid, now - timedelta(days=days)
        )
    r = await api.request(
        "PUT",
        "/api/v1/privacy/retention",
        json={"basis": "completion", "media_days": 10, "data_days": 30},
    )
    assert r.status_code == 200, r.text
    bad = await api.request(
        "PUT", "/api/v1/privacy/retention", json={"media_days": 40, "data_days": 30}
    )
    assert bad.status_code == 409

    preview = (await api.get("/api/v1/privacy/retention/preview")).json()
    shown = {(i["candidate_id"], i["scope"]) for i in preview["items"]}
    assert shown == {(old_id, "all"), (media_id, "media")}
    later = (now + timedelta(days=9)).isoformat()
    ahead = (await api.get("/api/v1/privacy/retention/preview", params={"at": later})).json()
    assert {(i["candidate_id"], i["scope"]) for i in ahead["items"]} == shown | {(new_id, "media")}
    root = Path(settings.object_store)
    assert any(k.startswith(f"answers/{media_answer}/") for k in stored_objects(root))

    database = Database(settings.database_url, settings.database_role)
    await database.connect()
    try:
        assert await run_retention(database, datetime.now(UTC)) == 2
        assert await run_retention(database, datetime.now(UTC)) == 0  # queued once, not twice

        async def done() -> bool:
            open_jobs = await db.fetchval(
                "SELECT count(*) FROM privacy_requests WHERE status <> 'completed'"
            )
            total = await db.fetchval("SELECT count(*) FROM privacy_requests")
            return bool(total == 2 and open_jobs == 0)

        await wait_until(done, timeout_s=60)
        assert await run_retention(database, datetime.now(UTC)) == 0  # nothing left to do
    finally:
        await database.close()

    removed = {
        (str(r["candidate_id"]), r["kind"])
        for r in await db.fetch("SELECT candidate_id, kind FROM privacy_requests")
    }
    assert removed == {(old_id, "erasure"), (media_id, "media_erasure")}
    rows = {
        str(r["id"]): r
        for r in await db.fetch("SELECT id, name, erased_at, media_erased_at FROM candidates")
    }
    assert rows[old_id]["name"] == "Erased candidate" and rows[old_id]["erased_at"]
    assert rows[media_id]["name"] == "Ines Okonkwo" and rows[media_id]["media_erased_at"]
    assert rows[media_id]["erased_at"] is None
    assert rows[new_id]["name"] == "Nadia Voss" and rows[new_id]["media_erased_at"] is None
    # Media-only deletion keeps the transcript and the written answer, drops every object.
    assert not any(k.startswith(f"answers/{media_answer}/") for k in stored_objects(root))
    assert (
        await db.fetchval("SELECT text FROM transcripts WHERE answer_id = $1", media_answer)
        == spoken["review"]["questions"][0]["answer"]["transcript"]["text"]
    )
    assert await db.fetchval("SELECT segments FROM answers WHERE id = $1", media_answer) == "[]"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM answers WHERE candidate_id = $1 AND text_answer = $2",
            new_id,
            WRITTEN,
        )
        == 1
    )
    # The run is audited, with what it removed; the receipt reached the erased candidate.
    runs = await db.fetch("SELECT details FROM audit_log WHERE action = 'retention.run'")
    assert len(runs) == 1
    details = json.loads(runs[0]["details"])
    assert (details["erasures"], details["media_erasures"]) == (1, 1)
    assert set(details["candidates"]) == {old_id, media_id}
    await inbox.wait_for(lambda m: m["To"] == "olek@example.org" and "deleted" in m["Subject"])
    assert not [
        m for m in inbox.messages if m["To"] == "ines@example.org" and "deleted" in m["Subject"]
    ]
