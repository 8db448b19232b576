"""The supervisor of background loops: failures are logged with their traceback, loops restart
with back-off, their states are readable and exported, and stopping cancels them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from streaming.supervisor import Supervisor


async def until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.005)


def metric(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_failing_loop_is_logged_restarted_with_backoff_and_recovers() -> None:
    starts: list[float] = []
    healthy = asyncio.Event()

    async def flaky() -> None:
        starts.append(asyncio.get_running_loop().time())
        if len(starts) <= 3:
            raise ConnectionError("the database is restarting")
        healthy.set()
        await asyncio.Event().wait()  # runs until cancelled

    async def steady() -> None:
        await asyncio.Event().wait()

    supervisor = Supervisor(
        {"flaky": flaky, "steady": steady},
        backoff_s=(0.05, 0.2, 0.4),
        healthy_after_s=0.3,
        failing_after=3,
    )
    with capture_logs() as logs:
        async with supervisor:
            await until(lambda: supervisor.states["flaky"].state == "failing")
            state = supervisor.states["flaky"]
            assert supervisor.failing == ["flaky"]
            assert state.failures_in_a_row == 3 and state.failing_since is not None
            assert state.last_error is not None
            assert state.last_error.startswith("ConnectionError at streaming/test_supervisor.py:")
            assert metric("fairview_loop_state", loop="flaky", state="failing") == 1
            assert metric("fairview_loop_state", loop="flaky", state="running") == 0
            assert metric("fairview_loop_failing_since_seconds", loop="flaky") == (
                state.failing_since.timestamp()
            )
            assert supervisor.states["steady"].state == "running"

            await asyncio.wait_for(healthy.wait(), 5)
            # Up again, but not yet for healthy_after_s: still failing ...
            assert supervisor.states["flaky"].state == "failing"
            # ... until it has run that long.
            await until(lambda: supervisor.states["flaky"].state == "running")
            assert supervisor.failing == []
            assert state.restarts == 3 and state.failures_in_a_row == 0
            assert state.failing_since is None
            assert state.last_error is not None  # the last error stays visible
            assert metric("fairview_loop_state", loop="flaky", state="running") == 1
            assert metric("fairview_loop_failing_since_seconds", loop="flaky") == 0
            assert metric("fairview_loop_restarts_total", loop="flaky") == 3
    # Back-off grows with each failure in a row.
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.2 and gaps[2] >= 0.4, gaps
    failures = [e for e in logs if e["event"] == "background_loop_failed"]
    assert [f["loop"] for f in failures] == ["flaky"] * 3
    assert [f["restart_in_s"] for f in failures] == [0.05, 0.2, 0.4]
    assert all(isinstance(f["exc_info"], ConnectionError) for f in failures)  # with traceback
    assert [e["restarts"] for e in logs if e["event"] == "background_loop_restarted"] == [1, 2, 3]
    # Stopped: the loops are cancelled and their series are gone.
    assert metric("fairview_loop_state", loop="flaky", state="running") is None


async def test_a_loop_that_returns_or_is_cancelled_from_inside_is_restarted() -> None:
    runs: dict[str, int] = {"returns": 0, "cancelled_inside": 0}
    again = asyncio.Event()

    async def returns() -> None:
        runs["returns"] += 1
        if runs["returns"] > 1:
            again.set()
            await asyncio.Event().wait()

    async def cancelled_inside() -> None:
        runs["cancelled_inside"] += 1
        if runs["cancelled_inside"] == 1:
            inner = asyncio.create_task(asyncio.sleep(10))
            inner.cancel()
            await inner  # CancelledError, though nobody cancelled the loop itself
        await asyncio.Event().wait()

    supervisor = Supervisor(
        {"returns": returns, "cancelled_inside": cancelled_inside}, backoff_s=(0.01,)
    )
    with capture_logs() as logs:
        async with supervisor:
            await asyncio.wait_for(again.wait(), 5)
            await until(lambda: runs["cancelled_inside"] == 2)
            assert supervisor.states["returns"].last_error == (
                "returned (a background loop runs until the process stops)"
            )
            assert supervisor.states["cancelled_inside"].last_error == (
                "CancelledError from inside the loop"
            )
            assert {s.state for s in supervisor.states.values()} == {"running"}
    failed: list[dict[str, Any]] = [e for e in logs if e["event"] == "background_loop_failed"]
    assert sorted(e["loop"] for e in failed) == ["cancelled_inside", "returns"]


async def test_stopping_cancels_every_loop_even_during_its_backoff() -> None:
    cancelled: list[str] = []

    async def busy() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append("busy")

    async def swallows() -> None:  # as some libraries' run loops do
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("swallows")

    async def broken() -> None:
        raise RuntimeError("always")

    supervisor = Supervisor(
        {"busy": busy, "swallows": swallows, "broken": broken}, backoff_s=(30.0,)
    )
    async with asyncio.timeout(5):
        async with supervisor:
            await until(lambda: supervisor.states["broken"].state == "restarting")
    assert sorted(cancelled) == ["busy", "swallows"]
    assert supervisor.states["broken"].restarts == 0


async def test_a_loop_that_ignores_its_cancellation_is_named_and_does_not_hold_the_stop(
    monkeypatch: Any,
) -> None:
    from streaming import supervisor as module

    monkeypatch.setattr(module, "STOP_TIMEOUT_S", 0.5)
    release, entered = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:  # a library's loop that keeps waiting whatever happens
        entered.set()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()

    supervisor = Supervisor({"stubborn": stubborn})
    try:
        with capture_logs() as logs:
            async with asyncio.timeout(5):
                async with supervisor:
                    await entered.wait()
    finally:
        release.set()
    stuck = [e for e in logs if e["event"] == "background_loop_did_not_stop"]
    assert [e["loop"] for e in stuck] == ["stubborn"]
    assert any("test_supervisor.py" in where for where in stuck[0]["waiting_in"]), stuck
