"""The lesson planner (core.lessons): lessons of school days from the timetable, re-made when the
timetable or the calendar changes, the written ones kept and reported, the past left alone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import model as m
from core.lessons import Kept, plan_lessons
from tests.core.conftest import TODAY, SmallSchool

MON = date(2026, 11, 16)
NEXT_MON = MON + timedelta(days=7)


def day(n: int) -> date:
    """The n-th day of the week of 16 November (0: Monday)."""
    return MON + timedelta(days=n)


@pytest.fixture
async def timetable(small: SmallSchool) -> SmallSchool:
    """The small school's week as its lessons are: maths in 7А on Tue, Wed and Thu (slot 2),
    English for the group and reading in 1А and maths in 10А on Wednesday."""
    s = small
    async with s.store.uow() as uow:
        for weekday, slot, cls, subject, who, group in (
            (1, 2, s.c7, s.maths, s.teacher, None),
            (2, 2, s.c7, s.maths, s.teacher, None),
            (3, 2, s.c7, s.maths, s.teacher, None),
            (2, 4, s.c7, s.english, s.english_teacher, s.eng_group.id),
            (2, 1, s.c1, s.reading, s.teacher, None),
            (2, 3, s.c10, s.maths, s.teacher, None),
            (0, 1, s.c7, s.maths, s.teacher, None),
            (5, 1, s.c7, s.maths, s.teacher, None),  # Saturday: only in a six-day week
        ):
            await uow.timetable.add(
                m.TimetableEntry(cls.id, weekday, slot, subject.id, who.id, group, room="12")
            )
        await uow.commit()
    return s


async def plan(s: SmallSchool, start: date, end: date):  # type: ignore[no-untyped-def]
    async with s.store.uow() as uow:
        found = await plan_lessons(uow, s.clock.today(), start, end)
        await uow.commit()
    return found


def lessons(s: SmallSchool, start: date, end: date) -> list[tuple[date, int, int]]:
    return sorted(
        (x.day, x.slot, x.class_id)
        for x in s.store.tables["lessons"].values()
        if start <= x.day <= end
    )


async def test_lessons_of_school_days_from_the_timetable_and_nothing_twice(timetable) -> None:
    s = timetable
    first = await plan(s, NEXT_MON, NEXT_MON + timedelta(days=6))
    assert (first.made, first.changed, first.removed, first.kept) == (7, 0, 0, [])
    week = lessons(s, NEXT_MON, NEXT_MON + timedelta(days=6))
    assert {d.weekday() for d, _, _ in week} == {0, 1, 2, 3}  # no Saturday, nothing on Friday
    made = next(x for x in s.store.tables["lessons"].values() if x.day == NEXT_MON)
    assert (made.teacher_id, made.room, made.origin) == (
        s.teacher.id,
        "12",
        m.LessonOrigin.TIMETABLE,
    )
    again = await plan(s, NEXT_MON, NEXT_MON + timedelta(days=6))
    assert (again.made, again.changed, again.removed, again.unchanged) == (0, 0, 0, 7)
    # this week: Monday's, in the past, is made; today's and tomorrow's lessons take the room
    # the timetable gives them; yesterday's stays as it was held
    this_week = await plan(s, MON, MON + timedelta(days=6))
    assert (this_week.made, this_week.changed, this_week.removed) == (1, 5, 0)
    assert s.store.tables["lessons"][s.lesson_tomorrow.id].room == "12"
    assert s.store.tables["lessons"][s.lesson_yesterday.id].room == ""


async def test_a_six_day_week_has_saturday_lessons(timetable) -> None:
    s = timetable
    s.school.week_days = 6
    await plan(s, NEXT_MON, NEXT_MON + timedelta(days=6))
    saturday = NEXT_MON + timedelta(days=5)
    assert lessons(s, saturday, saturday) == [(saturday, 1, s.c7.id)]


async def test_no_lessons_on_holidays_between_periods_or_in_a_closed_period(timetable) -> None:
    s = timetable
    async with s.store.uow() as uow:
        await uow.holidays.add(m.Holiday(s.year.id, "День здоровья", NEXT_MON, NEXT_MON))
        await uow.commit()
    await plan(s, NEXT_MON, NEXT_MON + timedelta(days=1))
    assert lessons(s, NEXT_MON, NEXT_MON) == []
    # the autumn holidays and the closed first quarter: nothing made, nothing removed
    before = lessons(s, date(2026, 10, 12), date(2026, 11, 4))
    result = await plan(s, date(2026, 10, 12), date(2026, 11, 4))
    assert (result.made, result.removed) == (0, 0)
    assert lessons(s, date(2026, 10, 12), date(2026, 11, 4)) == before
    # winter: the period ends on 28 December, a Monday; nothing after it
    await plan(s, date(2026, 12, 28), date(2027, 1, 10))
    assert lessons(s, date(2026, 12, 28), date(2027, 1, 10)) == [(date(2026, 12, 28), 1, s.c7.id)]


async def test_a_timetable_change_remakes_empty_lessons_and_keeps_written_ones(timetable) -> None:
    s = timetable
    await plan(s, MON, NEXT_MON + timedelta(days=6))
    thursday = NEXT_MON + timedelta(days=3)
    async with s.store.uow() as uow:
        # homework set ahead at tomorrow's lesson; next Wednesday's has a planned topic
        await uow.homework.add(
            m.Homework(
                s.lesson_tomorrow.id, s.c7.id, s.maths.id, TODAY + timedelta(days=1),
                thursday, "№ 5", s.teacher.id, s.clock.now(),
            )
        )  # fmt: skip
        wednesday = next(
            x
            for x in await uow.lessons.for_class(s.c7.id, NEXT_MON, NEXT_MON + timedelta(6))
            if x.day.weekday() == 2 and x.slot == 2
        )
        wednesday.topic = "Уравнения"
        # from today the Thursday maths is another teacher's; the old line ends yesterday
        for entry in await uow.timetable.for_class(s.c7.id):
            if (entry.weekday, entry.slot) == (3, 2):
                entry.valid_to = TODAY - timedelta(days=1)
        await uow.timetable.add(
            m.TimetableEntry(s.c7.id, 3, 2, s.maths.id, s.other_teacher.id, valid_from=TODAY)
        )
        # and Wednesday's maths moves to slot 5
        for entry in await uow.timetable.for_class(s.c7.id):
            if (entry.weekday, entry.slot) == (2, 2):
                entry.slot = 5
        await uow.commit()
    result = await plan(s, TODAY, NEXT_MON + timedelta(days=6))
    kept = {(k.lesson.day, k.lesson.slot): (k.why, k.gone) for k in result.kept}
    assert kept == {
        (TODAY + timedelta(days=1), 2): (Kept.RECORDS, False),  # tomorrow, with homework
        (NEXT_MON + timedelta(days=2), 2): (Kept.TOPIC, True),  # next Wednesday's, with a topic
    }
    teachers = {
        (x.day, x.slot): x.teacher_id
        for x in s.store.tables["lessons"].values()
        if x.class_id == s.c7.id and x.day >= TODAY
    }
    assert teachers[(thursday, 2)] == s.other_teacher.id  # empty: follows the timetable
    assert teachers[(TODAY + timedelta(days=1), 2)] == s.teacher.id  # written: kept
    assert teachers[(NEXT_MON + timedelta(days=2), 5)] == s.teacher.id  # made in the new slot
    assert s.lesson_today.id not in s.store.tables["lessons"]  # today's, empty, moved to slot 5
    assert teachers[(TODAY, 5)] == s.teacher.id
    # yesterday is as it was held
    assert teachers.get((TODAY - timedelta(days=1), 2)) is None
    assert s.store.tables["lessons"][s.lesson_yesterday.id].teacher_id == s.teacher.id


async def test_a_new_holiday_removes_the_empty_lessons_and_reports_the_written(timetable) -> None:
    s = timetable
    await plan(s, TODAY, NEXT_MON + timedelta(days=6))
    async with s.store.uow() as uow:
        tomorrow = await uow.lessons.get(s.lesson_tomorrow.id)
        assert tomorrow is not None
        tomorrow.topic = "Проценты"
        await uow.holidays.add(
            m.Holiday(s.year.id, "Карантин", TODAY + timedelta(days=1), NEXT_MON)
        )
        await uow.commit()
    result = await plan(s, TODAY, NEXT_MON + timedelta(days=6))
    assert [(k.lesson.id, k.why, k.gone) for k in result.kept] == [
        (s.lesson_tomorrow.id, Kept.TOPIC, True)
    ]
    assert result.removed == 1  # next Monday's maths
    assert lessons(s, NEXT_MON, NEXT_MON) == []
    assert s.lesson_tomorrow.id in s.store.tables["lessons"]


async def test_lessons_the_administration_added_or_changed_stay(timetable) -> None:
    s = timetable
    await plan(s, TODAY, NEXT_MON + timedelta(days=6))
    async with s.store.uow() as uow:
        extra = await uow.lessons.add(
            m.Lesson(s.c7.id, NEXT_MON, 3, s.maths.id, s.teacher.id, origin=m.LessonOrigin.EXTRA)
        )
        substituted = await uow.lessons.get(s.lesson_tomorrow.id)
        assert substituted is not None
        substituted.substitute_id = s.other_teacher.id
        for entry in await uow.timetable.for_class(s.c7.id):
            entry.valid_to = TODAY - timedelta(days=1)  # the whole timetable of 7А ends
        await uow.commit()
    result = await plan(s, TODAY, NEXT_MON + timedelta(days=6))
    assert [(k.lesson.id, k.why) for k in result.kept] == [(s.lesson_tomorrow.id, Kept.CHANGED)]
    assert extra.id in s.store.tables["lessons"]
    # today's own lessons had records or not: the empty ones of 7А are gone
    assert s.lesson_today.id not in s.store.tables["lessons"]
