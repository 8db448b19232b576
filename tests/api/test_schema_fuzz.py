"""Property-based requests generated from the OpenAPI schema (schemathesis) against the running
app, as an integration with an API key would call it: no operation may answer with a server
error, whatever it is sent."""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fairview.settings import Settings
from tests.api_client import ApiClient
from tests.candidates import interview_with_candidate

ST = Path(sys.executable).with_name("st")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, api_requests_per_minute=1_000_000)


async def test_no_operation_answers_with_a_server_error(
    api: ApiClient, server: str, tmp_path: Path
) -> None:
    await interview_with_candidate(api)  # some data for the generated requests to reach
    key = (
        await api.post("/api/v1/api-keys", json={"name": "fuzz", "scopes": ["read", "write"]})
    ).json()["secret"]
    schema = (await api.get("/api/docs/openapi.json")).json()
    operations = sum(
        1
        for methods in schema["paths"].values()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    )
    proc = await asyncio.create_subprocess_exec(
        str(ST),
        "run",
        f"{server}/api/docs/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "5",
        "--seed",
        "1",
        "--header",
        f"Authorization: Bearer {key}",
        "--request-timeout",
        "20",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    text = out.decode()
    assert proc.returncode == 0, text[-6000:]
    assert f"Tested: {operations}" in text, text[-3000:]  # every operation was exercised
    generated = re.search(r"(\d+) generated, (\d+) passed", text)
    assert generated and generated[1] == generated[2], text[-3000:]
    print(f"schemathesis: {operations} operations, {generated[1]} generated requests, all passed")
