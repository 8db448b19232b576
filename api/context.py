"""What request handlers share: the services the process wired up, reached through app state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from api.billing.plans import load as load_plans
from api.billing.service import Billing
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
    api_requests_per_minute: int = 600  # per organization API key
    webhooks_allow_private: bool = False  # let webhook URLs reach private addresses (SSRF guard)
    billing: Billing = field(default_factory=lambda: Billing(enabled=False, plans=load_plans()))

    def __post_init__(self) -> None:
        self.ingest_url = self.ingest_url or self.public_url


def services(state: Any) -> Services:
    svc: Services = state.services
    return svc
