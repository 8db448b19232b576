"""Stripe's API for the tests: recorded responses (tests/fixtures/stripe) served on 127.0.0.1,
and every request Fairview made, for the tests to check."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar, Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from tests.http_server import serve

RECORDED = Path(__file__).parent / "fixtures" / "stripe"


class StripeReplay:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []

    def app(self) -> Litestar:
        @post("/v1/{path:path}", status_code=200)
        async def endpoint(request: Request[Any, Any, Any], path: FromPath[str]) -> dict[str, Any]:
            form = dict(parse_qsl((await request.body()).decode()))
            self.requests.append((path.strip("/"), form, dict(request.headers)))
            recorded = RECORDED / f"{path.strip('/').replace('/', '_')}.json"
            if not recorded.exists():
                raise NotFoundException(f"no recorded response for {path}")
            body: dict[str, Any] = json.loads(recorded.read_text())
            return body

        return Litestar([endpoint])


@asynccontextmanager
async def stripe_replay() -> AsyncIterator[tuple[str, StripeReplay]]:
    replay = StripeReplay()
    async with serve(replay.app()) as url:
        yield url, replay
