"""What the school's archive must hold (rule 12), as facts; ``storage.archive`` writes the files.

- The journal of every class for every closed period, as an Excel copy named by year, period
  and class (000 §4.6: «имя файла: год, период, класс»): ``2026-2027_2_7А.xlsx``.
- The summary sheet of final marks of every graded class for every closed school year (003
  §5.9, kept 25 years; 001 §10.2: «сразу по завершении ведения учета»): the period, year, exam
  and final marks of each student in each subject.

A year is closed when all its periods are closed and it is over: a newer year has begun
(``schoolbot year new`` closes the last periods) or its last day has passed. The last period's
close alone does not close the year: exam and final marks come in June, after it.

Each item carries the moment it was closed (``source``): a period reopened and closed again
gets a new copy beside the old one (nothing in the archive is overwritten), and so does a
year's sheet when one of its periods is closed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core import rules
from core.access import SYSTEM
from core.clock import Clock
from core.errors import NotFound
from core.model import ClassGroup, FinalKind, MarkValue, Period, SchoolYear
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.reports import JournalExport, ReportService, Table, student_name

JOURNAL, SUMMARY = "journal", "summary"
# The summary sheet's last columns (message ids), after one per period.
SUMMARY_FINALS = (
    (FinalKind.YEAR, "Year mark"),
    (FinalKind.EXAM, "Exam mark"),
    (FinalKind.FINAL, "Final mark"),
)


@dataclass(frozen=True, slots=True)
class ArchiveItem:
    """One class's journal of one closed period, or its summary sheet of a closed year."""

    kind: str  # JOURNAL or SUMMARY
    year: str  # "2026/2027"
    year_id: int
    class_name: str
    class_id: int
    source: datetime  # when what it copies was closed
    period: int | None = None  # the period's number, for a journal
    period_kind: str = ""

    @property
    def stem(self) -> str:
        """The file's name without its extension, stable from one run to the next:
        ``2026-2027_2_7А`` (year, period, class: 000 §4.6), ``2026-2027_year_7А``."""
        middle = str(self.period) if self.kind == JOURNAL else "year"
        return f"{self.year.replace('/', '-')}_{middle}_{self.class_name}"


def year_closed(year: SchoolYear, periods: list[Period], newest: bool, today: date) -> bool:
    """All its periods closed, and a newer year begun or its last day past (see the module)."""
    over = not newest or today > year.ends_on
    return bool(periods) and all(p.closed for p in periods) and over


@dataclass(frozen=True, slots=True)
class ArchiveService:
    """Reads for the archive, as the system (the school's own record, not a person's read)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def due(self) -> list[ArchiveItem]:
        """Everything the archive should hold today, oldest year first."""
        items: list[ArchiveItem] = []
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            years = sorted(await uow.years.list_all(), key=lambda y: y.starts_on)
            for n, year in enumerate(years):
                periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
                classes = sorted(
                    await uow.classes.for_year(year.id),  # type: ignore[arg-type]
                    key=lambda c: (c.grade, c.letter),
                )
                for p in (p for p in periods if p.closed):
                    items += [_journal(year, p, c) for c in classes]
                if year_closed(year, periods, n == len(years) - 1, today):
                    source = max(p.closed_at for p in periods)  # type: ignore[type-var]
                    items += [
                        ArchiveItem(SUMMARY, year.name, year.id, c.name, c.id, source)  # type: ignore[arg-type]
                        for c in classes
                        if rules.graded(c.grade)
                    ]
        return items

    async def journal(self, item: ArchiveItem) -> JournalExport:
        reports = ReportService(self.uow, self.clock)
        return await reports.journal(SYSTEM, item.class_name, item.period, item.year_id)

    async def summary(self, item: ArchiveItem) -> Table:
        """Сводная ведомость итоговой успеваемости (003 §5.9): a row per student and subject
        with the period marks, the year mark, the exam and the final mark."""
        async with self.uow(readonly=True) as uow:
            cls = await uow.classes.get(item.class_id)
            year = await uow.years.get(item.year_id)
            if cls is None or year is None:
                raise NotFound("class", item.class_id)
            periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
            return await _summary(uow, cls, year, periods)


def _journal(year: SchoolYear, p: Period, c: ClassGroup) -> ArchiveItem:
    return ArchiveItem(
        JOURNAL,
        year.name,
        year.id,
        c.name,
        c.id,
        p.closed_at,
        p.number,
        p.kind.value,  # type: ignore[arg-type]
    )


async def _summary(
    uow: UnitOfWork, cls: ClassGroup, year: SchoolYear, periods: list[Period]
) -> Table:
    students = await uow.students.in_class_between(cls.id, year.starts_on, year.ends_on)  # type: ignore[arg-type]
    finals: dict[tuple[int, int, str, int | None], MarkValue] = {}
    for f in await uow.finals.for_students([s.id for s in students], year.id):  # type: ignore[misc, arg-type]
        finals[(f.student_id, f.subject_id, f.kind.value, f.period_id)] = f.value
    taught = {t.subject_id for t in await uow.teachings.for_class(cls.id)}  # type: ignore[arg-type]
    taught |= {subject for _, subject, _, _ in finals}
    names = {s.id: s.name for s in await uow.subjects.list_all()}
    subjects = sorted(taught, key=lambda sid: names.get(sid, "?"))
    rows = []
    for n, s in enumerate(students, start=1):
        for sid in subjects:
            marks = [finals.get((s.id, sid, FinalKind.PERIOD.value, p.id)) for p in periods]  # type: ignore[arg-type]
            marks += [finals.get((s.id, sid, kind.value, None)) for kind, _ in SUMMARY_FINALS]  # type: ignore[arg-type]
            rows.append((n, student_name(s), names.get(sid, "?"), *marks))
    headers = (
        "No.",
        "Student",
        "Subject",
        *(f"final:{p.kind.value}:{p.number}" for p in periods),
        *(name for _, name in SUMMARY_FINALS),
    )
    return Table("year_summary", "", headers, tuple(rows), {"class": cls.name, "year": year.name})
