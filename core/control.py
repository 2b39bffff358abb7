"""The deputy's control of the journal (#14 item 4): the journal-quality analysis per teacher
and per class, the preliminary class results two weeks before a period ends, the substitution
log. Plain tables, like ``core.reports``; who may read them is checked here, at every read.

004 §5.6: the deputy checks the journal at least once a week; 003 reg.2 §2.2.3: two weeks
before a period ends the class teacher gives the deputies a preliminary report of the class's
results; 003 reg.2 §2.3.1: the deputies control how the journal is kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from core import access, grading, rules
from core.access import Viewer
from core.calendar import SchoolCalendar, load_calendar
from core.errors import ValidationFailed
from core.model import AttendanceKind, ClassGroup, LessonStatus, Period, StaffRoleKind
from core.ports import UnitOfWork
from core.reports import ReportService, Table, _period_facts, student_name

PRELIMINARY_DAYS = 14  # 003 reg.2 §2.2.3: «за 2 недели до окончания учебного периода»
# A forecast this close below the next mark's threshold counts as «near a better mark».
NEAR_BETTER = Fraction(15, 100)
# What a preliminary line says of a student in a subject (exports translate the codes).
RISK_TWO, RISK_NA, NEAR = "risk_two", "risk_na", "near_better"


@dataclass(frozen=True, slots=True)
class QualityAnalysis:
    """The analysis of every journal over ``start``..``end``, as two sheets, with the figures
    the push's text gives."""

    start: date
    end: date
    by_teacher: Table
    by_class: Table
    teachers_without_topics: int
    late_marks: int
    unexplained: int  # absences with no reason after the class teacher's day


