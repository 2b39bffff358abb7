"""The school's administration of its days: dated lessons from the timetable, substitutions,
cancellations, moved and extra lessons, and study periods (closing, reopening, moving them).

Lessons are made by ``core.lessons``; every change here that moves a school day (a period's
dates) re-makes the lessons within the same transaction, and every change of a lesson is
audited and pushed to the class and its teachers (today's and tomorrow's only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core import access, audit, rules
from core.access import Viewer
from core.clock import Clock
from core.errors import (
    LessonHasRecords,
    LessonOver,
    NoSuchLesson,
    NoSuchSlot,
    NotFound,
    NotSchoolDay,
    PeriodClosed,
    PeriodDatesRefused,
    SlotTaken,
    TeacherBusy,
    ValidationFailed,
)
from core.events import LessonChanged, PeriodClosedEvent
from core.lessons import MAX_SPAN_DAYS, Plan, horizon, plan_lessons
from core.model import (
    Bell,
    ClassGroup,
    Lesson,
    LessonOrigin,
    LessonStatus,
    Period,
    SchoolYear,
    Staff,
    Subject,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

MAX_ROOM = 32


def _dates(period: Period) -> str:
    return f"{period.starts_on.isoformat()}..{period.ends_on.isoformat()}"


def _place(lesson: Lesson) -> str:
    return f"{lesson.day.isoformat()}/{lesson.slot}"


@dataclass(frozen=True, slots=True)
class DayLesson:
    """A class's lesson on a day, as the administration's screens list them."""

    lesson: Lesson
    subject: str
    teacher: str
    substitute: str | None
    group: str | None


@dataclass(frozen=True, slots=True)
class ClassChoices:
    """What a lesson of a class can be: the school's bells, the class's subjects."""

    cls: ClassGroup
    bells: tuple[Bell, ...]  # by slot; empty when the school has none
    subjects: tuple[Subject, ...]  # by name


@dataclass(frozen=True, slots=True)
class SchoolAdminService:
    """Lessons and substitutions (000 §3.9), periods (000 §4.6): the administration's part."""

    uow: UnitOfWorkFactory
    clock: Clock

    # --- lessons from the timetable -----------------------------------------------------------

    async def make_lessons(self, viewer: Viewer, start: date, end: date) -> Plan:
        """Make and re-make the lessons of [start, end] from the timetable (``core.lessons``)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        if start > end:
            raise ValidationFailed("end", "before_start")
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValidationFailed("end", "range_too_long")
        async with self.uow() as uow:
            plan = await plan_lessons(uow, self.clock.today(), start, end)
            await uow.commit()
        return plan

    async def keep_lessons_ahead(self) -> Plan:
        """The nightly job: lessons from today to the horizon, always there."""
        return await self.make_lessons(access.SYSTEM, *horizon(self.clock.today()))

    # --- a class's day, for the administration's screens ---------------------------------------

    async def class_day(self, viewer: Viewer, class_id: int, day: date) -> list[DayLesson]:
        access.require_private(viewer)
        access.require_timetable_changes(viewer)
        async with self.uow(readonly=True) as uow:
            if await uow.classes.get(class_id) is None:
                raise NotFound("class", class_id)
            lessons = await uow.lessons.for_class(class_id, day, day)
            staff_ids = {x.teacher_id for x in lessons} | {
                x.substitute_id for x in lessons if x.substitute_id is not None
            }
            staff = {s.id: s.short_name for s in await uow.staff.many(sorted(staff_ids))}
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
            groups = {g.id: g.name for g in await uow.subgroups.for_class(class_id)}
        return [
            DayLesson(
                x,
                subjects.get(x.subject_id, ""),
                staff.get(x.teacher_id, ""),
                staff.get(x.substitute_id) if x.substitute_id is not None else None,
                groups.get(x.subgroup_id) if x.subgroup_id is not None else None,
            )
            for x in sorted(lessons, key=lambda x: (x.slot, x.subgroup_id or 0, x.id or 0))
        ]

    async def find_lesson(
        self, viewer: Viewer, class_id: int, day: date, slot: int, subgroup_id: int | None = None
    ) -> Lesson:
        """The class's lesson at a place (the console names lessons so); a subgroup's, when the
        class is split then and ``subgroup_id`` says which."""
        found = [x for x in await self.class_day(viewer, class_id, day) if x.lesson.slot == slot]
        if subgroup_id is not None:
            found = [x for x in found if x.lesson.subgroup_id == subgroup_id]
        if len(found) != 1:
            async with self.uow(readonly=True) as uow:
                cls = await uow.classes.get(class_id)
            raise NoSuchLesson(cls.name if cls else "", day, slot)
        return found[0].lesson

    async def day_lesson(self, viewer: Viewer, lesson_id: int) -> DayLesson:
        """One lesson as ``class_day`` lists it, for the administration's lesson screen."""
        access.require_private(viewer)
        access.require_timetable_changes(viewer)
        async with self.uow(readonly=True) as uow:
            lesson = await uow.lessons.get(lesson_id)
        if lesson is None:
            raise NotFound("lesson", lesson_id)
        for x in await self.class_day(viewer, lesson.class_id, lesson.day):
            if x.lesson.id == lesson_id:
                return x
        raise NotFound("lesson", lesson_id)

    async def class_choices(self, viewer: Viewer, class_id: int) -> ClassChoices:
        """The class, the school's bells, and the subjects the class is taught now (all the
        school's subjects when it has no teaching yet): an extra or moved lesson's choices."""
        access.require_private(viewer)
        access.require_timetable_changes(viewer)
        async with self.uow(readonly=True) as uow:
            cls = await uow.classes.get(class_id)
            year = await uow.years.get(cls.year_id) if cls is not None else None
            if cls is None or year is None:
                raise NotFound("class", class_id)
            bells = await uow.bells.for_school(year.school_id)
            subjects = await uow.subjects.for_school(year.school_id)
            taught = {
                t.subject_id for t in await uow.teachings.for_class(class_id, on=self.clock.today())
            }
        chosen = [s for s in subjects if s.id in taught] or subjects
        return ClassChoices(
            cls,
            tuple(sorted(bells, key=lambda b: b.slot)),
            tuple(sorted(chosen, key=lambda s: (s.name, s.id or 0))),
        )

    async def school_days(self, viewer: Viewer, start: date, end: date) -> list[date]:
        """The school days in [start, end], by the calendars of the years they fall in."""
        access.require_private(viewer)
        access.require_timetable_changes(viewer)
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValidationFailed("end", "range_too_long")
        found: list[date] = []
        async with self.uow(readonly=True) as uow:
            for year in await uow.years.list_all():
                first, last = max(start, year.starts_on), min(end, year.ends_on)
                if first > last:
                    continue
                school = await uow.schools.get(year.school_id)
                periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
                holidays = await uow.holidays.for_year(year.id)  # type: ignore[arg-type]
                week_days = school.week_days if school else 5
                days = (first + timedelta(days=n) for n in range((last - first).days + 1))
                found += [d for d in days if rules.is_school_day(d, periods, holidays, week_days)]
        return sorted(set(found))

    # --- changes of a lesson ---------------------------------------------------------------------

    async def _lesson_for_change(
        self, uow: UnitOfWork, viewer: Viewer, lesson_id: int
    ) -> tuple[Lesson, ClassGroup]:
        access.require_private(viewer)
        access.require_timetable_changes(viewer)
        lesson = await uow.lessons.get(lesson_id)
        if lesson is None:
            raise NotFound("lesson", lesson_id)
        cls = await uow.classes.get(lesson.class_id)
        if cls is None:
            raise NotFound("class", lesson.class_id)
        rules.ensure_open(lesson.day, await uow.periods.for_year(cls.year_id))
        return lesson, cls

    async def _written(self, uow: UnitOfWork, lesson: Lesson) -> bool:
        """Marks, absences or remarks in it (homework and a topic are planned ahead)."""
        return bool(
            await uow.marks.for_lesson(lesson.id)  # type: ignore[arg-type]
            or await uow.attendance.for_lesson(lesson.id)  # type: ignore[arg-type]
            or await uow.remarks.for_lesson(lesson.id)  # type: ignore[arg-type]
        )

    async def _ensure_free(
        self,
        uow: UnitOfWork,
        cls: ClassGroup,
        day: date,
        slot: int,
        subgroup_id: int | None,
        teacher_id: int,
        moving: Lesson | None = None,
    ) -> None:
        """The class (or the group) and the teacher have no other lesson then."""
        for x in await uow.lessons.for_class(cls.id, day, day):  # type: ignore[arg-type]
            if x is moving or x.slot != slot or x.status == LessonStatus.CANCELLED:
                continue
            if subgroup_id is None or x.subgroup_id is None or x.subgroup_id == subgroup_id:
                raise SlotTaken(cls.name, day, slot)
        await self._ensure_teacher_free(uow, teacher_id, day, slot, moving)

    async def _ensure_teacher_free(
        self, uow: UnitOfWork, staff_id: int, day: date, slot: int, besides: Lesson | None
    ) -> None:
        for x in await uow.lessons.for_teacher(staff_id, day, day):
            if x is besides or x.slot != slot or x.status == LessonStatus.CANCELLED:
                continue
            teacher = await uow.staff.get(staff_id)
            other = await uow.classes.get(x.class_id)
            raise TeacherBusy(
                teacher.short_name if teacher else "", other.name if other else "", day, slot
            )

    async def _ensure_school_day(
        self, uow: UnitOfWork, cls: ClassGroup, day: date, slot: int
    ) -> None:
        year = await uow.years.get(cls.year_id)
        school = await uow.schools.get(year.school_id) if year else None
        if year is None or school is None:
            raise NotFound("year", cls.year_id)
        periods = await uow.periods.for_year(cls.year_id)
        holidays = await uow.holidays.for_year(cls.year_id)
        if day < self.clock.today() or not rules.is_school_day(
            day, periods, holidays, school.week_days
        ):
            raise NotSchoolDay(day)
        rules.ensure_open(day, periods)
        bells = {b.slot for b in await uow.bells.for_school(school.id)}  # type: ignore[arg-type]
        if bells and slot not in bells:
            raise NoSuchSlot(slot)

    async def _commit_change(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        lesson: Lesson,
        change: str,
        before: str,
        after: str,
        staff: tuple[int | None, ...],
        reason: str = "",
        to: Lesson | None = None,
    ) -> None:
        """Audits the change, tells the class and its teachers (``to``: where it moved)."""
        await uow.audit.add(
            audit.change(
                viewer,
                self.clock.now(),
                f"lesson.{change}",
                "lesson",
                lesson.id,
                before=before,
                after=after,
                reason=reason,
            )
        )
        uow.emit(
            LessonChanged(
                lesson.id,  # type: ignore[arg-type]
                lesson.class_id,
                lesson.subgroup_id,
                lesson.day.isoformat(),
                change,
                tuple(dict.fromkeys(x for x in staff if x is not None)),
                to.day.isoformat() if to else "",
                to.slot if to else 0,
            )
        )
        await uow.commit()

    async def substitute(self, viewer: Viewer, lesson_id: int, substitute_id: int | None) -> Lesson:
        """Rule 1: the deputy or the admin records who stands in (None: the teacher again),
        before the lesson or on its day before anything is written in it."""
        async with self.uow() as uow:
            lesson, _ = await self._lesson_for_change(uow, viewer, lesson_id)
            rules.ensure_not_cancelled(lesson)
            rules.ensure_substitution_time(
                lesson, self.clock.today(), await self._written(uow, lesson)
            )
            if substitute_id is not None and await uow.staff.get(substitute_id) is None:
                raise NotFound("staff", substitute_id)
            if substitute_id == lesson.teacher_id:
                substitute_id = None
            if substitute_id == lesson.substitute_id:
                return lesson
            if substitute_id is not None:
                await self._ensure_teacher_free(uow, substitute_id, lesson.day, lesson.slot, None)
            before = lesson.substitute_id
            lesson.substitute_id = substitute_id
            await self._commit_change(
                uow,
                viewer,
                lesson,
                "substitution",
                str(before or ""),
                str(substitute_id or ""),
                (lesson.teacher_id, before, substitute_id),
            )
            return lesson

    async def cancel_lesson(self, viewer: Viewer, lesson_id: int, reason: str = "") -> Lesson:
        """The deputy or the admin cancels a lesson nothing has been written in."""
        reason = rules.clean_reason(reason, required=False)
        async with self.uow() as uow:
            lesson, _ = await self._lesson_for_change(uow, viewer, lesson_id)
            if lesson.status == LessonStatus.CANCELLED:
                return lesson
            if await self._written(uow, lesson):
                raise LessonHasRecords(lesson.day)
            lesson.status = LessonStatus.CANCELLED
            lesson.note = reason
            await self._commit_change(
                uow,
                viewer,
                lesson,
                "cancellation",
                LessonStatus.PLANNED,
                LessonStatus.CANCELLED,
                (lesson.conducted_by,),
                reason,
            )
            return lesson

    async def restore_lesson(self, viewer: Viewer, lesson_id: int) -> Lesson:
        """The administration takes a cancellation back."""
        async with self.uow() as uow:
            lesson, cls = await self._lesson_for_change(uow, viewer, lesson_id)
            if lesson.status != LessonStatus.CANCELLED:
                return lesson
            await self._ensure_free(
                uow, cls, lesson.day, lesson.slot, lesson.subgroup_id, lesson.conducted_by, lesson
            )
            lesson.status = LessonStatus.PLANNED
            lesson.note = ""
            await self._commit_change(
                uow,
                viewer,
                lesson,
                "restored",
                LessonStatus.CANCELLED,
                LessonStatus.PLANNED,
                (lesson.conducted_by,),
            )
            return lesson

    async def move_lesson(
        self, viewer: Viewer, lesson_id: int, day: date, slot: int, reason: str = ""
    ) -> Lesson:
        """Moves a lesson nothing has been written in to another slot or day: the original is
        cancelled with a note, the new one keeps its topic and the homework set ahead."""
        reason = rules.clean_reason(reason, required=False)
        async with self.uow() as uow:
            lesson, cls = await self._lesson_for_change(uow, viewer, lesson_id)
            rules.ensure_not_cancelled(lesson)
            today = self.clock.today()
            if lesson.day < today:
                raise LessonOver(lesson.day)
            if await self._written(uow, lesson):
                raise LessonHasRecords(lesson.day)
            if (day, slot) == (lesson.day, lesson.slot):
                return lesson
            await self._ensure_school_day(uow, cls, day, slot)
            await self._ensure_free(
                uow, cls, day, slot, lesson.subgroup_id, lesson.conducted_by, lesson
            )
            moved = await uow.lessons.add(
                Lesson(
                    lesson.class_id,
                    day,
                    slot,
                    lesson.subject_id,
                    lesson.teacher_id,
                    subgroup_id=lesson.subgroup_id,
                    substitute_id=lesson.substitute_id,
                    room=lesson.room,
                    topic=lesson.topic,
                    origin=LessonOrigin.MOVED,
                    note=_place(lesson),
                )
            )
            homework = await uow.homework.for_lesson(lesson.id)  # type: ignore[arg-type]
            if homework is not None:
                homework.lesson_id, homework.day = moved.id, day  # type: ignore[assignment]
            lesson.status = LessonStatus.CANCELLED
            lesson.topic = ""
            lesson.note = f"→ {_place(moved)}" + (f" {reason}" if reason else "")
            await self._commit_change(
                uow,
                viewer,
                lesson,
                "moved",
                _place(lesson),
                _place(moved),
                (lesson.conducted_by,),
                reason,
                to=moved,
            )
            return moved

    async def add_lesson(
        self,
        viewer: Viewer,
        class_id: int,
        day: date,
        slot: int,
        subject_id: int,
        teacher_id: int,
        subgroup_id: int | None = None,
        room: str = "",
    ) -> Lesson:
        """An extra lesson the timetable does not have (a make-up lesson, a consultation)."""
        if len(room) > MAX_ROOM:
            raise ValidationFailed("room", "too_long")
        async with self.uow() as uow:
            access.require_private(viewer)
            access.require_timetable_changes(viewer)
            cls = await uow.classes.get(class_id)
            if cls is None:
                raise NotFound("class", class_id)
            subject = await uow.subjects.get(subject_id)
            if subject is None:
                raise NotFound("subject", subject_id)
            teacher: Staff | None = await uow.staff.get(teacher_id)
            if teacher is None:
                raise NotFound("staff", teacher_id)
            if subgroup_id is not None and subgroup_id not in {
                g.id for g in await uow.subgroups.for_class(class_id)
            }:
                raise NotFound("subgroup", subgroup_id)
            await self._ensure_school_day(uow, cls, day, slot)
            await self._ensure_free(uow, cls, day, slot, subgroup_id, teacher_id)
            lesson = await uow.lessons.add(
                Lesson(
                    class_id,
                    day,
                    slot,
                    subject_id,
                    teacher_id,
                    subgroup_id=subgroup_id,
                    room=room.strip(),
                    origin=LessonOrigin.EXTRA,
                )
            )
            await self._commit_change(
                uow, viewer, lesson, "added", "", _place(lesson), (teacher_id,)
            )
            return lesson

    # --- periods ---------------------------------------------------------------------------------

    async def _period(self, uow: UnitOfWork, viewer: Viewer, period_id: int) -> Period:
        access.require_private(viewer)
        access.require_admin(viewer)
        period = await uow.periods.get(period_id)
        if period is None:
            raise NotFound("period", period_id)
        return period

    async def _period_audit(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        period: Period,
        action: str,
        before: str,
        after: str,
        reason: str = "",
    ) -> None:
        await uow.audit.add(
            audit.change(
                viewer,
                self.clock.now(),
                action,
                "period",
                period.id,
                before=before,
                after=after,
                reason=reason,
            )
        )

    async def close_period(self, viewer: Viewer, period_id: int) -> Period:
        """Rule 10: the admin closes a period on its last day or after; nothing in it can be
        edited afterwards."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            if period.closed:
                return period
            rules.ensure_closable(period, self.clock.today())
            await self._close(uow, viewer, period)
            await uow.commit()
            return period

    async def _close(
        self, uow: UnitOfWork, viewer: Viewer, period: Period, reason: str = ""
    ) -> None:
        period.closed_at = self.clock.now()
        await self._period_audit(
            uow, viewer, period, "period.close", "open", period.closed_at.isoformat(), reason
        )
        uow.emit(PeriodClosedEvent(period.id, True))  # type: ignore[arg-type]

    async def close_due_periods(self) -> list[Period]:
        """Rule 6: periods whose window for period marks is over close by themselves (the
        nightly job); one the admin reopened waits for the admin."""
        today = self.clock.today()
        async with self.uow() as uow:
            year = await uow.years.containing(today) or await _latest_year(uow, today)
            if year is None:
                return []
            school = await uow.schools.get(year.school_id)
            if school is None:
                return []
            due = [
                p
                for p in await uow.periods.for_year(year.id)  # type: ignore[arg-type]
                if rules.closes_by_itself(p, school, today)
            ]
            for period in due:
                await self._close(uow, access.SYSTEM, period, "auto")
            if due:
                await uow.commit()
            return due

    async def reopen_period(self, viewer: Viewer, period_id: int, reason: str) -> Period:
        """Rule 10: only the admin reopens a closed period, and says why; it then stays open
        until the admin closes it again."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            reason = rules.clean_reason(reason)
            if not period.closed:
                return period
            before = period.closed_at.isoformat()  # type: ignore[union-attr]
            period.closed_at = None
            period.reopened_at = self.clock.now()
            await self._period_audit(uow, viewer, period, "period.reopen", before, "open", reason)
            uow.emit(PeriodClosedEvent(period_id, False))
            await uow.commit()
            return period

    async def move_period(
        self, viewer: Viewer, period_id: int, starts_on: date, ends_on: date, reason: str
    ) -> tuple[Period, Plan]:
        """A quarantine moves a period's dates, inside the year and overlapping no other
        period; the lessons follow (made on the new days, removed from the lost ones)."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            reason = rules.clean_reason(reason)
            if period.closed:
                raise PeriodClosed(period.id)
            if starts_on > ends_on:
                raise ValidationFailed("ends_on", "before_start")
            year = await uow.years.get(period.year_id)
            if year is None:
                raise NotFound("year", period.year_id)
            if starts_on < year.starts_on or ends_on > year.ends_on:
                raise PeriodDatesRefused(
                    "outside_year", year=year.name, starts_on=year.starts_on, ends_on=year.ends_on
                )
            for other in await uow.periods.for_year(period.year_id):
                if (
                    other.id != period.id
                    and other.starts_on <= ends_on
                    and starts_on <= other.ends_on
                ):
                    raise PeriodDatesRefused("overlaps", number=other.number, kind=other.kind.value)
            if (period.starts_on, period.ends_on) == (starts_on, ends_on):
                return period, Plan(starts_on, ends_on)
            before = _dates(period)
            old = (period.starts_on, period.ends_on)
            period.starts_on, period.ends_on = starts_on, ends_on
            await self._period_audit(
                uow, viewer, period, "period.move", before, _dates(period), reason
            )
            today = self.clock.today()
            _, ahead = horizon(today)
            span = (max(today, min(old[0], starts_on)), min(ahead, max(old[1], ends_on)))
            plan = Plan(*span)
            if span[0] <= span[1]:
                plan = await plan_lessons(uow, today, *span)
            await uow.commit()
            return period, plan


async def _latest_year(uow: UnitOfWork, today: date) -> SchoolYear | None:
    """In the summer between two years: the one that ended last."""
    ended = [y for y in await uow.years.list_all() if y.ends_on < today]
    return max(ended, key=lambda y: y.ends_on, default=None)
