"""Dated lessons from the weekly timetable: the journal is written in lessons, so they must exist.

``plan_lessons`` makes, for every school day of a span (a day of a study period, not a holiday,
Monday to Friday or to Saturday, see ``core.rules.is_school_day``), the lessons of the timetable
lines valid that day, and re-makes the lessons from today on when the timetable, the periods or
the holidays have changed since: a lesson nothing has been written in follows the timetable (it
changes, or goes when the timetable no longer has it); one with a topic, homework, marks,
absences or remarks, or one the administration has changed (a substitute, a cancellation), is
kept and reported. Lessons the administration added or moved are never touched. Past days only
get missing lessons; days of a closed period are not touched at all (rule 10). Running it
again changes nothing.

It works in the caller's unit of work: an import or a calendar change commits its lessons with
its own changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from core import rules
from core.model import Lesson, LessonOrigin, LessonStatus, SchoolYear, TimetableEntry
from core.ports import UnitOfWork

# Lessons exist this many days ahead: the nightly job and every timetable or calendar change
# keep them so, and a teacher can plan topics and homework that far.
HORIZON_DAYS = 21
MAX_SPAN_DAYS = 400  # a school year and some

Key = tuple[int, date, int, int | None]  # class, day, slot, subgroup


class Kept(StrEnum):
    """Why a lesson the timetable no longer wants (or wants otherwise) was kept."""

    RECORDS = "records"  # marks, absences, remarks or homework
    TOPIC = "topic"
    CHANGED = "changed"  # the administration set a substitute or cancelled it


@dataclass(frozen=True, slots=True)
class KeptLesson:
    lesson: Lesson
    why: Kept
    gone: bool  # the timetable has no lesson there now (else: another one)
    class_name: str = ""
    subject: str = ""


@dataclass
class Plan:
    start: date
    end: date
    made: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    kept: list[KeptLesson] = field(default_factory=list)

    def add(self, other: Plan) -> None:
        self.made += other.made
        self.changed += other.changed
        self.removed += other.removed
        self.unchanged += other.unchanged
        self.kept += other.kept


def horizon(today: date) -> tuple[date, date]:
    """From today to the planning horizon."""
    return today, today + timedelta(days=HORIZON_DAYS)


def _valid(entry: TimetableEntry, day: date) -> bool:
    return (entry.valid_from is None or entry.valid_from <= day) and (
        entry.valid_to is None or day <= entry.valid_to
    )


def _why_kept(lesson: Lesson, with_records: frozenset[int]) -> Kept | None:
    if lesson.id in with_records:
        return Kept.RECORDS
    if lesson.substitute_id is not None or lesson.status == LessonStatus.CANCELLED:
        return Kept.CHANGED
    if lesson.topic:
        return Kept.TOPIC
    return None


async def plan_lessons(uow: UnitOfWork, today: date, start: date, end: date) -> Plan:
    """Make and re-make the lessons of [start, end] (see the module); nothing is committed."""
    plan = Plan(start, end)
    for year in await uow.years.list_all():
        first, last = max(start, year.starts_on), min(end, year.ends_on)
        if first <= last:
            plan.add(await _plan_year(uow, year, today, first, last))
    return plan


async def _plan_year(
    uow: UnitOfWork, year: SchoolYear, today: date, start: date, end: date
) -> Plan:
    assert year.id is not None
    plan = Plan(start, end)
    school = await uow.schools.get(year.school_id)
    week_days = school.week_days if school is not None else 5
    periods = await uow.periods.for_year(year.id)
    holidays = await uow.holidays.for_year(year.id)
    names = {c.id: c.name for c in await uow.classes.for_year(year.id)}
    classes = set(names)
    by_weekday: dict[int, list[TimetableEntry]] = defaultdict(list)
    for entry in await uow.timetable.for_school_year(year.id):
        by_weekday[entry.weekday].append(entry)

    frozen: set[date] = set()  # days of closed periods: rule 10
    wanted: dict[Key, TimetableEntry] = {}
    day = start
    while day <= end:
        if any(p.closed and p.contains(day) for p in periods):
            frozen.add(day)
        elif rules.is_school_day(day, periods, holidays, week_days):
            for entry in by_weekday.get(day.weekday(), ()):
                if _valid(entry, day):
                    wanted[(entry.class_id, day, entry.slot, entry.subgroup_id)] = entry
        day += timedelta(days=1)

    existing = [
        x
        for x in await uow.lessons.between(start, end)
        if x.class_id in classes and x.day not in frozen
    ]
    manual = {(x.class_id, x.day, x.slot) for x in existing if x.origin != LessonOrigin.TIMETABLE}
    mine: dict[Key, list[Lesson]] = defaultdict(list)
    for x in existing:
        if x.origin == LessonOrigin.TIMETABLE:
            mine[(x.class_id, x.day, x.slot, x.subgroup_id)].append(x)
    open_ids = [x.id for xs in mine.values() for x in xs if x.day >= today and x.id is not None]
    with_records = await uow.lessons.with_records(open_ids) if open_ids else frozenset()

    made: list[Lesson] = []
    removed: list[Lesson] = []
    for key, entry in wanted.items():
        lessons = mine.pop(key, [])
        if not lessons:
            if key[:3] not in manual:
                made.append(_lesson(entry, key[1]))
            continue
        first, *extra = lessons
        _follow(plan, first, entry, today, with_records)
        for x in extra:  # a second lesson in one place: not the timetable's
            _drop(plan, x, today, with_records, removed)
    for lessons in mine.values():
        for x in lessons:
            _drop(plan, x, today, with_records, removed)
    if made:
        await uow.lessons.add_all(made)
    if removed:
        await uow.lessons.remove(removed)
    plan.made = len(made)
    plan.removed = len(removed)
    if plan.kept:
        subjects = {x.id: x.name for x in await uow.subjects.for_school(year.school_id)}
        plan.kept = [
            replace(
                k,
                class_name=names.get(k.lesson.class_id, ""),
                subject=subjects.get(k.lesson.subject_id, ""),
            )
            for k in plan.kept
        ]
    return plan


def _lesson(entry: TimetableEntry, day: date) -> Lesson:
    return Lesson(
        entry.class_id,
        day,
        entry.slot,
        entry.subject_id,
        entry.teacher_id,
        subgroup_id=entry.subgroup_id,
        room=entry.room,
    )


def _follow(
    plan: Plan, lesson: Lesson, entry: TimetableEntry, today: date, with_records: frozenset[int]
) -> None:
    """A lesson in a place the timetable has one: it follows the timetable if it may."""
    wanted = (entry.subject_id, entry.teacher_id, entry.room)
    if (lesson.subject_id, lesson.teacher_id, lesson.room) == wanted:
        plan.unchanged += 1
        return
    if lesson.day < today:
        return  # the past stays as it was held
    why = _why_kept(lesson, with_records)
    if why is not None:
        plan.kept.append(KeptLesson(lesson, why, gone=False))
        return
    lesson.subject_id, lesson.teacher_id, lesson.room = wanted
    plan.changed += 1


def _drop(
    plan: Plan, lesson: Lesson, today: date, with_records: frozenset[int], removed: list[Lesson]
) -> None:
    """A lesson where the timetable has none now (a holiday, a line ended): it goes if empty."""
    if lesson.day < today:
        return
    why = _why_kept(lesson, with_records)
    if why is not None:
        plan.kept.append(KeptLesson(lesson, why, gone=True))
        return
    removed.append(lesson)
