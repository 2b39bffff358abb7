"""The electronic diary, read side: marks and forecasts, final marks, attendance, homework and
the timetable, as each viewer may see them (DESIGN.md roles table; rules 9 and 11).

Every call is one read-only unit of work with a handful of queries, asks ``core.access`` first
and returns frozen read models that carry every name a front-end renders. The school's
calendar and vocabulary come from ``core.calendar``; who a student is (class, subgroups) is
kept for a minute between calls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from time import monotonic
from typing import Generic, NamedTuple, TypeVar

from core import access, audit, grading
from core.access import SubjectScope, Viewer
from core.audit import NO_READS, ReadLog
from core.calendar import Calendars, PeriodView, SchoolCalendar, WorkTypeView, YearView
from core.clock import Clock
from core.errors import AccessDenied, NotFound, ValidationFailed
from core.model import (
    AbsenceReason,
    Attachment,
    AttendanceKind,
    AttendanceRecord,
    ClassGroup,
    FinalKind,
    FinalLine,
    FinalMark,
    Lesson,
    LessonStatus,
    Mark,
    MarkLine,
    MarkValue,
    Student,
    class_on,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

F = TypeVar("F", FinalMark, FinalLine)

# The longest date range one homework or timetable call reads.
MAX_RANGE_DAYS = 93
MAX_LATEST = 100
LAST_SLOT = 99  # sorts after any lesson of the day


# --- read models ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudentCard:
    id: int
    full_name: str
    short_name: str
    class_id: int
    class_name: str
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class MarkView:
    id: int
    lesson_id: int
    day: date
    subject_id: int
    subject_name: str
    value: MarkValue
    work_type_id: int
    work_type_code: str
    work_type_short: str
    work_type_name: str
    weight: Fraction
    comment: str
    topic: str  # the lesson's topic in latest_marks; "" elsewhere and when none
    created_at: datetime
    slot: int | None = None  # the lesson's, where the marks are listed newest first
    corrected: bool = False  # it replaced a corrected mark (where listed newest first)

    @property
    def points(self) -> int | None:
        return self.value.points


@dataclass(frozen=True, slots=True)
class SubjectMarks:
    subject_id: int
    subject_name: str
    marks: tuple[MarkView, ...]  # by day
    average: Fraction | None  # weighted, marks with points only
    forecast: grading.Forecast
    final: MarkValue | None  # the period mark, once set


@dataclass(frozen=True, slots=True)
class PeriodMarks:
    student: StudentCard
    period: PeriodView
    periods: tuple[PeriodView, ...]  # the year's, for a period switcher
    subjects: tuple[SubjectMarks, ...]  # by subject name
    latest: tuple[MarkView, ...] = ()  # newest work first, when asked for


@dataclass(frozen=True, slots=True)
class SubjectFinals:
    subject_id: int
    subject_name: str
    periods: tuple[MarkValue | None, ...]  # aligned with FinalMarks.periods
    year: MarkValue | None
    exam: MarkValue | None
    final: MarkValue | None


@dataclass(frozen=True, slots=True)
class FinalMarks:
    student: StudentCard
    year: YearView
    periods: tuple[PeriodView, ...]
    subjects: tuple[SubjectFinals, ...]  # by subject name
    years: tuple[YearView, ...] = ()  # every school year of the student's so far, by start


@dataclass(frozen=True, slots=True)
class AttendanceView:
    id: int
    lesson_id: int
    day: date
    slot: int | None
    subject_id: int
    subject_name: str
    kind: AttendanceKind
    reason: AbsenceReason | None  # None: not set yet
    minutes_late: int | None


@dataclass(frozen=True, slots=True)
class AbsenceTotals:
    absent: int = 0  # lessons missed, whatever the reason
    sick: int = 0
    excused: int = 0
    unexcused: int = 0
    no_reason: int = 0
    late: int = 0


@dataclass(frozen=True, slots=True)
class SubjectAttendance:
    subject_id: int
    subject_name: str
    lessons: int  # held so far in the period
    totals: AbsenceTotals


@dataclass(frozen=True, slots=True)
class AttendanceSummary:
    student: StudentCard
    period: PeriodView
    periods: tuple[PeriodView, ...]
    records: tuple[AttendanceView, ...]  # by day and slot
    totals: AbsenceTotals
    subjects: tuple[SubjectAttendance, ...]  # by subject name
    lessons_so_far: int  # the student's lessons in the period up to ``as_of``
    as_of: date


@dataclass(frozen=True, slots=True)
class HomeworkView:
    id: int
    lesson_id: int
    subject_id: int
    subject_name: str
    text: str
    attachments: tuple[Attachment, ...]
    due_on: date
    set_on: date
    subgroup_id: int | None


@dataclass(frozen=True, slots=True)
class LessonView:
    id: int
    day: date
    slot: int
    starts_at: time | None
    ends_at: time | None
    subject_id: int
    subject_name: str
    teacher_id: int
    teacher_short_name: str
    substitute_id: int | None
    substitute_short_name: str | None
    room: str
    cancelled: bool
    topic: str
    has_homework: bool  # homework was set at this lesson
    subgroup_id: int | None
    subgroup_name: str | None


@dataclass(frozen=True, slots=True)
class DayTimetable:
    day: date
    holiday: str | None  # the holiday's name on a holiday
    lessons: tuple[LessonView, ...]  # by slot


@dataclass(frozen=True, slots=True)
class HomeworkList:
    student: StudentCard
    items: list[HomeworkView]  # by due date, then subject


@dataclass(frozen=True, slots=True)
class StudentTimetable:
    student: StudentCard
    days: list[DayTimetable]


class StudentAbsence(NamedTuple):
    student: StudentCard
    absence: AttendanceView


class StudentForecast(NamedTuple):
    student: StudentCard
    forecast: grading.Forecast
    final: MarkValue | None  # the current period mark


# --- who a student is, kept a minute ----------------------------------------------------


K = TypeVar("K")
V = TypeVar("V")


class _Kept(Generic[K, V]):
    """Values kept for ``ttl`` seconds (0: not kept), at most ``size`` of them."""

    def __init__(self, ttl: float, now: Callable[[], float], size: int = 50_000) -> None:
        self.ttl = ttl
        self._now = now
        self._size = size
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self._now() - item[0] >= self.ttl:
            del self._items[key]
            return None
        return item[1]

    def put(self, key: K, value: V, *, keep_older: bool = False) -> None:
        if self.ttl <= 0 or (keep_older and self.get(key) is not None):
            return
        if len(self._items) >= self._size:
            self._items.clear()
        self._items[key] = (self._now(), value)

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a student is on the diary's day: the class and subgroups then."""

    student: Student
    class_: ClassGroup
    subgroup_ids: frozenset[int]


