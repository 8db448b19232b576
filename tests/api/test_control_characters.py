"""Names, titles and emails are one line: control characters are refused at the API with a
clear 422 (they once broke every email after them), and subjects are built safely anyway."""

from __future__ import annotations

from typing import Any

import httpx

from api.notification.mailer import SmtpConfig, build_message
from tests.api.test_interviews import activate, make_interview
from tests.api_client import PASSWORD, ApiClient

BAD = ["Ada\r\nBcc: everyone@example.com", "Ada\nLovelace", "Ada\x00", "Ada\x1b[31m", "Ada\u2028"]


def refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "control_characters"
    assert field in body["detail"] and "control characters" in body["detail"]


async def test_signup_names_refuse_control_characters(api: ApiClient, db: Any) -> None:
    for bad, field in [(b, f) for b in BAD for f in ("name", "organization_name")]:
        body = {"organization_name": "Acme", "name": "Ada", "email": "ada@example.com"}
        r = await api.post("/api/v1/auth/signup", json={**body, field: bad, "password": PASSWORD})
        refused(r, field)
    assert await db.fetchval("SELECT count(*) FROM users") == 0


async def test_titles_candidates_and_public_joins_refuse_control_characters(
    api: ApiClient, server: str, db: Any
) -> None:
    await api.sign_up()
    r = await api.post("/api/v1/interviews", json={"title": "Support\r\nlead"})
    refused(r, "title")
    interview = await make_interview(api)
    r = await api.patch(f"/api/v1/interviews/{interview['id']}", json={"brand_name": "A\nB"})
    refused(r, "brand_name")
    r = await api.patch("/api/v1/organization", json={"name": "Acme\r\n"})
    refused(r, "name")
    await activate(api, interview["id"])
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates",
        json={"name": "Cora\r\n", "email": "cora@example.com", "send_email": False},
    )
    refused(r, "name")
    # A CSV import has no schema: the same rule reports the row.
    r = await api.post(
        f"/api/v1/interviews/{interview['id']}/candidates/import",
        json={"csv": 'name,email\n"Dan\r\nIto",dan@example.com\nEve,eve@example.com\n'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 1
    [error] = r.json()["errors"]
    assert error["row"] == 2 and "control characters (name)" in error["error"]

    # An anonymous candidate joining through the public link.
    link = (await api.post(f"/api/v1/interviews/{interview['id']}/public-link")).json()["url"]
    token = link.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=server) as public:
        await public.get(f"/api/v1/public-interviews/{token}")
        csrf = {"x-csrf-token": public.cookies["fairview_csrf"]}
        r = await public.post(
            f"/api/v1/public-interviews/{token}/join",
            json={"name": "Pat\r\nSubject: hi", "email": "pat@example.com"},
            headers=csrf,
        )
        refused(r, "name")
    names = await db.fetch("SELECT name FROM candidates ORDER BY name")
    assert [n["name"] for n in names] == ["Eve"]


def test_subjects_are_one_line_whatever_was_stored() -> None:
    row = {
        "id": "d1",
        "to_address": "ada@example.com",
        "subject": "Interview for Support\r\nBcc: everyone@example.com",
        "text_body": "Hello",
        "html_body": "<p>Hello</p>",
    }
    msg = build_message(SmtpConfig(), row)
    assert msg["Subject"] == "Interview for Support  Bcc: everyone@example.com"
    assert msg["Bcc"] is None
    assert b"\r\nBcc:" not in bytes(msg)
