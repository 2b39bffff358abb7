"""What every part of one import shares: its unit of work, clock and report, where problems go,
and the school's names looked up once (classes, subjects, subgroups, people by their ids)."""

from __future__ import annotations

from datetime import date

from core.access import Viewer
from core.clock import Clock
from core.importing.report import ImportReport, Progress
from core.imports import ClassKey, Where
from core.model import (
    AuditEntry,
    ClassGroup,
    School,
    SchoolYear,
    Staff,
    Student,
    Subgroup,
    Subject,
)
from core.ports import UnitOfWork
from core.tabular import Problems, norm_name


class ImportContext:
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
        self.school: School
        self.year: SchoolYear
        self.classes: dict[ClassKey, ClassGroup] = {}
        self.subjects: dict[str, Subject] = {}
        self.subgroups: dict[tuple[int, str], Subgroup] = {}
        self.staff_by_source: dict[str, Staff] = {}
        self.students_by_source: dict[str, Student] = {}
        self._audits: list[AuditEntry] = []

    # -- problems and the audit log ----------------------------------------------------------------

    def error(self, where: Where, code: str, **facts: object) -> None:
        self.problems.error(where.file, where.line, code, **facts)

    def warn(self, where: Where, code: str, **facts: object) -> None:
        self.problems.warn(where.file, where.line, code, **facts)

    def audit(self, action: str, entity: str, entity_id: int | None, **kw: str | int) -> None:
        self._audits.append(
            AuditEntry(
                self.now,
                self.viewer.staff_id,
                action,
                entity,
                entity_id,
                account_id=self.viewer.account_id,
                channel=self.viewer.channel,
                **kw,  # type: ignore[arg-type]
            )
        )

    async def write_audit(self) -> None:
        if self._audits:
            await self.uow.audit.add_all(self._audits)
            self._audits = []

    # -- the school and its year -----------------------------------------------------------------

    async def load_school(self, name: str = "") -> School:
        school = await self.uow.schools.first()
        if school is None:
            school = await self.uow.schools.add(
                School(name=name or "Школа", timezone=str(self.clock.tz))
            )
        self.school = school
        return school

    async def load_year(self, year: SchoolYear) -> None:
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

    # -- names -------------------------------------------------------------------------------------

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


def update(entity: object, **values: object) -> bool:
    """Set what differs; True when anything did."""
    changed = False
    for name, value in values.items():
        if getattr(entity, name) != value:
            setattr(entity, name, value)
            changed = True
    return changed
