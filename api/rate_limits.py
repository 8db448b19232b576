"""Rate limits (moving windows in Redis, via `limits`): a refused request gets 429 with
`Retry-After`."""

from __future__ import annotations

import time

from limits import RateLimitItem
from limits.aio.strategies import MovingWindowRateLimiter

from api.errors import RateLimited


async def enforce(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, namespace: str, key: str, message: str
) -> None:
    if not await limiter.hit(item, namespace, key):
        stats = await limiter.get_window_stats(item, namespace, key)
        retry = max(1, int(stats.reset_time - time.time()))
        raise RateLimited(message, headers={"Retry-After": str(retry)})
