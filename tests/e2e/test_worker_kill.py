"""A real `schoolbot worker` process, killed with SIGKILL while sends are in flight, then a
worker started again: nothing is lost and nothing is sent twice."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.telegram.sender import AiogramSender
from core import model as m
from core.clock import FixedClock
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue
from storage.migrate import upgrade
from storage.tables import deliveries
from tests.e2e.test_diary_e2e import env_for, schoolbot
from tests.support import FakeBotAPI
from tests.support.fake_api import ApiError

pytestmark = pytest.mark.e2e
PUSHES = 150
FIRST_CHAT = 40_000
NOW = "2026-11-18T10:00:00"


class HoldingAPI(FakeBotAPI):
    """Holds every sendMessage from the ``hold_from``-th on, unanswered and undelivered, until
    released: the requests a worker has in flight when it is killed."""

    def __init__(self, hold_from: int) -> None:
        super().__init__()
        self.hold_from: int | None = hold_from
        self.seen = 0
        self.held = 0
        self.holding = asyncio.Event()  # a few sends are in flight and held
        self.release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() == "sendmessage" and self.hold_from is not None:
            self.seen += 1
            if self.seen >= self.hold_from:
                self.held += 1
                if self.held >= 3:
                    self.holding.set()
                await self.release.wait()
                return web.json_response(ApiError(502).body(), status=502)
        return await super()._handle(request)

    def delivered(self) -> Counter[int]:
        return Counter(int(r.chat_id) for r in self.calls("sendMessage") if r.ok)


async def add_notices(database: Database, count: int, first_chat: int, now: datetime) -> None:
    """``count`` pending pushes, one per account of chats ``first_chat``, ``first_chat + 1``,
    ... (staff notices: no link to check)."""
    async with database.uow() as uow:
        accounts = [
            m.Account("telegram", str(first_chat + i), now, quiet_from=None, quiet_to=None)
            for i in range(count)
        ]
        await uow.accounts.add_all(accounts)
        payload = json.dumps({"class": "7А", "items": [["Иванов Пётр", "2026-11-16", "М"]]})
        await uow.deliveries.add_all(
            [m.Delivery(a.id, "reconcile", payload, now, now) for a in accounts]  # type: ignore[arg-type]
        )
        await uow.commit()


async def _queue(url: str) -> None:
    await upgrade(url)
    database = Database.connect(url)
    try:
        now = datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo("Europe/Moscow"))
        await add_notices(database, PUSHES, FIRST_CHAT, now)
    finally:
        await database.dispose()


async def _statuses(url: str) -> Counter[str]:
    database = Database.connect(url)
    try:
        async with database.session(readonly=True) as session:
            rows = (await session.execute(select(deliveries.c.status))).scalars().all()
    finally:
        await database.dispose()
    return Counter(str(s) for s in rows)


async def _until(condition, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Until another process has written something: its database cannot be awaited, only
    looked at."""
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - another process's database
            await asyncio.sleep(0.02)


async def test_kill_9_mid_broadcast_then_restart_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'school.db'}"
    await _queue(url)
    async with HoldingAPI(hold_from=60) as api:
        api.enforce_limits(global_per_second=100, per_chat_per_second=1)
        env = env_for(url, api, SCHOOLBOT_NOW=NOW, DELIVERY_LEASE_SECONDS="3", DELIVERY_RATE="90")
        first = await schoolbot("worker", env=env)
        try:
            async with asyncio.timeout(30):
                await api.holding.wait()

            # every send that got through is recorded; several more are in flight
            async def recorded() -> bool:
                return (await _statuses(url))["sent"] == sum(api.delivered().values())

            await _until(recorded, 10)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        assert first.returncode == -signal.SIGKILL and api.held >= 3
        before = await _statuses(url)
        assert before["sent"] == 59 and before["pending"] == PUSHES - 59
        api.hold_from = None
        api.release.set()

        # the restart: a worker in this process (starting another interpreter costs seconds)
        database = Database.connect(url)
        bot = api.bot()
        restarted = DeliveryWorker(
            DeliveryQueue(database),
            {"telegram": AiogramSender(bot)},
            FixedClock(datetime.fromisoformat(NOW), ZoneInfo("Europe/Moscow")),
            WorkerSettings(lease=3, rate=90),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(restarted.run(stop))
        try:
            # the dead worker's leases run out first, then its rows are taken again
            await restarted.wait_for(lambda s: s["sent"] >= PUSHES - 59, seconds=30)
        finally:
            stop.set()
            await task
            await bot.session.close()
            await database.dispose()
        assert (await _statuses(url))["sent"] == PUSHES
    delivered = api.delivered()
    assert set(delivered) == {FIRST_CHAT + i for i in range(PUSHES)}  # nothing lost
    assert set(delivered.values()) == {1}  # nothing twice
    assert api.throttled == 0
