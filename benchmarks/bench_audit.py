"""Issue 12's figure: what read auditing costs the diary. A class teacher and the journal
administrator open students' diary screens (marks, attendance, homework) by button, through
the real dispatcher, with read auditing on (noted in memory, written in batches) and off,
interleaved in one run, next to a bare aiogram echo handler; on SQLite.

    .venv/bin/python -m benchmarks.bench_audit
    .venv/bin/python -m benchmarks.bench_audit --control   # both off: the noise floor

Update in → request out, as ``benchmarks.bench_diary`` measures it (``RequestOutSession``).
The batches are written on the same event loop while the diary answers, so their cost is in
the "on" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import time
from datetime import datetime
from typing import Any

from aiogram import Dispatcher

from app.batches import ReadAudit
from app.config import Settings
from app.keyboards import DiaryCb, View
from benchmarks.bench_diary import echo_dispatcher, incoming, timed
from benchmarks.common import demo_school, request_out_bot, summary_ms
from bot.root import build_dispatcher, build_services, settle_heap
from core import model as m
from core.access import SYSTEM
from core.admin import AdminService
from core.audit import Read
from tests.support import TgUser
from tests.support.recording import callback

SAMPLES = 3000
VIEWS = (View.MARKS, View.ATTENDANCE, View.HOMEWORK)


class NoReadAudit(ReadAudit):
    """Read auditing off: nothing noted, nothing written."""

    def note(self, read: Read) -> None:
        return None


def press(data: str, user: TgUser) -> dict[str, Any]:
    """A button pressed, as the Bot API's JSON."""
    return callback(data, user=user).model_dump(mode="json", by_alias=True, exclude_none=True)


async def staff(database) -> tuple[int, int, list[int], list[int]]:
    """The journal admin, a class teacher, her class's students, every student."""
    async with database.uow(readonly=True) as uow:
        admin = next(
            r.staff_id for r in await uow.staff_roles.list_all() if r.role == m.StaffRoleKind.ADMIN
        )
        cls = next(c for c in await uow.classes.list_all() if c.class_teacher_id is not None)
        pupils = [s.id for s in await uow.students.in_class(cls.id)]
        everyone = [s.id for s in await uow.students.list_all() if s.left_on is None]
    return admin, cls.class_teacher_id, pupils, everyone  # type: ignore[return-value]


async def sign_in(services, role: m.PersonRole, person: int, user: TgUser) -> None:
    issued = await services.invites.issue(SYSTEM, role, person)
    await services.invites.redeem("telegram", str(user.id), issued.code)


async def run(control: bool) -> None:
    at = datetime(2026, 11, 18, 16, 30)
    database, clock, summary, load_s, path = await demo_school(at)
    print(
        f"school: {summary.students} students, {summary.marks} marks "
        f"(loaded in {load_s:.1f} s, {path})"
    )
    settings = Settings(_env_file=None, bot_token="42:TEST")
    on = build_services(settings, database.uow, clock=clock)
    if control:
        on = build_services(
            settings, database.uow, clock=clock, read_audit=NoReadAudit(on.read_audit.write)
        )
    off = build_services(
        settings, database.uow, clock=clock, read_audit=NoReadAudit(on.read_audit.write)
    )
    admin_id, teacher_id, pupils, everyone = await staff(database)
    admin, teacher = TgUser(900_001, "Админ"), TgUser(900_002, "Классный")
    await sign_in(on, m.PersonRole.ADMIN, admin_id, admin)
    await sign_in(on, m.PersonRole.CLASS_TEACHER, teacher_id, teacher)
    dispatchers: dict[str, Dispatcher] = {
        "on": build_dispatcher(on),
        "off": build_dispatcher(off),
    }
    bot = request_out_bot()
    rng = random.Random(12)

    def pick() -> dict[str, Any]:
        user, students = (teacher, pupils) if rng.random() < 0.5 else (admin, everyone)
        data = DiaryCb(view=rng.choice(VIEWS), student=rng.choice(students)).pack()
        return press(data, user)

    for dp in dispatchers.values():  # warm-up: caches, compiled statements
        for _ in range(200):
            await dp.feed_raw_update(bot, pick())
    await on.read_audit.flush()
    async with database.uow(readonly=True) as uow:
        before = len(await uow.audit.list_all())
    settle_heap()

    echo = echo_dispatcher()
    echo_samples = [await timed(echo, bot, incoming("привет", teacher)) for _ in range(1000)]
    print(f"  bare echo handler:        {summary_ms(echo_samples)}")
    samples: dict[str, list[float]] = {"on": [], "off": []}
    started = time.perf_counter()
    for _ in range(SAMPLES):
        update = pick()
        for name in rng.sample(["on", "off"], 2):  # the same screen both ways, in random order
            samples[name].append(await timed(dispatchers[name], bot, update))
    elapsed = time.perf_counter() - started
    await on.read_audit.close()
    async with database.uow(readonly=True) as uow:
        written = len(await uow.audit.list_all()) - before
    print(f"  diary, read auditing off: {summary_ms(samples['off'])}")
    print(f"  diary, read auditing on:  {summary_ms(samples['on'])}")
    p50 = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    p99 = {k: sorted(v)[int(len(v) * 0.99)] for k, v in samples.items()}
    print(
        f"  cost of read auditing: p50 {100 * (p50['on'] / p50['off'] - 1):+.1f} %, "
        f"p99 {100 * (p99['on'] / p99['off'] - 1):+.1f} %; {written} reads written "
        f"in {elapsed:.1f} s (one entry per person, screen and student a batch)"
    )
    looked = await AdminService(database.uow, clock).looked(SYSTEM, pupils[0])
    print(f"  «who looked» at one pupil: {len(looked)} entries")
    await bot.session.close()
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--control", action="store_true", help="auditing off on both sides")
    asyncio.run(run(parser.parse_args().control))
