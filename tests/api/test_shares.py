"""Share links: a guest without an account sees only the shared candidate (blind if asked),
rates and comments, never decides; every access is logged for the team; expired and revoked
links are refused."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx

from tests.api.test_reporting import MIDDLE, RUBRIC_Q, STRONG, answer, interview, invite
from tests.api.test_security_email_links import sent_row
from tests.api_client import ApiClient
from tests.services import Inbox, body_text


async def test_guest_reviews_through_a_blind_link(
    api: ApiClient, server: str, client_factory: Any, db: Any
) -> None:
    await api.sign_up(name="Ada")
    interview_id = await interview(api, [RUBRIC_Q])
    ids = {}
    for name, text in [("Ann Able", STRONG), ("Ben Bold", MIDDLE)]:
        ids[name], c = await invite(api, server, interview_id, name)
        await c.consent()
        await answer(c, [text], finish=True)
    shares_path = f"/api/v1/interviews/{interview_id}/shares"
    r = await api.post(
        shares_path,
        json={
            "recipient": "Maria (hiring manager)",
            "candidate_id": ids["Ann Able"],
            "hide_identity": True,
            "hide_video": True,
            "expires_in_days": 3,
        },
    )
    assert r.status_code == 201, r.text
    token = r.json()["link"].rsplit("/shared/", 1)[1]
    stored = await db.fetchval("SELECT token_hash FROM share_links")
    assert stored == hashlib.sha256(token.encode()).digest()  # only the hash is kept

    guest = client_factory()  # no account, no session
    r = await guest.get(f"/api/v1/shared/{token}")
    assert r.status_code == 200, r.text
    view = r.json()
    assert "Ann" not in r.text and "Ben" not in r.text and "@example.com" not in r.text
    assert [c["label"] for c in view["candidates"]] == ["Candidate 1"]
    shared = view["candidates"][0]
    assert shared["email"] is None and shared["id"] == ids["Ann Able"]
    q = shared["questions"][0]
    assert q["criteria"] == ["Empathy", "Resolution"] and q["answer"]["text"] == STRONG
    assert "evaluation" not in q["answer"] and "ratings" not in q["answer"]

    answer_id = q["answer"]["id"]
    base = f"/api/v1/shared/{token}"
    r = await guest.request(
        "PUT",
        f"{base}/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 4}]},
    )
    assert r.status_code == 204, r.text
    r = await guest.request(
        "PUT",
        f"{base}/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Charm", "score": 4}]},
    )
    assert (r.status_code, r.json()["error"]) == (422, "unknown_criterion")
    assert (
        await guest.post(f"{base}/candidates/{ids['Ann Able']}/comments", json={"body": "Solid."})
    ).status_code == 204
    # Nothing about the candidate who was not shared, and no decisions.
    ben_answer = await db.fetchval(
        "SELECT id FROM answers WHERE candidate_id = $1", uuid.UUID(ids["Ben Bold"])
    )
    r = await guest.request(
        "PUT",
        f"{base}/answers/{ben_answer}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 1}]},
    )
    assert r.status_code == 404
    assert (
        await guest.post(f"{base}/candidates/{ids['Ben Bold']}/comments", json={"body": "x"})
    ).status_code == 404
    r = await guest.post(
        f"/api/v1/candidates/{ids['Ann Able']}/decision", json={"decision": "reject"}
    )
    assert r.status_code == 401
    assert await db.fetchval("SELECT count(*) FROM ratings") == 0  # the team's stay the team's
    r = await guest.get(f"{base}")
    assert r.json()["candidates"][0]["questions"][0]["answer"]["my_ratings"] == {"Empathy": 4}
    assert r.json()["candidates"][0]["my_comments"] == ["Solid."]

    # Blind review hides video recordings; an open link shows them.
    await db.execute(
        "UPDATE answers SET kind = 'video', playback_key = 'k' WHERE id = $1", uuid.UUID(answer_id)
    )
    await db.execute("UPDATE questions SET kind = 'video'")
    r = await guest.get(base)
    assert r.json()["candidates"][0]["questions"][0]["answer"]["playback_url"] is None
    assert (await guest.get(f"{base}/answers/{answer_id}/playback")).status_code == 404
    open_link = (
        await api.post(shares_path, json={"recipient": "Lee", "candidate_id": ids["Ann Able"]})
    ).json()
    open_token = open_link["link"].rsplit("/", 1)[1]
    r = await guest.get(f"/api/v1/shared/{open_token}")
    assert r.json()["candidates"][0]["label"] == "Ann Able"
    assert r.json()["candidates"][0]["questions"][0]["answer"]["playback_url"] == (
        f"/api/v1/shared/{open_token}/answers/{answer_id}/playback"
    )

    # The team sees every access and what the guest gave.
    listed = (await api.get(shares_path)).json()
    blind = next(s for s in listed if s["recipient"] == "Maria (hiring manager)")
    assert blind["active"] and blind["hide_identity"] and blind["hide_video"]
    assert [a["action"] for a in blind["accesses"]] == ["view", "view", "comment", "rate", "view"]
    assert blind["accesses"][0]["ip"] == "127.0.0.1"
    assert blind["accesses"][0]["user_agent"].startswith("python-httpx")
    assert [
        (f["candidate"], f["criterion"], f["score"], f["comment"]) for f in blind["feedback"]
    ] == [
        ("Ann Able", "Empathy", 4, None),
        ("Ann Able", None, None, "Solid."),
    ]

    # Expired and revoked links are refused.
    await db.execute(
        "UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(blind["id"]),
    )
    r = await guest.get(base)
    assert (r.status_code, r.json()["error"]) == (410, "link_expired")
    assert (await api.delete(f"/api/v1/shares/{open_link['share']['id']}")).status_code == 204
    r = await guest.get(f"/api/v1/shared/{open_token}")
    assert (r.status_code, r.json()["error"]) == (410, "link_revoked")
    assert (await guest.get("/api/v1/shared/not-a-token")).status_code == 404


async def test_sharing_the_shortlist(api: ApiClient, server: str) -> None:
    await api.sign_up()
    interview_id = await interview(api, [RUBRIC_Q])
    ids = [(await invite(api, server, interview_id, name))[0] for name in ("Ann", "Ben", "Cy")]
    path = f"/api/v1/interviews/{interview_id}/shares"
    r = await api.post(path, json={"recipient": "Lee", "shortlist": True})
    assert (r.status_code, r.json()["error"]) == (422, "shortlist_empty")
    r = await api.post(path, json={"recipient": "Lee"})
    assert (r.status_code, r.json()["error"]) == (422, "share_what")
    for cid in (ids[2], ids[0]):
        await api.request("PUT", f"/api/v1/candidates/{cid}/shortlist")
    r = await api.post(path, json={"recipient": "Lee", "shortlist": True, "hide_identity": True})
    assert r.status_code == 201
    assert r.json()["share"]["candidate_ids"] == [ids[0], ids[2]]
    token = r.json()["link"].rsplit("/", 1)[1]
    view = (await httpx.AsyncClient(base_url=server).get(f"/api/v1/shared/{token}")).json()
    assert [c["label"] for c in view["candidates"]] == ["Candidate 1", "Candidate 2"]


async def test_a_link_for_a_named_email_opens_only_after_confirming_it(
    api: ApiClient, server: str, client_factory: Any, inbox: Inbox, db: Any
) -> None:
    await api.sign_up(name="Ada")
    interview_id = await interview(api, [RUBRIC_Q])
    ann, c = await invite(api, server, interview_id, "Ann Able")
    await c.consent()
    await answer(c, [STRONG], finish=True)
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/shares",
        json={"recipient": "Lee", "candidate_id": ann, "email": "Lee@Example.com"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["share"]["email"], r.json()["share"]["confirmed"]) == (
        "Lee@example.com",
        False,
    )
    share_id = r.json()["share"]["id"]
    token = r.json()["link"].rsplit("/shared/", 1)[1]
    base = f"/api/v1/shared/{token}"

    # Unconfirmed: nothing is shown, rated or played.
    guest = client_factory()
    r = await guest.get(base)
    assert (r.status_code, r.json()["error"]) == (403, "confirmation_required")
    assert "Ann" not in r.text and STRONG not in r.text
    answer_id = await db.fetchval("SELECT id FROM answers")
    r = await guest.request(
        "PUT", f"{base}/answers/{answer_id}/ratings",
        json={"ratings": [{"criterion": "Empathy", "score": 5}]},
    )  # fmt: skip
    assert r.status_code == 403
    r = await guest.post(f"{base}/candidates/{ann}/comments", json={"body": "x"})
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM share_ratings") == 0
    assert await db.fetchval("SELECT count(*) FROM share_comments") == 0

    # Another address gets the same answer and no email; the named one gets the link.
    seen = len(inbox.messages)
    r = await guest.post(f"{base}/confirmation", json={"email": "mallory@example.com"})
    assert r.status_code == 202, r.text
    r = await guest.post(f"{base}/confirmation", json={"email": " lee@example.COM"})
    assert r.status_code == 202, r.text
    mail = await inbox.wait_for(lambda m: m["To"] == "Lee@example.com", since=seen)
    assert inbox.to("mallory@example.com") == []
    assert await db.fetchval(
        "SELECT count(*) FROM email_deliveries WHERE to_address ILIKE 'mallory%'"
    ) == 0  # fmt: skip
    link = next(w for w in body_text(mail).split() if "?confirm=" in w)
    assert link.startswith(f"{server}/shared/{token}?confirm=")
    code = link.split("?confirm=", 1)[1]
    # The stored email keeps no usable link: neither the share's token nor the code.
    row = await sent_row(db, "Lee@example.com")
    assert row["link"] is None
    for body in (row["text_body"], row["html_body"]):
        assert token not in body and code not in body and "[link removed after sending]" in body
    # The request alone still shows nothing.
    assert (await guest.get(base)).status_code == 403

    # Wrong codes are refused; the emailed one opens the link in the browser that uses it.
    r = await guest.post(f"{base}/confirm", json={"code": "not-the-code"})
    assert (r.status_code, r.json()["error"]) == (422, "confirmation_invalid")
    manager = client_factory()
    r = await manager.post(f"{base}/confirm", json={"code": code})
    assert r.status_code == 204, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and f"Path=/api/v1/shared/{token}" in cookie
    r = await manager.get(base)
    assert r.status_code == 200, r.text
    assert [x["label"] for x in r.json()["candidates"]] == ["Ann Able"]
    r = await manager.post(f"{base}/candidates/{ann}/comments", json={"body": "Good."})
    assert r.status_code == 204
    # The code works once; the browser that only asked for it still sees nothing.
    r = await guest.post(f"{base}/confirm", json={"code": code})
    assert (r.status_code, r.json()["error"]) == (422, "confirmation_invalid")
    assert (await guest.get(base)).status_code == 403
    # A grant is for its own link: another link to the same address needs its own confirmation.
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/shares",
        json={"recipient": "Lee", "candidate_id": ann, "email": "lee@example.com"},
    )
    other = r.json()["link"].rsplit("/shared/", 1)[1]
    manager.http.cookies.set("fairview_share", manager.http.cookies["fairview_share"],
                             path=f"/api/v1/shared/{other}")  # fmt: skip
    assert (await manager.get(f"/api/v1/shared/{other}")).status_code == 403

    # The team sees the address, that it was confirmed, and every step in the access log.
    listed = (await api.get(f"/api/v1/interviews/{interview_id}/shares")).json()
    shown = next(s for s in listed if s["id"] == share_id)
    assert shown["confirmed"] and shown["email"] == "Lee@example.com"
    assert [a["action"] for a in shown["accesses"]] == [
        "comment", "view", "confirmed", "confirmation_sent", "wrong_email",
    ]  # fmt: skip

    # Expiry and revocation still apply to a confirmed browser.
    await db.execute(
        "UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(share_id),
    )
    r = await manager.get(base)
    assert (r.status_code, r.json()["error"]) == (410, "link_expired")
    await db.execute(
        "UPDATE share_links SET expires_at = now() + interval '1 day' WHERE id = $1",
        uuid.UUID(share_id),
    )
    assert (await manager.get(base)).status_code == 200
    assert (await api.delete(f"/api/v1/shares/{share_id}")).status_code == 204
    r = await manager.get(base)
    assert (r.status_code, r.json()["error"]) == (410, "link_revoked")
    r = await manager.post(f"{base}/confirmation", json={"email": "lee@example.com"})
    assert (r.status_code, r.json()["error"]) == (410, "link_revoked")


async def test_confirmation_emails_are_limited_per_link(
    api: ApiClient, server: str, client_factory: Any, db: Any
) -> None:
    await api.sign_up()
    interview_id = await interview(api, [RUBRIC_Q])
    ann, _ = await invite(api, server, interview_id, "Ann")
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/shares",
        json={"recipient": "Lee", "candidate_id": ann, "email": "lee@example.com"},
    )
    base = f"/api/v1/shared/{r.json()['link'].rsplit('/shared/', 1)[1]}"
    guest = client_factory()
    for _ in range(5):
        r = await guest.post(f"{base}/confirmation", json={"email": "lee@example.com"})
        assert r.status_code == 202
    r = await guest.post(f"{base}/confirmation", json={"email": "lee@example.com"})
    assert (r.status_code, r.json()["error"]) == (429, "too_many_confirmations")
    assert await db.fetchval("SELECT count(*) FROM share_confirmations") == 5
    # A link without a named address needs no confirmation.
    r = await api.post(
        f"/api/v1/interviews/{interview_id}/shares", json={"recipient": "Kim", "candidate_id": ann}
    )
    open_base = f"/api/v1/shared/{r.json()['link'].rsplit('/shared/', 1)[1]}"
    r = await guest.post(f"{open_base}/confirmation", json={"email": "kim@example.com"})
    assert (r.status_code, r.json()["error"]) == (409, "no_confirmation_needed")
    assert (await guest.get(open_base)).status_code == 200
