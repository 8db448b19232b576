"""Serve an ASGI app with uvicorn on a free loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from fairview.cli import GRACEFUL_SHUTDOWN_S
from streaming.supervisor import where_waiting
from tests.services import free_port

STOP_LIMIT_S = 60


@asynccontextmanager
async def serve(app: Any, port: int | None = None) -> AsyncIterator[str]:
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        ws="websockets-sansio",
        proxy_headers=False,  # as `fairview` serves it: the app decides whom to believe
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,  # an open stream never ends by itself
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
            raise RuntimeError("the server stopped during start-up")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        # Bounded, so a shutdown that hangs fails this test at once, saying what it waits for.
        done, _ = await asyncio.wait([task], timeout=STOP_LIMIT_S)
        if not done:
            waiting = {t.get_name(): where_waiting(t) for t in asyncio.all_tasks() if not t.done()}
            task.cancel()
            raise AssertionError(f"the app did not stop in {STOP_LIMIT_S} s: {waiting}")
        task.result()
