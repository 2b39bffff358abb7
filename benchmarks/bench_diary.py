"""Issue 3's figures: processing time per update (update in → request out, in-process) for
/marks, /homework and /timetable, next to a bare aiogram echo handler in the same run, and
diary requests a second in one process, on SQLite.

    .venv/bin/python -m benchmarks.bench_diary            # the demo school
    .venv/bin/python -m benchmarks.bench_diary --big      # ~1,100 students, a full year

Each update comes in as the Bot API's JSON (``feed_raw_update``, as a webhook's body does) and
goes through the real dispatcher, middlewares and routers; the bot's session builds each
request as aiogram's aiohttp session does and stops there (``RequestOutSession``), so what is
measured is our processing up to the request going out, not the network or Telegram's reply.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
import time
from datetime import datetime
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.types import Message

from app.config import Settings
from benchmarks.common import BIG_SCHOOL, demo_school, request_out_bot, summary_ms
from bot.root import build_dispatcher, build_services, settle_heap
from core import model as m
from core.access import SYSTEM
from tests.support import TgUser, private_message

COMMANDS = ("/marks", "/homework", "/timetable")
PER_COMMAND = 1000
GUARDIANS = 200
CONCURRENCY = 16


async def link_guardians(services, database, count: int) -> list[TgUser]:
    async with database.uow(readonly=True) as uow:
        guardians = [g for g in await uow.guardians.list_all()][:count]
    users = []
    for n, guardian in enumerate(guardians):
        issued = await services.invites.issue(SYSTEM, m.PersonRole.GUARDIAN, guardian.id)
        user = TgUser(500_000 + n, guardian.first_name)
        await services.invites.redeem("telegram", str(user.id), issued.code)
        viewer = await services.accounts.viewer_for("telegram", str(user.id), True)
        await services.accounts.give_consent(viewer)
        users.append(user)
    return users


def incoming(text: str, user: TgUser) -> dict[str, Any]:
    """An update as it arrives: the Bot API's JSON (a webhook's body, an item of getUpdates)."""
    return private_message(text, user=user).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )


async def timed(dp: Dispatcher, bot, update: dict[str, Any]) -> float:
    started = time.perf_counter()
    await dp.feed_raw_update(bot, update)  # parsed here, as aiogram parses a webhook's body
    return time.perf_counter() - started


def echo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


class ErrorCount(logging.Handler):
    """Counts what the error handler logs: a benchmark of failing updates measures nothing."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def run(big: bool) -> None:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    if big:
        at = datetime(2027, 5, 20, 16, 30)  # a full year of marks
        database, clock, summary, load_s, path = await demo_school(at, BIG_SCHOOL)
    else:
        at = datetime(2026, 11, 18, 16, 30)
        database, clock, summary, load_s, path = await demo_school(at)
    print(
        f"school: {summary.students} students, {summary.guardians} guardians, "
        f"{summary.lessons} lessons, {summary.marks} marks (loaded in {load_s:.1f} s, {path})"
    )
    settings = Settings(_env_file=None, bot_token="42:TEST")
    services = build_services(settings, database.uow, clock=clock)
    users = await link_guardians(services, database, GUARDIANS)
    dp = build_dispatcher(services)
    bot = request_out_bot()
    echo = echo_dispatcher()
    rng = random.Random(7)

    for user in users[:20]:  # warm-up: caches, compiled statements
        for command in COMMANDS:
            await dp.feed_raw_update(bot, incoming(command, user))
    settle_heap()  # as `schoolbot run` does once started

    echo_samples = [
        await timed(echo, bot, incoming("привет", rng.choice(users))) for _ in range(PER_COMMAND)
    ]
    print(f"  bare echo handler: {summary_ms(echo_samples)}")
    # The three commands interleaved, from random guardians: a guardian's first request in
    # the run also loads their viewer and their child from the database, as a parent's first
    # request of the evening does; those are reported again on their own line.
    samples: dict[str, list[float]] = {command: [] for command in COMMANDS}
    first: list[float] = []
    asked = {user.id for user in users[:20]}
    for _ in range(PER_COMMAND * len(COMMANDS)):
        command, user = rng.choice(COMMANDS), rng.choice(users)
        took = await timed(dp, bot, incoming(command, user))
        samples[command].append(took)
        if user.id not in asked:
            asked.add(user.id)
            first.append(took)
    for command in COMMANDS:
        print(f"  {command:<11} {summary_ms(samples[command])}")
    print(f"  of which a guardian's first request: {summary_ms(first)}")

    # Throughput: many guardians at once, one process.
    updates = [incoming(rng.choice(COMMANDS), rng.choice(users)) for _ in range(6000)]
    queue: asyncio.Queue = asyncio.Queue()
    for u in updates:
        queue.put_nowait(u)

    async def worker() -> None:
        while not queue.empty():
            await dp.feed_raw_update(bot, queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    print(
        f"  throughput: {len(updates)} diary requests in {elapsed:.2f} s = "
        f"{len(updates) / elapsed:.0f} requests/s ({CONCURRENCY} at a time)"
    )
    # The reader runs on the event loop (storage/sqlite_inloop.py): the heaviest read an
    # administrator asks for holds the loop this long (the journal of one class for a period,
    # every subject, read and put together; its spreadsheet is built afterwards).
    longest = 0.0
    for period in (1, 2):
        started = time.perf_counter()
        await services.reports.journal(SYSTEM, "7А", period)
        longest = max(longest, time.perf_counter() - started)
    print(f"  longest read on the loop, the journal of 7А for a quarter: {longest * 1000:.0f} ms")
    print(f"  requests out: {bot.session.sent}; errors logged: {errors.count}")
    await bot.session.close()
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)  # the school file was ours alone


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="a 1,100-student school, full year")
    asyncio.run(run(parser.parse_args().big))
