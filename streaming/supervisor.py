"""One supervisor for every background loop of a process (consumers, relay, mailer, webhook
delivery, scheduler, ...): nothing stops silently.

A loop that raises (or returns: a background loop is meant to run forever) is logged with its
traceback and restarted after a back-off that grows while it keeps failing (1, 2, 5, 10, 30 s)
and starts again from the beginning once the loop has run ``healthy_after_s`` without failing.
Each loop's state is readable (``/readyz`` shows it and names a failing loop) and exported as
Prometheus metrics:

- ``running``: up, and not in a streak of failures;
- ``restarting``: it failed and waits for its back-off before starting again;
- ``failing``: it failed ``failing_after`` times in a row without a healthy run between (it
  is still restarted; ``failing_since`` is the first failure of the streak). A process with a
  failing loop is not ready.

Usage::

    async with Supervisor({"relay": run_relay_loop, "mailer": run_mailer_loop}) as supervisor:
        ...  # the loops run until the block ends (then they are cancelled)
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import Counter, Gauge

Loop = Callable[[], Coroutine[Any, Any, None]]

STATES = ("running", "restarting", "failing")
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STOP_TIMEOUT_S = 10.0  # a loop that ignores its cancellation must not hold the process

log = structlog.get_logger("fairview.supervisor")

LOOP_STATE = Gauge(
    "fairview_loop_state",
    "1 for the state each background loop of this process is in (running, restarting, failing)",
    ["loop", "state"],
)
LOOP_RESTARTS = Counter(
    "fairview_loop_restarts", "Restarts of each background loop after it failed", ["loop"]
)
LOOP_FAILING_SINCE = Gauge(
    "fairview_loop_failing_since_seconds",
    "Unix time of the first failure of a loop's current streak of failures; 0 when healthy",
    ["loop"],
)


@dataclass
class LoopState:
    """What an operator needs to know about one loop."""

    name: str
    state: str = "running"
    since: datetime = field(default_factory=lambda: datetime.now(UTC))  # in this state since
    restarts: int = 0
    failures_in_a_row: int = 0
    failing_since: datetime | None = None  # first failure of the current streak
    last_error: str | None = None  # the exception's type and where it was raised
    last_error_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        def when(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "state": self.state,
            "since": when(self.since),
            "restarts": self.restarts,
            "failing_since": when(self.failing_since),
            "last_error": self.last_error,
            "last_error_at": when(self.last_error_at),
        }


class Supervisor:
    def __init__(
        self,
        loops: Mapping[str, Loop],
        *,
        backoff_s: Sequence[float] = BACKOFF_S,
        healthy_after_s: float = 60.0,
        failing_after: int = 3,
    ) -> None:
        self.loops = dict(loops)
        self.backoff_s = tuple(backoff_s)
        self.healthy_after_s = healthy_after_s
        self.failing_after = failing_after
        self.states = {name: LoopState(name) for name in self.loops}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def failing(self) -> list[str]:
        """The loops that keep failing (a process with one is not ready)."""
        return [s.name for s in self.states.values() if s.state == "failing"]

    async def __aenter__(self) -> Supervisor:
        for name, loop in self.loops.items():
            self._set(self.states[name], "running")
            self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=name))
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            stuck = (await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S))[1]
            for task in stuck:  # said, with where it waits, and left behind
                log.error(
                    "background_loop_did_not_stop",
                    loop=task.get_name(),
                    waiting_in=where_waiting(task),
                )
        for state in self.states.values():
            for s in STATES:
                with contextlib.suppress(KeyError):
                    LOOP_STATE.remove(state.name, s)
            with contextlib.suppress(KeyError):
                LOOP_FAILING_SINCE.remove(state.name)
        self._tasks.clear()

    async def _supervise(self, name: str, loop: Loop) -> None:
        state = self.states[name]
        me = asyncio.current_task()
        assert me is not None
        while True:
            timer = asyncio.get_running_loop().call_later(
                self.healthy_after_s, self._healthy, state
            )
            try:
                await loop()
                error = "returned (a background loop runs until the process stops)"
                exc_info: BaseException | None = None
            except asyncio.CancelledError as exc:
                if me.cancelling():  # the supervisor stops
                    raise
                error, exc_info = "CancelledError from inside the loop", exc
            except Exception as exc:
                error, exc_info = _describe(exc), exc
            finally:
                timer.cancel()
            if me.cancelling():  # the supervisor stops, and the loop swallowed the cancellation
                raise asyncio.CancelledError
            delay = self._failed(state, error)
            log.error(
                "background_loop_failed",
                loop=name,
                error=error,
                failures_in_a_row=state.failures_in_a_row,
                restart_in_s=delay,
                exc_info=exc_info,
            )
            await asyncio.sleep(delay)
            state.restarts += 1
            LOOP_RESTARTS.labels(name).inc()
            log.info("background_loop_restarted", loop=name, restarts=state.restarts)
            self._set(state, "failing" if self._streak(state) else "running")

    def _streak(self, state: LoopState) -> bool:
        return state.failures_in_a_row >= self.failing_after

    def _failed(self, state: LoopState, error: str) -> float:
        now = datetime.now(UTC)
        state.failures_in_a_row += 1
        state.failing_since = state.failing_since or now
        state.last_error, state.last_error_at = error[:1000], now
        self._set(state, "failing" if self._streak(state) else "restarting")
        return self.backoff_s[min(state.failures_in_a_row, len(self.backoff_s)) - 1]

    def _healthy(self, state: LoopState) -> None:
        """The loop has run ``healthy_after_s`` since its last start: the streak is over."""
        state.failures_in_a_row, state.failing_since = 0, None
        if state.state != "running":
            self._set(state, "running")
        LOOP_FAILING_SINCE.labels(state.name).set(0)

    def _set(self, state: LoopState, to: str) -> None:
        if state.state != to:
            state.state, state.since = to, datetime.now(UTC)
        for s in STATES:
            LOOP_STATE.labels(state.name, s).set(1 if s == to else 0)
        LOOP_FAILING_SINCE.labels(state.name).set(
            state.failing_since.timestamp() if state.failing_since else 0
        )


def _describe(exc: BaseException) -> str:
    """The exception's type and where it was raised, without its message (which may hold
    personal data: it is in the log, with the traceback)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    where = "/".join(Path(frames[-1].filename).parts[-2:])
    return f"{type(exc).__name__} at {where}:{frames[-1].lineno}"


def where_waiting(task: asyncio.Task[Any]) -> list[str]:
    """Where a suspended task waits, outermost first (its chain of awaited coroutines)."""
    where: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            where.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return where
