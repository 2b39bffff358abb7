"""Issue 4's figures: the actions a roll call takes, and the processing time per teacher tap
(update in → requests out, in-process) on the demo school in a SQLite file, during a
Wednesday's second lesson.

    .venv/bin/python -m benchmarks.bench_teacher               # as `schoolbot run`: with pushes
    .venv/bin/python -m benchmarks.bench_teacher --no-pushes   # without the push fan-out

Every linked teacher opens /today and each of today's lessons, taps names (present → absent →
late → present), taps «all present», sends /att and gives marks. Updates go through the real
dispatcher, middlewares and routers with the real services; the bot's session records requests
instead of sending them, so what is measured is our processing, not the network. As in
`schoolbot run`, each write also fans its events out to the parents' pushes in its transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from collections import defaultdict
from datetime import datetime

from aiogram import Dispatcher, Router
from aiogram.types import Message, Update

from app.config import Settings
from app.keyboards import LessonCb, MarkCb, RollCb
from benchmarks.common import demo_school, summary_ms
from bot.root import build_dispatcher, build_services
from core import model as m
from core.access import SYSTEM
from notifications.fanout import Fanout
from storage.db import Database
from tests.support import TgUser, callback, make_bot, private_message

AT = datetime(2026, 11, 18, 9, 40)  # Wednesday, lesson 2 (09:25-10:10) is on
NAMES = 6  # names tapped per lesson, each round present → absent → late → present


async def timed(dp: Dispatcher, bot, update: Update, samples: list[float]) -> None:
    started = time.perf_counter()
    await dp.feed_update(bot, update)
    samples.append(time.perf_counter() - started)


async def link_teachers(services, database) -> list[tuple[TgUser, int]]:
    """Every teacher with a lesson today, linked through a real invite code."""
    today = services.clock.today()
    async with database.uow(readonly=True) as uow:
        staff_ids = sorted(
            {
                x.conducted_by
                for x in await uow.lessons.list_all()
                if x.day == today and x.status == m.LessonStatus.PLANNED
            }
        )
    users = []
    for n, staff_id in enumerate(staff_ids):
        issued = await services.invites.issue(SYSTEM, m.PersonRole.TEACHER, staff_id)
        user = TgUser(600_000 + n, "Учитель")
        await services.invites.redeem("telegram", str(user.id), issued.code)
        users.append((user, staff_id))
    return users


def echo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def run(pushes: bool) -> None:
    loaded, clock, summary, load_s, path = await demo_school(AT)
    await loaded.dispose()
    print(
        f"school: {summary.students} students, {summary.lessons} lessons, {summary.marks} marks "
        f"(loaded in {load_s:.1f} s, {path}); pushes fanned out: {'yes' if pushes else 'no'}"
    )
    database = Database.connect(loaded.url, fanout=Fanout(clock) if pushes else None)
    settings = Settings(_env_file=None, bot_token="42:TEST")
    services = build_services(settings, database.uow, clock=clock)
    teachers = await link_teachers(services, database)
    dp = build_dispatcher(services)
    bot = make_bot()
    samples: dict[str, list[float]] = defaultdict(list)
    echo = echo_dispatcher()
    for _ in range(300):
        await timed(echo, bot, private_message("привет", user=teachers[0][0]), samples["echo"])
    biggest = 0
    taps = 0

    for user, _staff_id in teachers:
        viewer = await services.viewers.get("telegram", str(user.id), True)
        day = await services.teacher.my_day(viewer)
        await timed(dp, bot, private_message("/today", user=user), samples["/today"])
        for item in day.lessons:
            if item.cancelled:
                continue
            await timed(dp, bot, callback(LessonCb(lesson=item.id).pack(), user), samples["card"])
            card = await services.teacher.card(viewer, item.id)
            biggest = max(biggest, len(card.lines))
            for line in card.lines[:NAMES]:
                for _step in range(3):  # absent, late, present again
                    data = RollCb(lesson=item.id, student=line.student.id).pack()
                    await timed(dp, bot, callback(data, user), samples["roll-call tap"])
                    taps += 1
            data = RollCb(lesson=item.id, student=0).pack()
            await timed(dp, bot, callback(data, user), samples["all present"])
            if item.grade > 1 and card.lines:
                wt = card.work_types[0].id
                for line in card.lines[:5]:
                    data = MarkCb(lesson=item.id, wt=wt, student=line.student.id).pack()
                    await timed(dp, bot, callback(data, user), samples["mark: student"])
                    data = MarkCb(lesson=item.id, wt=wt, student=line.student.id, value="5").pack()
                    await timed(dp, bot, callback(data, user), samples["mark: value"])
            if card.lines:
                names = " ".join(x.student.last_name for x in card.lines[:2])
                text = f"/att {item.class_name} {names}"
                await timed(dp, bot, private_message(text, user=user), samples["/att"])

    updates = sum(len(v) for k, v in samples.items() if k != "echo")
    print(
        f"{len(teachers)} teachers, {updates} updates, "
        f"{taps} roll-call taps; the largest list had {biggest} students"
    )
    print(
        "actions for a roll call with 2 absent: 4 (/today or the menu, the lesson, two names), "
        "whatever the size of the class; /att: 1"
    )
    names = ("roll-call tap", "all present", "card", "/today", "mark: student", "mark: value")
    for name in (*names, "/att", "echo"):
        label = "bare echo" if name == "echo" else name
        print(f"  {label:<14} {summary_ms(samples[name])}")
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)  # the school file was ours alone


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-pushes", action="store_true", help="writes without the fan-out")
    asyncio.run(run(pushes=not parser.parse_args().no_pushes))