class StudentCache:
    """A student's class and subgroups on the diary's day (three queries), and which subjects
    a class has had lessons in during a period (a subject's first lesson of the period shows
    up in the marks' list of subjects within ``ttl``), kept for ``ttl`` seconds (0: not kept).
    A transfer or a new subgroup reaches the diary within ``ttl``; access itself is the
    viewer's, re-read within a second of any change."""

    def __init__(self, ttl: float = 60.0, now: Callable[[], float] = monotonic) -> None:
        self.ttl = ttl
        self._students: _Kept[int, _Place] = _Kept(ttl, now)
        self._classes: _Kept[int, ClassGroup] = _Kept(ttl, now)
        self._taught: _Kept[tuple[int, int, frozenset[int]], frozenset[int]] = _Kept(ttl, now)

    def student(self, student_id: int) -> _Place | None:
        return self._students.get(student_id)

    def put_student(self, place: _Place) -> None:
        if place.student.id is not None:
            self._students.put(place.student.id, place)
            self._classes.put(place.class_.id, place.class_, keep_older=True)  # type: ignore[arg-type]

    def class_(self, class_id: int) -> ClassGroup | None:
        """A class already kept with one of its students (its classmates need no query)."""
        return self._classes.get(class_id)

    def taught(
        self, class_id: int, period_id: int, groups: frozenset[int]
    ) -> frozenset[int] | None:
        return self._taught.get((class_id, period_id, groups))

    def put_taught(
        self, class_id: int, period_id: int, groups: frozenset[int], subjects: frozenset[int]
    ) -> None:
        self._taught.put((class_id, period_id, groups), subjects)

    def clear(self) -> None:
        for kept in (self._students, self._classes, self._taught):
            kept.clear()


