"""The public API's request examples in the OpenAPI document work: each one, sent as written
with an API key, succeeds."""

from __future__ import annotations

from typing import Any

from tests.api_client import ApiClient

# The operations an integration writes through, in an order where each finds what it needs.
DOCUMENTED = [
    ("post", "/api/v1/interviews"),
    ("patch", "/api/v1/interviews/{interview_id}"),
    ("put", "/api/v1/interviews/{interview_id}/questions"),
    ("post", "/api/v1/interviews/{interview_id}/status"),
    ("post", "/api/v1/interviews/{interview_id}/candidates"),
    ("post", "/api/v1/interviews/{interview_id}/candidates/import"),
    ("patch", "/api/v1/candidates/{candidate_id}"),
    ("post", "/api/v1/candidates/{candidate_id}/decision"),
    ("post", "/api/v1/interviews/{interview_id}/candidates/bulk"),
]


async def test_every_documented_example_succeeds_with_an_api_key(api: ApiClient) -> None:
    await api.sign_up()
    r = await api.post("/api/v1/api-keys", json={"name": "docs", "scopes": ["read", "write"]})
    key = {"Authorization": f"Bearer {r.json()['secret']}"}
    schema = (await api.get("/api/docs/openapi.json")).json()
    examples = {
        (method, path): op["requestBody"]["content"]["application/json"]["schema"]["examples"]
        for path, methods in schema["paths"].items()
        for method, op in methods.items()
        if "examples"
        in op.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    }
    assert set(examples) == set(DOCUMENTED)

    ids: dict[str, str] = {}
    sent = 0
    for method, path in DOCUMENTED:
        for body in examples[(method, path)]:
            if path.endswith("/bulk"):  # the example's candidate is one made here
                body = {**body, "candidate_ids": [ids["candidate_id"]]}
            r = await api.request(method.upper(), path.format(**ids), json=body, headers=key)
            assert r.is_success, (method, path, body, r.text)
            sent += 1
            created: Any = r.json() if r.content else {}
            if path == "/api/v1/interviews":
                ids.setdefault("interview_id", created["id"])
            if path.endswith("/candidates"):
                ids.setdefault("candidate_id", created["candidate"]["id"])
            if path.endswith("/import"):
                assert created == {"created": 2, "errors": []}
            if path.endswith("/bulk"):
                assert created == {"done": [ids["candidate_id"]], "failed": []}
    assert sent >= len(DOCUMENTED)
    print(f"openapi examples: {sent} examples on {len(DOCUMENTED)} operations, all succeeded")
