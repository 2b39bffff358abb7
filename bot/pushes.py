"""The delivery worker and the scheduler, run inside the bot's process or on their own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from aiogram import Bot

from app.config import Settings
from bot.telegram.sender import AiogramSender
from core.clock import Clock
from notifications.fanout import Fanout
from notifications.jobs import Jobs
from notifications.scheduler import DatabaseLock, JobScheduler, Lock, RedisLock
from notifications.worker import DeliveryWorker, WorkerSettings, new_owner
from storage.db import Database
from storage.delivery_queue import DeliveryQueue

logger = logging.getLogger(__name__)


def worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        lease=settings.delivery_lease_seconds,
        rate=settings.delivery_rate or None,
    )


class Pushes:
    """Starts and stops the worker (a task) and the scheduler (APScheduler) together."""

    def __init__(self, worker: DeliveryWorker | None, scheduler: JobScheduler | None) -> None:
        self.worker = worker
        self.scheduler = scheduler
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.worker is not None:
            self._task = asyncio.create_task(self.worker.run(self._stop), name="delivery-worker")
        if self.scheduler is not None:
            self.scheduler.start()

    async def stop(self) -> None:
        """Stop claiming, finish the sends in flight and record them, release the lock."""
        self._stop.set()
        if self._task is not None:
            with suppress(asyncio.CancelledError):
                try:
                    await self._task
                except Exception:
                    logger.exception("the delivery worker ended with an error")
        if self.scheduler is not None:
            await self.scheduler.stop()

    async def wait(self) -> None:
        """Until the worker ends (it ends only when stopped or broken)."""
        if self._task is not None:
            await self._task


def backup_jobs(settings: Settings, clock: Clock) -> list[tuple[str, Any, Any]]:
    """Rule 12: backups on two media, nightly (which covers "weekly and at each period's end"),
    and a restore drill every Sunday; both refuse to run without BACKUP_KEY (a warning now and
    each time they are due)."""
    from apscheduler.triggers.cron import CronTrigger

    from storage.backup import BackupError, key_of, run_scheduled_backup, run_scheduled_drill

    try:
        keyed = key_of(settings) is not None
    except BackupError:
        keyed = False
    if not keyed:
        logger.warning(
            "backups are on (BACKUP_DIRS, or beside the database) but BACKUP_KEY is not set "
            "(or is too short): scheduled backups and "
            "restore drills will not run; create a key with `schoolbot backup key new`"
        )

    async def nightly_backup() -> int:
        return len(await run_scheduled_backup(settings))

    async def weekly_drill() -> None:
        await run_scheduled_drill(settings)  # logs its result and records it for the status

    return [
        ("backup", nightly_backup, CronTrigger(hour=2, minute=30, timezone=clock.tz)),
        (
            "backup drill",
            weekly_drill,
            CronTrigger(day_of_week="sun", hour=3, minute=30, timezone=clock.tz),
        ),
    ]


def build_pushes(
    settings: Settings,
    database: Database,
    bots: Mapping[str, Bot],
    clock: Clock,
    *,
    worker: bool = True,
    scheduler: bool = True,
    redis: Any = None,
) -> Pushes:
    owner = new_owner()
    delivery = None
    if worker:
        from bot.push_files import push_files

        delivery = DeliveryWorker(
            DeliveryQueue(database),
            {name: AiogramSender(bot) for name, bot in bots.items()},
            clock,
            worker_settings(settings),
            owner=owner,
            files=push_files(database.uow, clock),
        )
        if isinstance(database.fanout, Fanout):
            database.fanout.on_commit(delivery.wake)
    jobs = None
    if scheduler:
        lock: Lock = RedisLock(redis, owner) if redis is not None else DatabaseLock(database, owner)
        wake = delivery.wake if delivery is not None else (lambda: None)
        extra = []
        from app.archive import archive_jobs
        from storage.backup import backup_dirs

        if backup_dirs(settings):  # on by default (rule 12); BACKUP_DIRS=off turns them off
            extra += backup_jobs(settings, clock) + archive_jobs(settings, database.uow, clock)
        running = settings.messengers or None
        jobs = JobScheduler(Jobs(database.uow, clock, wake, running), lock, clock.tz, extra)
    return Pushes(delivery, jobs)