# --- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Seen:
    """A student as one viewer may see them."""

    student: Student
    class_: ClassGroup
    subgroup_ids: frozenset[int]
    scope: SubjectScope
    card: StudentCard

    def shows(self, subject_id: int) -> bool:
        return self.scope is None or subject_id in self.scope


def _card(student: Student, class_: ClassGroup) -> StudentCard:
    assert student.id is not None and class_.id is not None
    return StudentCard(
        student.id, student.full_name, student.short_name, class_.id, class_.name, student.left_on
    )


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed("end", "before_start")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("end", "range_too_long")


_NO_WORK_TYPE = WorkTypeView(0, "", "", "", Fraction(1), False)


def _mark_view(
    mark: Mark | MarkLine,
    ref: SchoolCalendar,
    topic: str = "",
    slot: int | None = None,
    corrected: bool = False,
) -> MarkView:
    assert mark.id is not None
    wt = ref.work_types.get(mark.work_type_id) or _NO_WORK_TYPE
    return MarkView(
        id=mark.id,
        lesson_id=mark.lesson_id,
        day=mark.day,
        subject_id=mark.subject_id,
        subject_name=ref.subject(mark.subject_id),
        value=mark.value,
        work_type_id=mark.work_type_id,
        work_type_code=wt.code,
        work_type_short=wt.short,
        work_type_name=wt.name,
        weight=wt.weight,
        comment=mark.comment,
        topic=topic,
        created_at=mark.created_at,
        slot=slot,
        corrected=corrected,
    )


def newest_work_first(marks: Iterable[MarkView]) -> list[MarkView]:
    """The order of «latest marks»: by the work's date (the lesson's day, then its slot),
    newest first; never by when a mark was typed in, so a mark entered days after its lesson
    or corrected later keeps its place among the others."""
    return sorted(
        marks,
        key=lambda m: (m.day, m.slot or 0, m.lesson_id, m.work_type_id, m.id),
        reverse=True,
    )


def scored(marks: Iterable[MarkView]) -> list[grading.Scored]:
    """What enters the average: marks with points (not pass, fail, n/a or exempt)."""
    return [grading.Scored(m.points, m.weight) for m in marks if m.points is not None]


def _forecast(marks: Iterable[MarkView], ref: SchoolCalendar) -> grading.Forecast:
    return grading.forecast(scored(marks), ref.rounding_threshold, ref.min_marks)


def _current_finals(finals: Iterable[F]) -> list[F]:
    """One current mark per (student, subject, kind, period): the latest set wins."""
    latest: dict[tuple, F] = {}
    for f in finals:
        if f.superseded_at is not None:
            continue
        key = (f.student_id, f.subject_id, f.kind, f.period_id)
        if key not in latest or f.set_at >= latest[key].set_at:
            latest[key] = f
    return list(latest.values())


def _tally(records: Iterable[AttendanceRecord]) -> AbsenceTotals:
    absent = sick = excused = unexcused = no_reason = late = 0
    for r in records:
        if r.kind == AttendanceKind.LATE:
            late += 1
            continue
        absent += 1
        if r.reason == AbsenceReason.SICK:
            sick += 1
        elif r.reason == AbsenceReason.EXCUSED:
            excused += 1
        elif r.reason == AbsenceReason.UNEXCUSED:
            unexcused += 1
        else:
            no_reason += 1
    return AbsenceTotals(absent, sick, excused, unexcused, no_reason, late)


