"""The school's administration: dated lessons from the timetable, substitutions and
cancellations, closing, reopening and moving study periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core import access, rules
from core.access import Viewer
from core.clock import Clock
from core.errors import NotFound, PeriodClosed, ReasonRequired, ValidationFailed
from core.events import LessonChanged, PeriodClosedEvent
from core.model import AuditEntry, Holiday, Lesson, LessonStatus, Period, SchoolYear
from core.ports import UnitOfWork, UnitOfWorkFactory

MAX_REASON = 500
MAX_LESSON_RANGE_DAYS = 400  # a school year and some


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired()
    if len(reason) > MAX_REASON:
        raise ValidationFailed("reason", "too_long")
    return reason


def _holiday(day: date, holidays: list[Holiday]) -> bool:
    return any(h.starts_on <= day <= h.ends_on for h in holidays)


def _school_day(day: date, periods: list[Period], holidays: list[Holiday]) -> bool:
    """In an open period (a closed one is not edited, rule 10) and not a holiday."""
    return any(p.contains(day) and not p.closed for p in periods) and not _holiday(day, holidays)


def _dates(period: Period) -> str:
    return f"{period.starts_on.isoformat()}..{period.ends_on.isoformat()}"


@dataclass(frozen=True, slots=True)
class SchoolAdminService:
    """Lessons, substitutions (000 §3.9) and periods (000 §4.6): the administration's part."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def make_lessons(self, viewer: Viewer, start: date, end: date) -> int:
        """Dated lessons from the timetable for school days in open periods, holidays skipped."""
        access.require_private(viewer)
        access.require_administration(viewer)
        if start > end:
            raise ValidationFailed("end", "before_start")
        if (end - start).days > MAX_LESSON_RANGE_DAYS:
            raise ValidationFailed("end", "range_too_long")
        made: list[Lesson] = []
        async with self.uow() as uow:
            years: dict[int, tuple[list[Period], list[Holiday], dict[int, list]]] = {}
            day = start
            while day <= end:
                year = await uow.years.containing(day)
                if year is not None:
                    periods, holidays, by_weekday = await self._year_plan(uow, year, years)
                    if _school_day(day, periods, holidays):
                        for entry in by_weekday.get(day.weekday(), []):
                            if entry.valid_from is not None and day < entry.valid_from:
                                continue
                            if entry.valid_to is not None and day > entry.valid_to:
                                continue
                            if await uow.lessons.find(
                                entry.class_id, day, entry.slot, entry.subgroup_id
                            ):
                                continue
                            made.append(
                                Lesson(
                                    entry.class_id,
                                    day,
                                    entry.slot,
                                    entry.subject_id,
                                    entry.teacher_id,
                                    subgroup_id=entry.subgroup_id,
                                    room=entry.room,
                                )
                            )
                day += timedelta(days=1)
            if made:
                await uow.lessons.add_all(made)
                await uow.commit()
        return len(made)

    async def _year_plan(
        self,
        uow: UnitOfWork,
        year: SchoolYear,
        cache: dict[int, tuple[list[Period], list[Holiday], dict[int, list]]],
    ) -> tuple[list[Period], list[Holiday], dict[int, list]]:
        assert year.id is not None
        if year.id not in cache:
            by_weekday: dict[int, list] = {}
            for entry in await uow.timetable.for_school_year(year.id):
                by_weekday.setdefault(entry.weekday, []).append(entry)
            cache[year.id] = (
                await uow.periods.for_year(year.id),
                await uow.holidays.for_year(year.id),
                by_weekday,
            )
        return cache[year.id]

    async def _lesson_for_change(self, uow: UnitOfWork, viewer: Viewer, lesson_id: int) -> Lesson:
        lesson = await uow.lessons.get(lesson_id)
        if lesson is None:
            raise NotFound("lesson", lesson_id)
        access.require_private(viewer)
        access.require_administration(viewer)
        cls = await uow.classes.get(lesson.class_id)
        if cls is None:
            raise NotFound("class", lesson.class_id)
        rules.ensure_open(lesson.day, await uow.periods.for_year(cls.year_id))
        return lesson

    async def _commit_change(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        lesson: Lesson,
        change: str,
        before: str,
        after: str,
    ) -> None:
        await uow.audit.add(
            AuditEntry(
                at=self.clock.now(),
                actor_id=viewer.staff_id,
                action=f"lesson.{change}",
                entity="lesson",
                entity_id=lesson.id,
                before=before,
                after=after,
            )
        )
        uow.emit(
            LessonChanged(
                lesson.id,  # type: ignore[arg-type]
                lesson.class_id,
                lesson.subgroup_id,
                lesson.day.isoformat(),
                change,
            )
        )
        await uow.commit()

    async def substitute(self, viewer: Viewer, lesson_id: int, substitute_id: int | None) -> Lesson:
        """Rule 1: the administration records who stands in (None: the teacher again)."""
        async with self.uow() as uow:
            lesson = await self._lesson_for_change(uow, viewer, lesson_id)
            if substitute_id is not None and await uow.staff.get(substitute_id) is None:
                raise NotFound("staff", substitute_id)
            if substitute_id == lesson.teacher_id:
                substitute_id = None
            if substitute_id == lesson.substitute_id:
                return lesson
            before = str(lesson.substitute_id or "")
            lesson.substitute_id = substitute_id
            await self._commit_change(
                uow, viewer, lesson, "substitution", before, str(substitute_id or "")
            )
            return lesson

    async def cancel_lesson(self, viewer: Viewer, lesson_id: int) -> Lesson:
        """The administration cancels a lesson that has no marks or attendance yet."""
        async with self.uow() as uow:
            lesson = await self._lesson_for_change(uow, viewer, lesson_id)
            if lesson.status == LessonStatus.CANCELLED:
                return lesson
            if await uow.marks.for_lesson(lesson_id) or await uow.attendance.for_lesson(lesson_id):
                raise ValidationFailed("lesson", "has_records")
            lesson.status = LessonStatus.CANCELLED
            await self._commit_change(
                uow, viewer, lesson, "cancellation", LessonStatus.PLANNED, LessonStatus.CANCELLED
            )
            return lesson

    async def restore_lesson(self, viewer: Viewer, lesson_id: int) -> Lesson:
        """The administration takes a cancellation back."""
        async with self.uow() as uow:
            lesson = await self._lesson_for_change(uow, viewer, lesson_id)
            if lesson.status != LessonStatus.CANCELLED:
                return lesson
            lesson.status = LessonStatus.PLANNED
            await self._commit_change(
                uow, viewer, lesson, "restored", LessonStatus.CANCELLED, LessonStatus.PLANNED
            )
            return lesson

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
            AuditEntry(
                at=self.clock.now(),
                actor_id=viewer.staff_id,
                action=action,
                entity="period",
                entity_id=period.id,
                before=before,
                after=after,
                reason=reason,
            )
        )

    async def close_period(self, viewer: Viewer, period_id: int) -> Period:
        """Rule 10: the admin closes a period; nothing in it can be edited afterwards."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            if period.closed:
                return period
            period.closed_at = self.clock.now()
            await self._period_audit(
                uow, viewer, period, "period.close", "open", period.closed_at.isoformat()
            )
            uow.emit(PeriodClosedEvent(period_id, True))
            await uow.commit()
            return period

    async def reopen_period(self, viewer: Viewer, period_id: int, reason: str) -> Period:
        """Rule 10: only the admin reopens a closed period, and says why."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            reason = _reason(reason)
            if not period.closed:
                return period
            before = period.closed_at.isoformat()  # type: ignore[union-attr]
            period.closed_at = None
            await self._period_audit(uow, viewer, period, "period.reopen", before, "open", reason)
            uow.emit(PeriodClosedEvent(period_id, False))
            await uow.commit()
            return period

    async def move_period(
        self, viewer: Viewer, period_id: int, starts_on: date, ends_on: date, reason: str
    ) -> Period:
        """A quarantine moves a period's dates: inside the year, overlapping no other period."""
        async with self.uow() as uow:
            period = await self._period(uow, viewer, period_id)
            reason = _reason(reason)
            if period.closed:
                raise PeriodClosed(period.id)
            if starts_on > ends_on:
                raise ValidationFailed("ends_on", "before_start")
            year = await uow.years.get(period.year_id)
            if year is None:
                raise NotFound("year", period.year_id)
            if starts_on < year.starts_on or ends_on > year.ends_on:
                raise ValidationFailed("period", "outside_year")
            for other in await uow.periods.for_year(period.year_id):
                if (
                    other.id != period.id
                    and other.starts_on <= ends_on
                    and starts_on <= other.ends_on
                ):
                    raise ValidationFailed("period", "overlaps")
            if (period.starts_on, period.ends_on) == (starts_on, ends_on):
                return period
            before = _dates(period)
            period.starts_on, period.ends_on = starts_on, ends_on
            await self._period_audit(
                uow, viewer, period, "period.move", before, _dates(period), reason
            )
            await uow.commit()
            return period
