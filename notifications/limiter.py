"""Pacing sends under Telegram's limits: about 30 messages a second in bulk, 1 a second per chat.

The overall limit is paced evenly (one send every ``window / limit`` seconds) rather than in
bursts: the server counts sends in a sliding second, and even spacing leaves the whole margin
``window - 1 s`` for network jitter at both ends of any run of ``limit`` sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """At most ``limit`` sends in any ``window`` seconds, evenly spaced; None: no limit."""

    def __init__(
        self,
        limit: int | None,
        window: float = 1.0,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = window / limit if limit else 0.0
        self.now = now
        self.sleep = sleep
        self._next = 0.0

    async def acquire(self) -> None:
        if not self.interval:
            return
        now = self.now()
        if self._next > now:
            await self.sleep(self._next - now)  # a rate wait, not a synchronisation
            now = self.now()
        self._next = max(now, self._next) + self.interval

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (flood control said so)."""
        self._next = max(self._next, self.now() + seconds)
