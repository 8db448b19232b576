"""What request handlers share: the services the process wired up, reached through app state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from api.billing.plans import load as load_plans
from api.billing.service import Billing
from api.sse import Hub
from storage.db import Database
from storage.objects import ObjectStore
from streaming.bus import EventBus


@dataclass
class Services:
    db: Database
    redis: Redis
    bus: EventBus
    objects: ObjectStore
    limiter: MovingWindowRateLimiter
    public_url: str
    secret_key: str
    ingest_url: str = ""  # where candidates stream (WHIP); the public URL when empty
    login_attempts_per_15min: int = 10
    public_joins_per_15min: int = 10  # per client address; 20 times that per public link
    deadline_grace: timedelta = timedelta(hours=2)  # to finish, for candidates in progress
    signups_per_hour: int = 10  # per client address
    api_requests_per_minute: int = 600  # per organization API key
    webhooks_allow_private: bool = False  # let webhook URLs reach private addresses (SSRF guard)
    metrics_token: str = ""  # lets monitoring read /metrics and /readyz details from anywhere
    hub: Hub | None = None  # the process's shared pub/sub connection for streams
    llm_evaluator: bool = False  # answers are judged by an LLM (else key-point coverage)
    erase_immediately: bool = False  # erasure requests run at once, not at their due date
    billing: Billing = field(default_factory=lambda: Billing(enabled=False, plans=load_plans()))

    def __post_init__(self) -> None:
        self.ingest_url = self.ingest_url or self.public_url
        if self.hub is None:
            self.hub = Hub(self.redis)

    @property
    def streams(self) -> Hub:
        assert self.hub is not None
        return self.hub


def services(state: Any) -> Services:
    svc: Services = state.services
    return svc