@dataclass(frozen=True, slots=True)
class ControlReports:
    """Read-only reports for the administration (001 §3.1); reads are on record like every
    report's (``ReportService._noted``)."""

    reports: ReportService

    # -- the journal-quality analysis --------------------------------------------------------

    async def quality(self, viewer: Viewer, period: int | None, end: date) -> QualityAnalysis:
        """The period up to ``end``: per teacher (``ReportService.journal_quality``) and per
        class, with the absences still without a reason on a day already over (rule 7)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        start, end = await self._span(period, end)
        teachers = await self.reports.journal_quality(viewer, period, (start, end))
        today = self.reports.clock.today()
        async with self.reports.uow(readonly=True) as uow:
            year = await self.reports._year(uow)
            classes = sorted(
                await uow.classes.for_year(year.id),  # type: ignore[arg-type]
                key=lambda c: (c.grade, c.letter),
            )
            staff = {s.id: s.full_name for s in await uow.staff.list_all()}
            unexplained: dict[str, int] = {}
            last = min(end, today - timedelta(days=1))  # today's reasons may still come
            for cls in classes:
                records = (
                    await uow.attendance.for_class(cls.id, start, last)  # type: ignore[arg-type]
                    if start <= last
                    else []
                )
                unexplained[cls.name] = sum(
                    1 for r in records if r.kind == AttendanceKind.ABSENT and r.reason is None
                )
        # per class: lessons, no marks, one mark, no topic, no homework, marks entered late
        sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
        for row in teachers.rows:
            total = sums[str(row[1])]
            for i, value in enumerate(row[3:4] + row[5:10]):
                total[i] += int(value)  # type: ignore[call-overload]
        rows = tuple(
            (
                cls.name,
                staff.get(cls.class_teacher_id, "") if cls.class_teacher_id else "",
                *sums[cls.name],
                unexplained[cls.name],
            )
            for cls in classes
            if cls.name in sums or unexplained[cls.name]
        )
        facts = {"start": start, "end": end}
        by_teacher = Table("quality_teachers", "", teachers.headers, teachers.rows, facts)
        by_class = Table(
            "quality_classes",
            "",
            (
                "Class",
                "Class teacher",
                "Lessons",
                "No marks",
                "One mark",
                "No topic",
                "No homework",
                "Marks entered late",
                "Absences without a reason",
            ),
            rows,
            facts,
        )
        return QualityAnalysis(
            start,
            end,
            by_teacher,
            by_class,
            teachers_without_topics=len({r[0] for r in teachers.rows if r[7]}),
            late_marks=sum(int(r[9]) for r in teachers.rows),  # type: ignore[call-overload]
            unexplained=sum(unexplained.values()),
        )

    async def _span(self, period: int | None, end: date) -> tuple[date, date]:
        async with self.reports.uow(readonly=True) as uow:
            year = await self.reports._year(uow)
            p = await self.reports._period(uow, year, period)
        return p.starts_on, min(p.ends_on, end)

    # -- the preliminary results -------------------------------------------------------------

    async def preliminary(
        self, viewer: Viewer, class_name: str | None, period: int | None
    ) -> Table:
        """Per class: who is at risk of a 2, who has too few marks to be assessed («н/а»), who
        is near a better mark, by the forecast the diary shows (003 reg.3 §3) over the period
        so far. One class: the administration or its class teacher; every class: the
        administration."""
        access.require_private(viewer)
        async with self.reports.uow(readonly=True) as uow:
            year = await self.reports._year(uow)
            if class_name:
                classes = [await self.reports._class(uow, viewer, class_name)]
            else:
                access.require_administration(viewer)
                classes = sorted(
                    await uow.classes.for_year(year.id),  # type: ignore[arg-type]
                    key=lambda c: (c.grade, c.letter),
                )
            p = await self.reports._period(uow, year, period)
            ref = await load_calendar(uow, year.id)  # type: ignore[arg-type]
            rows = []
            for cls in classes:
                rows += await self._preliminary_rows(uow, viewer, cls, p, ref)
        facts: dict[str, object] = {**_period_facts(p), "year": year.name}
        if class_name:
            facts["class"] = classes[0].name
        return Table(
            "preliminary" if class_name else "preliminary_all",
            "",
            ("Class", "Student", "Subject", "Forecast", "Average", "Marks", "Risk"),
            tuple(rows),
            facts,
        )

    async def _preliminary_rows(
        self, uow: UnitOfWork, viewer: Viewer, cls: ClassGroup, p: Period, ref: SchoolCalendar
    ) -> list[tuple[object, ...]]:
        if not rules.graded(cls.grade):
            return []
        day = min(self.reports.clock.today(), p.ends_on)
        students = await uow.students.in_class(cls.id, on=day)  # type: ignore[arg-type]
        self.reports._noted(viewer, "preliminary", cls.id, students)
        ids = [s.id for s in students]
        marks = await uow.marks.facts_for_students(ids, p.starts_on, day)  # type: ignore[arg-type]
        scored: dict[tuple[int, int], list[grading.Scored]] = defaultdict(list)
        for m in marks:
            if m.value.points is not None:
                wt = ref.work_types.get(m.work_type_id)
                weight = wt.weight if wt is not None else Fraction(1)
                scored[(m.student_id, m.subject_id)].append(grading.Scored(m.value.points, weight))
        taught: dict[int, set[int] | None] = {}  # subject -> the students taught it (None: all)
        for t in await uow.teachings.for_class(cls.id, on=day):  # type: ignore[arg-type]
            if t.subgroup_id is None:
                taught[t.subject_id] = None
            elif t.subject_id not in taught or taught[t.subject_id] is not None:
                members = set(await uow.subgroups.member_ids(t.subgroup_id))
                taught[t.subject_id] = (taught.get(t.subject_id) or set()) | members
        rows: list[tuple[object, ...]] = []
        for subject_id in ref.by_name(taught):
            inside = taught[subject_id]
            for s in students:
                if inside is not None and s.id not in inside:
                    continue
                items = scored[(s.id, subject_id)]  # type: ignore[index]
                f = grading.forecast(items, ref.rounding_threshold, ref.min_marks)
                risk = _risk(f, ref.rounding_threshold)
                if risk is None:
                    continue
                average = round(float(f.average), 2) if f.average is not None else None
                rows.append(
                    (
                        cls.name,
                        student_name(s),
                        ref.subject(subject_id),
                        f.mark,
                        average,
                        len(items),
                        risk,
                    )
                )
        return rows

    # -- the substitution log ----------------------------------------------------------------

    async def substitutions(self, viewer: Viewer, start: date, end: date) -> Table:
        """Lessons given by a substitute and lessons cancelled in ``start``..``end``: the
        timetable's teacher, who stood in, why (000 §3.9; 003 reg.2 §2.1.1)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        if start > end:
            raise ValidationFailed("end", "before_start")
        async with self.reports.uow(readonly=True) as uow:
            year = await self.reports._year(uow)
            self.reports._noted(viewer, "substitutions", None, ())  # staff only, no child named
            staff = {s.id: s.full_name for s in await uow.staff.list_all()}
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
            rows = []
            for cls in await uow.classes.for_year(year.id):  # type: ignore[arg-type]
                groups = {g.id: g.name for g in await uow.subgroups.for_class(cls.id)}  # type: ignore[arg-type]
                for x in await uow.lessons.for_class(cls.id, start, end):  # type: ignore[arg-type]
                    cancelled = x.status == LessonStatus.CANCELLED
                    if x.substitute_id is None and not cancelled:
                        continue
                    group = groups.get(x.subgroup_id, "") if x.subgroup_id else ""
                    rows.append(
                        (
                            x.day,
                            x.slot,
                            f"{cls.name} ({group})" if group else cls.name,
                            subjects.get(x.subject_id, "?"),
                            staff.get(x.teacher_id, "?"),
                            staff.get(x.substitute_id, "") if x.substitute_id else "",
                            "cancelled" if cancelled else "substituted",
                            x.note,
                        )
                    )
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        return Table(
            "substitutions",
            "",
            ("Date", "Lesson", "Class", "Subject", "Teacher", "Substitute", "Status", "Note"),
            tuple(rows),
            {"start": start, "end": end},
        )


def _risk(f: grading.Forecast, threshold: Fraction) -> str | None:
    """At risk of a 2, of «н/а» (fewer marks than the school's minimum for a period mark,
    ``School.min_marks_for_period``), near a better mark, or nothing to say."""
    if f.marks_needed:
        return RISK_NA
    if f.mark is None or f.average is None:
        return None
    if f.mark <= 2:
        return RISK_TWO
    if f.mark < 5 and f.mark + threshold - f.average <= NEAR_BETTER:
        return NEAR
    return None


def deputies_or_admins(roles: list[tuple[int, StaffRoleKind]]) -> list[int]:
    """Who receives the deputy's pushes: the deputies (004 §5.6), or, in a school with none,
    the journal administrators."""
    deputies = sorted({s for s, r in roles if r == StaffRoleKind.DEPUTY})
    return deputies or sorted({s for s, r in roles if r == StaffRoleKind.ADMIN})


def last_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before ``today``'s."""
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)