# --- the service ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiaryService:
    """The diary: a viewer reads only their own, their children's or their pupils' data,
    filtered to the subjects they may see (001 §3.1, §3.7; forecasts 003 reg.3 §3)."""

    uow: UnitOfWorkFactory
    clock: Clock
    calendars: Calendars = field(default_factory=Calendars, compare=False, repr=False)
    people: StudentCache = field(default_factory=StudentCache, compare=False, repr=False)
    reads: ReadLog = field(default=NO_READS, compare=False, repr=False)  # staff's, on record

    async def _ref(self, uow: UnitOfWork, year_id: int) -> SchoolCalendar:
        return await self.calendars.get(uow, year_id)

    async def _see(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        student_id: int,
        what: str,
        *,
        finals: bool = False,
    ) -> _Seen:
        """The student as this viewer may see them, in their class of the diary's day (today,
        or their last day for one who left). ``finals``: the final marks only, which the
        family of a student who left still reads for a while. A look by staff at ``what``
        (a screen) goes on record."""
        access.require_private(viewer)
        if viewer.is_anonymous:
            raise AccessDenied("read_student")
        place = self.people.student(student_id)
        if place is None:
            place = await self._place(uow, viewer, student_id)
            self.people.put_student(place)
        student, class_ = place.student, place.class_
        scope = access.student_subjects(viewer, student_id, class_.id, place.subgroup_ids)  # type: ignore[arg-type]
        access.require_enrolled(viewer, student, self.clock.today(), finals=finals)
        audit.note_read(
            self.reads, viewer, self.clock.now(), what, "student", student_id, student_id
        )
        return _Seen(student, class_, place.subgroup_ids, scope, _card(student, class_))

    async def _place(self, uow: UnitOfWork, viewer: Viewer, student_id: int) -> _Place:
        student = await uow.students.get(student_id)
        if student is None:
            # Only staff learn that an id does not exist.
            if viewer.is_staff or viewer.system:
                raise NotFound("student", student_id)
            raise AccessDenied("read_student")
        day = self._reference_day(student)
        class_id = student.class_id
        if student.current_since is not None and day < student.current_since:
            history = await uow.class_history.for_student(student_id)
            class_id = class_on(student, history, day) or class_id
        class_ = self.people.class_(class_id)
        if class_ is None:
            class_ = await uow.classes.get(class_id)
            if class_ is None:
                raise NotFound("class", class_id)
        return _Place(student, class_, await uow.subgroups.of_student(student_id, on=day))

    def _reference_day(self, student: Student) -> date:
        """Today, or the day a student who left was last enrolled."""
        today = self.clock.today()
        if student.left_on is not None and student.left_on < today:
            return student.left_on
        return today

    async def students_of(self, viewer: Viewer) -> list[StudentCard]:
        """Whose diary: the viewer as a student first, then their consented children."""
        access.require_private(viewer)
        if viewer.is_anonymous:
            raise AccessDenied("read_student")
        ids = set(viewer.children)
        if viewer.student_id is not None:
            ids.add(viewer.student_id)
        if not ids:
            return []
        async with self.uow(readonly=True) as uow:
            students = await uow.students.many(sorted(ids))
            classes: dict[int, ClassGroup] = {}
            for class_id in sorted({s.class_id for s in students}):
                class_ = await uow.classes.get(class_id)
                if class_ is not None:
                    classes[class_id] = class_
        cards = [_card(s, classes[s.class_id]) for s in students if s.class_id in classes]
        return sorted(cards, key=lambda c: (c.id != viewer.student_id, c.full_name, c.id))

    async def period_marks(
        self, viewer: Viewer, student_id: int, period_id: int | None = None, latest: int = 0
    ) -> PeriodMarks:
        """Marks by subject with the weighted average and the forecast (003 reg.3 §3); with
        ``latest``, that many of the period's marks newest work first too."""
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.marks")
            ref = await self._ref(uow, seen.class_.year_id)
            period = ref.pick_period(period_id, self._reference_day(seen.student))
            taught = self.people.taught(seen.class_.id, period.id, seen.subgroup_ids)
            if taught is None:
                counts = await uow.lessons.count_by_subject(
                    seen.class_.id, period.starts_on, period.ends_on, seen.subgroup_ids
                )
                taught = frozenset(counts)
                self.people.put_taught(seen.class_.id, period.id, seen.subgroup_ids, taught)
            marks = await uow.marks.lines_for_student(student_id, period.starts_on, period.ends_on)
            finals = await uow.finals.lines_for_student(student_id, ref.year.id)
            marks = [m for m in marks if seen.shows(m.subject_id)]  # current, subjects seen
            newest: tuple[MarkView, ...] = ()
            if latest:
                newest = await self._newest(uow, student_id, marks, ref, latest, period)

        by_subject: dict[int, list[MarkView]] = defaultdict(list)
        for mark in marks:
            by_subject[mark.subject_id].append(_mark_view(mark, ref))
        period_finals = {
            f.subject_id: f.value
            for f in _current_finals(finals)
            if f.kind == FinalKind.PERIOD and f.period_id == period.id
        }
        subject_ids = set(taught) | set(by_subject) | set(period_finals)
        rows = []
        for sid in ref.by_name(s for s in subject_ids if seen.shows(s)):
            views = tuple(sorted(by_subject.get(sid, ()), key=lambda v: (v.day, v.id)))
            forecast = _forecast(views, ref)
            final = period_finals.get(sid)
            rows.append(
                SubjectMarks(sid, ref.subject(sid), views, forecast.average, forecast, final)
            )
        return PeriodMarks(seen.card, period, ref.periods, tuple(rows), newest)

    async def _newest(
        self,
        uow: UnitOfWork,
        student_id: int,
        marks: list[MarkLine],
        ref: SchoolCalendar,
        limit: int,
        period: PeriodView,
    ) -> tuple[MarkView, ...]:
        """The newest ``limit`` marks by the work's date, with their lessons' slots and
        whether each replaced a corrected mark: two small queries, for the last few days."""
        if not marks:
            return ()
        days = sorted((m.day for m in marks), reverse=True)
        since = days[min(limit, len(days)) - 1]
        shown = [m for m in marks if m.day >= since]  # ties on the last day decided by slot
        lessons = await uow.lessons.many(sorted({m.lesson_id for m in shown}))
        slots = {x.id: x.slot for x in lessons}
        fixed = await uow.marks.corrections(student_id, since, period.ends_on)
        views = (
            _mark_view(m, ref, slot=slots.get(m.lesson_id), corrected=m.id in fixed) for m in shown
        )
        return tuple(newest_work_first(views)[:limit])

    async def latest_marks(
        self, viewer: Viewer, student_id: int, limit: int = 10
    ) -> list[MarkView]:
        """Newest work first (``newest_work_first``), with their lessons' topics."""
        if not 1 <= limit <= MAX_LATEST:
            raise ValidationFailed("limit", "out_of_range")
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.latest")
            marks = await uow.marks.latest(student_id, limit, seen.scope)
            marks = [m for m in marks if m.current and seen.shows(m.subject_id)]
            if not marks:
                return []
            ref = await self._ref(uow, seen.class_.year_id)
            lessons = await uow.lessons.many(sorted({m.lesson_id for m in marks}))
            fixed = await uow.marks.corrections(
                student_id, min(m.day for m in marks), max(m.day for m in marks)
            )
        found = {x.id: x for x in lessons}
        views = [
            _mark_view(
                m,
                ref,
                found[m.lesson_id].topic if m.lesson_id in found else "",
                found[m.lesson_id].slot if m.lesson_id in found else None,
                m.id in fixed,
            )
            for m in marks
        ]
        return newest_work_first(views)[:limit]

    async def final_marks(
        self, viewer: Viewer, student_id: int, year_id: int | None = None
    ) -> FinalMarks:
        """Period, year, exam and final marks by subject; of a student who left, too, for a
        year (the certificate)."""
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.finals", finals=True)
            student = seen.student
            years = tuple(
                YearView(y.id, y.name, y.starts_on, y.ends_on)  # type: ignore[arg-type]
                for y in sorted(await uow.years.list_all(), key=lambda y: y.starts_on)
                if y.starts_on <= today
                and (student.arrived_on is None or student.arrived_on <= y.ends_on)
                and (student.left_on is None or student.left_on >= y.starts_on)
            )
            if year_id is not None and year_id not in {y.id for y in years}:
                raise NotFound("year", year_id)
            ref = await self._ref(uow, year_id if year_id is not None else seen.class_.year_id)
            teachings = []
            if ref.year.id == seen.class_.year_id:
                teachings = await uow.teachings.for_class(seen.class_.id)
            finals = _current_finals(await uow.finals.for_student(student_id, ref.year.id))

        subject_ids = {
            t.subject_id
            for t in teachings
            if t.subgroup_id is None or t.subgroup_id in seen.subgroup_ids
        }
        grid: dict[int, dict[tuple[FinalKind, int | None], MarkValue]] = defaultdict(dict)
        for f in finals:
            period = f.period_id if f.kind == FinalKind.PERIOD else None
            grid[f.subject_id][(f.kind, period)] = f.value
        subject_ids |= set(grid)
        rows = []
        for sid in ref.by_name(s for s in subject_ids if seen.shows(s)):
            cells = grid.get(sid, {})
            rows.append(
                SubjectFinals(
                    sid,
                    ref.subject(sid),
                    tuple(cells.get((FinalKind.PERIOD, p.id)) for p in ref.periods),
                    cells.get((FinalKind.YEAR, None)),
                    cells.get((FinalKind.EXAM, None)),
                    cells.get((FinalKind.FINAL, None)),
                )
            )
        return FinalMarks(seen.card, ref.year, ref.periods, tuple(rows), years)

    async def attendance(
        self, viewer: Viewer, student_id: int, period_id: int | None = None
    ) -> AttendanceSummary:
        """Absences and lateness with totals by reason and subject (000 §4.4)."""
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.attendance")
            ref = await self._ref(uow, seen.class_.year_id)
            period = ref.pick_period(period_id, self._reference_day(seen.student))
            # Lessons held so far while the student was enrolled.
            student = seen.student
            start = max(period.starts_on, student.arrived_on or period.starts_on)
            end = min(period.ends_on, today, student.left_on or period.ends_on)
            held: dict[int, int] = {}
            if start <= end:
                held = await uow.lessons.count_by_subject(
                    seen.class_.id, start, end, seen.subgroup_ids
                )
            records = await uow.attendance.for_student(student_id, period.starts_on, period.ends_on)
            records = [r for r in records if seen.shows(r.subject_id)]
            lessons = []
            if records:
                lessons = await uow.lessons.many(sorted({r.lesson_id for r in records}))

        held = {sid: n for sid, n in held.items() if seen.shows(sid)}
        slots = {lesson.id: lesson.slot for lesson in lessons}
        records.sort(key=lambda r: (r.day, slots.get(r.lesson_id) or 0, r.id or 0))
        by_subject: dict[int, list[AttendanceRecord]] = defaultdict(list)
        for r in records:
            by_subject[r.subject_id].append(r)
        views = tuple(
            AttendanceView(
                r.id,
                r.lesson_id,
                r.day,
                slots.get(r.lesson_id),
                r.subject_id,
                ref.subject(r.subject_id),
                r.kind,
                r.reason,
                r.minutes_late,
            )
            for r in records
        )
        per_subject = tuple(
            SubjectAttendance(sid, ref.subject(sid), held.get(sid, 0), _tally(by_subject[sid]))
            for sid in ref.by_name(set(held) | set(by_subject))
        )
        return AttendanceSummary(
            student=seen.card,
            period=period,
            periods=ref.periods,
            records=views,
            totals=_tally(records),
            subjects=per_subject,
            lessons_so_far=sum(held.values()),
            as_of=min(today, period.ends_on),
        )

    async def absence(self, viewer: Viewer, attendance_id: int) -> StudentAbsence:
        """One absence and whose it is, for a parent about to explain it: only the child's own
        family (or staff who may read them) learns that it exists."""
        async with self.uow(readonly=True) as uow:
            record = await uow.attendance.get(attendance_id)
            if record is None or record.kind != AttendanceKind.ABSENT:
                raise NotFound("attendance", attendance_id)
            seen = await self._see(uow, viewer, record.student_id, "diary.absence")
            if not seen.shows(record.subject_id):
                raise NotFound("attendance", attendance_id)
            ref = await self._ref(uow, seen.class_.year_id)
            lesson = await uow.lessons.get(record.lesson_id)
        view = AttendanceView(
            attendance_id,
            record.lesson_id,
            record.day,
            lesson.slot if lesson else None,
            record.subject_id,
            ref.subject(record.subject_id),
            record.kind,
            record.reason,
            record.minutes_late,
        )
        return StudentAbsence(seen.card, view)

    async def homework(
        self, viewer: Viewer, student_id: int, start: date, end: date
    ) -> HomeworkList:
        """Homework due in [start, end] for the class and the student's own subgroups, each
        day's in the order of that day's lessons."""
        _check_range(start, end)
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.homework")
            items = []
            stays = await self._stays(uow, seen, start, end)
            for class_id, first, last, groups in stays:
                items += [
                    h
                    for h in await uow.homework.due_for_class(class_id, first, last)
                    if (h.subgroup_id is None or h.subgroup_id in groups)
                    and seen.shows(h.subject_id)
                ]
            if not items:
                return HomeworkList(seen.card, [])
            ref = await self._ref(uow, seen.class_.year_id)
            first_slot: dict[tuple[date, int], int] = {}
            due = [h.due_on for h in items]
            for class_id, first, last, groups in stays:
                lo, hi = max(first, min(due)), min(last, max(due))
                if lo > hi:
                    continue
                for x in await uow.lessons.for_class(class_id, lo, hi):
                    if x.subgroup_id is None or x.subgroup_id in groups:
                        key = (x.day, x.subject_id)
                        first_slot[key] = min(first_slot.get(key, x.slot), x.slot)
        views = [
            HomeworkView(
                h.id,
                h.lesson_id,
                h.subject_id,
                ref.subject(h.subject_id),
                h.text,
                tuple(h.attachments),
                h.due_on,
                h.day,
                h.subgroup_id,
            )
            for h in items
        ]
        # the day's lessons in order; homework for a day without its subject's lesson last
        views.sort(
            key=lambda v: (
                v.due_on,
                first_slot.get((v.due_on, v.subject_id), LAST_SLOT),
                v.subject_name,
                v.set_on,
                v.id,
            )
        )
        return HomeworkList(seen.card, views)

    async def timetable(
        self, viewer: Viewer, student_id: int, start: date, end: date
    ) -> StudentTimetable:
        """The student's own lessons, the class's and their subgroups', with holidays."""
        _check_range(start, end)
        async with self.uow(readonly=True) as uow:
            seen = await self._see(uow, viewer, student_id, "diary.timetable")
            lessons = []
            for class_id, first, last, groups in await self._stays(uow, seen, start, end):
                lessons += [
                    x
                    for x in await uow.lessons.for_class(class_id, first, last)
                    if (x.subgroup_id is None or x.subgroup_id in groups)
                    and seen.shows(x.subject_id)
                ]
            days = await self._days(uow, seen.class_, lessons, start, end)
            return StudentTimetable(seen.card, days)

    async def _stays(
        self, uow: UnitOfWork, seen: _Seen, start: date, end: date
    ) -> list[tuple[int, date, date, frozenset[int]]]:
        """The classes the student was in during [start, end], each with its days and the
        student's subgroups: one class (no query) unless they moved within the span."""
        student = seen.student
        since = student.current_since
        if since is None or since <= start or student.class_since is None:
            return [(seen.class_.id, start, end, seen.subgroup_ids)]
        stays = []
        groups = await uow.subgroups.of_student(student.id)  # type: ignore[arg-type]
        for h in await uow.class_history.for_student(student.id):  # type: ignore[arg-type]
            first, last = max(start, h.starts_on), min(end, h.ends_on)
            if first <= last:
                stays.append((h.class_id, first, last, groups))
        if since <= end:
            stays.append((student.class_id, since, end, groups))
        return stays

    async def class_timetable(
        self, viewer: Viewer, class_id: int, start: date, end: date
    ) -> list[DayTimetable]:
        """A class's lessons, all subgroups, for its staff and the administration."""
        _check_range(start, end)
        access.require_read_class(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            class_ = await uow.classes.get(class_id)
            if class_ is None:
                raise NotFound("class", class_id)
            lessons = await uow.lessons.for_class(class_id, start, end)
            return await self._days(uow, class_, lessons, start, end)

    async def _days(
        self, uow: UnitOfWork, class_: ClassGroup, lessons: list[Lesson], start: date, end: date
    ) -> list[DayTimetable]:
        ref = await self._ref(uow, class_.year_id)
        staff_ids = {x.teacher_id for x in lessons} | {
            x.substitute_id for x in lessons if x.substitute_id is not None
        }
        staff = ref.staff
        missing = staff_ids - staff.keys()
        if missing:  # someone added since the reference was loaded
            found = await uow.staff.many(sorted(missing))
            staff = {**staff, **{s.id: s.short_name for s in found if s.id is not None}}
        with_homework: frozenset[int] = frozenset()
        if lessons:
            with_homework = await uow.homework.lessons_with_homework(
                [x.id for x in lessons if x.id is not None]
            )
        groups: dict[int | None, str] = {}
        for class_id in sorted({x.class_id for x in lessons if x.subgroup_id is not None}):
            groups |= {g.id: g.name for g in await uow.subgroups.for_class(class_id)}

        by_day: dict[date, list[LessonView]] = defaultdict(list)
        for x in lessons:
            bell = ref.bells.get(x.slot)
            sub = x.substitute_id
            by_day[x.day].append(
                LessonView(
                    id=x.id,
                    day=x.day,
                    slot=x.slot,
                    starts_at=bell[0] if bell else None,
                    ends_at=bell[1] if bell else None,
                    subject_id=x.subject_id,
                    subject_name=ref.subject(x.subject_id),
                    teacher_id=x.teacher_id,
                    teacher_short_name=staff.get(x.teacher_id, ""),
                    substitute_id=sub,
                    substitute_short_name=staff.get(sub, "") if sub is not None else None,
                    room=x.room,
                    cancelled=x.status == LessonStatus.CANCELLED,
                    topic=x.topic,
                    has_homework=x.id in with_homework,
                    subgroup_id=x.subgroup_id,
                    subgroup_name=groups.get(x.subgroup_id) if x.subgroup_id else None,
                )
            )
        days = []
        day = start
        while day <= end:
            lessons_of_day = sorted(by_day.get(day, ()), key=lambda v: (v.slot, v.id))
            days.append(DayTimetable(day, ref.holiday(day), tuple(lessons_of_day)))
            day += timedelta(days=1)
        return days

    async def forecast_for_class(
        self, viewer: Viewer, class_id: int, subject_id: int, period_id: int
    ) -> list[StudentForecast]:
        """For a period-mark proposal: the subject's teacher in that class (only their
        subgroups' students), the class teacher or the administration (003 reg.3 §3)."""
        access.require_private(viewer)
        whole = viewer.administers or class_id in viewer.class_teacher_of
        mine = {
            t.subgroup_id
            for t in viewer.teaches
            if t.subject_id == subject_id and t.class_id == class_id
        }
        if not whole and not mine:
            raise AccessDenied("read_forecast")
        async with self.uow(readonly=True) as uow:
            class_ = await uow.classes.get(class_id)
            if class_ is None:
                raise NotFound("class", class_id)
            ref = await self._ref(uow, class_.year_id)
            period = ref.period(period_id)
            groups = mine
            if whole:
                teachings = await uow.teachings.for_class(class_id)
                groups = {t.subgroup_id for t in teachings if t.subject_id == subject_id}
            students = [
                s
                for s in await uow.students.in_class(class_id)
                if (s.arrived_on is None or s.arrived_on <= period.ends_on)
                and (s.left_on is None or s.left_on >= period.starts_on)
            ]
            if groups and None not in groups:
                members: set[int] = set()
                for group_id in sorted(g for g in groups if g is not None):
                    members.update(await uow.subgroups.member_ids(group_id))
                students = [s for s in students if s.id in members]
            if not students:
                return []
            ids = [s.id for s in students if s.id is not None]
            marks = await uow.marks.for_students(ids, period.starts_on, period.ends_on, subject_id)
            finals = await uow.finals.for_students(ids, ref.year.id, subject_id)

        by_student: dict[int, list[grading.Scored]] = defaultdict(list)
        for mark in marks:
            points = mark.value.points
            if points is not None and mark.current and mark.subject_id == subject_id:
                wt = ref.work_types.get(mark.work_type_id)
                weight = wt.weight if wt is not None else Fraction(1)
                by_student[mark.student_id].append(grading.Scored(points, weight))
        period_finals = {
            f.student_id: f.value
            for f in _current_finals(finals)
            if f.subject_id == subject_id
            and f.kind == FinalKind.PERIOD
            and f.period_id == period_id
        }
        return [
            StudentForecast(
                _card(s, class_),
                grading.forecast(by_student[s.id], ref.rounding_threshold, ref.min_marks),
                period_finals.get(s.id),
            )
            for s in students
        ]
