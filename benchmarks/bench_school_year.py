"""Figures for a real school's year: ``python -m benchmarks.bench_school_year``.

On the 1,000-student school of ``bench_admin`` (40 classes, 60 staff, 1,200 timetable lines),
in an empty SQLite database:

1. the lessons of 14 days made from the timetable (time, lessons a second), and the same run
   again (nothing to do);
2. re-making them after a timetable change (half the classes get other teachers from today):
   the whole re-import, which re-makes the lessons in its transaction, and the lessons changed;
3. ``year new`` for the next year (classes up a grade, graduates out, the year closed);
4. the README's "Your school in ten minutes" from an empty database, as the console commands
   a school runs (each a new process, as at a desk), timed one by one and together.
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_admin import TZ, roster_files  # noqa: E402
from core.access import SYSTEM  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.import_apply import ImportService  # noqa: E402
from core.imports import ALIASES  # noqa: E402
from core.school_admin import SchoolAdminService  # noqa: E402
from core.year import YearService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.importers import read_tables  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


async def _count(db: Database) -> int:
    async with db.uow(readonly=True) as uow:
        return len(await uow.lessons.list_all())


async def bench_lessons(folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'year.db'}"
    await upgrade(url)
    db = Database.connect(url)
    clock = FixedClock(NOW, TZ)
    roster, timetable = roster_files(folder)
    imports = ImportService(db.uow, clock)
    assert (await imports.roster(SYSTEM, read_tables(roster, ALIASES), apply=True)).applied
    started = time.perf_counter()
    report = await imports.timetable(SYSTEM, read_tables(timetable, ALIASES), apply=True)
    imported = time.perf_counter() - started
    assert report.applied, report.errors[:3]
    print(
        f"timetable import with its lessons ({report.tally('timetable').added} lines, "
        f"{report.tally('lesson').added} lessons of 21 days): {imported:.2f} s"
    )
    async with db.session() as session:  # the planner alone, on no lessons
        from sqlalchemy import text

        await session.execute(text("DELETE FROM lessons"))
        await session.commit()
    admin = SchoolAdminService(db.uow, clock)
    day = clock.today()
    started = time.perf_counter()
    plan = await admin.make_lessons(SYSTEM, day, day + timedelta(days=13))
    took = time.perf_counter() - started
    print(
        f"lessons of 14 days for 1,000 students (40 classes): {plan.made} made in "
        f"{took:.2f} s, {plan.made / took:.0f} lessons/s"
    )
    started = time.perf_counter()
    again = await admin.make_lessons(SYSTEM, day, day + timedelta(days=13))
    print(
        f"the same again (nothing to do, {again.unchanged} unchanged): "
        f"{time.perf_counter() - started:.2f} s"
    )
    # half the classes get other teachers from today: the А and Б classes of each grade swap
    # theirs, lesson by lesson (no teacher is ever in two places)
    rows = list(csv.reader(timetable[0].open(encoding="utf-8")))
    teacher = {(r[0], r[1], r[2]): r[4] for r in rows[1:]}
    for row in rows[1:]:
        pair = {"А": "Б", "Б": "А"}.get(row[0][-1])
        if pair:
            row[4] = teacher[(row[0][:-1] + pair, row[1], row[2])]
    with timetable[0].open("w", encoding="utf-8", newline="") as fp:
        csv.writer(fp).writerows(rows)
    started = time.perf_counter()
    report = await imports.timetable(SYSTEM, read_tables(timetable, ALIASES), apply=True)
    took = time.perf_counter() - started
    assert report.applied, report.errors[:3]
    lessons = report.tally("lesson")
    print(
        f"re-making after a timetable change ({report.tally('timetable').changed} lines of 20 "
        f"classes with other teachers): re-import {took:.2f} s, lessons changed "
        f"{lessons.changed}, made {lessons.added}, removed {lessons.left}, "
        f"teaching ended {report.tally('teaching').left}"
    )
    clock.set(datetime(2027, 6, 20, 10, 0, tzinfo=TZ))
    calendar = folder / "calendar-2027.csv"
    calendar.write_text(
        "year,period,starts_on,ends_on\n"
        "2027/2028,1,2027-09-01,2027-10-26\n2027/2028,2,2027-11-05,2027-12-28\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    done = await YearService(db.uow, clock).new_year(
        SYSTEM, "2027/2028", read_tables([calendar], ALIASES)
    )
    took = time.perf_counter() - started
    assert done.report.applied, done.report.errors[:3]
    print(
        f"year new 2027/2028: {len(done.classes)} classes up a grade, {done.promoted} students "
        f"with them, {done.graduates} graduates: {took:.2f} s"
    )
    await db.dispose()


def bench_ten_minutes(folder: Path) -> None:
    """The README's path, command by command, from an empty database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'ten.db'}",
        "SCHOOLBOT_NOW": "2026-11-18T10:00:00",
        "DEFAULT_LOCALE": "ru",
        "BOT_USERNAME": "school_bot",
        "BACKUP_DIRS": f"{folder / 'backup-a'},{folder / 'backup-b'}",
        "BACKUP_KEY": "bench-" + "k" * 40,
    }
    examples = ROOT / "examples"
    steps = [
        ["db", "upgrade"],
        ["import", "roster", str(examples / "roster.xlsx")],
        ["import", "timetable", str(examples / "timetable.xlsx")],
        ["status"],
        ["invite", "--role", "admin", "--id", "T-001"],
        ["invites", "--staff", "--out", str(folder / "codes-staff")],
        ["invites", "--class", "7А", "--out", str(folder / "codes-7А")],
        ["lessons", "make"],
    ]
    schoolbot = str(Path(sys.executable).with_name("schoolbot"))
    total = time.perf_counter()
    for step in steps:
        started = time.perf_counter()
        done = subprocess.run(
            [schoolbot, *step], env=env, capture_output=True, text=True, check=False
        )
        took = time.perf_counter() - started
        ok = done.returncode == 0
        print(f"  schoolbot {' '.join(s if '/' not in s else Path(s).name for s in step)}: "
              f"{took:.2f} s{'' if ok else ' FAILED: ' + done.stderr.strip()[-200:]}")  # fmt: skip
    print(f"the ten-minute path, command by command: {time.perf_counter() - total:.1f} s")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await bench_lessons(Path(tmp))
        bench_ten_minutes(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
