"""Writes that need not hold up an answer, gathered in memory and written in batches.

A handler puts an item and goes on; the items waiting are written together in one transaction
``delay`` seconds after the first of them, at once when ``batch`` are waiting, and when the bot
stops. Items put under the same key within one batch are written once (the last one wins).
If the process dies, what waits is lost: at most ``delay`` seconds of items. A failed write is
logged and dropped; it never reaches the user.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar

from core.audit import Read
from core.clock import Clock
from core.ports import UnitOfWorkFactory

T = TypeVar("T")

logger = logging.getLogger(__name__)


class Batcher(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        what: str,
        delay: float = 10.0,
        batch: int = 500,
    ) -> None:
        self.write = write
        self.what = what  # for the log line when a write fails
        self.delay = delay
        self.batch = batch
        self._pending: dict[Hashable, T] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._serial = itertools.count()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def put(self, item: T, key: Hashable | None = None) -> None:
        self._pending[next(self._serial) if key is None else key] = item
        if len(self._pending) >= self.batch:
            self._spawn()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._spawn)

    def _spawn(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Write what is waiting now; also called when the bot stops."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._pending = list(self._pending.values()), {}
        if not items:
            return
        try:
            await self.write(items)
        except Exception:  # a lost batch must never spoil anything else
            logger.warning("could not write %d %s", len(items), self.what, exc_info=True)

    async def close(self) -> None:
        await self.flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class ReadAudit(Batcher[Read]):
    """Staff's reads of someone's data for the audit log (``core.audit.ReadLog``). The same
    person reading the same screen of the same student twice within one batch is one entry."""

    def __init__(
        self,
        write: Callable[[list[Read]], Awaitable[None]],
        delay: float = 5.0,
        batch: int = 500,
    ) -> None:
        super().__init__(write, "reads for the audit log", delay, batch)

    def note(self, read: Read) -> None:
        self.put(read, read[1:])  # all but the time: the latest look of a batch is kept


def seen_writer(
    record: Callable[[dict[int, datetime]], Awaitable[None]],
) -> Callable[[list[tuple[int, datetime]]], Awaitable[None]]:
    async def write(items: list[tuple[int, datetime]]) -> None:
        await record(dict(items))

    return write


def console_reads(uow: UnitOfWorkFactory, clock: Clock) -> ReadAudit:
    """The reads of one console command: closed (written) before the command ends."""
    from core.admin import AdminService

    return ReadAudit(AdminService(uow, clock).record_reads)
