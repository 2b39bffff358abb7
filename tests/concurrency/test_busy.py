"""A write that waits past the busy timeout (#12, writers campaign): the user is told in their
language that the journal is busy and to try again, nothing is half-written, no traceback's
«something went wrong»; once the lock is gone the same tap works.

The lock is held from outside the bot, as another program (a backup tool, a console command
stuck mid-way, a second bot on the same file) would: a raw ``BEGIN EXCLUSIVE`` on the SQLite
file, or PostgreSQL's writers' advisory lock held by another session. The bot's busy timeout is
made short so the test does not wait ten seconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.keyboards import LessonCb
from app.messages import describe_error
from core import model as m
from core.errors import Busy
from core.model import AttendanceKind
from storage.db import WRITER_LOCK, Database, postgres_engine
from storage.tables import audit_log, metadata
from tests.school.test_teacher_day import (
    TEACHER,
    alerts,
    attendance,
    begin,
    marks,
    newest_keyboard,
    press_on,
    students,
)
from tests.support.school import ImportedSchool, open_school

BUSY_MS = 300
BUSY_RU = "Журнал сейчас занят, ничего не изменилось. Попробуйте ещё раз через минуту."
BUSY_EN = "The journal is busy right now, nothing was changed. Please try again in a minute."


@contextmanager
def sqlite_lock(database: Database) -> Iterator[None]:
    """The SQLite file's write lock, held by another connection until the block ends."""
    raw = sqlite3.connect(database.url.database or "", isolation_level=None, timeout=5)
    try:
        raw.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        raw.execute("ROLLBACK")
        raw.close()


@asynccontextmanager
async def writers_lock(database: Database) -> AsyncIterator[None]:
    """Another program writing: SQLite's lock, or PostgreSQL's writers' advisory lock."""
    if database.is_sqlite:
        with sqlite_lock(database):
            yield
        return
    engine = postgres_engine(database.url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"SELECT pg_advisory_lock({WRITER_LOCK})"))
            try:
                yield
            finally:
                await conn.execute(text(f"SELECT pg_advisory_unlock({WRITER_LOCK})"))
    finally:
        await engine.dispose()


async def counts(database: Database) -> dict[str, int]:
    """Rows in every table; of the audit log, only the changes' lines (reads of a screen may
    be put on record on their own time)."""
    found: dict[str, int] = {}
    async with database.session(readonly=True) as session:
        for table in metadata.sorted_tables:
            query = select(func.count()).select_from(table)
            if table is audit_log:
                query = query.where(
                    audit_log.c.action.like("attendance.%") | audit_log.c.action.like("mark%")
                )
            found[table.name] = (await session.execute(query)).scalar_one()
    return found


@pytest.fixture
async def busy_database(database: Database) -> AsyncIterator[Database]:
    """The test's database opened again with a short busy timeout."""
    db = Database.connect(database.url, busy_timeout_ms=BUSY_MS)
    try:
        yield db
    finally:
        await db.dispose()


async def test_a_write_past_the_busy_timeout_is_busy_and_writes_nothing(
    busy_database: Database,
) -> None:
    """On both databases: the driver's error becomes ``core.errors.Busy``, the transaction is
    rolled back whole, and the same write works once the other writer is done."""
    async with writers_lock(busy_database):
        started = time.perf_counter()
        with pytest.raises(Busy):
            async with busy_database.uow() as uow:
                await uow.schools.add(m.School("Школа", min_marks_for_period=0))
                await uow.commit()
        waited = time.perf_counter() - started
        async with busy_database.uow(readonly=True) as uow:  # readers are not held up
            assert await uow.schools.list_all() == []
    assert BUSY_MS / 1000 * 0.9 <= waited < 10
    async with busy_database.uow() as uow:
        await uow.schools.add(m.School("Школа", min_marks_for_period=0))
        await uow.commit()
    async with busy_database.uow(readonly=True) as uow:
        assert [s.name for s in await uow.schools.list_all()] == ["Школа"]


