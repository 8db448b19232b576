"""What request handlers share: the services the process wired up, reached through app state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

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
    login_attempts_per_15min: int = 10


def services(state: Any) -> Services:
    svc: Services = state.services
    return svc
