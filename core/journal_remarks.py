"""The deputy's control of the journal: remarks on how a teacher keeps it, fixed by a date.

The administration (director, deputy, journal admin) checks the journals and writes remarks
into them (001 §8.6; 002 §4.2, §5.1; 003 reg.2 §2.3.1; 004 §5.6): about a lesson, about a
subject in a class, or about a class's journal for a period. Each goes to the one who keeps
that part — the lesson's teacher (or its substitute), the subject's teacher in the class, the
class teacher — who fixes it by the date set (003 reg.2 §2.1.7) and marks it fixed; the author
is told. Every write is in the audit log; the report lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core import access, audit, rules
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.clock import Clock
from core.errors import AccessDenied, LessonInFuture, NotFound, PeriodClosed, RemarkTeacherRefused
from core.events import JournalRemarkFixed, JournalRemarkWritten
from core.model import ClassGroup, JournalRemark, Lesson, LessonStatus, Period, Staff
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.reports import ReportService, Table, _period_facts

RECENT_LESSONS = 6  # lessons offered to write a remark about, newest first
RECENT_DAYS = 30  # ... from this many days back


@dataclass(frozen=True, slots=True)
class Draft:
    """What the form collected; every id is checked again when it is written."""

    class_id: int
    teacher_id: int
    text: str
    due_on: date
    subject_id: int | None = None
    lesson_id: int | None = None
    period_id: int | None = None


@dataclass(frozen=True, slots=True)
class SubjectChoice:
    subject_id: int
    name: str
    teachers: tuple[tuple[int, str], ...]  # (staff id, short name) of the current teachings


@dataclass(frozen=True, slots=True)
class ClassChoice:
    """A class's parts a remark can be about, with who keeps each."""

    class_id: int
    class_name: str
    subjects: tuple[SubjectChoice, ...]
    class_teacher: tuple[int, str] | None
    period: Period | None  # the current one


