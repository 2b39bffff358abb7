"""Figures for the administrator's heavy jobs: ``python benchmarks/bench_admin.py``.

1. Import of a roster of 1,000 students and 2,000 guardians (CSV files) and a weekly timetable
   for 40 classes, into an empty SQLite database (target: 5 s together).
2. Export of one class's journal for the whole year (the demo school, clock at the year's
   end; target: 2 s).
"""

from __future__ import annotations

import asyncio
import csv
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.access import SYSTEM
from core.clock import FixedClock
from core.import_apply import ImportService
from core.imports import ALIASES
from core.reports import ReportService
from storage.db import Database
from storage.demo import load_demo
from storage.exports import journal_xlsx
from storage.importers import read_tables
from storage.migrate import upgrade

TZ = ZoneInfo("Europe/Moscow")


def write(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fp:
        csv.writer(fp).writerows(rows)
    return path


def roster_files(folder: Path) -> tuple[list[Path], list[Path]]:
    classes = [f"{g}{letter}" for g in range(2, 12) for letter in "АБВГ"]  # 40 classes
    staff = [["staff_id", "last_name", "first_name", "roles", "class"]]
    staff += [
        [f"T{i}", f"Учитель{i}", "Анна", "teacher", classes[i] if i < 40 else ""] for i in range(60)
    ]
    students = [["student_id", "class", "last_name", "first_name", "birth_date"]]
    students += [
        [f"S{i}", classes[i % 40], f"Ученик{i}", "Иван", "2014-05-01"] for i in range(1000)
    ]
    guardians = [["guardian_id", "last_name", "first_name", "phone", "students"]]
    guardians += [
        [f"P{i}", f"Родитель{i}", "Ольга", "+7 900 000-00-00", f"S{i // 2}"] for i in range(2000)
    ]
    calendar = [
        ["year", "period", "starts_on", "ends_on"],
        ["2026/2027", 1, "2026-09-01", "2026-10-24"],
        ["2026/2027", 2, "2026-11-05", "2026-12-28"],
    ]
    subjects = ["Математика", "Русский язык", "История", "Физика", "Биология", "Литература"]
    # Clash-free: a slot's teacher is (class index + slot * 7) mod 60, different per class.
    timetable = [["class", "weekday", "slot", "subject", "teacher"]]
    for n, cls in enumerate(classes):
        for day in range(1, 6):
            for slot in range(1, 7):
                teacher = f"T{(n + slot * 7) % 60}"
                timetable.append([cls, day, slot, subjects[(slot + day) % 6], teacher])
    bells = [["slot", "starts_at", "ends_at"]] + [
        [s, f"{7 + s}:30", f"{8 + s}:15"] for s in range(1, 7)
    ]
    roster = [
        write(folder / f"{n}.csv", rows)
        for n, rows in (
            ("calendar", calendar),
            ("staff", staff),
            ("students", students),
            ("guardians", guardians),
        )
    ]
    return roster, [write(folder / "timetable.csv", timetable), write(folder / "bells.csv", bells)]


async def bench_import(folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'import.db'}"
    await upgrade(url)
    db = Database.connect(url)
    clock = FixedClock(datetime(2026, 11, 18, 10, 0, tzinfo=TZ), TZ)
    roster, timetable = roster_files(folder)
    service = ImportService(db.uow, clock)
    started = time.perf_counter()
    report = await service.roster(SYSTEM, read_tables(roster, ALIASES), apply=True)
    middle = time.perf_counter()
    report2 = await service.timetable(SYSTEM, read_tables(timetable, ALIASES), apply=True)
    done = time.perf_counter()
    assert report.applied and report2.applied, (report.errors[:3], report2.errors[:3])
    print(
        f"roster import (1,000 students, 2,000 guardians, 60 staff, 40 classes): "
        f"{middle - started:.2f} s"
    )
    print(
        f"timetable import ({report2.tally('timetable').added} lines, 6 bells): "
        f"{done - middle:.2f} s"
    )
    print(f"together: {done - started:.2f} s (target 5 s)")
    await db.dispose()


async def bench_export(folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'demo.db'}"
    await upgrade(url)
    db = Database.connect(url)
    clock = FixedClock(datetime(2027, 5, 25, 16, 0, tzinfo=TZ), TZ)
    await load_demo(db.uow, clock)
    reports = ReportService(db.uow, clock)
    started = time.perf_counter()
    pages = 0
    for period in (1, 2, 3, 4):
        export = await reports.journal(SYSTEM, "7А", period)
        journal_xlsx(export, lambda s: s)
        pages += len(export.pages)
    elapsed = time.perf_counter() - started
    print(
        f"journal export of 7А for the year (4 periods, {pages} subject sheets): "
        f"{elapsed:.2f} s (target 2 s)"
    )
    took, held = await loop_held_by_bot_export(reports, clock)
    print(
        f"the bot's export of 7А for a quarter: {took * 1000:.0f} ms, of which other updates "
        f"waited at most {held * 1000:.0f} ms (the workbook is written off the event loop)"
    )
    await db.dispose()


async def loop_held_by_bot_export(reports: ReportService, clock: FixedClock) -> tuple[float, float]:
    """What /admin → reports → journal costs everyone else: the longest the event loop went
    without running a 1 ms ticker while the document was made."""
    from bot.root import settle_heap
    from handlers.admin_reports import _build

    class Locale:
        current_locale = "ru"

    worst, done = 0.0, False

    async def ticker() -> None:
        nonlocal worst
        while not done:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - started - 0.001)

    settle_heap()  # as `schoolbot run` does once started
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await _build("jr", SYSTEM, reports, clock, "7А", None, Locale())
    took = time.perf_counter() - started
    done = True
    await task
    return took, worst


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await bench_import(Path(tmp))
        await bench_export(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
