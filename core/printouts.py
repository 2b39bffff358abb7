"""Paper diaries for guardians who refuse electronic access (rule 8; 000 §4.4, §7.2; 003 reg.2
§2.2.2): who is on paper, and the facts of a class's fortnight, one page set per student.

The administration, or the class's class teacher, marks a guardian as informed on paper and
prints the class; every student printed is one audited read and one row of the printouts log.
The core gathers the facts; a renderer given by the front-end (``PageRenderer``) makes the file
and says how many pages each student took, so the log counts real pages.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from core import access, audit, grading
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.calendar import Calendars, PeriodView, SchoolCalendar
from core.clock import Clock
from core.errors import AccessDenied, NotFound, ValidationFailed
from core.model import (
    AbsenceReason,
    AttendanceKind,
    ClassGroup,
    Guardian,
    MarkValue,
    Printout,
    RemarkKind,
    Student,
)
from core.people import class_named
from core.ports import UnitOfWork, UnitOfWorkFactory

FORTNIGHT_DAYS = 14  # 000 §7.2; 003 reg.2 §2.2.2: parents informed at least every two weeks
HOMEWORK_AHEAD_DAYS = 7  # the coming week's homework


# --- read models -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaperGuardian:
    id: int
    name: str
    children: str  # their children in this class
    paper_since: date | None


@dataclass(frozen=True, slots=True)
class PaperRoster:
    class_id: int
    class_name: str
    guardians: tuple[PaperGuardian, ...]  # in the order of the class list
    last_printed: date | None = None  # from the printouts log

    @property
    def on_paper(self) -> int:
        return sum(1 for g in self.guardians if g.paper_since is not None)


@dataclass(frozen=True, slots=True)
class PaperMark:
    day: date
    value: MarkValue
    work_code: str  # the work type, worded by ``locales.terms.work_type``
    work_short: str
    work_name: str


@dataclass(frozen=True, slots=True)
class PaperSubject:
    subject: str
    marks: tuple[PaperMark, ...]  # the fortnight's, by day
    forecast: grading.Forecast  # over the whole period so far (003 reg.3 §3)


@dataclass(frozen=True, slots=True)
class PaperAbsence:
    day: date
    slot: int | None
    subject: str
    late: bool
    reason: AbsenceReason | None
    minutes_late: int | None


@dataclass(frozen=True, slots=True)
class PaperRemark:
    day: date
    subject: str
    kind: RemarkKind
    text: str


@dataclass(frozen=True, slots=True)
class PaperHomework:
    due_on: date
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class StudentPage:
    """One student's paper diary: nothing of another student is in it."""

    student_id: int
    name: str
    guardians: tuple[str, ...]  # those informed on paper
    subjects: tuple[PaperSubject, ...]
    absences: tuple[PaperAbsence, ...]
    remarks: tuple[PaperRemark, ...]
    homework: tuple[PaperHomework, ...]


@dataclass(frozen=True, slots=True)
class ClassPrintout:
    school: str
    class_id: int
    class_name: str
    period: PeriodView | None
    starts_on: date
    ends_on: date
    students: tuple[StudentPage, ...]


# The front-end's renderer: the file and the pages each student took, by student id.
PageRenderer = Callable[[ClassPrintout], tuple[bytes, dict[int, int]]]


@dataclass(frozen=True, slots=True)
class PrintedClass:
    printout: ClassPrintout
    content: bytes
    pages: int


def fortnight(today: date) -> tuple[date, date]:
    """The last fourteen days up to today."""
    return today - timedelta(days=FORTNIGHT_DAYS - 1), today


def paper_guardians(guardians: Sequence[Guardian], today: date) -> list[Guardian]:
    """Those on paper as of ``today``."""
    return [g for g in guardians if g.paper_since is not None and g.paper_since <= today]


