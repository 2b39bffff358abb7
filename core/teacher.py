"""The teacher's and the class teacher's read side: my lessons of a day, a lesson's card
(roll call, marks, topic, homework), the lesson a text command means, names matched against
its list, period-mark proposals, and a class's absences for the class teacher.

Writes go through ``JournalService``, which checks every rule; this module only reads, asks
``core.access`` first and returns frozen read models with every name a front-end renders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from core import access, audit, rules
from core.access import Viewer
from core.calendar import ClassFacts, PeriodView, SchoolCalendar, WorkTypeView
from core.clock import Clock
from core.commands import ClassRef, MarkCommand, NameQuery, fold, match_names, match_work_type
from core.diary import DiaryService, StudentForecast
from core.errors import (
    AccessDenied,
    ClassAmbiguous,
    FinalWindowClosed,
    LessonNotStarted,
    NoLessonWithClass,
    NotFound,
    UnknownClass,
    UnknownWorkType,
    ValidationFailed,
)
from core.journal import RollCall, initialled, lesson_roster
from core.model import (
    AbsenceReason,
    AttendanceKind,
    Lesson,
    LessonStatus,
    MarkValue,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

# How far back ``/mark`` looks for the lesson meant: written works are marked within 7 days.
MARKS_LOOK_BACK_DAYS = 7
MAX_ABSENCE_RANGE_DAYS = 31


class Purpose(StrEnum):
    ATTENDANCE = "att"
    MARKS = "mark"


# --- read models ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RollCounts:
    students: int
    absent: int
    late: int


@dataclass(frozen=True, slots=True)
class LessonItem:
    id: int
    day: date
    slot: int
    starts_at: time | None
    ends_at: time | None
    class_id: int
    class_name: str
    grade: int
    subject_id: int
    subject_name: str
    subgroup_id: int | None
    subgroup_name: str | None
    room: str
    topic: str
    cancelled: bool
    substitute: bool  # the viewer takes it for its timetable teacher
    roll: RollCounts | None = None


@dataclass(frozen=True, slots=True)
class TeacherDay:
    day: date
    holiday: str | None
    lessons: tuple[LessonItem, ...]  # by slot


@dataclass(frozen=True, slots=True)
class StudentRef:
    id: int
    last_name: str
    first_name: str
    left_on: date | None = None  # left the school: the lists mark it

    @property
    def short_name(self) -> str:
        """«Иванов П.»: how a teacher reads a list."""
        return initialled(self.last_name, self.first_name)

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()


@dataclass(frozen=True, slots=True)
class LessonMark:
    id: int
    student_id: int
    value: MarkValue
    work_type_id: int
    work_type_code: str
    work_type_short: str
    comment: str
    correctable: bool  # the viewer may correct it today


@dataclass(frozen=True, slots=True)
class StudentLine:
    student: StudentRef
    kind: AttendanceKind | None  # None: present
    minutes_late: int | None
    marks: tuple[LessonMark, ...]


@dataclass(frozen=True, slots=True)
class HomeworkBrief:
    text: str
    attachments: int
    due_on: date


@dataclass(frozen=True, slots=True)
class LessonCard:
    lesson: LessonItem
    teacher_name: str  # the timetable's teacher, when the lesson has a substitute
    substitute_name: str | None
    writable: bool  # the viewer conducts this lesson
    today: date
    started: bool  # its bell has rung: absences, marks and remarks are entered by the fact
    period_closed: bool
    lines: tuple[StudentLine, ...]  # by surname
    homework: HomeworkBrief | None
    work_types: tuple[WorkTypeView, ...]
    final_period: PeriodView | None  # its period-mark window is open and the viewer teaches it

    @property
    def _open(self) -> bool:
        return self.writable and not self.lesson.cancelled and not self.period_closed

    @property
    def roll_call_open(self) -> bool:
        """Rule 1: absences on the lesson day, once it has begun."""
        return self._open and self.lesson.day == self.today and self.started

    @property
    def marks_open(self) -> bool:
        """Rules 3, 5: not ahead of the lesson, not in grade 1."""
        return self._open and rules.graded(self.lesson.grade) and self.started

    @property
    def topic_open(self) -> bool:
        return self._open and self.lesson.day >= self.today

    @property
    def homework_open(self) -> bool:
        """Rules 2, 5: on the day or ahead; the core checks the 2-hour window."""
        return self.topic_open and rules.graded(self.lesson.grade)

    @property
    def remarks_open(self) -> bool:
        return self._open and self.started

    def line(self, student_id: int) -> StudentLine | None:
        return next((x for x in self.lines if x.student.id == student_id), None)

    def work_type(self, work_type_id: int) -> WorkTypeView | None:
        return next((w for w in self.work_types if w.id == work_type_id), None)

    @property
    def absent(self) -> tuple[StudentLine, ...]:
        return tuple(x for x in self.lines if x.kind == AttendanceKind.ABSENT)

    @property
    def late(self) -> tuple[StudentLine, ...]:
        return tuple(x for x in self.lines if x.kind == AttendanceKind.LATE)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """One name of a command: one candidate is a match, none unknown, several ambiguous."""

    query: NameQuery
    candidates: tuple[StudentRef, ...]

    @property
    def student(self) -> StudentRef | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


@dataclass(frozen=True, slots=True)
class MarkPlan:
    """``/mark`` resolved against a lesson: its work type and each name's candidates."""

    lesson: LessonItem
    work_type: WorkTypeView
    matches: tuple[NameMatch, ...]
    values: tuple[MarkValue, ...]  # aligned with ``matches``


