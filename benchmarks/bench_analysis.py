"""The deputy's weekly journal analysis on a big school: ``python -m benchmarks.bench_analysis``.

The demo school at full size (44 classes, ~1,100 students, every lesson, mark and absence of
the second quarter so far), on a Monday morning: the time to read the analysis (per teacher
and per class, ``core.control``) and to write its two-sheet workbook, as the worker does when
it sends the push; the median of a few runs, next to a bare aiogram echo handler in the same
run. Then the preliminary results of every class (the deputy's workbook two weeks before a
period ends).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.admin_files import report_xlsx
from benchmarks.bench_diary import echo_dispatcher, incoming, timed
from benchmarks.common import BIG_SCHOOL, demo_school, request_out_bot, summary_ms
from core.access import SYSTEM
from core.control import ControlReports, last_week
from core.reports import ReportService
from tests.support import TgUser

RUNS = 5
MONDAY = datetime(2026, 12, 14, 8, 0)  # the weekly job's time, two weeks before the quarter ends


async def main() -> None:
    database, clock, summary, load_s, path = await demo_school(MONDAY, BIG_SCHOOL)
    print(
        f"school: {summary.students} students, {summary.lessons} lessons, {summary.marks} marks "
        f"(loaded in {load_s:.1f} s, {path})"
    )
    control = ControlReports(ReportService(database.uow, clock))
    _, sunday = last_week(clock.today())
    read, written, rows = [], [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        analysis = await control.quality(SYSTEM, None, sunday)
        middle = time.perf_counter()
        tables = (analysis.by_teacher, analysis.by_class)
        data = await asyncio.to_thread(report_xlsx, tables, "ru")
        read.append(middle - started)
        written.append(time.perf_counter() - middle)
        rows = len(analysis.by_teacher.rows) + len(analysis.by_class.rows)
    total = [a + b for a, b in zip(read, written, strict=True)]
    print(
        f"weekly analysis ({rows} rows, {len(data) // 1024} KB): "
        f"median {statistics.median(total):.2f} s "
        f"(reading {statistics.median(read):.2f} s, workbook {statistics.median(written):.2f} s; "
        f"n={RUNS})"
    )
    prelim = []
    for _ in range(RUNS):
        started = time.perf_counter()
        table = await control.preliminary(SYSTEM, None, None)
        await asyncio.to_thread(report_xlsx, table, "ru")
        prelim.append(time.perf_counter() - started)
    print(
        f"preliminary results, every class ({len(table.rows)} lines): median "
        f"{statistics.median(prelim):.2f} s (n={RUNS})"
    )
    echo, bot = echo_dispatcher(), request_out_bot()
    samples = [await timed(echo, bot, incoming("привет", TgUser(1, "Ольга"))) for _ in range(300)]
    print(f"  bare echo handler: {summary_ms(samples)}")
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
