"""Log-in throttling that nobody can turn against someone else.

Wrong passwords are counted per (email, client address): after ``limit`` of them that address
waits before it may try that email again — 1 minute, then twice as long after each further
failure, at most 15 minutes — while the owner, from their own address, still logs in. A
success clears the count; the count is forgotten an hour after the last failure. Each client
address also has a budget of failures over all emails (5 times ``limit`` per 15 minutes), against
password spraying. Password-reset requests have budgets of their own (api.identity.routes), so
asking for resets never locks a log-in. The client address comes from api.network, which
believes ``X-Forwarded-For`` only from the configured proxies.
"""

from __future__ import annotations

import hashlib
import time

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from api.errors import RateLimited

FIRST_WAIT_S = 60
LONGEST_WAIT_S = 15 * 60
FORGET_AFTER_S = 60 * 60
MESSAGE = "Too many log-in attempts. Wait a few minutes and try again."


def wait_after(failures: int, limit: int) -> int:
    """Seconds to wait after the ``failures``-th wrong password (none below the limit)."""
    if failures < limit:
        return 0
    return int(min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** min(failures - limit, 16)))


def _key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}\n{ip}".encode()).hexdigest()
    return f"fairview:login_failures:{digest}"


class Lockout:
    def __init__(self, redis: Redis, limiter: MovingWindowRateLimiter, limit: int) -> None:
        self.redis, self.limiter, self.limit = redis, limiter, limit
        self.per_ip = RateLimitItemPerMinute(limit * 5, 15)

    async def check(self, email: str, ip: str) -> None:
        """429 with Retry-After while this address must wait for this email (or at all)."""
        until = await self.redis.hget(_key(email, ip), "until")
        wait = int(float(until) - time.time()) + 1 if until else 0
        if wait > 0:
            raise RateLimited(MESSAGE, headers={"Retry-After": str(wait)})
        if not await self.limiter.test(self.per_ip, "login_failures_ip", ip):
            stats = await self.limiter.get_window_stats(self.per_ip, "login_failures_ip", ip)
            retry = max(1, int(stats.reset_time - time.time()))
            raise RateLimited(MESSAGE, headers={"Retry-After": str(retry)})

    async def failed(self, email: str, ip: str) -> None:
        key = _key(email, ip)
        failures = int(await self.redis.hincrby(key, "failures", 1))
        wait = wait_after(failures, self.limit)
        if wait:
            await self.redis.hset(key, "until", str(time.time() + wait))
        await self.redis.expire(key, FORGET_AFTER_S)
        await self.limiter.hit(self.per_ip, "login_failures_ip", ip)

    async def succeeded(self, email: str, ip: str) -> None:
        await self.redis.delete(_key(email, ip))
