"""One writer at a time, on both databases: SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's
advisory lock taken when a unit of work begins. A read-then-write (a correction, a period
closing, a counter) therefore never works from data another writer is changing."""

from __future__ import annotations

import asyncio
import time

from core import model as m
from core.access import TeachingRef, Viewer
from core.clock import FixedClock
from core.errors import AlreadySuperseded
from core.journal import JournalService
from storage.db import Database
from tests.core.conftest import NOW, TZ, build_small_school


async def _school(database: Database) -> m.School:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа", min_marks_for_period=0))
        await uow.commit()
    return school


async def test_concurrent_writers_all_succeed_in_turn(database: Database) -> None:
    school = await _school(database)
    writers = 25

    async def bump() -> None:
        async with database.uow() as uow:
            loaded = await uow.schools.get(school.id)
            assert loaded is not None
            await asyncio.sleep(0.001)  # let the others try to get in between
            loaded.min_marks_for_period += 1
            await uow.subjects.add(m.Subject(school.id, f"s{loaded.min_marks_for_period}"))
            await uow.commit()

    started = time.perf_counter()
    await asyncio.gather(*(bump() for _ in range(writers)))
    assert time.perf_counter() - started < 10
    async with database.uow(readonly=True) as uow:
        again = await uow.schools.get(school.id)
        assert again is not None and again.min_marks_for_period == writers
        assert len(await uow.subjects.for_school(school.id)) == writers


async def test_a_writer_waits_for_the_one_before_it(database: Database) -> None:
    school = await _school(database)
    order: list[str] = []
    async with database.uow() as first:
        await first.schools.get(school.id)  # BEGIN IMMEDIATE: the write lock is ours

        async def second() -> None:
            async with database.uow() as uow:
                loaded = await uow.schools.get(school.id)
                assert loaded is not None
                order.append(f"second saw {loaded.name}")
                await uow.commit()

        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not task.done()  # queued on busy_timeout, not failed
        loaded = await first.schools.get(school.id)
        assert loaded is not None
        loaded.name = "Первый"
        await first.commit()
        order.append("first committed")
    await asyncio.wait_for(task, 5)
    assert order == ["first committed", "second saw Первый"]


async def test_readers_are_not_blocked_by_a_writer(database: Database) -> None:
    school = await _school(database)
    async with database.uow() as writer:
        loaded = await writer.schools.get(school.id)
        assert loaded is not None
        loaded.name = "Ещё не сохранено"
        await writer.session.flush()  # written, not committed: the lock is held
        started = time.perf_counter()
        async with database.uow(readonly=True) as reader:
            seen = await reader.schools.get(school.id)
        assert time.perf_counter() - started < 1
        assert seen is not None and seen.name == "Школа"
        await writer.commit()


async def test_one_mark_corrected_twice_at_once_keeps_one_current_mark(
    database: Database,
) -> None:
    """A teacher and a deputy correct the same mark at the same moment: one correction wins,
    the other is told the mark was already corrected; never two current marks."""
    clock = FixedClock(NOW, TZ)
    s = await build_small_school(database, clock)  # type: ignore[arg-type]
    journal = JournalService(database.uow, clock)
    teacher = Viewer(
        staff_id=s.teacher.id,
        staff_roles=frozenset({m.StaffRoleKind.TEACHER}),
        teaches=frozenset({TeachingRef(s.maths.id, s.c7.id)}),
    )
    deputy = Viewer(staff_id=s.class_teacher.id, staff_roles=frozenset({m.StaffRoleKind.DEPUTY}))
    old = await journal.give_mark(
        teacher, s.lesson_today.id, s.ivanov.id, m.MarkValue.TWO, s.oral.id
    )

    async def correct(viewer: Viewer, value: m.MarkValue) -> m.Mark | AlreadySuperseded:
        try:
            return await journal.correct_mark(viewer, old.id, value, "опечатка")  # type: ignore[arg-type]
        except AlreadySuperseded as exc:
            return exc

    results = await asyncio.gather(
        correct(teacher, m.MarkValue.FOUR), correct(deputy, m.MarkValue.FIVE)
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadySuperseded", "Mark"]
    async with database.uow(readonly=True) as uow:
        marks = await uow.marks.list_all()
    current = [x for x in marks if x.superseded_at is None]
    assert len(marks) == 2 and len(current) == 1
    assert current[0].value in (m.MarkValue.FOUR, m.MarkValue.FIVE)
