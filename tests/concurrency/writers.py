"""Many teachers writing at once into a school that came in through its own files.

``prepare`` makes a week of lessons, signs the teachers in and plans distinct writes, each a
teacher's own, as the journal takes them: an absence in today's lesson, a written work's mark
in a lesson of the last days, homework for a lesson ahead. ``run_writers`` does a list of them
at once through ``core.journal.JournalService`` (each its own unit of work, with its events
and pushes), ``missing`` says which of them are not in the database afterwards.

Run as a program (``python -m tests.concurrency.writers URL PLAN.json PROCESS``) it is one
of several processes writing into the same SQLite file: it opens its own ``Database``, says
``ready``, waits for ``go`` on its standard input, does the plan's writes of its process and
prints one JSON line of what happened.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from itertools import zip_longest
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.access import SYSTEM, Viewer
from core.accounts import AccountService
from core.clock import FixedClock
from core.journal import JournalService, lesson_roster
from core.model import AttendanceKind, MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from storage.db import Database

if TYPE_CHECKING:  # a writing process imports no bot: it starts in a fraction of a second
    from tests.support.school import ImportedSchool

TZ = ZoneInfo("Europe/Moscow")  # the school's, as in tests.support.school

# Thursday 3 December 2026, after the fifth lesson began (12:30) and before the homework of
# the day closes (two hours after the last lesson).
NOW = datetime(2026, 12, 3, 13, 20, tzinfo=TZ)
TODAY = NOW.date()
PAST = (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2))  # written works: 5 days
AHEAD = (date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8))  # homework in advance
TEACHERS = {f"T-00{n}": 8100 + n for n in range(3, 9)}  # the school's id: Telegram's
MOTHER = 8201  # U-101
VALUES = (MarkValue.FIVE, MarkValue.FOUR, MarkValue.THREE)


@dataclass(frozen=True)
class Job:
    """One write by one teacher: ``absence``, ``mark`` or ``homework``."""

    kind: str
    teacher: int  # the teacher's Telegram id
    lesson: int
    student: int = 0
    work_type: int = 0
    value: str = ""
    text: str = ""


async def prepare(school: ImportedSchool) -> list[Job]:
    """Lessons from Monday to next Tuesday, the teachers signed in, and every write planned,
    the kinds taking turns (absence, homework, mark, ...)."""
    from tests.support.recording import TgUser

    school.clock.set(NOW)
    admin = SchoolAdminService(school.database.uow, school.clock)
    await admin.make_lessons(SYSTEM, PAST[0], AHEAD[-1])
    by_staff: dict[int, int] = {}
    for code, tg in TEACHERS.items():
        await school.link(TgUser(tg, f"Учитель {code}"), PersonRole.TEACHER, code)
        by_staff[await school.person_id(PersonRole.STAFF, code)] = tg
    # a mother of two, who hears of her children's absences and marks
    await school.link(TgUser(MOTHER, "Ольга"), PersonRole.GUARDIAN, "U-101")
    absences: list[Job] = []
    marks: list[Job] = []
    homework: list[Job] = []
    async with school.database.uow(readonly=True) as uow:
        (only,) = await uow.schools.list_all()
        written = [w.id for w in await uow.work_types.for_school(only.id) if w.written]
        for lesson in sorted(await uow.lessons.between(PAST[0], AHEAD[-1]), key=_place):
            teacher = by_staff[lesson.conducted_by]
            assert lesson.id is not None
            if lesson.day in AHEAD:
                text = f"§{lesson.id}: упражнения 1–5"
                homework.append(Job("homework", teacher, lesson.id, text=text))
                continue
            roster = [s.id for s in await lesson_roster(uow, lesson) if s.id is not None]
            if lesson.day == TODAY:
                absences += [Job("absence", teacher, lesson.id, student) for student in roster]
            elif lesson.day in PAST:
                marks += [
                    Job(
                        "mark",
                        teacher,
                        lesson.id,
                        student,
                        kind,
                        VALUES[(student + kind) % 3].value,
                    )
                    for kind in written
                    for student in roster
                ]
    turns = zip_longest(absences, homework, marks[: len(marks) // 3], marks[len(marks) // 3 :])
    return [job for turn in turns for job in turn if job is not None]


def _place(lesson: Any) -> tuple[date, int, int, int]:
    return (lesson.day, lesson.slot, lesson.class_id, lesson.subgroup_id or 0)


async def viewers(database: Database, clock: FixedClock, jobs: list[Job]) -> dict[int, Viewer]:
    accounts = AccountService(database.uow, clock)
    return {
        tg: await accounts.viewer_for("telegram", str(tg), private=True)
        for tg in sorted({job.teacher for job in jobs})
    }


async def write(journal: JournalService, viewer: Viewer, job: Job) -> None:
    if job.kind == "absence":
        await journal.set_attendance(viewer, job.lesson, job.student, AttendanceKind.ABSENT)
    elif job.kind == "mark":
        value = MarkValue(job.value)
        await journal.give_mark(viewer, job.lesson, job.student, value, job.work_type)
    else:
        await journal.set_homework(viewer, job.lesson, job.text)


@dataclass
class Outcome:
    """What a crowd of writers did: how many wrote, what failed, how long it took."""

    writers: int
    done: int
    errors: list[str]
    locked: int  # errors that say «database is locked», in whatever form
    seconds: float
    slowest: float  # the longest single write, waiting included


async def run_writers(
    database: Database, clock: FixedClock, jobs: list[Job], readers: int = 0
) -> Outcome:
    """All ``jobs`` at once, each in its own task and unit of work, with ``readers`` roll
    calls read meanwhile; no write is retried."""
    journal = JournalService(database.uow, clock)
    who = await viewers(database, clock, jobs)
    slowest = 0.0

    async def one(job: Job) -> None:
        nonlocal slowest
        started = time.perf_counter()
        await write(journal, who[job.teacher], job)
        slowest = max(slowest, time.perf_counter() - started)

    async def read(job: Job) -> None:
        roll = await journal.roll_call(who[job.teacher], job.lesson)
        assert roll is not None

    reads = [read(jobs[i % len(jobs)]) for i in range(readers)]
    started = time.perf_counter()
    results = await asyncio.gather(*(one(job) for job in jobs), *reads, return_exceptions=True)
    seconds = time.perf_counter() - started
    errors = [f"{type(r).__name__}: {r!r} (cause {r.__cause__!r})" for r in results if r]
    return Outcome(
        writers=len(jobs),
        done=sum(1 for r in results[: len(jobs)] if r is None),
        errors=errors,
        locked=sum("locked" in e.lower() or "Busy" in e for e in errors),
        seconds=seconds,
        slowest=slowest,
    )


async def missing(database: Database, jobs: list[Job]) -> list[Job]:
    """The planned writes that are not in the database."""
    absent: list[Job] = []
    async with database.uow(readonly=True) as uow:
        for job in jobs:
            if job.kind == "absence":
                record = await uow.attendance.find(job.lesson, job.student)
                ok = record is not None and record.kind == AttendanceKind.ABSENT
            elif job.kind == "mark":
                ok = any(
                    (x.student_id, x.work_type_id, x.value.value, x.superseded_at)
                    == (job.student, job.work_type, job.value, None)
                    for x in await uow.marks.for_lesson(job.lesson)
                )
            else:
                homework = await uow.homework.for_lesson(job.lesson)
                ok = homework is not None and homework.text == job.text
            if not ok:
                absent.append(job)
    return absent


def save_plan(jobs: list[Job]) -> str:
    return json.dumps([asdict(job) for job in jobs], ensure_ascii=False)


async def _process(url: str, plan: str, index: int, processes: int) -> dict[str, Any]:
    from notifications.fanout import Fanout, Windows

    jobs = [Job(**row) for row in json.loads(plan)][index::processes]
    clock = FixedClock(NOW, TZ)
    database = Database.connect(url, fanout=Fanout(clock, Windows(0, 0, 0, 0, 0, 0)))
    try:
        await viewers(database, clock, jobs)  # connected and warm before the start
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        began = time.time()
        outcome = asdict(await run_writers(database, clock, jobs))
        return {**outcome, "began": began, "ended": time.time()}
    finally:
        await database.dispose()


if __name__ == "__main__":
    url, plan_file, index, processes = sys.argv[1:5]
    with open(plan_file, encoding="utf-8") as f:
        plan = f.read()
    result = asyncio.run(_process(url, plan, int(index), int(processes)))
    print(json.dumps(result, ensure_ascii=False), flush=True)
