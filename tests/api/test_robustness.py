"""Malformed input gets a clear 4xx, never a server error (cases found by the schema fuzzer)."""

from __future__ import annotations

from typing import Any

from tests.api_client import ApiClient


async def test_page_size_out_of_range_is_refused(api: ApiClient) -> None:
    await api.sign_up()
    for path in ("/api/v1/interviews", "/api/v1/members", "/api/v1/team-invitations"):
        for limit in ("-5", "0", "201"):
            r = await api.get(path, params={"limit": limit})
            assert r.status_code == 400, (path, limit, r.text)


async def test_people_only_endpoints_refuse_api_keys(api: ApiClient, client_factory: Any) -> None:
    me = await api.sign_up()
    key = (await api.post("/api/v1/api-keys", json={"name": "k"})).json()["secret"]
    r = await client_factory().post(
        "/api/v1/auth/switch-organization",
        headers={"Authorization": f"Bearer {key}"},
        json={"organization_id": me["organization"]["id"]},
    )
    assert r.status_code == 401
    for path in ("/api/v1/notifications", "/api/v1/notifications/stream"):
        r = await client_factory().get(path, headers={"Authorization": f"Bearer {key}"})
        assert (r.status_code, r.json()["error"]) == (403, "people_only")


async def test_text_with_a_nul_character_is_refused(api: ApiClient, db: Any) -> None:
    await api.sign_up()
    # In free text (Postgres cannot store it) ...
    r = await api.post(
        "/api/v1/interviews", json={"title": "Support lead", "role_description": "Hi\u0000"}
    )
    assert (r.status_code, r.json()["error"]) == (400, "invalid_text")
    # ... and in a title, where every control character is refused.
    r = await api.post("/api/v1/interviews", json={"title": "Support\u0000 lead"})
    assert (r.status_code, r.json()["error"]) == (422, "control_characters")
    assert await db.fetchval("SELECT count(*) FROM interviews") == 0


async def test_a_garbled_session_cookie_is_ignored(client_factory: Any) -> None:
    client = client_factory()
    r = await client.http.get(
        "/api/v1/auth/me", headers={"Cookie": b"fairview_session=not-ours-\xff\xfe\xe9"}
    )
    assert r.status_code == 401
    assert not any("fairview_session" in c for c in r.headers.get_list("set-cookie"))
