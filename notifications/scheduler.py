"""The scheduled jobs on APScheduler 3, with exactly one active scheduler per deployment.

Every process may run a scheduler; only the holder of the lock runs jobs. The lock is a lease
row in the database, or a Redis key when ``REDIS_URL`` is set; the holder renews it every few
seconds, and another process takes over once a holder has stopped renewing (it crashed).
Each job asks the lock again right before it runs, and the rows it writes carry dedup keys,
so even two holders for a moment could not send a digest twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from notifications.fanout import Wall, utc_now
from notifications.jobs import Jobs
from storage.db import Database
from storage.delivery_queue import DbLease

logger = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
LOCK_SECONDS = 30.0
RENEW_SECONDS = 10.0


class Lock(Protocol):
    async def acquire(self) -> bool:
        """Take the lock, or renew it if already ours; False while someone else holds it."""
        ...

    async def release(self) -> None: ...


class DatabaseLock:
    """The ``leases`` row named ``scheduler``."""

    def __init__(
        self, database: Database, owner: str, seconds: float = LOCK_SECONDS, wall: Wall = utc_now
    ) -> None:
        self.lease = DbLease(database, LOCK_NAME, owner, seconds)
        self.wall = wall

    async def acquire(self) -> bool:
        return await self.lease.acquire(self.wall())

    async def release(self) -> None:
        await self.lease.release()


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock:
    """A Redis key holding the owner's name, with an expiry; renewed only by its owner."""

    def __init__(
        self, redis: Any, owner: str, seconds: float = LOCK_SECONDS, key: str = "schoolbot:lock"
    ) -> None:
        self.redis = redis
        self.owner = owner
        self.ms = int(seconds * 1000)
        self.key = f"{key}:{LOCK_NAME}"

    async def acquire(self) -> bool:
        if await self.redis.set(self.key, self.owner, nx=True, px=self.ms):
            return True
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.owner, self.ms))

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.owner)


class JobScheduler:
    def __init__(
        self,
        jobs: Jobs,
        lock: Lock,
        tz: ZoneInfo,
        extra: Sequence[tuple[str, Callable[[], Awaitable[Any]], Any]] = (),
    ) -> None:
        self.jobs = jobs
        self.extra = tuple(extra)  # (name, job, trigger) run under the same lock
        self.lock = lock
        self.tz = tz
        self.holding = False
        self.runs: dict[str, int] = {}
        self._scheduler: AsyncIOScheduler | None = None

    async def guarded(self, name: str, job: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``job`` if this process holds the lock now; None when it does not."""
        try:
            self.holding = await self.lock.acquire()
        except Exception:
            logger.exception("the scheduler lock cannot be checked")
            self.holding = False
        if not self.holding:
            return None
        try:
            written = await job()
        except Exception:
            logger.exception("scheduled job %s failed", name)
            return None
        self.runs[name] = self.runs.get(name, 0) + 1
        if isinstance(written, int) and written:
            logger.info("scheduled job %s wrote %d pushes", name, written)
        return written

    def _add(self, name: str, job: Callable[[], Awaitable[Any]], trigger: Any) -> None:
        assert self._scheduler is not None

        async def run() -> None:
            await self.guarded(name, job)

        self._scheduler.add_job(
            run,
            trigger,
            id=name,
            name=name,
            coalesce=True,  # after a pause, one run, not one per missed time
            max_instances=1,
            misfire_grace_time=300,
            replace_existing=True,
        )

    async def _renew(self) -> None:
        try:
            held = await self.lock.acquire()
        except Exception:
            logger.exception("the scheduler lock cannot be renewed")
            held = False
        if held != self.holding:
            logger.info("scheduler lock %s", "taken" if held else "lost")
        self.holding = held

    def start(self) -> None:
        tz = self.tz
        self._scheduler = AsyncIOScheduler(timezone=tz)
        jobs = self.jobs
        # Just after midnight: periods close by themselves, lessons are made three weeks ahead;
        # the nightly backup (02:30) then holds a period just closed.
        self._add(
            "school_calendar",
            jobs.school_calendar,
            CronTrigger(hour=0, minute=10, timezone=tz),
        )
        # Every minute: accounts choose their own digest time.
        self._add("evening_digest", jobs.evening_digest, CronTrigger(minute="*", timezone=tz))
        self._add(
            "fortnight_summary",
            jobs.fortnight_summary,
            CronTrigger(day_of_week="sat", hour=11, minute=0, timezone=tz),
        )
        self._add(  # the same weeks as the summary: paper for those who refuse the bot
            "paper_diaries",
            jobs.paper_diaries,
            CronTrigger(day_of_week="sat", hour=11, minute=5, timezone=tz),
        )
        self._add(
            "teacher_reminders",
            jobs.teacher_reminders,
            CronTrigger(day_of_week="mon-sat", hour=17, minute=0, timezone=tz),
        )
        self._add(
            "finals_missing",
            jobs.finals_missing,
            CronTrigger(day_of_week="mon-sat", hour=15, minute=30, timezone=tz),
        )
        self._add(
            "weekly_reconciliation",
            jobs.weekly_reconciliation,
            CronTrigger(day_of_week="fri", hour=16, minute=0, timezone=tz),
        )
        self._add(
            "weekly_failing",
            jobs.weekly_failing,
            CronTrigger(day_of_week="fri", hour=16, minute=5, timezone=tz),
        )
        # The deputy's control: Monday at 8, when quiet hours end, the journals up to Sunday
        # (004 §5.6); daily, the preliminary results once two weeks are left in a period
        # (003 reg.2 §2.2.3).
        self._add(
            "weekly_quality",
            jobs.weekly_quality,
            CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=tz),
        )
        self._add(
            "preliminary_results",
            jobs.preliminary_results,
            CronTrigger(hour=8, minute=10, timezone=tz),
        )
        for name, job, trigger in self.extra:
            self._add(name, job, trigger)
        self._scheduler.add_job(
            self._renew,
            IntervalTrigger(seconds=RENEW_SECONDS, timezone=tz),
            id="lock",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(tz),  # take the lock at once, then renew
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        try:
            await self.lock.release()
        except Exception:
            logger.exception("the scheduler lock was not released; it expires by itself")
        self.holding = False
