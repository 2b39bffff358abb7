"""Reports and the journal's archive copy (rules 11 and 12), as plain tables of facts.

Each report is one read-only unit of work; front-ends turn the tables into XLSX files or
messages. Marks and absence codes stay raw values here; their printed forms are the
exporter's business.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from core import access, audit, rules
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.clock import Clock
from core.errors import AccessDenied, NotFound, ValidationFailed
from core.model import (
    AttendanceKind,
    AttendanceRecord,
    ClassGroup,
    FinalKind,
    LessonStatus,
    Mark,
    MarkValue,
    Period,
    PersonRole,
    SchoolYear,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class JournalColumn:
    day: date
    topic: str
    homework: str
    work_types: str


@dataclass(frozen=True, slots=True)
class StudentName:
    """A student on a sheet who has left the school: shown with the day they left."""

    name: str
    left_on: date

    def __str__(self) -> str:
        return self.name


def student_name(s: Student) -> str | StudentName:
    """The name a list of the administration shows: a student who left is marked so."""
    return StudentName(s.full_name, s.left_on) if s.left_on is not None else s.full_name


@dataclass(frozen=True, slots=True)
class JournalLine:
    student: str | StudentName
    cells: tuple[tuple[tuple[MarkValue, ...], str], ...]  # marks, absence code per column
    final: MarkValue | None


@dataclass(frozen=True, slots=True)
class JournalPage:
    subject: str
    group: str
    teacher: str
    columns: tuple[JournalColumn, ...]
    lines: tuple[JournalLine, ...]


@dataclass(frozen=True, slots=True)
class JournalExport:
    year: str
    period: int
    class_name: str
    pages: tuple[JournalPage, ...]
    period_kind: str = "quarter"  # a PeriodKind value: the period is named by its kind

    @property
    def file_name(self) -> str:
        """``<year>_<period>_<class>.xlsx`` (000 §4.6)."""
        return f"{self.year.replace('/', '-')}_{self.period}_{self.class_name}.xlsx"


@dataclass(frozen=True, slots=True)
class Table:
    """A report: a title, headers (message ids, translated when shown) and rows."""

    kind: str
    title: str  # facts for the title: class, period, dates
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    facts: dict[str, object] = field(default_factory=dict)


def _period_facts(p: Period) -> dict[str, object]:
    """A report names its period by number and kind («II четверть»), as every screen does."""
    return {"period": p.number, "period_kind": p.kind.value}


def absence_code(record: AttendanceRecord | None) -> str:
    """н (unexcused or not yet explained), б, у; оп for lateness — as on paper."""
    if record is None:
        return ""
    if record.kind == AttendanceKind.LATE:
        return "late"
    return record.reason.value if record.reason else "absent"


@dataclass(frozen=True, slots=True)
class ReportService:
    """Rule 11 reports and rule 12 archive copies: the administration (and, for their own
    class, the class teacher) read them (001 §3.1)."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS  # every report read by staff or at the console is on record

    def _noted(
        self, viewer: Viewer, what: str, class_id: int | None, students: Iterable[Student]
    ) -> None:
        """One read per student on the report (whose data it shows), or one for the school."""
        at = self.clock.now()
        entity = "class" if class_id is not None else "school"
        ids = [s.id for s in students]
        for student_id in ids or [None]:
            audit.note_read(self.reads, viewer, at, f"report.{what}", entity, class_id, student_id)

    # -- lookups ---------------------------------------------------------------------------

    async def _class(
        self, uow: UnitOfWork, viewer: Viewer, name: str, year_id: int | None = None
    ) -> ClassGroup:
        """The class of that name in ``year_id`` (default: the current year)."""
        if year_id is None:
            year_id = (await self._year(uow)).id
        from core.tabular import parse_class

        key = parse_class(name)
        cls = await uow.classes.by_name(year_id, *key) if key else None  # type: ignore[arg-type]
        if cls is None:
            raise NotFound("class", name)
        access.require_private(viewer)
        if not (viewer.administers or cls.id in viewer.class_teacher_of):
            raise AccessDenied("report")
        return cls

    async def _year(self, uow: UnitOfWork) -> SchoolYear:
        year = await uow.years.containing(self.clock.today())
        if year is None:
            years = await uow.years.list_all()
            if not years:
                raise NotFound("year", self.clock.today())
            year = max(years, key=lambda y: y.starts_on)
        return year

    async def _period(self, uow: UnitOfWork, year: SchoolYear, number: int | None) -> Period:
        periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
        if number is None:
            today = self.clock.today()
            found = [p for p in periods if p.starts_on <= today]
            if not found:
                raise NotFound("period", today)
            return found[-1]
        for p in periods:
            if p.number == number:
                return p
        raise NotFound("period", number)

    async def _why_empty(
        self, uow: UnitOfWork, year: SchoolYear, p: Period, finals: dict
    ) -> dict[str, object]:
        """Why a summary sheet has no period marks: «not_yet» (the window opens later, its
        dates given) or «none» (the window is open or over and nobody gave any)."""
        if finals:
            return {}
        school = await uow.schools.get(year.school_id)
        if school is None:
            return {"empty": "none"}
        opens, closes = rules.school_final_window(p, school)
        if self.clock.today() < opens:
            return {"empty": "not_yet", "opens": opens, "closes": closes}
        return {"empty": "none", "opens": opens, "closes": closes}

    async def _roster(
        self, uow: UnitOfWork, cls: ClassGroup, start: date, end: date
    ) -> list[Student]:
        """Everyone in the class for any day of [start, end], as they were then: a student
        who moved in or out later stays on the sheets of the periods they were in it."""
        return await uow.students.in_class_between(cls.id, start, end)  # type: ignore[arg-type]

    # -- the journal's archive copy --------------------------------------------------------

    async def journal(
        self, viewer: Viewer, class_name: str, period: int | None, year_id: int | None = None
    ) -> JournalExport:
        """Per subject (and subgroup): students x lesson dates with marks and absences, the
        topics and homework, the period mark (000 §4.6). ``year_id``: a past year's (the
        archive's copies, ``core.archive``); the current one by default."""
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name, year_id)
            year = await uow.years.get(cls.year_id)
            assert year is not None
            p = await self._period(uow, year, period)
            students = await self._roster(uow, cls, p.starts_on, p.ends_on)
            self._noted(viewer, "journal", cls.id, students)
            # the lessons held so far: the ones made ahead from the timetable are not yet
            held = min(p.ends_on, self.clock.today())
            lessons = [
                x
                for x in await uow.lessons.for_class(cls.id, p.starts_on, held)  # type: ignore[arg-type]
                if x.status != LessonStatus.CANCELLED
            ]
            ids = [s.id for s in students]
            marks: dict[tuple[int, int], list[Mark]] = defaultdict(list)
            for mk in await uow.marks.for_students(ids, p.starts_on, p.ends_on):  # type: ignore[arg-type]
                marks[(mk.lesson_id, mk.student_id)].append(mk)
            absences = {
                (r.lesson_id, r.student_id): r
                for r in await uow.attendance.for_class(cls.id, p.starts_on, p.ends_on)  # type: ignore[arg-type]
            }
            homework = {
                h.lesson_id: h.text for h in await uow.homework.for_lessons([x.id for x in lessons])
            }  # type: ignore[misc]
            finals = {
                (f.student_id, f.subject_id): f.value
                for f in await uow.finals.for_students(ids, year.id)  # type: ignore[arg-type]
                if f.kind == FinalKind.PERIOD and f.period_id == p.id
            }
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
            groups = {g.id: g for g in await uow.subgroups.for_class(cls.id)}  # type: ignore[arg-type]
            work_types = {w.id: w.short for w in await uow.work_types.list_all()}
            staff = {s.id: s.short_name for s in await uow.staff.list_all()}
            by_page: dict[tuple[int, int | None], list] = defaultdict(list)
            for lesson in lessons:
                by_page[(lesson.subject_id, lesson.subgroup_id)].append(lesson)
            pages = []
            for (subject_id, group_id), page_lessons in sorted(
                by_page.items(), key=lambda kv: (subjects.get(kv[0][0], ""), kv[0][1] or 0)
            ):
                members = students
                if group_id is not None:
                    inside = set(await uow.subgroups.member_ids(group_id))
                    members = [s for s in students if s.id in inside]
                columns = tuple(
                    JournalColumn(
                        x.day,
                        x.topic,
                        homework.get(x.id, ""),  # type: ignore[arg-type]
                        "/".join(
                            dict.fromkeys(
                                work_types.get(m.work_type_id, "")
                                for s in members
                                for m in marks.get((x.id, s.id), [])  # type: ignore[arg-type]
                            )
                        ),
                    )
                    for x in page_lessons
                )
                lines = tuple(
                    JournalLine(
                        student_name(s),
                        tuple(
                            (
                                tuple(m.value for m in marks.get((x.id, s.id), [])),  # type: ignore[arg-type]
                                absence_code(absences.get((x.id, s.id))),  # type: ignore[arg-type]
                            )
                            for x in page_lessons
                        ),
                        finals.get((s.id, subject_id)),  # type: ignore[arg-type]
                    )
                    for s in members
                )
                teacher_ids = dict.fromkeys(x.teacher_id for x in page_lessons)
                pages.append(
                    JournalPage(
                        subjects.get(subject_id, "?"),
                        groups[group_id].name if group_id in groups else "",
                        ", ".join(staff.get(t, "") for t in teacher_ids),
                        columns,
                        lines,
                    )
                )
            return JournalExport(year.name, p.number, cls.name, tuple(pages), p.kind.value)

    # -- reports ---------------------------------------------------------------------------

    async def _finals_grid(
        self, uow: UnitOfWork, cls: ClassGroup, year: SchoolYear, p: Period
    ) -> tuple[list[Student], list[tuple[int, str]], dict[tuple[int, int], MarkValue]]:
        students = await self._roster(uow, cls, p.starts_on, p.ends_on)
        finals = {
            (f.student_id, f.subject_id): f.value
            for f in await uow.finals.for_students([s.id for s in students], year.id)  # type: ignore[misc]
            if f.kind == FinalKind.PERIOD and f.period_id == p.id
        }
        taught = {t.subject_id for t in await uow.teachings.for_class(cls.id)}  # type: ignore[arg-type]
        taught |= {sid for _, sid in finals}
        names = {s.id: s.name for s in await uow.subjects.list_all()}
        subjects = sorted(((sid, names.get(sid, "?")) for sid in taught), key=lambda x: x[1])
        return students, subjects, finals

    async def marks_summary(self, viewer: Viewer, class_name: str, period: int | None) -> Table:
        """Сводная ведомость: students x subjects of period marks (rule 11)."""
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name)
            year = await uow.years.get(cls.year_id)
            p = await self._period(uow, year, period)  # type: ignore[arg-type]
            students, subjects, finals = await self._finals_grid(uow, cls, year, p)  # type: ignore[arg-type]
            self._noted(viewer, "marks_summary", cls.id, students)
            rows = tuple(
                (n, student_name(s), *(finals.get((s.id, sid)) for sid, _ in subjects))  # type: ignore[arg-type]
                for n, s in enumerate(students, start=1)
            )
            return Table(
                "marks_summary",
                "",
                ("No.", "Student", *(name for _, name in subjects)),
                rows,
                {
                    "class": cls.name,
                    **_period_facts(p),
                    "year": year.name,  # type: ignore[union-attr]
                    **await self._why_empty(uow, year, p, finals),  # type: ignore[arg-type]
                },
            )

    async def class_results(self, viewer: Viewer, class_name: str, period: int | None) -> Table:
        """Excellent, good, with one 3, failing, quality % and success % (003 §4.3)."""
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name)
            year = await uow.years.get(cls.year_id)
            p = await self._period(uow, year, period)  # type: ignore[arg-type]
            students, subjects, finals = await self._finals_grid(uow, cls, year, p)  # type: ignore[arg-type]
            self._noted(viewer, "results", cls.id, students)
            rows = []
            counts = {"excellent": 0, "good": 0, "one_three": 0, "failing": 0, "not_assessed": 0}
            for s in students:
                values = [finals[(s.id, sid)] for sid, _ in subjects if (s.id, sid) in finals]  # type: ignore[index]
                points = [v.points for v in values if v.points is not None]
                if not values:
                    kind = "not_assessed"
                elif any(v.failing for v in values):
                    kind = "failing"
                elif points and min(points) == 5:
                    kind = "excellent"
                elif points and min(points) >= 4:
                    kind = "good"
                elif points.count(3) == 1:
                    kind = "one_three"
                else:
                    kind = ""
                if kind:
                    counts[kind] += 1
                rows.append((student_name(s), kind))
            total = len(students)
            quality = round(100 * (counts["excellent"] + counts["good"]) / total, 1) if total else 0
            success = round(100 * (total - counts["failing"]) / total, 1) if total else 0
            return Table(
                "class_results",
                "",
                (
                    "Students",
                    "Excellent",
                    "Good",
                    "With one 3",
                    "Failing",
                    "Not assessed",
                    "Quality, %",
                    "Success, %",
                ),
                (
                    (
                        total,
                        counts["excellent"],
                        counts["good"],
                        counts["one_three"],
                        counts["failing"],
                        counts["not_assessed"],
                        quality,
                        success,
                    ),
                ),
                {
                    "class": cls.name,
                    **_period_facts(p),
                    "year": year.name,  # type: ignore[union-attr]
                    "students": rows,
                },
            )

    async def attendance_summary(
        self, viewer: Viewer, class_name: str, start: date, end: date, kind: str = "attendance"
    ) -> Table:
        """Per student: lessons missed, by reason (unexcused apart from those with no reason
        recorded yet), and lateness (000 §4.4)."""
        if start > end:
            raise ValidationFailed("end", "before_start")
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name)
            students = await self._roster(uow, cls, start, end)
            self._noted(viewer, kind, cls.id, students)
            records = await uow.attendance.for_class(cls.id, start, end)  # type: ignore[arg-type]
            tally: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for r in records:
                tally[r.student_id][absence_code(r)] += 1
            rows = []
            for n, s in enumerate(students, start=1):
                t = tally[s.id]  # type: ignore[index]
                missed = t["sick"] + t["excused"] + t["unexcused"] + t["absent"]
                rows.append(
                    (
                        n,
                        student_name(s),
                        missed,
                        t["sick"],
                        t["excused"],
                        t["unexcused"],
                        t["absent"],
                        t["late"],
                    )
                )
            return Table(
                kind,
                "",
                (
                    "No.",
                    "Student",
                    "Lessons missed",
                    "Sick",
                    "Excused",
                    "Unexcused",
                    "No reason given yet",
                    "Late",
                ),
                tuple(rows),
                {"class": cls.name, "start": start, "end": end},
            )

    async def monthly_attendance(
        self, viewer: Viewer, class_name: str, year: int, month: int
    ) -> Table:
        """The class's month: lessons missed by each student on each day (000 §4.4)."""
        days = calendar.monthrange(year, month)[1]
        start, end = date(year, month, 1), date(year, month, days)
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name)
            students = await self._roster(uow, cls, start, end)
            self._noted(viewer, "monthly_attendance", cls.id, students)
            missed: dict[tuple[int, int], int] = defaultdict(int)
            for r in await uow.attendance.for_class(cls.id, start, end):  # type: ignore[arg-type]
                if r.kind == AttendanceKind.ABSENT:
                    missed[(r.student_id, r.day.day)] += 1
            rows = []
            for n, s in enumerate(students, start=1):
                per_day = [missed.get((s.id, d)) or None for d in range(1, days + 1)]  # type: ignore[misc]
                rows.append((n, student_name(s), *per_day, sum(v or 0 for v in per_day)))
            return Table(
                "monthly_attendance",
                "",
                ("No.", "Student", *(str(d) for d in range(1, days + 1)), "Total"),
                tuple(rows),
                {"class": cls.name, "month": f"{month:02d}.{year}"},
            )

    async def journal_quality(
        self, viewer: Viewer, period: int | None, dates: tuple[date, date] | None = None
    ) -> Table:
        """Per teacher and class: students with no marks or one mark, lessons without a topic
        or homework, marks entered after their deadline (000 §4.2-4.4; 003 §4.3). ``dates``:
        these days instead of the period so far (the deputy's weekly analysis, core.control)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            year = await self._year(uow)
            p = await self._period(uow, year, period)
            self._noted(viewer, "quality", None, ())  # counts per teacher, no child named
            start, end = dates or (p.starts_on, min(p.ends_on, self.clock.today()))
            staff = {s.id: s.full_name for s in await uow.staff.list_all()}
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
            work_types = {w.id: w for w in await uow.work_types.list_all()}
            rows = []
            for cls in await uow.classes.for_year(year.id):  # type: ignore[arg-type]
                lessons = [
                    x
                    for x in await uow.lessons.for_class(cls.id, start, end)  # type: ignore[arg-type]
                    if x.status != LessonStatus.CANCELLED
                ]
                if not lessons:
                    continue
                students = await self._roster(uow, cls, start, end)
                student_ids = [s.id for s in students]
                marks: dict[int, list] = defaultdict(list)  # by lesson
                for mk in await uow.marks.facts_for_students(student_ids, start, end):  # type: ignore[arg-type]
                    marks[mk.lesson_id].append(mk)
                homework = {
                    h.lesson_id for h in await uow.homework.for_lessons([x.id for x in lessons])
                }  # type: ignore[misc]
                groups: dict[tuple[int, int, int | None], list] = defaultdict(list)
                for x in lessons:
                    groups[(x.teacher_id, x.subject_id, x.subgroup_id)].append(x)
                lesson_ids = {x.id: x for x in lessons}
                for (teacher, subject, group), items in sorted(
                    groups.items(),
                    key=lambda kv: (staff.get(kv[0][0], ""), subjects.get(kv[0][1], "")),
                ):
                    members = students
                    if group is not None:
                        inside = set(await uow.subgroups.member_ids(group))
                        members = [s for s in students if s.id in inside]
                    count: dict[int, int] = defaultdict(int)
                    late = 0
                    for mk in (mk for x in items for mk in marks.get(x.id, ())):  # type: ignore[arg-type]
                        count[mk.student_id] += 1
                        wt = work_types.get(mk.work_type_id)
                        lesson = lesson_ids[mk.lesson_id]
                        # an imported mark is history, entered when it was imported
                        if (
                            wt is not None
                            and not mk.source
                            and mk.created_at.astimezone(self.clock.tz).date()
                            > rules.mark_deadline(lesson.day, cls.grade, wt)
                        ):
                            late += 1
                    graded = rules.graded(cls.grade)
                    no_marks = sum(1 for s in members if count[s.id] == 0) if graded else 0  # type: ignore[index]
                    one_mark = sum(1 for s in members if count[s.id] == 1) if graded else 0  # type: ignore[index]
                    no_topic = sum(1 for x in items if not x.topic)
                    no_homework = sum(1 for x in items if x.id not in homework) if graded else 0
                    rows.append(
                        (
                            staff.get(teacher, "?"),
                            cls.name,
                            subjects.get(subject, "?"),
                            len(items),
                            len(members),
                            no_marks,
                            one_mark,
                            no_topic,
                            no_homework,
                            late,
                        )
                    )
            return Table(
                "journal_quality",
                "",
                (
                    "Teacher",
                    "Class",
                    "Subject",
                    "Lessons",
                    "Students",
                    "No marks",
                    "One mark",
                    "No topic",
                    "No homework",
                    "Marks entered late",
                ),
                tuple(rows),
                {**_period_facts(p), "year": year.name},
            )

    async def guardians_activity(self, viewer: Viewer, class_name: str) -> Table:
        """Which guardians are linked and have consented (000 §4.4; 003 reg.3 §6)."""
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, viewer, class_name)
            today = self.clock.today()
            students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
            self._noted(viewer, "guardians", cls.id, students)
            links = [x for x in await uow.account_links.list_all() if x.unlinked_at is None]
            linked = {(x.role, x.person_id): x.linked_at for x in links}
            accounts = {a.id: a for a in await uow.accounts.many([x.account_id for x in links])}
            seen: dict[tuple[PersonRole, int], date] = {}
            for x in links:
                at = getattr(accounts.get(x.account_id), "last_seen_at", None)
                key = (x.role, x.person_id)
                if at is not None and (key not in seen or seen[key] < at.date()):
                    seen[key] = at.date()
            rows = []
            for s in students:
                for gl in await uow.guardian_links.for_student(s.id):  # type: ignore[arg-type]
                    g = await uow.guardians.get(gl.guardian_id)
                    at = linked.get((PersonRole.GUARDIAN, gl.guardian_id))
                    rows.append(
                        (
                            s.full_name,
                            g.full_name if g else "?",
                            gl.relation,
                            at.date() if at else None,
                            gl.consent_at.date() if gl.consent_at else None,
                            seen.get((PersonRole.GUARDIAN, gl.guardian_id)),
                        )
                    )
                at = linked.get((PersonRole.STUDENT, s.id))  # type: ignore[arg-type]
                last = seen.get((PersonRole.STUDENT, s.id))  # type: ignore[arg-type]
                rows.append((s.full_name, "", "student", at.date() if at else None, None, last))
            return Table(
                "guardians_activity",
                "",
                ("Student", "Guardian", "Relation", "Linked on", "Consent on", "Last seen"),
                tuple(rows),
                {"class": cls.name},
            )

    async def movement(self, viewer: Viewer, start: date, end: date) -> Table:
        """Arrivals and departures in [start, end] (rule 11)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            classes = {c.id: c for c in await uow.classes.list_all()}
            students = {s.id: s for s in await uow.students.list_all()}
            history = await uow.class_history.between(start - timedelta(days=1), end)

        def name(class_id: int) -> str:
            return classes[class_id].name if class_id in classes else ""

        rows = []
        shown: set[int] = set()  # whose names the report shows
        for s in students.values():
            if s.arrived_on and start <= s.arrived_on <= end:
                rows.append((s.arrived_on, "arrived", s.full_name, name(s.class_id)))
                shown.add(s.id)  # type: ignore[arg-type]
            if s.left_on and start <= s.left_on <= end:
                rows.append((s.left_on, "left", s.full_name, name(s.class_id)))
                shown.add(s.id)  # type: ignore[arg-type]
        # a transfer: a class left the day before another began, within one school year
        after: dict[int, list[tuple[date, int]]] = {}
        for h in history:
            after.setdefault(h.student_id, []).append((h.starts_on, h.class_id))
        for h in history:
            day = h.ends_on + timedelta(days=1)
            s = students.get(h.student_id)
            if s is None or not start <= day <= end:
                continue
            if s.class_since == day:
                to = s.class_id
            else:
                to = next((c for d, c in after.get(h.student_id, []) if d == day), None)
            if to is None or classes[to].year_id != classes[h.class_id].year_id:
                continue  # a new school year, or they left
            move = f"{name(h.class_id)} → {name(to)}"
            rows.append((day, "transferred", s.full_name, move))
            shown.add(h.student_id)
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        self._noted(viewer, "movement", None, [students[i] for i in sorted(shown)])
        return Table(
            "movement",
            "",
            ("Date", "Movement", "Student", "Class"),
            tuple(rows),
            {"start": start, "end": end},
        )

    async def corrections(self, viewer: Viewer, period: int | None) -> Table:
        """Every mark corrected or removed and every period mark changed in the period, with
        who, when and why (rule 4; 001 §8.6): the administration's (001 §3.1)."""
        from core.corrections import HEADERS, correction_rows

        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            year = await self._year(uow)
            p = await self._period(uow, year, period)
            rows, students = await correction_rows(uow, p, self.clock.now())
        self._noted(viewer, "corrections", None, students)
        return Table(
            "corrections", "", HEADERS, tuple(rows), {**_period_facts(p), "year": year.name}
        )

    async def statement(self, viewer: Viewer, student_id: int) -> Table:
        """A student's marks statement for a transfer (001 §7.7): every current mark of the
        year by subject, the period and year marks, and absences."""
        async with self.uow(readonly=True) as uow:
            student = await uow.students.get(student_id)
            if student is None:
                raise NotFound("student", student_id)
            cls = await uow.classes.get(student.class_id)
            access.require_private(viewer)
            if not (viewer.administers or (cls and cls.id in viewer.class_teacher_of)):
                raise AccessDenied("report")
            self._noted(viewer, "statement", student.class_id, [student])
            year = await uow.years.get(cls.year_id)  # type: ignore[union-attr]
            periods = await uow.periods.for_year(year.id)  # type: ignore[union-attr, arg-type]
            marks = await uow.marks.for_student(student_id, year.starts_on, year.ends_on)  # type: ignore[union-attr]
            finals = await uow.finals.for_student(student_id, year.id)  # type: ignore[union-attr, arg-type]
            absences = await uow.attendance.for_student(student_id, year.starts_on, year.ends_on)  # type: ignore[union-attr]
            names = {s.id: s.name for s in await uow.subjects.list_all()}
            subject_ids = sorted(
                {m.subject_id for m in marks} | {f.subject_id for f in finals},
                key=lambda i: names.get(i, ""),
            )
            rows = []
            for sid in subject_ids:
                row: list[object] = [names.get(sid, "?")]
                for p in periods:
                    row.append(
                        " ".join(
                            m.value.value
                            for m in marks
                            if m.subject_id == sid and p.contains(m.day)
                        )
                    )
                    row.append(
                        next(
                            (
                                f.value
                                for f in finals
                                if f.subject_id == sid
                                and f.kind == FinalKind.PERIOD
                                and f.period_id == p.id
                            ),
                            None,
                        )
                    )
                row.append(
                    next(
                        (
                            f.value
                            for f in finals
                            if f.subject_id == sid and f.kind == FinalKind.YEAR
                        ),
                        None,
                    )
                )
                row.append(
                    sum(
                        1
                        for a in absences
                        if a.subject_id == sid and a.kind == AttendanceKind.ABSENT
                    )
                )
                rows.append(tuple(row))
            headers = ["Subject"]
            for p in periods:
                headers += [f"marks:{p.kind.value}:{p.number}", f"final:{p.kind.value}:{p.number}"]
            headers += ["Year mark", "Lessons missed"]
            return Table(
                "statement",
                "",
                tuple(headers),
                tuple(rows),
                {
                    "student": student.full_name,
                    "class": cls.name if cls else "",
                    "year": year.name,
                    "birth_date": student.birth_date,
                },  # type: ignore[union-attr]
            )
