"""The school's calendar and vocabulary for one school year, read in one place: its periods,
holidays and working week, the bells, subjects, work types and staff names.

The diary, the teacher's screens, the lesson planner and the scheduled jobs all read the year
from here, and the rules they apply to it (a school day, the period-mark window) are
``core.rules``'. The calendar changes a few times a year and every tap needs it, so
``Calendars`` keeps each year for a minute; the core checks every rule again on write,
against the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time
from fractions import Fraction
from time import monotonic

from core import grading, rules
from core.errors import NoPeriod, NotFound
from core.model import PeriodKind
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class YearView:
    id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class PeriodView:
    id: int
    kind: PeriodKind
    number: int
    starts_on: date
    ends_on: date
    closed: bool


@dataclass(frozen=True, slots=True)
class HolidayView:
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class WorkTypeView:
    id: int
    code: str
    short: str
    name: str
    weight: Fraction
    written: bool


@dataclass(frozen=True, slots=True)
class ClassFacts:
    """What the screens need of a class; its name and grade do not change within a year."""

    id: int
    year_id: int
    grade: int
    letter: str

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    year: YearView
    school_id: int
    rounding_threshold: Fraction
    min_marks: int  # fewer current marks and no period mark is proposed
    final_open_days: int
    final_grace_days: int
    week_days: int
    periods: tuple[PeriodView, ...]  # by start
    holidays: tuple[HolidayView, ...]  # by start
    bells: dict[int, tuple[time, time]]  # slot -> start, end
    subjects: dict[int, str]
    work_types: dict[int, WorkTypeView]  # by id, in id order
    staff: dict[int, str]  # short names

    def subject(self, subject_id: int) -> str:
        return self.subjects.get(subject_id, "")

    def by_name(self, subject_ids: Iterable[int]) -> list[int]:
        return sorted(subject_ids, key=lambda i: (self.subject(i), i))

    def period(self, period_id: int) -> PeriodView:
        for p in self.periods:
            if p.id == period_id:
                return p
        raise NotFound("period", period_id)

    def period_of(self, day: date) -> PeriodView | None:
        return next((p for p in self.periods if p.starts_on <= day <= p.ends_on), None)

    def pick_period(self, period_id: int | None, day: date) -> PeriodView:
        """The given period, else the one containing ``day``, else the latest that started,
        else the first."""
        if period_id is not None:
            return self.period(period_id)
        found = self.period_of(day)
        if found is not None:
            return found
        started = [p for p in self.periods if p.starts_on <= day]
        if started:
            return started[-1]
        if self.periods:
            return self.periods[0]
        raise NoPeriod(day)

    def holiday(self, day: date) -> str | None:
        return next((h.name for h in self.holidays if h.starts_on <= day <= h.ends_on), None)

    def school_day(self, day: date) -> bool:
        return rules.is_school_day(day, self.periods, self.holidays, self.week_days)

    def window(self, period: PeriodView) -> tuple[date, date]:
        """Rule 6: when the period's marks are set."""
        return rules.final_window(period.ends_on, self.final_open_days, self.final_grace_days)

    def open_final_period(self, today: date) -> PeriodView | None:
        for p in self.periods:
            opens, closes = self.window(p)
            if not p.closed and opens <= today <= closes:
                return p
        return None


async def load_calendar(uow: UnitOfWork, year_id: int) -> SchoolCalendar:
    year = await uow.years.get(year_id)
    if year is None or year.id is None:
        raise NotFound("year", year_id)
    school = await uow.schools.get(year.school_id)
    if school is None:
        raise NotFound("school", year.school_id)
    periods = await uow.periods.for_year(year.id)
    holidays = await uow.holidays.for_year(year.id)
    bells = await uow.bells.for_school(year.school_id)
    subjects = await uow.subjects.for_school(year.school_id)
    work_types = await uow.work_types.for_school(year.school_id)
    staff = await uow.staff.list_all()
    return SchoolCalendar(
        year=YearView(year.id, year.name, year.starts_on, year.ends_on),
        school_id=year.school_id,
        rounding_threshold=Fraction(school.rounding_threshold),
        min_marks=school.min_marks_for_period,
        final_open_days=school.final_window_open_days,
        final_grace_days=school.final_window_grace_days,
        week_days=school.week_days,
        periods=tuple(
            PeriodView(p.id, p.kind, p.number, p.starts_on, p.ends_on, p.closed)  # type: ignore[arg-type]
            for p in sorted(periods, key=lambda p: (p.starts_on, p.number))
        ),
        holidays=tuple(
            HolidayView(h.name, h.starts_on, h.ends_on)
            for h in sorted(holidays, key=lambda h: h.starts_on)
        ),
        bells={b.slot: (b.starts_at, b.ends_at) for b in bells},
        subjects={s.id: s.name for s in subjects if s.id is not None},
        work_types={
            w.id: WorkTypeView(
                w.id, w.code, w.short, w.name, grading.weight_of(w.weight), w.written
            )
            for w in sorted(work_types, key=lambda w: w.id or 0)
            if w.id is not None
        },
        staff={x.id: x.short_name for x in staff if x.id is not None},
    )


class Calendars:
    """Each year's calendar and each class's facts, kept for ``ttl`` seconds (0: not kept)."""

    def __init__(self, ttl: float = 60.0, now: Callable[[], float] = monotonic) -> None:
        self.ttl = ttl
        self._now = now
        self._years: dict[int, tuple[float, SchoolCalendar]] = {}
        self._classes: dict[int, tuple[float, ClassFacts]] = {}

    def _fresh(self, item: tuple[float, object] | None) -> bool:
        return item is not None and self._now() - item[0] < self.ttl

    async def get(self, uow: UnitOfWork, year_id: int) -> SchoolCalendar:
        item = self._years.get(year_id)
        if item is not None and self._fresh(item):
            return item[1]
        calendar = await load_calendar(uow, year_id)
        if self.ttl > 0:
            self._years[year_id] = (self._now(), calendar)
        return calendar

    async def of_class(self, uow: UnitOfWork, class_id: int) -> ClassFacts:
        item = self._classes.get(class_id)
        if item is not None and self._fresh(item):
            return item[1]
        found = await uow.classes.get(class_id)
        if found is None or found.id is None:
            raise NotFound("class", class_id)
        facts = ClassFacts(found.id, found.year_id, found.grade, found.letter)
        if self.ttl > 0:
            self._classes[class_id] = (self._now(), facts)
        return facts

    def clear(self) -> None:
        self._years.clear()
        self._classes.clear()
