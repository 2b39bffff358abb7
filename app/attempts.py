"""Counting wrong invite codes: after 5 in 10 minutes a user is told to wait.

In memory for one process; with ``REDIS_URL`` the count is shared by every instance.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Protocol

MAX_ATTEMPTS = 5
WINDOW_SECONDS = 600


class AttemptLimiter(Protocol):
    async def hit(self, key: str) -> None: ...

    async def blocked_for(self, key: str) -> float:
        """Seconds to wait, 0 when the user may try again."""
        ...

    async def reset(self, key: str) -> None: ...


class MemoryAttempts:
    def __init__(self, limit: int = MAX_ATTEMPTS, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _fresh(self, key: str) -> deque[float]:
        hits = self._hits[key]
        horizon = time.monotonic() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits

    async def hit(self, key: str) -> None:
        self._fresh(key).append(time.monotonic())

    async def blocked_for(self, key: str) -> float:
        hits = self._fresh(key)
        if len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window - time.monotonic())

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class RedisAttempts:
    """A sorted set of attempt times per key, trimmed to the window."""

    def __init__(self, redis, limit: int = MAX_ATTEMPTS, window: float = WINDOW_SECONDS) -> None:
        self.redis = redis
        self.limit = limit
        self.window = window

    def _key(self, key: str) -> str:
        return f"schoolbot:attempts:{key}"

    async def hit(self, key: str) -> None:
        now = time.time()
        k = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(k, 0, now - self.window)
            pipe.zadd(k, {f"{now:.6f}": now})
            pipe.expire(k, int(self.window) + 1)
            await pipe.execute()

    async def blocked_for(self, key: str) -> float:
        now = time.time()
        k = self._key(key)
        await self.redis.zremrangebyscore(k, 0, now - self.window)
        if await self.redis.zcard(k) < self.limit:
            return 0.0
        first = await self.redis.zrange(k, 0, 0, withscores=True)
        return max(0.0, first[0][1] + self.window - now) if first else 0.0

    async def reset(self, key: str) -> None:
        await self.redis.delete(self._key(key))
