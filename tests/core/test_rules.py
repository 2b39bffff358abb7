"""The regulations' timing rules as pure functions (core/rules.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import rules
from core.errors import (
    FinalWindowClosed,
    FirstGradeNoHomework,
    FirstGradeNoMarks,
    HomeworkWindowClosed,
    LessonCancelled,
    LessonInFuture,
    MarkDeadlinePassed,
    NoPeriod,
    NotLessonDay,
    PeriodClosed,
)
from core.model import Lesson, LessonStatus, Period, PeriodKind, School, WorkType

TZ = ZoneInfo("Europe/Moscow")
DAY = date(2026, 11, 18)
ORAL = WorkType(1, "oral", "У", "Устный", written=False)
WRITTEN = WorkType(1, "test", "КР", "Контрольная", "2", written=True)
Q1 = Period(1, PeriodKind.QUARTER, 1, date(2026, 9, 1), date(2026, 10, 24), id=1)
Q2 = Period(1, PeriodKind.QUARTER, 2, date(2026, 11, 5), date(2026, 12, 28), id=2)


def lesson(day: date = DAY, status: LessonStatus = LessonStatus.PLANNED) -> Lesson:
    return Lesson(1, day, 2, 1, 1, status=status, id=7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def test_period_for_and_no_period():
    assert rules.period_for(DAY, [Q1, Q2]) is Q2
    with pytest.raises(NoPeriod):
        rules.period_for(date(2026, 11, 1), [Q1, Q2])  # autumn holidays


def test_ensure_open():
    assert rules.ensure_open(DAY, [Q1, Q2]) is Q2
    closed = Period(1, PeriodKind.QUARTER, 1, Q1.starts_on, Q1.ends_on, at(DAY, 9), id=1)
    with pytest.raises(PeriodClosed) as info:
        rules.ensure_open(date(2026, 10, 1), [closed, Q2])
    assert info.value.facts == {"period_id": 1, "day": date(2026, 10, 1)}


def test_cancelled_lesson():
    rules.ensure_not_cancelled(lesson())
    with pytest.raises(LessonCancelled):
        rules.ensure_not_cancelled(lesson(status=LessonStatus.CANCELLED))


def test_lesson_day_only():
    rules.ensure_lesson_day(lesson(), DAY)
    for today in (DAY - timedelta(days=1), DAY + timedelta(days=1)):
        with pytest.raises(NotLessonDay):
            rules.ensure_lesson_day(lesson(), today)


def test_topic_on_the_day_or_ahead():
    rules.ensure_topic_time(lesson(), DAY)
    rules.ensure_topic_time(lesson(DAY + timedelta(days=3)), DAY)
    with pytest.raises(NotLessonDay):
        rules.ensure_topic_time(lesson(), DAY + timedelta(days=1))


class TestHomework:
    end = time(13, 5)

    def test_in_advance(self):
        rules.ensure_homework_allowed(7, lesson(DAY + timedelta(days=1)), at(DAY, 23), self.end)

    def test_until_two_hours_after_the_last_lesson(self):
        rules.ensure_homework_allowed(7, lesson(), at(DAY, 15, 5), self.end)
        with pytest.raises(HomeworkWindowClosed) as info:
            rules.ensure_homework_allowed(7, lesson(), at(DAY, 15, 6), self.end)
        assert info.value.facts["deadline"] == at(DAY, 15, 5)

    def test_without_bells_until_midnight(self):
        rules.ensure_homework_allowed(7, lesson(), at(DAY, 23, 59), None)

    def test_not_for_a_past_lesson(self):
        with pytest.raises(HomeworkWindowClosed):
            rules.ensure_homework_allowed(7, lesson(), at(DAY + timedelta(days=1), 0, 5), None)

    def test_not_in_grade_one(self):
        with pytest.raises(FirstGradeNoHomework):
            rules.ensure_homework_allowed(1, lesson(DAY + timedelta(days=1)), at(DAY, 9), None)


class TestMarks:
    def test_oral_within_a_day(self):
        rules.ensure_mark_allowed(7, lesson(), ORAL, DAY)
        rules.ensure_mark_allowed(7, lesson(), ORAL, DAY + timedelta(days=1))
        with pytest.raises(MarkDeadlinePassed):
            rules.ensure_mark_allowed(7, lesson(), ORAL, DAY + timedelta(days=2))

    @pytest.mark.parametrize(("grade", "days"), [(2, 5), (9, 5), (10, 7), (11, 7)])
    def test_written_by_grade(self, grade, days):
        rules.ensure_mark_allowed(grade, lesson(), WRITTEN, DAY + timedelta(days=days))
        with pytest.raises(MarkDeadlinePassed):
            rules.ensure_mark_allowed(grade, lesson(), WRITTEN, DAY + timedelta(days=days + 1))

    def test_not_ahead(self):
        with pytest.raises(LessonInFuture):
            rules.ensure_mark_allowed(7, lesson(DAY + timedelta(days=1)), ORAL, DAY)

    def test_not_in_grade_one(self):
        with pytest.raises(FirstGradeNoMarks):
            rules.ensure_mark_allowed(1, lesson(), ORAL, DAY)


def test_correction_deadline_counts_in_the_school_zone():
    late_evening_utc = datetime(2026, 11, 18, 22, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 in Moscow
    assert rules.correction_deadline(late_evening_utc, TZ) == date(2026, 11, 26)
    assert rules.correction_deadline(at(DAY, 10), TZ) == date(2026, 11, 25)


class TestFinalWindow:
    school = School("Школа")

    def test_window(self):
        assert rules.school_final_window(Q2, self.school) == (
            date(2026, 12, 14),
            date(2026, 12, 30),
        )

    @pytest.mark.parametrize("day", [date(2026, 12, 14), date(2026, 12, 28), date(2026, 12, 30)])
    def test_open(self, day):
        rules.ensure_final_window(Q2, self.school, day)

    @pytest.mark.parametrize("day", [date(2026, 12, 13), date(2026, 12, 31)])
    def test_closed(self, day):
        with pytest.raises(FinalWindowClosed):
            rules.ensure_final_window(Q2, self.school, day)

    def test_closed_period(self):
        closed = Period(1, PeriodKind.QUARTER, 2, Q2.starts_on, Q2.ends_on, at(DAY, 9), id=2)
        with pytest.raises(PeriodClosed):
            rules.ensure_final_window(closed, self.school, date(2026, 12, 20))
