"""The year turns over: a new school year from its calendar, the classes one grade up.

``schoolbot year new 2027/2028 --calendar FILE`` (and the same from ``/admin``): the new year
with its periods, working week and holidays from the file; the finished year's periods are
closed, so it stays as it was and readable (last year's finals in ``/finals``); every class
goes up a grade with its letter, its class teacher and its subgroups (7А -> 8А), its students
with it from the new year's first day, their time in the old class kept in the history;
the last grade's students leave on the old year's last day. Guardians' and students' links and
settings are the people's, so they carry over as they are. Teaching waits for the new
timetable. Everything is one transaction: it happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from core import access, audit
from core.access import Viewer
from core.clock import Clock
from core.importing import calendar
from core.importing.context import ImportContext
from core.importing.report import ImportReport
from core.imports import parse_roster, year_bounds
from core.model import ClassGroup, ClassMembership, SchoolYear, Subgroup, SubgroupMember
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.tabular import Problem, SourceTable

LAST_GRADE = 11  # a secondary school's; a basic school's is 9
DAY = timedelta(days=1)


@dataclass
class Turnover:
    """What the turnover did, or would do: a report of the calendar and the people."""

    report: ImportReport = field(default_factory=lambda: ImportReport("year"))
    year: str = ""
    previous: str = ""
    classes: list[tuple[str, str]] = field(default_factory=list)  # 7А -> 8А
    promoted: int = 0  # students who go up with their class
    graduates: int = 0  # students of the last grade, leaving
    closed_periods: int = 0


@dataclass(frozen=True, slots=True)
class YearService:
    uow: UnitOfWorkFactory
    clock: Clock

    async def new_year(
        self,
        viewer: Viewer,
        name: str,
        tables: Iterable[SourceTable],
        *,
        last_grade: int = LAST_GRADE,
        apply: bool = True,
    ) -> Turnover:
        """The turnover (see the module); with ``apply`` False, what it would do."""
        access.require_private(viewer)
        access.require_admin(viewer)
        done = Turnover(year=name)
        data, problems = parse_roster(tables)
        if year_bounds(name) is None:
            problems.error("", None, "bad_year", value=name)
        for row in data.calendar:
            if row.year_name != name:
                where = row.where
                problems.error(where.file, where.line, "other_year", value=row.year_name, year=name)
        if not data.calendar and not problems.errors:
            problems.error("", None, "no_calendar", year=name)
        if not problems.errors:
            async with self.uow() as uow:
                ctx = ImportContext(uow, self.clock, problems, done.report, _quiet, viewer)
                await self._turn(uow, ctx, done, name, data, last_grade)
                if not problems.errors:
                    await ctx.write_audit()
                    await uow.audit.add(
                        audit.change(
                            viewer,
                            self.clock.now(),
                            "year.new",
                            "year",
                            ctx.year.id,
                            before=done.previous,
                            after=name,
                            reason=f"classes={len(done.classes)} promoted={done.promoted} "
                            f"graduates={done.graduates}",
                        )
                    )
                    if apply:
                        await uow.commit()
                        done.report.applied = True
        done.report.errors = sorted(problems.errors, key=Problem.sort_key)
        done.report.warnings = sorted(problems.warnings, key=Problem.sort_key)
        return done

    async def _turn(
        self,
        uow: UnitOfWork,
        ctx: ImportContext,
        done: Turnover,
        name: str,
        data,  # type: ignore[no-untyped-def]
        last_grade: int,
    ) -> None:
        school = await ctx.load_school()
        years = [y for y in await uow.years.list_all() if y.school_id == school.id]
        if any(y.name == name for y in years):
            ctx.problems.error("", None, "year_exists", value=name)
            return
        starts, _ = year_bounds(name)  # type: ignore[misc]
        earlier = [y for y in years if y.starts_on < starts]
        if any(y.ends_on >= starts for y in earlier) or any(y.starts_on >= starts for y in years):
            ctx.problems.error("", None, "year_overlaps", value=name)
            return
        old = max(earlier, key=lambda y: y.starts_on, default=None)
        new = await calendar.year(ctx, data)
        if new is None:
            return
        await ctx.load_year(new)
        await calendar.periods(ctx, data)
        await calendar.holidays(ctx, data)
        if old is None or ctx.problems.errors:
            return
        done.previous = old.name
        await self._close_year(uow, ctx, done, old)
        await self._promote(uow, ctx, done, old, new, last_grade)

    async def _close_year(
        self, uow: UnitOfWork, ctx: ImportContext, done: Turnover, old: SchoolYear
    ) -> None:
        """The finished year stays as it was: its periods are closed (rule 10)."""
        for period in await uow.periods.for_year(old.id):  # type: ignore[arg-type]
            if not period.closed:
                period.closed_at = ctx.now
                ctx.audit("period.close", "period", period.id, before="open", after="year.new")
                done.closed_periods += 1

    async def _promote(
        self,
        uow: UnitOfWork,
        ctx: ImportContext,
        done: Turnover,
        old: SchoolYear,
        new: SchoolYear,
        last_grade: int,
    ) -> None:
        last_day = old.ends_on
        first_day = new.starts_on
        history: list[ClassMembership] = []
        for cls in await uow.classes.for_year(old.id):  # type: ignore[arg-type]
            students = await uow.students.in_class(cls.id, on=last_day)  # type: ignore[arg-type]
            if cls.grade >= last_grade:
                for s in students:
                    if s.left_on is None or s.left_on > last_day:
                        s.left_on = last_day
                        ctx.audit(
                            "student.graduated",
                            "student",
                            s.id,
                            student_id=s.id,  # type: ignore[arg-type]
                            after=last_day.isoformat(),
                        )
                        done.graduates += 1
                continue
            up = ClassGroup(new.id, cls.grade + 1, cls.letter, cls.class_teacher_id)  # type: ignore[arg-type]
            up = await uow.classes.add(up)
            done.classes.append((cls.name, up.name))
            groups = await self._groups(uow, cls, up, last_day, first_day)
            for s in students:
                since = s.current_since or old.starts_on
                history.append(ClassMembership(s.id, cls.id, max(since, old.starts_on), last_day))  # type: ignore[arg-type]
                s.class_id = up.id  # type: ignore[assignment]
                s.class_since = first_day
                for group in groups.get(s.id, ()):
                    await uow.subgroups.add_member(SubgroupMember(group, s.id, starts_on=first_day))  # type: ignore[arg-type]
                done.promoted += 1
        await uow.class_history.add_all(history)

    async def _groups(
        self, uow: UnitOfWork, cls: ClassGroup, up: ClassGroup, last_day: date, first_day: date
    ) -> dict[int, list[int]]:
        """The class's subgroups in the new class, by name; who was in each on the last day."""
        members: dict[int, list[int]] = {}
        for group in await uow.subgroups.for_class(cls.id):  # type: ignore[arg-type]
            copy = await uow.subgroups.add(Subgroup(up.id, group.name, group.subject_id))  # type: ignore[arg-type]
            for student_id in await uow.subgroups.member_ids(group.id, on=last_day):  # type: ignore[arg-type]
                members.setdefault(student_id, []).append(copy.id)  # type: ignore[arg-type]
        return members


def _quiet(stage: str, done: int, total: int) -> None:
    return None
