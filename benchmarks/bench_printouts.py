"""Issue 14's figure for paper diaries (rule 8): a 30-student class printed ``--all``, as for a
parents' meeting, over a realistic fortnight of marks, absences, remarks and homework.

    .venv/bin/python -m benchmarks.bench_printouts

The class is the demo's 7А (lessons, marks, absences, remarks and homework up to a Thursday in
the second quarter) topped up to 30 students, each newcomer with the journal of a classmate
(the same lessons, their own rows). Timed over a few runs, the median: gathering the facts
(the core, one read-only unit of work), drawing the PDF (fpdf2), and the whole press — gather,
draw off the loop, log one row per student — as the console and the button run it. Next to it,
a bare aiogram echo handler on the same machine, the yardstick of the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path

from app.paper_diary import printout_pdf
from benchmarks.bench_diary import echo_dispatcher, incoming, timed
from benchmarks.common import demo_school, request_out_bot, summary_ms
from core.access import CONSOLE
from core.printouts import PrintoutService, fortnight
from locales import translations
from storage.db import Database
from tests.support import TgUser

CLASS = "7А"
STUDENTS = 30
RUNS = 5


async def _top_up(database: Database, today) -> int:  # type: ignore[no-untyped-def]
    """7А up to 30 students; each newcomer copies a classmate's marks, absences and remarks."""
    start, end = fortnight(today)
    async with database.uow() as uow:
        cls = next(c for c in await uow.classes.list_all() if c.name == CLASS)
        students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
        for n in range(STUDENTS - len(students)):
            source = students[n % len(students)]
            fresh = dataclasses.replace(source, first_name=f"Новичок{n + 1}", id=None)
            await uow.students.add(fresh)
            since = min(start, today.replace(month=11, day=5))
            marks = await uow.marks.for_students([source.id], since, end)  # type: ignore[list-item]
            await uow.marks.add_all(
                [dataclasses.replace(m, id=None, student_id=fresh.id) for m in marks]
            )
            absences = [
                r
                for r in await uow.attendance.for_class(cls.id, start, end)  # type: ignore[arg-type]
                if r.student_id == source.id
            ]
            await uow.attendance.add_all(
                [dataclasses.replace(r, id=None, student_id=fresh.id) for r in absences]
            )
            remarks = await uow.remarks.for_student(source.id, start, end)  # type: ignore[arg-type]
            await uow.remarks.add_all(
                [dataclasses.replace(r, id=None, student_id=fresh.id) for r in remarks]
            )
        await uow.commit()
        return len(await uow.students.in_class(cls.id, on=today))  # type: ignore[arg-type]


async def run(folder: Path) -> None:
    database, clock, _summary, load_s, _path = await demo_school(
        datetime(2026, 12, 3, 16, 0), [(7, "А"), (7, "Б")], folder
    )
    today = clock.today()
    size = await _top_up(database, today)
    service = PrintoutService(database.uow, clock)
    render = partial(printout_pdf, _=translations("ru").gettext, locale="ru")
    facts = await service.gather(CONSOLE, CLASS, everyone=True)
    items = [
        (
            sum(len(s.marks) for s in p.subjects),
            len(p.absences),
            len(p.remarks),
            len(p.homework),
        )
        for p in facts.students
    ]
    print(
        f"class {CLASS}: {size} students (demo loaded in {load_s:.1f} s); the fortnight "
        f"{facts.starts_on:%d.%m}–{facts.ends_on:%d.%m}: {sum(i[0] for i in items)} marks, "
        f"{sum(i[1] for i in items)} absences and lateness, {sum(i[2] for i in items)} remarks, "
        f"{sum(i[3] for i in items)} homework lines for the coming week"
    )

    gather, draw, whole = [], [], []
    pages = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        facts = await service.gather(CONSOLE, CLASS, everyone=True)
        gather.append(time.perf_counter() - started)
        started = time.perf_counter()
        content, by_student = render(facts)
        draw.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = await service.print_class(CONSOLE, CLASS, render, everyone=True)
        whole.append(time.perf_counter() - started)
        pages = done.pages
        assert pages == sum(by_student.values())
    print(
        f"--all: {pages} pages for {len(facts.students)} students, "
        f"{len(content) / 1e3:.0f} kB PDF; median of {RUNS} runs: gather "
        f"{statistics.median(gather) * 1000:.0f} ms, draw the PDF "
        f"{statistics.median(draw) * 1000:.0f} ms, the whole press (gather, draw, log) "
        f"{statistics.median(whole) * 1000:.0f} ms"
    )
    async with database.uow(readonly=True) as uow:
        logged = len(await uow.printouts.list_all())
    print(f"printouts logged: {logged} rows ({RUNS} presses x {len(facts.students)} students)")
    await database.dispose()

    echo, bot = echo_dispatcher(), request_out_bot()
    samples = [await timed(echo, bot, incoming("привет", TgUser(1, "Ольга"))) for _ in range(300)]
    print(f"  bare echo handler: {summary_ms(samples)}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="schoolbot-bench-printouts-") as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