@dataclass(frozen=True, slots=True)
class RemarkLine:
    """A remark as screens, pushes and the report show it, its names read once."""

    remark: JournalRemark
    teacher: str
    author: str
    class_name: str
    subject: str  # "" for a class's journal as a whole
    lesson: Lesson | None
    period: Period | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class JournalRemarkService:
    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS

    # -- the form ------------------------------------------------------------------------------

    async def class_parts(self, viewer: Viewer, class_id: int) -> ClassChoice:
        """The subjects taught in the class now, each with its teachers (two for a class split
        into groups), and the class teacher."""
        _require_writes(viewer)
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            cls = await _class(uow, class_id)
            teachings = await uow.teachings.for_class(class_id, on=today)
            staff = await _names(uow, [t.staff_id for t in teachings] + [cls.class_teacher_id])
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
            by_subject: dict[int, dict[int, str]] = {}
            for t in teachings:
                by_subject.setdefault(t.subject_id, {})[t.staff_id] = staff[t.staff_id]
            choices = tuple(
                SubjectChoice(sid, subjects.get(sid, "?"), tuple(sorted(people.items())))
                for sid, people in sorted(by_subject.items(), key=lambda kv: subjects.get(kv[0]))
            )
            head = cls.class_teacher_id
            period = _containing(await _periods(uow, cls), today)
        return ClassChoice(
            class_id, cls.name, choices, (head, staff[head]) if head else None, period
        )

    async def recent_lessons(
        self, viewer: Viewer, class_id: int, subject_id: int, teacher_id: int
    ) -> list[Lesson]:
        """The teacher's latest lessons of the subject in the class, up to today."""
        _require_writes(viewer)
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            await _class(uow, class_id)
            found = await uow.lessons.for_class(class_id, today - timedelta(RECENT_DAYS), today)
        mine = [
            x
            for x in found
            if x.subject_id == subject_id
            and teacher_id in (x.teacher_id, x.substitute_id)
            and x.status != LessonStatus.CANCELLED
        ]
        return sorted(mine, key=lambda x: (x.day, x.slot), reverse=True)[:RECENT_LESSONS]

    async def due_window(
        self, viewer: Viewer, class_id: int, lesson_id: int | None, period_id: int | None
    ) -> tuple[date, date]:
        """From when to when the remark may be due (``rules.remark_due_window``)."""
        ends_on = await self._ends_on(viewer, class_id, lesson_id, period_id)
        return rules.remark_due_window(self.clock.today(), ends_on)

    async def check_due(
        self,
        viewer: Viewer,
        class_id: int,
        lesson_id: int | None,
        period_id: int | None,
        due_on: date,
    ) -> None:
        """A typed date is refused at once, not only when the remark is sent."""
        ends_on = await self._ends_on(viewer, class_id, lesson_id, period_id)
        rules.ensure_remark_due(due_on, self.clock.today(), ends_on)

    async def _ends_on(
        self, viewer: Viewer, class_id: int, lesson_id: int | None, period_id: int | None
    ) -> date | None:
        _require_writes(viewer)
        async with self.uow(readonly=True) as uow:
            cls = await _class(uow, class_id)
            lesson = await _lesson(uow, cls, lesson_id)
            period = await self._period(uow, cls, lesson, period_id)
        return period.ends_on if period else None

    # -- writing and fixing ------------------------------------------------------------------

    async def write(self, viewer: Viewer, draft: Draft) -> RemarkLine:
        """A remark to the teacher who keeps that part of the journal, due in its window."""
        _require_writes(viewer)
        today = self.clock.today()
        text = rules.clean_remark_text(draft.text)
        async with self.uow() as uow:
            cls = await _class(uow, draft.class_id)
            if await uow.staff.get(draft.teacher_id) is None:
                raise NotFound("staff", draft.teacher_id)
            lesson = await _lesson(uow, cls, draft.lesson_id)
            subject_id = draft.subject_id
            if lesson is not None:
                if subject_id not in (None, lesson.subject_id):
                    raise NotFound("lesson", lesson.id)
                subject_id = lesson.subject_id
                if lesson.day > today:
                    raise LessonInFuture(lesson.day)
            elif subject_id is not None and await uow.subjects.get(subject_id) is None:
                raise NotFound("subject", subject_id)
            await _require_keeps(uow, cls, draft.teacher_id, subject_id, lesson, today)
            period = await self._period(uow, cls, lesson, draft.period_id)
            if period is not None and period.closed:
                raise PeriodClosed(period.id, lesson.day if lesson else None)
            rules.ensure_remark_due(draft.due_on, today, period.ends_on if period else None)
            remark = await uow.journal_remarks.add(
                JournalRemark(
                    draft.teacher_id,
                    cls.id,  # type: ignore[arg-type]
                    text,
                    draft.due_on,
                    author_id=viewer.staff_id or 0,
                    created_at=self.clock.now(),
                    subject_id=subject_id,
                    lesson_id=lesson.id if lesson else None,
                    period_id=period.id if period and lesson is None else None,
                )
            )
            await uow.audit.add(
                audit.change(
                    viewer,
                    self.clock.now(),
                    "journal_remark.write",
                    "journal_remark",
                    remark.id,
                    after=f"{draft.teacher_id}: {text}",
                )
            )
            uow.emit(JournalRemarkWritten(remark.id, remark.teacher_id))  # type: ignore[arg-type]
            line = (await self._lines(uow, [remark]))[0]
            await uow.commit()
        return line

    async def fix(self, viewer: Viewer, remark_id: int) -> RemarkLine:
        """Marked fixed by the teacher it is addressed to, or by the administration; the author
        is told. Pressed twice, it stays fixed once."""
        access.require_private(viewer)
        async with self.uow() as uow:
            remark = await _remark(uow, remark_id)
            if viewer.staff_id != remark.teacher_id and not viewer.administers:
                raise AccessDenied("journal_remark")
            if not remark.fixed:
                now = self.clock.now()
                remark.fixed_at = now
                remark.fixed_by = viewer.staff_id
                await uow.audit.add(
                    audit.change(viewer, now, "journal_remark.fix", "journal_remark", remark.id)
                )
                uow.emit(JournalRemarkFixed(remark.id, remark.author_id))  # type: ignore[arg-type]
            line = (await self._lines(uow, [remark]))[0]
            await uow.commit()
        return line

    # -- reading -----------------------------------------------------------------------------

    async def one(self, viewer: Viewer, remark_id: int) -> RemarkLine:
        """A remark, to its teacher, its author and the administration."""
        access.require_private(viewer)
        async with self.uow(readonly=True) as uow:
            remark = await _remark(uow, remark_id)
            if viewer.staff_id not in (remark.teacher_id, remark.author_id) and not (
                viewer.administers
            ):
                raise AccessDenied("journal_remark")
            return (await self._lines(uow, [remark]))[0]

    async def my_open(self, viewer: Viewer) -> list[RemarkLine]:
        """The remarks the viewer still has to fix, by due date ([] for anyone but staff)."""
        if viewer.staff_id is None:
            return []
        async with self.uow(readonly=True) as uow:
            return await self._lines(uow, await uow.journal_remarks.open_for(viewer.staff_id))

    async def all_open(self, viewer: Viewer) -> list[RemarkLine]:
        """Every open remark, by teacher and due date: the administration's list."""
        _require_writes(viewer)
        async with self.uow(readonly=True) as uow:
            lines = await self._lines(uow, await uow.journal_remarks.open_all())
        return sorted(lines, key=lambda x: (x.teacher, x.remark.due_on, x.remark.id or 0))

    async def report(self, viewer: Viewer, period: int | None) -> Table:
        """«Замечания по ведению журналов»: every remark written in the period, with when it was
        fixed or that it is overdue (003 reg.2 §2.3.1)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            helper = ReportService(self.uow, self.clock)
            year = await helper._year(uow)
            p = await helper._period(uow, year, period)
            audit.note_read(
                self.reads, viewer, self.clock.now(), "report.journal_remarks", "school", None
            )
            tz = self.clock.tz
            start = datetime.combine(p.starts_on, datetime.min.time(), tzinfo=tz)
            end = datetime.combine(p.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            lines = await self._lines(uow, await uow.journal_remarks.between(start, end))
        rows = tuple(
            (
                x.remark.created_at.astimezone(tz).date(),
                x.author,
                x.teacher,
                x.class_name,
                x.subject or "remark.class_journal",
                x.lesson.day if x.lesson else None,
                x.lesson.slot if x.lesson else None,
                x.remark.text,
                x.remark.due_on,
                x.remark.fixed_at.astimezone(tz).date() if x.remark.fixed_at else None,
                "remark.overdue" if x.overdue else ("remark.fixed" if x.remark.fixed else ""),
            )
            for x in lines
        )
        return Table(
            "journal_remarks",
            "",
            (
                "Written on",
                "Author",
                "Teacher",
                "Class",
                "Subject",
                "Lesson date",
                "Lesson no.",
                "Remark",
                "Fix by",
                "Fixed on",
                "Status",
            ),
            rows,
            {**_period_facts(p), "year": year.name},
        )

    # -- helpers -----------------------------------------------------------------------------

    async def _period(
        self, uow: UnitOfWork, cls: ClassGroup, lesson: Lesson | None, period_id: int | None
    ) -> Period | None:
        """The period a remark is about: the lesson's, the one given (of the class's year), or
        the current one (None in the holidays)."""
        periods = await _periods(uow, cls)
        if lesson is not None:
            return _containing(periods, lesson.day)
        if period_id is not None:
            found = next((p for p in periods if p.id == period_id), None)
            if found is None:
                raise NotFound("period", period_id)
            return found
        return _containing(periods, self.clock.today())

    async def _lines(self, uow: UnitOfWork, remarks: Sequence[JournalRemark]) -> list[RemarkLine]:
        if not remarks:
            return []
        today = self.clock.today()
        staff = await _names(uow, [i for r in remarks for i in (r.teacher_id, r.author_id)])
        subjects = {s.id: s.name for s in await uow.subjects.list_all()}
        classes = {r.class_id: await uow.classes.get(r.class_id) for r in remarks}
        lessons = {
            x.id: x for x in await uow.lessons.many([r.lesson_id for r in remarks if r.lesson_id])
        }
        periods = {r.period_id: await uow.periods.get(r.period_id) for r in remarks if r.period_id}
        return [
            RemarkLine(
                r,
                staff.get(r.teacher_id, "?"),
                staff.get(r.author_id, "?"),
                c.name if (c := classes.get(r.class_id)) else "?",
                subjects.get(r.subject_id, "") if r.subject_id else "",
                lessons.get(r.lesson_id) if r.lesson_id else None,
                periods.get(r.period_id) if r.period_id else None,
                not r.fixed and r.due_on < today,
            )
            for r in remarks
        ]


def _require_writes(viewer: Viewer) -> None:
    """Remarks on the journal: the director, the deputy, the journal admin (003 reg.2
    §2.3.1); a subject teacher or a class teacher is refused."""
    access.require_private(viewer)
    if viewer.system or viewer.staff_id is None:
        raise AccessDenied("journal_remark")  # the author is a person, not the console
    access.require_administration(viewer)


async def _class(uow: UnitOfWork, class_id: int) -> ClassGroup:
    cls = await uow.classes.get(class_id)
    if cls is None:
        raise NotFound("class", class_id)
    return cls


async def _lesson(uow: UnitOfWork, cls: ClassGroup, lesson_id: int | None) -> Lesson | None:
    if lesson_id is None:
        return None
    lesson = await uow.lessons.get(lesson_id)
    if lesson is None or lesson.class_id != cls.id:
        raise NotFound("lesson", lesson_id)
    return lesson


async def _remark(uow: UnitOfWork, remark_id: int) -> JournalRemark:
    remark = await uow.journal_remarks.get(remark_id)
    if remark is None:
        raise NotFound("journal_remark", remark_id)
    return remark


async def _require_keeps(
    uow: UnitOfWork,
    cls: ClassGroup,
    teacher_id: int,
    subject_id: int | None,
    lesson: Lesson | None,
    today: date,
) -> None:
    """The remark goes to the one who keeps that part of the journal."""
    if lesson is not None:
        keeps = teacher_id in (lesson.teacher_id, lesson.substitute_id)
    elif subject_id is not None:
        keeps = any(
            t.staff_id == teacher_id and t.subject_id == subject_id
            for t in await uow.teachings.for_class(cls.id, on=today)  # type: ignore[arg-type]
        )
    else:
        keeps = cls.class_teacher_id == teacher_id
    if not keeps:
        raise RemarkTeacherRefused()


async def _periods(uow: UnitOfWork, cls: ClassGroup) -> list[Period]:
    return await uow.periods.for_year(cls.year_id)


def _containing(periods: Sequence[Period], day: date) -> Period | None:
    return next((p for p in periods if p.contains(day)), None)


async def _names(uow: UnitOfWork, ids: Sequence[int | None]) -> dict[int, str]:
    people: list[Staff] = await uow.staff.many(sorted({i for i in ids if i is not None}))
    return {s.id: s.short_name for s in people}  # type: ignore[misc]