@dataclass(frozen=True, slots=True)
class PeriodSheet:
    lesson: LessonItem
    period: PeriodView
    opens_on: date
    closes_on: date
    rows: tuple[StudentForecast, ...]


@dataclass(frozen=True, slots=True)
class ClassInfo:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AbsenceItem:
    id: int  # the attendance record
    student: StudentRef
    day: date
    slot: int | None
    subject_name: str
    kind: AttendanceKind
    reason: AbsenceReason | None
    minutes_late: int | None


@dataclass(frozen=True, slots=True)
class ClassAbsences:
    class_id: int
    class_name: str
    start: date
    end: date
    items: tuple[AbsenceItem, ...]  # by day, surname, slot

    @property
    def unexplained(self) -> tuple[AbsenceItem, ...]:
        return tuple(x for x in self.items if x.kind == AttendanceKind.ABSENT and x.reason is None)


# --- helpers -------------------------------------------------------------------------------


def _staff_id(viewer: Viewer) -> int:
    access.require_private(viewer)
    if viewer.staff_id is None:
        raise AccessDenied("teacher")
    return viewer.staff_id


def _ref(student: Student) -> StudentRef:
    return StudentRef(student.id, student.last_name, student.first_name, student.left_on)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TeacherService:
    """What a teacher sees of their lessons and a class teacher of their class's absences;
    a subject teacher only their lessons, their subjects (001 §3.1; rules 1-9)."""

    uow: UnitOfWorkFactory
    clock: Clock
    diary: DiaryService  # and its calendars: one copy of the year for both

    async def _calendar(self, uow: UnitOfWork, year_id: int) -> SchoolCalendar:
        return await self.diary.calendars.get(uow, year_id)

    async def _class(self, uow: UnitOfWork, class_id: int) -> ClassFacts:
        return await self.diary.calendars.of_class(uow, class_id)

    async def _items(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        lessons: Sequence[Lesson],
        classes: dict[int, ClassFacts] | None = None,
        with_roll: bool = False,
    ) -> list[LessonItem]:
        classes = dict(classes or {})
        for class_id in {x.class_id for x in lessons} - set(classes):
            classes[class_id] = await self._class(uow, class_id)
        groups: dict[int, str] = {}
        for class_id in sorted({x.class_id for x in lessons if x.subgroup_id is not None}):
            groups.update((g.id, g.name) for g in await uow.subgroups.for_class(class_id))  # type: ignore[misc]
        rosters: dict[tuple[int, date, int | None], int] = {}
        items = []
        for x in lessons:
            cls = classes[x.class_id]
            calendar = await self._calendar(uow, cls.year_id)
            bell = calendar.bells.get(x.slot)
            roll = None
            if with_roll:
                key = (x.class_id, x.day, x.subgroup_id)
                if key not in rosters:
                    rosters[key] = len(await lesson_roster(uow, x))
                records = await uow.attendance.for_lesson(x.id)  # type: ignore[arg-type]
                roll = RollCounts(
                    rosters[key],
                    sum(r.kind == AttendanceKind.ABSENT for r in records),
                    sum(r.kind == AttendanceKind.LATE for r in records),
                )
            items.append(
                LessonItem(
                    id=x.id,  # type: ignore[arg-type]
                    day=x.day,
                    slot=x.slot,
                    starts_at=bell[0] if bell else None,
                    ends_at=bell[1] if bell else None,
                    class_id=x.class_id,
                    class_name=cls.name,
                    grade=cls.grade,
                    subject_id=x.subject_id,
                    subject_name=calendar.subjects.get(x.subject_id, ""),
                    subgroup_id=x.subgroup_id,
                    subgroup_name=groups.get(x.subgroup_id) if x.subgroup_id else None,
                    room=x.room,
                    topic=x.topic,
                    cancelled=x.status == LessonStatus.CANCELLED,
                    substitute=x.substitute_id is not None and x.substitute_id == viewer.staff_id,
                    roll=roll,
                )
            )
        return items

    # --- the teacher's day and a lesson's card ------------------------------------------------

    async def my_day(self, viewer: Viewer, day: date | None = None) -> TeacherDay:
        """The lessons the viewer teaches or substitutes that day, with roll-call counts."""
        staff_id = _staff_id(viewer)
        day = day or self.clock.today()
        async with self.uow(readonly=True) as uow:
            lessons = await uow.lessons.for_teacher(staff_id, day, day)
            items = await self._items(uow, viewer, lessons, with_roll=True)
            holiday = None
            year = await uow.years.containing(day)
            if year is not None:
                holiday = (await self._calendar(uow, year.id)).holiday(day)  # type: ignore[arg-type]
        return TeacherDay(day, holiday, tuple(sorted(items, key=lambda i: (i.slot, i.id))))

    async def card(
        self, viewer: Viewer, lesson_id: int, roll: RollCall | None = None
    ) -> LessonCard:
        """A lesson with its list, attendance, marks and homework, for its teachers. ``roll``:
        the roll call a write has just returned, so the list is not read twice."""
        now = self.clock.now()
        today = now.date()
        async with self.uow(readonly=True) as uow:
            if roll is not None and roll.lesson.id == lesson_id:
                lesson = roll.lesson
            else:
                roll = None
                found = await uow.lessons.get(lesson_id)
                if found is None:
                    raise NotFound("lesson", lesson_id)
                lesson = found
            access.require_read_lesson(viewer, lesson)
            (item,) = await self._items(uow, viewer, [lesson])
            cls = await self._class(uow, lesson.class_id)
            calendar = await self._calendar(uow, cls.year_id)
            if roll is not None:
                students = [x.student for x in roll.lines]
                records = {x.student.id: x.record for x in roll.lines if x.record is not None}
            else:
                students = await lesson_roster(uow, lesson)
                records = {r.student_id: r for r in await uow.attendance.for_lesson(lesson_id)}
            marks = await uow.marks.for_lesson(lesson_id)
            homework = await uow.homework.for_lesson(lesson_id)
            staff = {}
            if lesson.substitute_id is not None:  # the names matter only for a substitution
                found_staff = await uow.staff.many([lesson.teacher_id, lesson.substitute_id])
                staff = {x.id: x.short_name for x in found_staff}
        period = calendar.period_of(lesson.day)
        period_closed = period is None or period.closed
        work_types = calendar.work_types
        by_student: dict[int, list[LessonMark]] = defaultdict(list)
        for mark in sorted(marks, key=lambda m: (m.created_at, m.id or 0)):
            wt = work_types.get(mark.work_type_id)
            deadline = rules.correction_deadline(mark.created_at, self.clock.tz)
            by_student[mark.student_id].append(
                LessonMark(
                    mark.id,  # type: ignore[arg-type]
                    mark.student_id,
                    mark.value,
                    mark.work_type_id,
                    wt.code if wt else "",
                    wt.short if wt else "",
                    mark.comment,
                    not period_closed
                    and access.may_correct(viewer, mark.author_id, today, deadline),
                )
            )
        lines = tuple(
            StudentLine(
                _ref(s),
                records[s.id].kind if s.id in records else None,
                records[s.id].minutes_late if s.id in records else None,
                tuple(by_student.get(s.id, ())),  # type: ignore[arg-type]
            )
            for s in students
        )
        final = calendar.open_final_period(today)
        teaches = any(
            t.subject_id == lesson.subject_id and t.class_id == lesson.class_id
            for t in viewer.teaches
        )
        return LessonCard(
            lesson=item,
            teacher_name=staff.get(lesson.teacher_id, ""),
            substitute_name=staff.get(lesson.substitute_id) if lesson.substitute_id else None,
            writable=access.conducts(viewer, lesson),
            today=today,
            started=rules.lesson_started(lesson.day, item.starts_at, now),
            period_closed=period_closed,
            lines=lines,
            homework=HomeworkBrief(homework.text, len(homework.attachments), homework.due_on)
            if homework
            else None,
            work_types=tuple(calendar.work_types.values()),
            final_period=final if teaches and rules.graded(cls.grade) else None,
        )

    # --- text commands ----------------------------------------------------------------------

    def _started(self, lesson: Lesson, calendar: SchoolCalendar, now: datetime) -> bool:
        bell = calendar.bells.get(lesson.slot)
        return rules.lesson_started(lesson.day, bell[0] if bell else None, now)

    async def command_lessons(
        self, viewer: Viewer, class_ref: ClassRef, purpose: Purpose, work_type: str = ""
    ) -> tuple[LessonItem, ...]:
        """The lesson a command means, never one that has not begun (rules 1, 3). Absences: my
        current lesson with the class, else the last begun today. Marks of ``work_type``: my
        latest begun lesson with the class whose marks are still due (today, else within a
        week), one per subject; several subjects are asked back."""
        staff_id = _staff_id(viewer)
        now = self.clock.now()
        today = now.date()
        async with self.uow(readonly=True) as uow:
            year = await uow.years.containing(today)
            if year is None:
                raise NoLessonWithClass(str(class_ref))
            calendar = await self._calendar(uow, year.id)  # type: ignore[arg-type]
            start = today
            if purpose == Purpose.MARKS:
                start = today - timedelta(days=MARKS_LOOK_BACK_DAYS)
            lessons = [
                x
                for x in await uow.lessons.for_teacher(staff_id, start, today)
                if x.status != LessonStatus.CANCELLED
            ]
            classes = [
                c
                for c in await uow.classes.for_year(year.id)  # type: ignore[arg-type]
                if c.grade == class_ref.grade
                and (class_ref.letter is None or fold(c.letter) == fold(class_ref.letter))
            ]
            if not classes:
                raise UnknownClass(str(class_ref))
            if len(classes) > 1:
                taught = [c for c in classes if any(x.class_id == c.id for x in lessons)]
                if len(taught) != 1:
                    raise ClassAmbiguous(class_ref.grade, ", ".join(c.name for c in classes))
                classes = taught
            cls = classes[0]
            mine = sorted(
                (x for x in lessons if x.class_id == cls.id), key=lambda x: (x.day, x.slot)
            )
            if purpose == Purpose.ATTENDANCE:
                chosen = self._lesson_for_attendance(mine, calendar, now)
            else:
                work = match_work_type(work_type, calendar.work_types.values())
                chosen = self._lessons_for_marks(mine, calendar, now, cls.grade, work)
            if not chosen:
                raise NoLessonWithClass(cls.name)
            return tuple(await self._items(uow, viewer, chosen))

    def _not_started(self, lessons: list[Lesson], calendar: SchoolCalendar) -> LessonNotStarted:
        """The refusal for today's next lesson, which has not begun yet."""
        bell = calendar.bells[lessons[0].slot]  # begun whenever it has no bell
        return LessonNotStarted(lessons[0].day, bell[0])

    def _lesson_for_attendance(
        self, lessons: list[Lesson], calendar: SchoolCalendar, now: datetime
    ) -> list[Lesson]:
        today = [x for x in lessons if x.day == now.date()]
        begun = [x for x in today if self._started(x, calendar, now)]
        if begun:
            return [begun[-1]]
        if today:
            raise self._not_started(today, calendar)
        return []

    def _lessons_for_marks(
        self,
        lessons: list[Lesson],
        calendar: SchoolCalendar,
        now: datetime,
        grade: int,
        work: WorkTypeView | None,
    ) -> list[Lesson]:
        begun = [x for x in lessons if self._started(x, calendar, now)]
        due = [
            x
            for x in begun
            if work is None or rules.mark_deadline(x.day, grade, work) >= now.date()
        ]
        later = [x for x in lessons if x.day == now.date() and x not in begun]
        if not due and later:
            # the teacher means today's lesson: say when it begins, not that the last is late
            raise self._not_started(later, calendar)
        chosen = due or begun  # a late mark: the core refuses it with its deadline
        if not chosen:
            return []
        day = chosen[-1].day
        latest: dict[int, Lesson] = {}
        for x in chosen:
            if x.day == day:
                latest[x.subject_id] = x
        return sorted(latest.values(), key=lambda x: x.slot)

    async def resolve_students(
        self, viewer: Viewer, lesson_id: int, queries: Sequence[NameQuery]
    ) -> tuple[NameMatch, ...]:
        """Each name against the lesson's list, case- and ё/е-insensitively; never guessed."""
        async with self.uow(readonly=True) as uow:
            lesson = await uow.lessons.get(lesson_id)
            if lesson is None:
                raise NotFound("lesson", lesson_id)
            access.require_read_lesson(viewer, lesson)
            roster = [_ref(s) for s in await lesson_roster(uow, lesson)]
        return tuple(
            NameMatch(q, found)
            for q, found in zip(queries, match_names(queries, roster), strict=True)
        )

    async def plan_marks(self, viewer: Viewer, lesson_id: int, command: MarkCommand) -> MarkPlan:
        """``/mark`` against a lesson: the school's work type and each name's candidates."""
        card = await self.card(viewer, lesson_id)
        work_type = match_work_type(command.work_type, card.work_types)
        if work_type is None:
            known = ", ".join(w.short for w in card.work_types)
            raise UnknownWorkType(command.work_type, known)
        roster = [x.student for x in card.lines]
        queries = [e.name for e in command.entries]
        matches = tuple(
            NameMatch(q, found)
            for q, found in zip(queries, match_names(queries, roster), strict=True)
        )
        return MarkPlan(card.lesson, work_type, matches, tuple(e.value for e in command.entries))

    # --- period marks (rule 6) ----------------------------------------------------------------

    async def period_sheet(self, viewer: Viewer, lesson_id: int) -> PeriodSheet:
        """The proposal of each student's period mark from the forecast, for the subject's
        teacher in the class, only while the period's window is open (003 §4.4; 004 §5.8)."""
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            lesson = await uow.lessons.get(lesson_id)
            if lesson is None:
                raise NotFound("lesson", lesson_id)
            access.require_private(viewer)
            access.require_teaches_subject(viewer, lesson.subject_id, lesson.class_id)
            (item,) = await self._items(uow, viewer, [lesson])
            calendar = await self._calendar(uow, (await self._class(uow, lesson.class_id)).year_id)
        period = calendar.open_final_period(today)
        if period is None:
            # the window that matters: this period's, else the one just over, else the next
            ended = [p for p in calendar.periods if p.ends_on < today]
            near = calendar.period_of(today) or (ended[-1] if ended else None)
            near = near or (calendar.periods[0] if calendar.periods else None)
            if near is None:
                raise ValidationFailed("year", "no_periods")
            raise FinalWindowClosed(*calendar.window(near))
        rows = await self.diary.forecast_for_class(
            viewer, lesson.class_id, lesson.subject_id, period.id
        )
        rows.sort(key=lambda r: (r.student.full_name, r.student.id))
        opens, closes = calendar.window(period)
        return PeriodSheet(item, period, opens, closes, tuple(rows))

    # --- the class teacher ------------------------------------------------------------------

    async def my_classes(self, viewer: Viewer) -> list[ClassInfo]:
        """The classes the viewer is class teacher of."""
        _staff_id(viewer)
        async with self.uow(readonly=True) as uow:
            found = [await uow.classes.get(i) for i in sorted(viewer.class_teacher_of)]
        return sorted(
            (ClassInfo(c.id, c.name) for c in found if c is not None),  # type: ignore[arg-type]
            key=lambda c: c.name,
        )

    async def class_absences(
        self, viewer: Viewer, class_id: int, start: date, end: date
    ) -> ClassAbsences:
        """Rule 7: a class's absences and lateness with their reasons, for its class teacher."""
        if end < start:
            raise ValidationFailed("end", "before_start")
        if (end - start).days >= MAX_ABSENCE_RANGE_DAYS:
            raise ValidationFailed("end", "range_too_long")
        access.require_private(viewer)
        access.require_class_teacher(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            cls = await uow.classes.get(class_id)
            if cls is None:
                raise NotFound("class", class_id)
            calendar = await self._calendar(uow, cls.year_id)
            records = await uow.attendance.for_class(class_id, start, end)
            students = {
                s.id: s for s in await uow.students.many(sorted({r.student_id for r in records}))
            }
            slots = {
                x.id: x.slot for x in await uow.lessons.many(sorted({r.lesson_id for r in records}))
            }
        items = [
            AbsenceItem(
                r.id,  # type: ignore[arg-type]
                _ref(students[r.student_id]),
                r.day,
                slots.get(r.lesson_id),
                calendar.subjects.get(r.subject_id, ""),
                r.kind,
                r.reason,
                r.minutes_late,
            )
            for r in records
            if r.student_id in students
        ]
        items.sort(key=lambda x: (x.day, x.student.last_name, x.student.first_name, x.slot or 0))
        now = self.clock.now()
        for student_id in sorted(students):  # whose absences the class teacher read
            audit.note_read(
                self.diary.reads, viewer, now, "class.absences", "class", class_id, student_id
            )
        return ClassAbsences(class_id, cls.name, start, end, tuple(items))


def student_days(items: Iterable[AbsenceItem]) -> list[tuple[date, StudentRef, list[AbsenceItem]]]:
    """Absences grouped by day and student, in the list's order."""
    grouped: dict[tuple[date, int], list[AbsenceItem]] = {}
    for x in items:
        grouped.setdefault((x.day, x.student.id), []).append(x)
    return [(day, group[0].student, group) for (day, _), group in grouped.items()]