async def test_a_writer_queued_in_the_process_past_the_busy_timeout_is_busy(
    busy_database: Database,
) -> None:
    """Writers of one process queue first come, first served; one that waits longer than the
    busy timeout behind a long one is told so, and the long one is not disturbed."""
    async with busy_database.uow() as uow:
        school = await uow.schools.add(m.School("Школа", min_marks_for_period=0))
        await uow.commit()

    async def long_writer() -> None:
        async with busy_database.uow() as uow:
            loaded = await uow.schools.get(school.id)
            assert loaded is not None
            await asyncio.sleep(BUSY_MS / 1000 * 2)
            loaded.name = "Долгая запись"
            await uow.commit()

    async def queued_writer() -> None:
        async with busy_database.uow() as uow:
            await uow.subjects.add(m.Subject(school.id, "Физика"))
            await uow.commit()

    first = asyncio.create_task(long_writer())
    await asyncio.sleep(0.05)
    with pytest.raises(Busy):
        await queued_writer()
    await first
    await queued_writer()  # its turn now
    async with busy_database.uow(readonly=True) as uow:
        assert (await uow.schools.get(school.id)).name == "Долгая запись"  # type: ignore[union-attr]
        assert [s.name for s in await uow.subjects.for_school(school.id)] == ["Физика"]


def test_busy_is_said_in_the_users_language() -> None:
    assert describe_error(Busy(), "ru") == BUSY_RU
    assert describe_error(Busy(), "en") == BUSY_EN


@pytest.fixture
async def school(busy_database: Database, tmp_path: Path, backend: str) -> ImportedSchool:
    if backend != "sqlite":
        pytest.skip("a lock on the SQLite file; PostgreSQL's: the test above")
    return await open_school(busy_database, tmp_path / "files")


async def test_a_teachers_tap_while_the_journal_is_locked_asks_to_try_again(
    school: ImportedSchool,
) -> None:
    """Monday 10:35, Смирнова's maths with 7А has begun; another program holds the journal's
    file for longer than the bot waits."""
    lesson = await begin(school, 10, 35)
    ids = await students(school)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER, forged=True)
    card = newest_keyboard(school)
    before = await counts(school.database)
    texts_before = len(school.tester.texts(TEACHER))

    with sqlite_lock(school.database):
        started = time.perf_counter()
        await press_on(school, card, "Иванов П.")  # the roll: absent
        assert alerts(school)[-1] == BUSY_RU
        assert time.perf_counter() - started >= BUSY_MS / 1000 * 0.9
        await school.tester.send("/mark 7А У Петрова 5", user=TEACHER)
        assert school.tester.last_text(TEACHER) == BUSY_RU
        await school.tester.send("/att 7А Сидоров", user=TEACHER)
        assert school.tester.last_text(TEACHER) == BUSY_RU

    said = school.tester.texts(TEACHER)[texts_before:] + alerts(school)
    assert not [t for t in said if "пошло не так" in t or "went wrong" in t], said
    assert await counts(school.database) == before  # no record, event, push or audit line
    assert await attendance(school, lesson) == {}
    assert await marks(school, lesson) == []

    # the lock is gone: the same tap and the same commands work
    await press_on(school, card, "Иванов П.")
    assert await attendance(school, lesson) == {ids["Иванов"]: AttendanceKind.ABSENT}
    await school.tester.send("/mark 7А У Петрова 5", user=TEACHER)
    assert await marks(school, lesson) == [(ids["Петрова"], "5", "")]
    await school.tester.send("/att 7А Сидоров", user=TEACHER)
    assert (await attendance(school, lesson))[ids["Сидоров"]] == AttendanceKind.ABSENT
    after = await counts(school.database)
    assert after["attendance"] == before["attendance"] + 2
    assert after["marks"] == before["marks"] + 1
    assert after["deliveries"] > before["deliveries"]  # the mother hears of it now
