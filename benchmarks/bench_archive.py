"""Issue 14's figure for the archive: the year's close on the 1,000-student school.

    .venv/bin/python -m benchmarks.bench_archive

The school is the demo's big one (``benchmarks.common.BIG_SCHOOL``: a year of lessons, marks,
absences and period marks) in a SQLite file, with two archive places. Timed once each, as the
console and the nightly job run them:

1. the periods' closes: the journals of every class for each period, in both places;
2. the year's close (``year new``): every class's summary sheet as XLSX and PDF, in both
   places;
3. ``archive verify``: every file of both places read against the register.

Next to them, a bare aiogram echo handler on the same machine, the yardstick of the others.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

from app.archive import Archiver
from app.config import Settings
from benchmarks.bench_diary import echo_dispatcher, incoming, timed
from benchmarks.common import BIG_SCHOOL, TZ, demo_school, request_out_bot, summary_ms
from core.access import SYSTEM
from core.imports import ALIASES
from core.school_admin import SchoolAdminService
from core.year import YearService
from storage.archive import archive_dirs, verify
from storage.importers import read_tables
from tests.school.test_year_turnover import calendar_file
from tests.support import TgUser


def _size(entries: list) -> tuple[int, int]:  # type: ignore[type-arg]
    return len({e.file for e in entries}), sum(e.size for e in entries)


def _took(started: tuple[float, float]) -> str:
    """Wall time, and the process's CPU time (the machine may be busy with other work)."""
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    return f"{wall:.1f} s (CPU {cpu:.1f} s)"


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


async def run(folder: Path) -> None:
    database, clock, summary, load_s, path = await demo_school(
        datetime(2027, 5, 31, 16, 0), BIG_SCHOOL, folder
    )
    print(
        f"school: {summary.students} students, {summary.marks} marks, database "
        f"{path.stat().st_size / 1e6:.1f} MB (loaded in {load_s:.1f} s)"
    )
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        backup_dirs=f"{folder / 'a'},{folder / 'b'}",
    )
    archiver = Archiver(database.uow, clock)
    admin = SchoolAdminService(database.uow, clock)
    async with database.uow(readonly=True) as uow:
        year = await uow.years.containing(clock.today())
        periods = await uow.periods.for_year(year.id)  # type: ignore[union-attr, arg-type]
        classes = len(await uow.classes.for_year(year.id))  # type: ignore[union-attr, arg-type]
    for period in periods:  # the demo's are over by June; those still open close now
        if not period.closed:
            await admin.close_period(SYSTEM, period.id)  # type: ignore[arg-type]
    started = _now()
    written = await archiver.catch_up(settings)
    files, size = _size(written)
    print(
        f"the periods' closes ({len(periods)} periods, {classes} classes): {files} journals x 2 "
        f"places in {_took(started)}, {size / 2 / 1e6:.1f} MB a place"
    )

    clock.set(datetime(2027, 6, 20, 10, 0, tzinfo=TZ))
    calendar = calendar_file(folder)
    done = await YearService(database.uow, clock).new_year(
        SYSTEM, "2027/2028", read_tables([calendar], ALIASES)
    )
    assert done.report.applied, done.report.errors[:3]
    started = _now()
    written = await archiver.catch_up(settings)
    files, size = _size(written)
    sheets = len({e.class_name for e in written if e.kind == "summary"})
    print(
        f"the year's close: {files} files ({sheets} summary sheets as XLSX and PDF) x 2 places "
        f"in {_took(started)}, {size / 2 / 1e6:.1f} MB a place"
    )
    started = time.perf_counter()
    problems = verify(archive_dirs(settings))
    total = sum(p.stat().st_size for p in (folder / "a" / "archive").iterdir())
    print(
        f"archive verify, both places ({len(list((folder / 'a' / 'archive').iterdir())) - 1} "
        f"files, {total / 1e6:.1f} MB a place): {time.perf_counter() - started:.2f} s, "
        f"{len(problems)} problems"
    )
    again = time.perf_counter()
    assert await archiver.catch_up(settings) == []
    print(f"a re-run (nothing to write): {time.perf_counter() - again:.2f} s")
    await database.dispose()

    echo, bot = echo_dispatcher(), request_out_bot()
    samples = [await timed(echo, bot, incoming("привет", TgUser(1, "Ольга"))) for _ in range(300)]
    print(f"  bare echo handler: {summary_ms(samples)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