# --- the service -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintoutService:
    """Rule 8 on paper: the administration or the class's class teacher marks guardians and
    prints the class's fortnight (001 §3.1); each student printed is on record."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = field(default=NO_READS, compare=False, repr=False)
    calendars: Calendars = field(default_factory=Calendars, compare=False, repr=False)

    # -- who is on paper --------------------------------------------------------------------

    async def set_paper(self, viewer: Viewer, guardian_id: int, since: date | None) -> Guardian:
        """On paper from ``since`` (None: back to the bot); audited."""
        access.require_private(viewer)
        async with self.uow() as uow:
            guardian, links = await uow.guardians.with_links(guardian_id)
            if guardian is None:
                raise NotFound("guardian", guardian_id)
            students = await uow.students.many([x.student_id for x in links])
            if not (viewer.administers or {s.class_id for s in students} & viewer.class_teacher_of):
                raise AccessDenied("paper")
            if since is not None and since > self.clock.today() + timedelta(days=366):
                raise ValidationFailed("date", "too_far")
            before = guardian.paper_since
            if before == since:
                return guardian
            guardian.paper_since = since
            await uow.audit.add(
                audit.change(
                    viewer,
                    self.clock.now(),
                    "guardian.paper",
                    "guardian",
                    guardian_id,
                    before=before.isoformat() if before else "",
                    after=since.isoformat() if since else "",
                )
            )
            await uow.commit()
            return guardian

    async def roster(self, viewer: Viewer, class_id: int) -> PaperRoster:
        """The class's guardians and who of them is on paper."""
        access.require_private(viewer)
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_id)
            students = await uow.students.in_class(class_id, on=self.clock.today())
            names = {s.id: s.short_name for s in students}
            kids: dict[int, list[int]] = defaultdict(list)
            for link in await uow.guardian_links.for_students(list(names)):  # type: ignore[arg-type]
                kids[link.guardian_id].append(link.student_id)
            order = {s.id: i for i, s in enumerate(students)}
            guardians = sorted(
                await uow.guardians.many(list(kids)),
                key=lambda g: (min(order[k] for k in kids[g.id]), g.full_name),  # type: ignore[index]
            )
            printed = await uow.printouts.for_class(class_id)
        return PaperRoster(
            class_id,
            cls.name,
            tuple(
                PaperGuardian(
                    g.id,  # type: ignore[arg-type]
                    g.full_name,
                    ", ".join(names[k] for k in sorted(kids[g.id], key=order.__getitem__)),  # type: ignore[index]
                    g.paper_since,
                )
                for g in guardians
            ),
            printed[0].printed_at.astimezone(self.clock.tz).date() if printed else None,
        )

    async def classes_of(self, viewer: Viewer) -> list[tuple[int, str]]:
        """The classes this viewer prints for: every class of the year for the
        administration, their own for a class teacher."""
        access.require_private(viewer)
        async with self.uow(readonly=True) as uow:
            year = await uow.years.containing(self.clock.today())
            if year is None:
                return []
            return [
                (c.id, c.name)  # type: ignore[misc]
                for c in await uow.classes.for_year(year.id)  # type: ignore[arg-type]
                if viewer.administers or c.id in viewer.class_teacher_of
            ]

    # -- printing ---------------------------------------------------------------------------

    async def print_class(
        self,
        viewer: Viewer,
        class_ref: int | str,
        render: PageRenderer,
        everyone: bool = False,
        keep: Callable[[bytes], None] | None = None,
    ) -> PrintedClass:
        """The class's paper diaries (``everyone``: every student, for a parents' meeting),
        rendered off the event loop; ``keep`` stores the file, and only then is it logged."""
        printout = await self.gather(viewer, class_ref, everyone)
        if not printout.students:
            return PrintedClass(printout, b"", 0)
        content, pages = await asyncio.to_thread(render, printout)
        if keep is not None:
            await asyncio.to_thread(keep, content)
        await self._log(viewer, printout, pages)
        return PrintedClass(printout, content, sum(pages.values()))

    async def gather(
        self, viewer: Viewer, class_ref: int | str, everyone: bool = False
    ) -> ClassPrintout:
        """The facts of the class's fortnight, one page set per student printed; each is
        one read on record."""
        access.require_private(viewer)
        today = self.clock.today()
        start, end = fortnight(today)
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_ref)
            ref = await self.calendars.get(uow, cls.year_id)
            period = _period(ref, today)
            students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
            on_paper = await self._on_paper(uow, students, today)
            if not everyone:
                students = [s for s in students if s.id in on_paper]
            school = await uow.schools.first()
            pages = await self._pages(uow, ref, cls, students, on_paper, period, start, end)
        now = self.clock.now()
        for s in students:
            audit.note_read(self.reads, viewer, now, "report.printout", "class", cls.id, s.id)
        return ClassPrintout(
            school.name if school else "",
            cls.id,  # type: ignore[arg-type]
            cls.name,
            period,
            start,
            end,
            tuple(pages),
        )

    async def _log(self, viewer: Viewer, printout: ClassPrintout, pages: dict[int, int]) -> None:
        now = self.clock.now()
        period_id = printout.period.id if printout.period else None
        async with self.uow() as uow:
            await uow.printouts.add_all(
                [
                    Printout(
                        printout.class_id,
                        page.student_id,
                        period_id,
                        printout.starts_on,
                        printout.ends_on,
                        pages.get(page.student_id, 1),
                        now,
                        viewer.staff_id,
                    )
                    for page in printout.students
                ]
            )
            await uow.commit()

    # -- helpers ----------------------------------------------------------------------------

    async def _class(self, uow: UnitOfWork, viewer: Viewer, class_ref: int | str) -> ClassGroup:
        if isinstance(class_ref, str):
            cls = await class_named(uow, class_ref, self.clock.today())
        else:
            found = await uow.classes.get(class_ref)
            if found is None:
                # Only the administration learns that a class id does not exist.
                if not viewer.administers:
                    raise AccessDenied("read_contacts")
                raise NotFound("class", class_ref)
            cls = found
        access.require_read_contacts(viewer, cls.id)  # type: ignore[arg-type]
        return cls

    async def _on_paper(
        self, uow: UnitOfWork, students: Sequence[Student], today: date
    ) -> dict[int, list[str]]:
        """Students with a guardian on paper, with those guardians' names."""
        links = await uow.guardian_links.for_students([s.id for s in students])  # type: ignore[misc]
        guardians = {
            g.id: g
            for g in paper_guardians(
                await uow.guardians.many(sorted({x.guardian_id for x in links})), today
            )
        }
        found: dict[int, list[str]] = defaultdict(list)
        for x in links:
            if x.guardian_id in guardians:
                found[x.student_id].append(guardians[x.guardian_id].full_name)
        return found

    async def _pages(
        self,
        uow: UnitOfWork,
        ref: SchoolCalendar,
        cls: ClassGroup,
        students: Sequence[Student],
        on_paper: dict[int, list[str]],
        period: PeriodView | None,
        start: date,
        end: date,
    ) -> list[StudentPage]:
        if not students:
            return []
        ids = [s.id for s in students]
        since = min(start, period.starts_on) if period else start
        marks = await uow.marks.for_students(ids, since, end)  # type: ignore[arg-type]
        wanted = set(ids)
        records = [
            r
            for r in await uow.attendance.for_class(cls.id, start, end)  # type: ignore[arg-type]
            if r.student_id in wanted
        ]
        lessons = await uow.lessons.many(sorted({r.lesson_id for r in records}))
        slots = {x.id: x.slot for x in lessons}
        ahead = await uow.homework.due_for_class(
            cls.id,  # type: ignore[arg-type]
            end + timedelta(days=1),
            end + timedelta(days=HOMEWORK_AHEAD_DAYS),
        )
        members: dict[int, set[int]] = {}
        for group_id in sorted({h.subgroup_id for h in ahead if h.subgroup_id is not None}):
            members[group_id] = set(await uow.subgroups.member_ids(group_id, on=end))
        remarks = {s.id: await uow.remarks.for_student(s.id, start, end) for s in students}  # type: ignore[arg-type]

        by_student: dict[int, list] = defaultdict(list)
        for mark in marks:
            by_student[mark.student_id].append(mark)
        pages = []
        for s in students:
            sid: int = s.id  # type: ignore[assignment]
            pages.append(
                StudentPage(
                    sid,
                    s.full_name,
                    tuple(on_paper.get(sid, ())),
                    _subjects(ref, by_student[sid], period, start),
                    tuple(
                        PaperAbsence(
                            r.day,
                            slots.get(r.lesson_id),
                            ref.subject(r.subject_id),
                            r.kind == AttendanceKind.LATE,
                            r.reason,
                            r.minutes_late,
                        )
                        for r in sorted(
                            (r for r in records if r.student_id == sid),
                            key=lambda r: (r.day, slots.get(r.lesson_id) or 0),
                        )
                    ),
                    tuple(
                        PaperRemark(x.day, ref.subject(x.subject_id), x.kind, x.text)
                        for x in remarks[sid]
                    ),
                    tuple(
                        PaperHomework(h.due_on, ref.subject(h.subject_id), h.text)
                        for h in sorted(ahead, key=lambda h: (h.due_on, ref.subject(h.subject_id)))
                        if h.subgroup_id is None or sid in members.get(h.subgroup_id, ())
                    ),
                )
            )
        return pages


