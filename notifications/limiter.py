"""Pacing sends under a messenger's limits (Telegram: about 30 messages a second in bulk, 1 a
second per chat; MAX: about 30 requests a second, 2 a second per chat). The worker keeps one
pacer per messenger (``notifications.worker.Pace``).

Sends are spaced evenly (one every ``window / limit`` seconds, on a fixed schedule so that
small delays do not add up), and never more than ``limit`` fall in any ``window`` seconds: the
server counts a sliding second, so a ``window`` a little over one second leaves the difference
for network jitter, even after the event loop stalled for a moment.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
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
        self.limit = limit or 0
        self.window = window
        self.interval = window / limit if limit else 0.0
        self.now = now
        self.sleep = sleep
        self._next = 0.0
        self._recent: deque[float] = deque(maxlen=self.limit or 1)

    async def acquire(self) -> None:
        if not self.interval:  # no limit: only a pause holds the sends back
            wait = self._next - self.now()
            if wait > 0:
                await self.sleep(wait)
            return
        while True:
            now = self.now()
            wait = self._next - now
            if len(self._recent) == self.limit:
                wait = max(wait, self._recent[0] + self.window - now)
            if wait <= 0:
                break
            await self.sleep(wait)  # a rate wait, not a synchronisation
        # on schedule (a little late is fine: the window above still holds); after a pause,
        # the schedule starts again from now
        base = self._next if now - self._next < self.interval else now
        self._next = base + self.interval
        self._recent.append(now)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (flood control said so)."""
        self._next = max(self._next, self.now() + seconds)
