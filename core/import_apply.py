"""Imports as one transaction: typed rows -> changes, with a report of what was added, changed,
left unchanged or marked as left, and every problem with its file and line.

A file imports whole or not at all: every change is staged in one unit of work and committed
only when no error was found (and the admin confirmed); a validation run stages the very
same changes and rolls them back, so its report is exactly what the import would do.
Re-importing matches people by their ids in the file (``source_id``) and never deletes:
students missing from a full roster are marked as having left, with the date.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from core import access
from core.access import Viewer
from core.clock import Clock
from core.imports import (
    ClassKey,
    RosterData,
    TimetableData,
    Where,
    parse_roster,
    parse_timetable,
    year_bounds,
)
from core.model import (
    AuditEntry,
    Bell,
    ClassGroup,
    Guardian,
    GuardianLink,
    Lesson,
    Mark,
    Period,
    School,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    Teaching,
    TimetableEntry,
    WorkType,
)
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.tabular import Problem, Problems, SourceTable, norm_name

Progress = Callable[[str, int, int], None]

ENTITIES = (
    "year",
    "period",
    "subject",
    "staff",
    "class",
    "subgroup",
    "student",
    "guardian",
    "guardian_link",
    "teaching",
    "bell",
    "timetable",
    "work_type",
    "lesson",
    "mark",
)


@dataclass
class Tally:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    left: int = 0  # students marked as having left; timetable lines ended

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged + self.left


@dataclass
class ImportReport:
    kind: str  # roster, timetable, oneroster
    tallies: dict[str, Tally] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    applied: bool = False

    def tally(self, entity: str) -> Tally:
        return self.tallies.setdefault(entity, Tally())

    @property
    def ok(self) -> bool:
        return not self.errors

    def rows(self) -> list[tuple[str, Tally]]:
        return [(e, self.tallies[e]) for e in ENTITIES if e in self.tallies]


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ImportService:
    """Rosters, timetables and OneRoster bundles: the journal admin's (rule 12; 001 §3.1)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def roster(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        progress: Progress | None = None,
    ) -> ImportReport:
        access.require_admin(viewer)
        data, problems = parse_roster(tables)
        return await self.run_roster("roster", viewer, data, problems, apply, progress)

    async def timetable(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        progress: Progress | None = None,
    ) -> ImportReport:
        access.require_admin(viewer)
        data, problems = parse_timetable(tables)
        report = ImportReport("timetable")
        return await self._run(report, viewer, problems, apply, progress, data)

    async def oneroster(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        school: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        from core.oneroster import parse_bundle

        access.require_admin(viewer)
        data, problems = parse_bundle(list(tables), school=school)
        return await self.run_roster("oneroster", viewer, data, problems, apply, progress)

    async def run_roster(
        self,
        kind: str,
        viewer: Viewer,
        data: RosterData,
        problems: Problems,
        apply: bool,
        progress: Progress | None,
    ) -> ImportReport:
        return await self._run(ImportReport(kind), viewer, problems, apply, progress, data)

    async def _run(
        self,
        report: ImportReport,
        viewer: Viewer,
        problems: Problems,
        apply: bool,
        progress: Progress | None,
        data: RosterData | TimetableData,
    ) -> ImportReport:
        if not problems.errors:
            async with self.uow() as uow:
                applier = _Applier(uow, self.clock, problems, report, progress or _noop, viewer)
                if isinstance(data, RosterData):
                    await applier.roster(data)
                else:
                    await applier.timetable(data)
                if apply and not problems.errors:
                    await uow.audit.add(
                        AuditEntry(
                            at=self.clock.now(),
                            actor_id=viewer.staff_id,
                            action=f"import.{report.kind}",
                            entity="import",
                            entity_id=None,
                            after=json.dumps(
                                {e: vars(t) for e, t in report.rows()}, ensure_ascii=False
                            ),
                        )
                    )
                    await uow.commit()
                    report.applied = True
        report.errors = sorted(problems.errors, key=Problem.sort_key)
        report.warnings = sorted(problems.warnings, key=Problem.sort_key)
        return report


class _Applier:
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        problems: Problems,
        report: ImportReport,
        progress: Progress,
        viewer: Viewer,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.today = clock.today()
        self.now = clock.now()
        self.problems = problems
        self.report = report
        self.progress = progress
        self.viewer = viewer
        self.classes: dict[ClassKey, ClassGroup] = {}
        self.subjects: dict[str, Subject] = {}
        self.subgroups: dict[tuple[int, str], Subgroup] = {}
        self.staff_by_source: dict[str, Staff] = {}
        self.students_by_source: dict[str, Student] = {}
        self._counted: set[tuple[int, tuple[int, int, int | None]]] = set()

    def error(self, where: Where, code: str, **facts: object) -> None:
        self.problems.error(where.file, where.line, code, **facts)

    def warn(self, where: Where, code: str, **facts: object) -> None:
        self.problems.warn(where.file, where.line, code, **facts)

    def audit(self, action: str, entity: str, entity_id: int | None, **kw: str | int) -> None:
        self._audits.append(
            AuditEntry(self.now, self.viewer.staff_id, action, entity, entity_id, **kw)  # type: ignore[arg-type]
        )

    # -- shared lookups ------------------------------------------------------------------------

    async def _school(self, name: str = "") -> School:
        school = await self.uow.schools.first()
        if school is None:
            school = await self.uow.schools.add(
                School(name=name or "Школа", timezone=str(self.clock.tz))
            )
        return school

    async def _load_year(self, year: SchoolYear) -> None:
        assert year.id is not None
        self.year = year
        for cls in await self.uow.classes.for_year(year.id):
            self.classes[(cls.grade, cls.letter)] = cls
            for sg in await self.uow.subgroups.for_class(cls.id):  # type: ignore[arg-type]
                self.subgroups[(cls.id, norm_name(sg.name))] = sg  # type: ignore[index]
        for subject in await self.uow.subjects.for_school(self.school.id):  # type: ignore[arg-type]
            self.subjects.setdefault(norm_name(subject.name), subject)
        self.staff_by_source = {
            s.source_id: s for s in await self.uow.staff.list_all() if s.source_id
        }

    def in_year(self, day: date) -> bool:
        return self.year.starts_on <= day <= self.year.ends_on

    async def subject(self, name: str, short: str = "") -> Subject:
        key = norm_name(name)
        found = self.subjects.get(key)
        if found is None:
            found = await self.uow.subjects.add(Subject(self.school.id, name.strip(), short))  # type: ignore[arg-type]
            self.subjects[key] = found
            self.report.tally("subject").added += 1
        return found

    def class_of(self, key: ClassKey, where: Where) -> ClassGroup | None:
        cls = self.classes.get(key)
        if cls is None:
            self.error(where, "unknown_class", value=f"{key[0]}{key[1]}")
        return cls

    def subgroup_of(self, cls: ClassGroup, name: str, where: Where) -> Subgroup | None:
        sg = self.subgroups.get((cls.id, norm_name(name)))  # type: ignore[arg-type]
        if sg is None:
            self.error(where, "unknown_subgroup", value=name, cls=cls.name)
        return sg

    # -- roster ----------------------------------------------------------------------------------

    async def roster(self, data: RosterData) -> None:
        self._audits: list[AuditEntry] = []
        self.school = await self._school(data.school_name)
        year = await self._year(data)
        if year is None:
            return
        await self._load_year(year)
        steps = [
            ("periods", self._periods, len(data.calendar)),
            ("subjects", self._subjects, len(data.subjects)),
            ("staff", self._staff, len(data.staff or ())),
            ("classes", self._classes, len(data.students or ()) + len(data.subgroups)),
            ("subgroups", self._subgroups, len(data.subgroups)),
            ("students", self._students, len(data.students or ())),
            ("guardians", self._guardians, len(data.guardians or ())),
            ("teachings", self._teachings, len(data.teachings)),
            ("marks", self._marks, len(data.marks)),
        ]
        total = sum(size for _, _, size in steps)
        done = 0
        for stage, step, size in steps:
            self.progress(stage, done, total)
            await step(data)
            done += size
            self.progress(stage, done, total)
        if self._audits:
            await self.uow.audit.add_all(self._audits)

    async def _year(self, data: RosterData) -> SchoolYear | None:
        names = {r.year_name: r.where for r in data.calendar}
        if data.year_name:
            names.setdefault(data.year_name, Where("", None))
        if len(names) > 1:
            name, where = list(names.items())[1]
            self.error(where, "several_years", value=name)
            return None
        if not names:
            year = await self.uow.years.containing(self.today)
            if year is None:
                self.problems.error("", None, "no_school_year", day=self.today)
            return year
        name, where = next(iter(names.items()))
        bounds = year_bounds(name)
        if bounds is None:
            self.error(where, "bad_year", value=name)
            return None
        for year in await self.uow.years.list_all():
            if year.name == name and year.school_id == self.school.id:
                return year
        starts, ends = bounds
        self.report.tally("year").added += 1
        return await self.uow.years.add(SchoolYear(self.school.id, name, starts, ends))  # type: ignore[arg-type]

    async def _periods(self, data: RosterData) -> None:
        if not data.calendar:
            return
        existing = {p.number: p for p in await self.uow.periods.for_year(self.year.id)}  # type: ignore[arg-type]
        rows = sorted(data.calendar, key=lambda r: r.starts_on)
        for prev, row in pairwise(rows):
            if row.starts_on <= prev.ends_on:
                self.error(
                    row.where, "period_overlap", other=prev.number, other_line=prev.where.line
                )
        seen: dict[int, Where] = {}
        for row in data.calendar:
            if row.number in seen:
                self.error(
                    row.where, "duplicate_id", id=row.number, first_line=seen[row.number].line
                )
                continue
            seen[row.number] = row.where
            for day in (row.starts_on, row.ends_on):
                if not self.in_year(day):
                    self.error(row.where, "date_outside_year", value=day, year=self.year.name)
            period = existing.get(row.number)
            if period is None:
                await self.uow.periods.add(
                    Period(self.year.id, row.kind, row.number, row.starts_on, row.ends_on)  # type: ignore[arg-type]
                )
                self.report.tally("period").added += 1
            elif (period.starts_on, period.ends_on, period.kind) == (
                row.starts_on,
                row.ends_on,
                row.kind,
            ):
                self.report.tally("period").unchanged += 1
            elif period.closed:
                self.error(row.where, "period_closed", number=row.number)
            else:
                period.starts_on, period.ends_on, period.kind = row.starts_on, row.ends_on, row.kind
                self.report.tally("period").changed += 1

    async def _subjects(self, data: RosterData) -> None:
        for row in data.subjects:
            key = norm_name(row.name)
            found = self.subjects.get(key)
            if found is None:
                await self.subject(row.name, row.short)
            elif row.short and found.short != row.short:
                found.short = row.short
                self.report.tally("subject").changed += 1
            else:
                self.report.tally("subject").unchanged += 1

    async def _staff(self, data: RosterData) -> None:
        if data.staff is None:
            return
        tally = self.report.tally("staff")
        fresh: list[tuple[Staff, object]] = []
        for row in data.staff:
            person = self.staff_by_source.get(row.source_id)
            if person is None:
                person = Staff(row.last_name, row.first_name, row.middle_name, row.source_id)
                self.staff_by_source[row.source_id] = person
                fresh.append((person, row))
                tally.added += 1
            elif _update(
                person,
                last_name=row.last_name,
                first_name=row.first_name,
                middle_name=row.middle_name,
            ):
                tally.changed += 1
            else:
                tally.unchanged += 1
        await self.uow.staff.add_all([p for p, _ in fresh])
        roles = defaultdict(set)
        for role in await self.uow.staff_roles.list_all():
            roles[role.staff_id].add(role.role)
        new_roles = [
            StaffRole(self.staff_by_source[row.source_id].id, role)  # type: ignore[arg-type]
            for row in data.staff
            for role in sorted(row.roles)
            if role not in roles[self.staff_by_source[row.source_id].id]  # type: ignore[index]
        ]
        await self.uow.staff_roles.add_all(new_roles)

    async def _classes(self, data: RosterData) -> None:
        wanted: dict[ClassKey, Where] = {}
        for row in data.students or ():
            wanted.setdefault(row.cls, row.where)
        new = []
        for key in wanted:
            if key in self.classes:
                self.report.tally("class").unchanged += 1
            else:
                cls = ClassGroup(self.year.id, key[0], key[1])  # type: ignore[arg-type]
                self.classes[key] = cls
                new.append(cls)
        await self.uow.classes.add_all(new)
        self.report.tally("class").added += len(new)
        for row in data.staff or ():
            if row.leads is None:
                continue
            cls = self.class_of(row.leads, row.where)
            teacher = self.staff_by_source[row.source_id]
            if cls is not None and cls.class_teacher_id != teacher.id:
                cls.class_teacher_id = teacher.id
                if cls not in new:
                    self.report.tally("class").changed += 1

    async def _subgroups(self, data: RosterData) -> None:
        tally = self.report.tally("subgroup") if data.subgroups else None
        for row in data.subgroups:
            cls = self.class_of(row.cls, row.where)
            if cls is None or tally is None:
                continue
            subject_id = (await self.subject(row.subject)).id if row.subject else None
            key = (cls.id, norm_name(row.name))
            sg = self.subgroups.get(key)  # type: ignore[arg-type]
            if sg is None:
                sg = await self.uow.subgroups.add(Subgroup(cls.id, row.name, subject_id))  # type: ignore[arg-type]
                self.subgroups[key] = sg  # type: ignore[index]
                tally.added += 1
            elif subject_id is not None and sg.subject_id != subject_id:
                sg.subject_id = subject_id
                tally.changed += 1
            else:
                tally.unchanged += 1

    def _left_day(self, student: Student) -> date:
        day = min(self.today - timedelta(days=1), self.year.ends_on)
        if student.arrived_on is not None:
            day = max(day, student.arrived_on)
        return day

    async def _students(self, data: RosterData) -> None:
        everyone = await self.uow.students.list_all()
        existing = {s.source_id: s for s in everyone if s.source_id}
        year_classes = {c.id for c in self.classes.values()}
        first_import = not any(s.class_id in year_classes for s in existing.values())
        default_arrival = (
            self.year.starts_on
            if first_import or self.today < self.year.starts_on
            else min(self.today, self.year.ends_on)
        )
        self.students_by_source = dict(existing)
        if data.students is None:
            await self._remove(data, existing)
            return
        tally = self.report.tally("student")
        new: list[Student] = []
        seen: set[str] = set()
        for row in data.students:
            seen.add(row.source_id)
            cls = self.classes[row.cls]
            if row.arrived_on is not None and not self.in_year(row.arrived_on):
                self.error(
                    row.where,
                    "date_outside_year",
                    value=row.arrived_on,
                    year=self.year.name,
                )
            if row.birth_date is not None and not (date(1990, 1, 1) <= row.birth_date < self.today):
                self.error(row.where, "bad_birth_date", value=row.birth_date)
            student = existing.get(row.source_id)
            if student is None:
                student = Student(
                    row.last_name,
                    row.first_name,
                    cls.id,  # type: ignore[arg-type]
                    row.middle_name,
                    row.birth_date,
                    arrived_on=row.arrived_on or default_arrival,
                    source_id=row.source_id,
                )
                new.append(student)
                self.students_by_source[row.source_id] = student
                tally.added += 1
                continue
            changed = _update(
                student,
                last_name=row.last_name,
                first_name=row.first_name,
                middle_name=row.middle_name,
            )
            if row.birth_date is not None:
                changed |= _update(student, birth_date=row.birth_date)
            if student.class_id != cls.id:
                self.audit(
                    "student.move",
                    "student",
                    student.id,
                    student_id=student.id,  # type: ignore[arg-type]
                    before=str(student.class_id),
                    after=str(cls.id),
                )
                student.class_id = cls.id  # type: ignore[assignment]
                changed = True
            if student.left_on is not None:
                self.audit(
                    "student.return",
                    "student",
                    student.id,
                    student_id=student.id,  # type: ignore[arg-type]
                    before=student.left_on.isoformat(),
                )
                student.left_on = None
                student.arrived_on = row.arrived_on or min(self.today, self.year.ends_on)
                changed = True
            elif row.arrived_on is not None:
                changed |= _update(student, arrived_on=row.arrived_on)
            if changed:
                tally.changed += 1
            else:
                tally.unchanged += 1
        await self.uow.students.add_all(new)
        if data.complete:
            for student in existing.values():
                if (
                    student.source_id not in seen
                    and student.class_id in year_classes
                    and student.left_on is None
                ):
                    self._leave(student)
        await self._remove(data, existing)
        await self._members(data)

    def _leave(self, student: Student) -> None:
        student.left_on = self._left_day(student)
        self.report.tally("student").left += 1
        self.audit(
            "student.left",
            "student",
            student.id,
            student_id=student.id,  # type: ignore[arg-type]
            after=student.left_on.isoformat(),
        )

    async def _remove(self, data: RosterData, existing: dict[str, Student]) -> None:
        for source_id, _where in data.removed_students.items():
            student = existing.get(source_id)
            if student is not None and student.left_on is None:
                self._leave(student)

    async def _members(self, data: RosterData) -> None:
        members: dict[int, set[int]] = {}
        for row in data.students or ():
            if not row.subgroups:
                continue
            student = self.students_by_source[row.source_id]
            cls = self.classes[row.cls]
            for name in row.subgroups:
                sg = self.subgroup_of(cls, name, row.where)
                if sg is None:
                    continue
                if sg.id not in members:
                    members[sg.id] = set(await self.uow.subgroups.member_ids(sg.id))  # type: ignore[arg-type, index]
                if student.id not in members[sg.id]:  # type: ignore[index]
                    await self.uow.subgroups.add_member(SubgroupMember(sg.id, student.id))  # type: ignore[arg-type]
                    members[sg.id].add(student.id)  # type: ignore[index, arg-type]

    async def _guardians(self, data: RosterData) -> None:
        if data.guardians is None:
            return
        tally = self.report.tally("guardian")
        existing = {g.source_id: g for g in await self.uow.guardians.list_all() if g.source_id}
        new: list[Guardian] = []
        people: list[Guardian] = []
        for row in data.guardians:
            person = existing.get(row.source_id)
            if person is None:
                person = Guardian(
                    row.last_name,
                    row.first_name,
                    row.middle_name,
                    row.phone,
                    row.email,
                    row.source_id,
                )
                existing[row.source_id] = person
                new.append(person)
                tally.added += 1
            elif _update(
                person,
                last_name=row.last_name,
                first_name=row.first_name,
                middle_name=row.middle_name,
                phone=row.phone,
                email=row.email,
            ):
                tally.changed += 1
            else:
                tally.unchanged += 1
            people.append(person)
        await self.uow.guardians.add_all(new)
        links = {(x.guardian_id, x.student_id) for x in await self.uow.guardian_links.list_all()}
        fresh = []
        for person, row in zip(people, data.guardians, strict=True):
            for child, where in row.students:
                student = self.students_by_source.get(child)
                if student is None:
                    self.error(where, "unknown_student", id=child)
                    continue
                key = (person.id, student.id)
                if key not in links:
                    links.add(key)  # type: ignore[arg-type]
                    fresh.append(GuardianLink(person.id, student.id, row.relation))  # type: ignore[arg-type]
        await self.uow.guardian_links.add_all(fresh)
        if fresh:
            self.report.tally("guardian_link").added += len(fresh)

    async def _teachings(self, data: RosterData) -> None:
        if not data.teachings:
            return
        known: dict[int, set[tuple[int, int, int | None]]] = {}
        for row in data.teachings:
            staff = self.staff_by_source.get(row.staff_source)
            cls = self.class_of(row.cls, row.where)
            if staff is None:
                self.error(row.where, "unknown_teacher", value=row.staff_source)
            if staff is None or cls is None:
                continue
            sg = self.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
            if row.subgroup and sg is None:
                continue
            subject = await self.subject(row.subject)
            await self._ensure_teaching(known, staff.id, subject.id, cls.id, sg.id if sg else None)  # type: ignore[arg-type]

    async def _ensure_teaching(
        self,
        known: dict[int, set[tuple[int, int, int | None]]],
        staff_id: int,
        subject_id: int,
        class_id: int,
        subgroup_id: int | None,
    ) -> None:
        if class_id not in known:
            known[class_id] = {
                (t.staff_id, t.subject_id, t.subgroup_id)
                for t in await self.uow.teachings.for_class(class_id)
            }
        key = (staff_id, subject_id, subgroup_id)
        tally = self.report.tally("teaching")
        if key in known[class_id]:
            if (class_id, key) not in self._counted:
                self._counted.add((class_id, key))
                tally.unchanged += 1
            return
        self._counted.add((class_id, key))
        known[class_id].add(key)
        await self.uow.teachings.add(Teaching(staff_id, subject_id, class_id, subgroup_id))
        tally.added += 1

    async def _marks(self, data: RosterData) -> None:
        """Gradebook results: a mark in a lesson of that subject on that day (one is made
        when the journal has none); a changed score supersedes the mark, audited."""
        if not data.marks:
            return
        periods = await self.uow.periods.for_year(self.year.id)  # type: ignore[arg-type]
        work_types = {
            norm_name(w.name): w
            for w in await self.uow.work_types.for_school(self.school.id)  # type: ignore[arg-type]
        }
        lessons: dict[tuple[int, date], list[Lesson]] = {}
        marks_of: dict[int, list[Mark]] = {}
        tally = self.report.tally("mark")
        for row in data.marks:
            student = self.students_by_source.get(row.student_source)
            teacher = self.staff_by_source.get(row.staff_source)
            cls = self.class_of(row.cls, row.where)
            if student is None or teacher is None or cls is None:
                if student is None:
                    self.error(row.where, "unknown_student", id=row.student_source)
                if teacher is None:
                    self.error(row.where, "unknown_teacher", value=row.staff_source)
                continue
            if not self.in_year(row.day):
                self.error(row.where, "date_outside_year", value=row.day, year=self.year.name)
                continue
            period = next((p for p in periods if p.contains(row.day)), None)
            if period is not None and period.closed:
                self.error(row.where, "period_closed", number=period.number)
                continue
            if cls.grade <= 1:
                self.error(row.where, "first_grade_marks")
                continue
            sg = self.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
            subject = await self.subject(row.subject)
            work_type = await self._work_type(work_types, row.work_type)
            lesson = await self._lesson(lessons, cls, subject, teacher, sg, row.day)
            if lesson.id not in marks_of:
                marks_of[lesson.id] = await self.uow.marks.for_lesson(lesson.id)  # type: ignore[arg-type, index]
            current = [m for m in marks_of[lesson.id] if m.student_id == student.id]  # type: ignore[index]
            if current and current[0].value == row.value:
                tally.unchanged += 1
                continue
            at = row.created_at or datetime.combine(row.day, time(15, 0), tzinfo=self.clock.tz)
            new = await self.uow.marks.add(
                Mark(
                    lesson.id,  # type: ignore[arg-type]
                    student.id,  # type: ignore[arg-type]
                    subject.id,  # type: ignore[arg-type]
                    row.day,
                    row.value,
                    work_type.id,  # type: ignore[arg-type]
                    teacher.id,  # type: ignore[arg-type]
                    at,
                )
            )
            marks_of[lesson.id].append(new)  # type: ignore[index]
            if current:
                old = current[0]
                old.superseded_at = self.now
                old.superseded_by = new.id
                marks_of[lesson.id].remove(old)  # type: ignore[index]
                self.audit(
                    "mark.correct",
                    "mark",
                    old.id,
                    student_id=student.id,  # type: ignore[arg-type]
                    before=old.value.value,
                    after=row.value.value,
                    reason="import",
                )
                tally.changed += 1
            else:
                tally.added += 1

    async def _work_type(self, known: dict[str, WorkType], name: str) -> WorkType:
        key = norm_name(name)
        found = known.get(key)
        if found is None:
            code = "import-" + "".join(c for c in key if c.isalnum())[:20]
            found = await self.uow.work_types.add(
                WorkType(self.school.id, code, name[:3], name[:100])  # type: ignore[arg-type]
            )
            known[key] = found
            self.report.tally("work_type").added += 1
        return found

    async def _lesson(
        self,
        cache: dict[tuple[int, date], list[Lesson]],
        cls: ClassGroup,
        subject: Subject,
        teacher: Staff,
        sg: Subgroup | None,
        day: date,
    ) -> Lesson:
        key = (cls.id, day)
        if key not in cache:
            cache[key] = await self.uow.lessons.for_class(cls.id, day, day)  # type: ignore[arg-type, index]
        sg_id = sg.id if sg else None
        for lesson in cache[key]:  # type: ignore[index]
            if lesson.subject_id == subject.id and lesson.subgroup_id == sg_id:
                return lesson
        taken = {x.slot for x in cache[key] if x.subgroup_id == sg_id}  # type: ignore[index]
        slot = next(n for n in range(1, 100) if n not in taken)
        lesson = await self.uow.lessons.add(
            Lesson(cls.id, day, slot, subject.id, teacher.id, subgroup_id=sg_id)  # type: ignore[arg-type]
        )
        cache[key].append(lesson)  # type: ignore[index]
        self.report.tally("lesson").added += 1
        return lesson

    # -- timetable ---------------------------------------------------------------------------------

    async def timetable(self, data: TimetableData) -> None:
        self._audits = []
        self.school = await self._school()
        year = await self.uow.years.containing(self.today)
        if year is None:
            self.problems.error("", None, "no_school_year", day=self.today)
            return
        await self._load_year(year)
        total = len(data.bells) + len(data.entries or ())
        self.progress("bells", 0, total)
        await self._bells(data)
        self.progress("timetable", len(data.bells), total)
        if data.entries is not None:
            await self._entries(data)
        self.progress("timetable", total, total)

    async def _bells(self, data: TimetableData) -> None:
        if not data.bells:
            return
        tally = self.report.tally("bell")
        existing = {b.slot: b for b in await self.uow.bells.for_school(self.school.id)}  # type: ignore[arg-type]
        for row in data.bells:
            bell = existing.get(row.slot)
            if bell is None:
                await self.uow.bells.add(Bell(self.school.id, row.slot, row.starts_at, row.ends_at))  # type: ignore[arg-type]
                tally.added += 1
            elif _update(bell, starts_at=row.starts_at, ends_at=row.ends_at):
                tally.changed += 1
            else:
                tally.unchanged += 1

    def _teacher_finder(self, staff: list[Staff]) -> Callable[[str], list[Staff]]:
        by_name: dict[str, list[Staff]] = defaultdict(list)
        for person in staff:
            for name in {
                person.full_name,
                person.short_name,
                f"{person.last_name} {person.first_name}",
            }:
                by_name[norm_name(name)].append(person)

        def find(text: str) -> list[Staff]:
            if text in self.staff_by_source:
                return [self.staff_by_source[text]]
            return list(dict.fromkeys(by_name.get(norm_name(text), [])))

        return find

    async def _entries(self, data: TimetableData) -> None:
        assert data.entries is not None
        find = self._teacher_finder(await self.uow.staff.list_all())
        resolved = []
        for row in data.entries:
            cls = self.class_of(row.cls, row.where)
            found = find(row.teacher)
            if not found:
                self.error(row.where, "unknown_teacher", value=row.teacher)
            elif len(found) > 1:
                self.error(row.where, "ambiguous_teacher", value=row.teacher)
            for day in (row.valid_from, row.valid_to):
                if day is not None and not self.in_year(day):
                    self.error(row.where, "date_outside_year", value=day, year=self.year.name)
            if cls is None or len(found) != 1:
                continue
            sg = self.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
            if row.subgroup and sg is None:
                continue
            subject = await self.subject(row.subject)
            resolved.append((row, cls, found[0], subject, sg))
        self._clashes(resolved)
        if self.problems.errors:
            return
        tally = self.report.tally("timetable")
        existing = {
            (e.class_id, e.weekday, e.slot, e.subgroup_id): e
            for e in await self.uow.timetable.for_school_year(self.year.id)  # type: ignore[arg-type]
            if e.valid_to is None or e.valid_to >= self.today
        }
        known: dict[int, set[tuple[int, int, int | None]]] = {}
        seen = set()
        new = []
        for row, cls, teacher, subject, sg in resolved:
            key = (cls.id, row.weekday, row.slot, sg.id if sg else None)
            seen.add(key)
            entry = existing.get(key)
            if entry is None:
                new.append(
                    TimetableEntry(
                        cls.id,  # type: ignore[arg-type]
                        row.weekday,
                        row.slot,
                        subject.id,  # type: ignore[arg-type]
                        teacher.id,  # type: ignore[arg-type]
                        key[3],
                        row.room,
                        row.valid_from,
                        row.valid_to,
                    )
                )
                tally.added += 1
            elif _update(
                entry,
                subject_id=subject.id,
                teacher_id=teacher.id,
                room=row.room,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            ):
                tally.changed += 1
            else:
                tally.unchanged += 1
            await self._ensure_teaching(known, teacher.id, subject.id, cls.id, key[3])  # type: ignore[arg-type]
        await self.uow.timetable.add_all(new)
        for key, entry in existing.items():
            if key not in seen:
                last = self.today - timedelta(days=1)
                if entry.valid_from is not None and entry.valid_from > last:
                    last = entry.valid_from - timedelta(days=1)
                entry.valid_to = last
                tally.left += 1

    def _clashes(self, resolved: list) -> None:
        places: dict[tuple, Where] = {}
        teachers: dict[tuple, tuple[Where, int]] = {}
        whole: dict[tuple, Where] = {}
        groups: dict[tuple, Where] = {}
        for row, cls, teacher, _subject, sg in resolved:
            key = (cls.id, row.weekday, row.slot, sg.id if sg else None)
            if key in places:
                self.error(row.where, "duplicate_slot", first_line=places[key].line)
                continue
            places[key] = row.where
            lesson_key = (cls.id, row.weekday, row.slot)
            other = groups if sg is None else whole
            if lesson_key in other:
                self.error(row.where, "class_clash", first_line=other[lesson_key].line)
            (whole if sg is None else groups).setdefault(lesson_key, row.where)
            busy = (teacher.id, row.weekday, row.slot)
            if busy in teachers and teachers[busy][1] != cls.id:
                self.error(
                    row.where,
                    "teacher_clash",
                    value=teacher.short_name,
                    first_line=teachers[busy][0].line,
                )
            teachers.setdefault(busy, (row.where, cls.id))


def _update(entity: object, **values: object) -> bool:
    """Set what differs; True when anything did."""
    changed = False
    for name, value in values.items():
        if getattr(entity, name) != value:
            setattr(entity, name, value)
            changed = True
    return changed