def _period(ref: SchoolCalendar, today: date) -> PeriodView | None:
    if not ref.periods:
        return None
    return ref.pick_period(None, today)


def _subjects(
    ref: SchoolCalendar, marks: list, period: PeriodView | None, start: date
) -> tuple[PaperSubject, ...]:
    """Each subject with marks in the fortnight or the period: the fortnight's marks and the
    forecast of the period mark from all of the period's (as the diary computes it)."""
    by_subject: dict[int, list] = defaultdict(list)
    for mark in marks:
        by_subject[mark.subject_id].append(mark)
    out = []
    for subject_id in ref.by_name(by_subject):
        items = sorted(by_subject[subject_id], key=lambda m: (m.day, m.id or 0))
        shown = tuple(
            PaperMark(m.day, m.value, *_work_type(ref, m.work_type_id))
            for m in items
            if m.day >= start
        )
        in_period = [
            m for m in items if period is None or period.starts_on <= m.day <= period.ends_on
        ]
        scored = [
            grading.Scored(m.value.points, _weight(ref, m.work_type_id))
            for m in in_period
            if m.value.points is not None
        ]
        forecast = grading.forecast(scored, ref.rounding_threshold, ref.min_marks)
        if shown or in_period:
            out.append(PaperSubject(ref.subject(subject_id), shown, forecast))
    return tuple(out)


def _work_type(ref: SchoolCalendar, work_type_id: int) -> tuple[str, str, str]:
    wt = ref.work_types.get(work_type_id)
    return (wt.code, wt.short, wt.name) if wt else ("", "", "")


def _weight(ref: SchoolCalendar, work_type_id: int) -> Fraction:
    wt = ref.work_types.get(work_type_id)
    return wt.weight if wt else Fraction(1)
