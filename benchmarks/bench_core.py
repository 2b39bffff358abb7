"""Issue 2's figures: loading the demo school, and a student's period-marks query.

.venv/bin/python -m benchmarks.bench_core
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from datetime import datetime

from benchmarks.common import TZ, demo_school, summary_ms
from core.access import Viewer
from core.diary import DiaryService

CALLS = 1000


async def main() -> None:
    database, clock, summary, load_s, path = await demo_school(datetime(2026, 11, 18, 16, 30))
    print(f"demo school: loaded in {load_s:.2f} s into {path}")
    print(
        f"  {summary.classes} classes, {summary.students} students, {summary.guardians} guardians, "
        f"{summary.staff} staff, {summary.lessons} lessons, {summary.marks} marks, "
        f"{summary.absences} absences, {summary.homework} homework, {summary.finals} period marks"
    )
    async with database.uow(readonly=True) as uow:
        students = [s for s in await uow.students.list_all() if s.left_on is None]
        year = await uow.years.containing(clock.today())
        periods = await uow.periods.for_year(year.id)
    current = next(p for p in periods if p.contains(clock.today()))
    rng = random.Random(1)
    picks = [rng.choice(students) for _ in range(CALLS)]

    # The repository query alone: one student's current marks for the period.
    samples = []
    for s in picks:
        started = time.perf_counter()
        async with database.uow(readonly=True) as uow:
            await uow.marks.for_student(s.id, current.starts_on, current.ends_on)
        samples.append(time.perf_counter() - started)
    print(f"marks query (one unit of work, one SELECT): {summary_ms(samples)}")

    # The whole use case: access check, marks by subject, weighted averages and forecasts,
    # as the guardian of that student asks for it.
    diary = DiaryService(database.uow, clock)
    samples = []
    for s in picks:
        viewer = Viewer(account_id=1, student_id=s.id)
        started = time.perf_counter()
        await diary.period_marks(viewer, s.id)
        samples.append(time.perf_counter() - started)
    print(f"DiaryService.period_marks (averages + forecasts): {summary_ms(samples)}")
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)  # the school file was ours alone
    _ = TZ, time


if __name__ == "__main__":
    asyncio.run(main())
