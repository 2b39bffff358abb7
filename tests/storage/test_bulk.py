"""``add_all`` of many rows; the diary's hot read on a journal of tens of thousands of marks."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from core import model as m
from storage.db import Database
from storage.repositories import BULK_MIN

NOW = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)


async def _class(uow) -> tuple[m.School, m.ClassGroup]:  # type: ignore[no-untyped-def]
    school = await uow.schools.add(m.School("Школа"))
    year = await uow.years.add(m.SchoolYear(school.id, "y", date(2026, 9, 1), date(2027, 8, 31)))
    cls = await uow.classes.add(m.ClassGroup(year.id, 5, "А"))
    return school, cls


@pytest.mark.parametrize("count", [3, BULK_MIN + 7])
async def test_add_all_assigns_ids_in_order_and_tracks(database: Database, count: int) -> None:
    async with database.uow() as uow:
        _, cls = await _class(uow)
        first = await uow.students.add(m.Student("Первый", "А", cls.id))
        students = [m.Student(f"Ученик {i:03}", "Б", cls.id) for i in range(count)]
        await uow.students.add_all(students)
        ids = [s.id for s in students]
        assert all(isinstance(i, int) for i in ids)
        assert ids == sorted(ids) and len(set(ids)) == count and ids[0] > first.id  # type: ignore[operator]
        assert await uow.students.get(ids[0]) is students[0]  # tracked, one instance
        students[1].left_on = date(2026, 12, 1)  # changed after add_all: saved on commit
        after = await uow.students.add(m.Student("После", "В", cls.id))
        assert after.id > ids[-1]  # type: ignore[operator]
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        loaded = await uow.students.in_class(cls.id)
        assert len(loaded) == count + 2
        again = await uow.students.get(ids[1])
        assert again is not None and again.left_on == date(2026, 12, 1)
        assert again.last_name == "Ученик 001"


async def test_add_all_keeps_given_ids(database: Database) -> None:
    async with database.uow() as uow:
        _, cls = await _class(uow)
        students = [m.Student(f"У{i}", "Б", cls.id) for i in range(BULK_MIN)]
        students[5].id = 1_000_000
        await uow.students.add_all(students)
        assert students[5].id == 1_000_000
        assert len({s.id for s in students}) == BULK_MIN
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        assert (await uow.students.get(1_000_000)).last_name == "У5"  # type: ignore[union-attr]


async def test_add_all_rolls_back_with_the_unit_of_work(database: Database) -> None:
    async with database.uow() as uow:
        _, cls = await _class(uow)
        await uow.commit()
    async with database.uow() as uow:
        await uow.students.add_all([m.Student(f"У{i}", "Б", cls.id) for i in range(BULK_MIN)])
    async with database.uow(readonly=True) as uow:
        assert await uow.students.in_class(cls.id) == []


async def test_concurrent_bulk_writers_do_not_collide(database: Database) -> None:
    async with database.uow() as uow:
        _, cls = await _class(uow)
        await uow.commit()

    async def load(tag: int) -> list[int]:
        async with database.uow() as uow:
            rows = [m.Student(f"{tag}-{i}", "Б", cls.id) for i in range(BULK_MIN * 2)]
            await uow.students.add_all(rows)
            await asyncio.sleep(0.001)
            await uow.commit()
            return [r.id for r in rows]  # type: ignore[misc]

    batches = await asyncio.gather(*(load(t) for t in range(6)))
    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every) == 6 * BULK_MIN * 2
    async with database.uow(readonly=True) as uow:
        assert len(await uow.students.in_class(cls.id)) == len(every)


async def test_a_journal_of_twenty_thousand_marks(database: Database, backend: str) -> None:
    rng = random.Random(7)
    async with database.uow() as uow:
        school, _ = await _class(uow)
        year_id = (await uow.years.list_all())[0].id
        classes = [m.ClassGroup(year_id, 6 + i // 2, "АБ"[i % 2]) for i in range(10)]
        await uow.classes.add_all(classes)
        subjects = [m.Subject(school.id, f"Предмет {i}") for i in range(8)]
        await uow.subjects.add_all(subjects)
        teacher = await uow.staff.add(m.Staff("Учитель", "Один"))
        wt = await uow.work_types.add(m.WorkType(school.id, "oral", "У", "Устный"))
        students = [m.Student(f"С{i}", "И", classes[i % 10].id) for i in range(250)]
        await uow.students.add_all(students)
        days = [date(2026, 9, 1) + timedelta(days=d) for d in range(240) if d % 7 < 5]
        lessons = [
            m.Lesson(c.id, day, slot, subjects[(slot + day.day) % 8].id, teacher.id)
            for c in classes
            for day in days
            for slot in (1, 2)
        ]
        await uow.lessons.add_all(lessons)
        by_class: dict[int, list[m.Lesson]] = {}
        for lesson in lessons:
            by_class.setdefault(lesson.class_id, []).append(lesson)
        marks = []
        for i in range(20_000):
            student = students[i % len(students)]
            lesson = rng.choice(by_class[student.class_id])
            marks.append(
                m.Mark(
                    lesson.id,  # type: ignore[arg-type]
                    student.id,  # type: ignore[arg-type]
                    lesson.subject_id,
                    lesson.day,
                    rng.choice(list(m.MarkValue)[:5]),
                    wt.id,  # type: ignore[arg-type]
                    teacher.id,  # type: ignore[arg-type]
                    NOW,
                )
            )
        started = time.perf_counter()
        await uow.marks.add_all(marks)
        await uow.commit()
        loading = time.perf_counter() - started
    assert loading < 15, loading
    assert marks[-1].id is not None

    student = students[17]
    start, end = date(2026, 11, 5), date(2026, 12, 28)
    expected = [
        mk.id
        for mk in sorted(marks, key=lambda mk: (mk.day, mk.id))
        if mk.student_id == student.id and start <= mk.day <= end
    ]
    import gc

    del marks, lessons, by_class
    gc.collect()
    async with database.uow(readonly=True) as uow:
        found = await uow.marks.for_student(student.id, start, end)  # type: ignore[arg-type]
        assert [mk.id for mk in found] == expected and len(found) > 5
        runs = 200
        started = time.perf_counter()
        for _ in range(runs):
            await uow.marks.for_student(student.id, start, end)  # type: ignore[arg-type]
        per_call = (time.perf_counter() - started) / runs
        started = time.perf_counter()
        for _ in range(runs):
            await uow.session.execute(text("SELECT 1"))
        round_trip = (time.perf_counter() - started) / runs
        if backend == "sqlite":
            plan = await uow.session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT * FROM marks WHERE student_id = 1 AND day >= "
                    "'2026-11-05' AND day <= '2026-12-28' AND superseded_at IS NULL "
                    "ORDER BY day, id"
                )
            )
            assert "ix_marks_student_id_day" in " ".join(str(r[-1]) for r in plan)
    print(
        f"\n{backend}: add_all of 20000 marks {loading:.2f} s; diary read of {len(found)} marks "
        f"{per_call * 1e3:.2f} ms, of which an empty round trip {round_trip * 1e3:.2f} ms"
    )
    # The driver's round trip (aiosqlite hands every call to its thread) is not ours to
    # shorten; what the query and the mapping add on top of it must stay well under 1 ms.
    assert per_call - round_trip < 0.001, (per_call, round_trip)
