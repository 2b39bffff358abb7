"""The journal's write side: attendance, topics, homework, marks, corrections, finals, remarks.

Each use case is one transaction: load the facts, ask ``core.access`` and ``core.rules``,
write, emit events, audit what changes history, commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core import access, audit, rules
from core.access import Viewer
from core.clock import Clock
from core.errors import (
    AbsentNoMark,
    AccessDenied,
    AlreadySuperseded,
    CorrectionWindowPassed,
    FinalWindowClosed,
    NotAbsent,
    NotFound,
    StudentNotInLesson,
    ValidationFailed,
)
from core.events import (
    AbsenceReasonSet,
    AttendanceRecorded,
    FinalMarkSet,
    HomeworkSet,
    MarkCorrected,
    MarkGiven,
    RemarkAdded,
)
from core.limits import MESSAGE_LIMIT
from core.model import (
    AbsenceReason,
    Attachment,
    AttendanceKind,
    AttendanceRecord,
    ClassGroup,
    FinalKind,
    FinalMark,
    Homework,
    Lesson,
    LessonStatus,
    Mark,
    MarkValue,
    Period,
    Remark,
    RemarkKind,
    School,
    SchoolYear,
    Student,
    class_on,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

MAX_TOPIC = 500
MAX_HOMEWORK = MESSAGE_LIMIT  # what one message holds
MAX_REMARK = 1000
MAX_COMMENT = 500
MAX_MINUTES_LATE = 240

# present -> absent -> late -> present
_NEXT_KIND: dict[AttendanceKind | None, AttendanceKind | None] = {
    None: AttendanceKind.ABSENT,
    AttendanceKind.ABSENT: AttendanceKind.LATE,
    AttendanceKind.LATE: None,
}


@dataclass(frozen=True, slots=True)
class RollCallLine:
    student: Student
    record: AttendanceRecord | None  # None: present

    @property
    def kind(self) -> AttendanceKind | None:
        return self.record.kind if self.record else None


@dataclass(frozen=True, slots=True)
class RollCall:
    lesson: Lesson
    lines: tuple[RollCallLine, ...]

    @property
    def absent(self) -> int:
        return sum(1 for x in self.lines if x.kind == AttendanceKind.ABSENT)

    @property
    def late(self) -> int:
        return sum(1 for x in self.lines if x.kind == AttendanceKind.LATE)


@dataclass(frozen=True, slots=True)
class UnexplainedAbsence:
    record: AttendanceRecord
    student: Student


@dataclass(frozen=True, slots=True)
class _Facts:
    """Where a class stands: its year, school and the year's periods."""

    cls: ClassGroup
    year: SchoolYear
    school: School
    periods: list[Period]


async def _class_facts(uow: UnitOfWork, class_id: int) -> _Facts:
    cls = await uow.classes.get(class_id)
    if cls is None:
        raise NotFound("class", class_id)
    year = await uow.years.get(cls.year_id)
    if year is None:
        raise NotFound("year", cls.year_id)
    school = await uow.schools.get(year.school_id)
    if school is None:
        raise NotFound("school", year.school_id)
    return _Facts(cls, year, school, await uow.periods.for_year(year.id))  # type: ignore[arg-type]


def _homework_text(text: str, due_on: date) -> str:
    """Homework as the audit log keeps it: the text and the day it is due."""
    return f"{text} ({due_on.isoformat()})"


async def _lesson(uow: UnitOfWork, lesson_id: int) -> Lesson:
    lesson = await uow.lessons.get(lesson_id)
    if lesson is None:
        raise NotFound("lesson", lesson_id)
    return lesson


def initialled(last_name: str, first_name: str) -> str:
    """«Иванов П.»: how a teacher reads a list."""
    return f"{last_name} {first_name[:1]}." if first_name else last_name


async def starts_at(uow: UnitOfWork, school_id: int, slot: int) -> time | None:
    """When the lesson of that slot begins by the school's bells (None: no bell times)."""
    bell = next((b for b in await uow.bells.for_school(school_id) if b.slot == slot), None)
    return bell.starts_at if bell else None


async def lesson_roster(uow: UnitOfWork, lesson: Lesson) -> list[Student]:
    """Who was in the lesson: the class on its day (those who moved in or out, arrived or left
    by then, as they were), or just the subgroup's members that day; by surname."""
    students = await uow.students.in_class(lesson.class_id, on=lesson.day)
    if lesson.subgroup_id is None:
        return students
    members = set(await uow.subgroups.member_ids(lesson.subgroup_id, on=lesson.day))
    return [s for s in students if s.id in members]


async def _student_in_lesson(uow: UnitOfWork, lesson: Lesson, student_id: int) -> Student:
    """The student, if they were in the lesson's class (and group) on its day."""
    student = await uow.students.get(student_id)
    if student is not None:
        history = []
        if student.current_since is not None and lesson.day < student.current_since:
            history = await uow.class_history.for_student(student_id)
        if class_on(student, history, lesson.day) == lesson.class_id and (
            lesson.subgroup_id is None
            or lesson.subgroup_id in await uow.subgroups.of_student(student_id, on=lesson.day)
        ):
            return student
    raise StudentNotInLesson(student_id, lesson.id or 0)


async def _roll_call(uow: UnitOfWork, lesson: Lesson) -> RollCall:
    records = {r.student_id: r for r in await uow.attendance.for_lesson(lesson.id)}  # type: ignore[arg-type]
    students = await lesson_roster(uow, lesson)
    return RollCall(lesson, tuple(RollCallLine(s, records.get(s.id)) for s in students))  # type: ignore[arg-type]


def _text(value: str, field: str, limit: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise ValidationFailed(field, "empty")
    if len(value) > limit:
        raise ValidationFailed(field, "too_long")
    return value


def _actor(viewer: Viewer, fallback: int) -> int:
    """The staff member acting; the console and jobs act in the name of ``fallback``."""
    return viewer.staff_id if viewer.staff_id is not None else fallback


def _attendance_state(record: AttendanceRecord | None) -> str:
    if record is None:
        return "present"
    state = record.kind.value
    if record.minutes_late is not None:
        state += f":{record.minutes_late}"
    if record.reason is not None:
        state += f"/{record.reason.value}"
    return state


@dataclass(frozen=True, slots=True)
class JournalService:
    """Lesson records by the lesson's teacher on the lesson day; marks, corrections and
    finals within the regulations' windows; closed periods stay closed (DESIGN.md §1-10)."""

    uow: UnitOfWorkFactory
    clock: Clock

    # --- attendance -----------------------------------------------------------------------

    async def roll_call(self, viewer: Viewer, lesson_id: int) -> RollCall:
        """The lesson's students and their attendance: teachers, class teacher, administration."""
        async with self.uow(readonly=True) as uow:
            lesson = await _lesson(uow, lesson_id)
            access.require_read_lesson(viewer, lesson)
            return await _roll_call(uow, lesson)

    async def _ensure_started(self, uow: UnitOfWork, facts: _Facts, lesson: Lesson) -> None:
        begins = await starts_at(uow, facts.school.id, lesson.slot)  # type: ignore[arg-type]
        rules.ensure_lesson_started(lesson, begins, self.clock.now())

    async def _open_lesson_for_attendance(
        self, uow: UnitOfWork, viewer: Viewer, lesson_id: int
    ) -> Lesson:
        lesson = await _lesson(uow, lesson_id)
        access.require_private(viewer)
        access.require_conducts(viewer, lesson)
        rules.ensure_not_cancelled(lesson)
        rules.ensure_lesson_day(lesson, self.clock.today())
        facts = await _class_facts(uow, lesson.class_id)
        await self._ensure_started(uow, facts, lesson)
        rules.ensure_open(lesson.day, facts.periods)
        return lesson

    async def _record(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        lesson: Lesson,
        student_id: int,
        kind: AttendanceKind | None,
        minutes_late: int | None,
        check_student: bool = True,
    ) -> None:
        """Write one student's attendance; an event and an audit line only when it changes."""
        if check_student:
            await _student_in_lesson(uow, lesson, student_id)
        if kind != AttendanceKind.LATE:
            minutes_late = None
        record = await uow.attendance.find(lesson.id, student_id)  # type: ignore[arg-type]
        before = _attendance_state(record)
        now = self.clock.now()
        actor = _actor(viewer, lesson.conducted_by)
        if kind is None:
            if record is None:
                return
            await uow.attendance.remove(record)
            after = None
        elif record is None:
            record = await uow.attendance.add(
                AttendanceRecord(
                    lesson.id,  # type: ignore[arg-type]
                    student_id,
                    lesson.subject_id,
                    lesson.day,
                    kind,
                    recorded_by=actor,
                    recorded_at=now,
                    minutes_late=minutes_late,
                )
            )
            after = record
        else:
            if record.kind == kind and record.minutes_late == minutes_late:
                return
            if kind != AttendanceKind.ABSENT:  # reasons are for absences only
                record.reason = record.reason_set_by = record.reason_set_at = None
            record.kind = kind
            record.minutes_late = minutes_late
            record.recorded_by = actor
            record.recorded_at = now
            after = record
        if before != "present":
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "attendance.set",
                    "lesson",
                    lesson.id,
                    student_id=student_id,
                    before=before,
                    after=_attendance_state(after),
                )
            )
        uow.emit(
            AttendanceRecorded(
                lesson.id,  # type: ignore[arg-type]
                student_id,
                lesson.subject_id,
                kind.value if kind else None,
                after.reason.value if after and after.reason else None,
            )
        )

    async def set_attendance(
        self,
        viewer: Viewer,
        lesson_id: int,
        student_id: int,
        kind: AttendanceKind | None,
        minutes_late: int | None = None,
    ) -> RollCall:
        """Rule 1: absences by the lesson's teacher, on the lesson day; None means present."""
        if minutes_late is not None:
            if kind != AttendanceKind.LATE:
                raise ValidationFailed("minutes_late", "only_for_late")
            if not 0 < minutes_late <= MAX_MINUTES_LATE:
                raise ValidationFailed("minutes_late", "out_of_range")
        async with self.uow() as uow:
            lesson = await self._open_lesson_for_attendance(uow, viewer, lesson_id)
            await self._record(uow, viewer, lesson, student_id, kind, minutes_late)
            roll = await _roll_call(uow, lesson)
            await uow.commit()
            return roll

    async def toggle_attendance(self, viewer: Viewer, lesson_id: int, student_id: int) -> RollCall:
        """Rule 1: cycles present -> absent -> late -> present, on the lesson day."""
        async with self.uow() as uow:
            lesson = await self._open_lesson_for_attendance(uow, viewer, lesson_id)
            record = await uow.attendance.find(lesson_id, student_id)
            kind = _NEXT_KIND[record.kind if record else None]
            await self._record(uow, viewer, lesson, student_id, kind, None)
            roll = await _roll_call(uow, lesson)
            await uow.commit()
            return roll

    async def all_present(self, viewer: Viewer, lesson_id: int) -> RollCall:
        """Rule 1: everyone present, on the lesson day."""
        async with self.uow() as uow:
            lesson = await self._open_lesson_for_attendance(uow, viewer, lesson_id)
            for record in await uow.attendance.for_lesson(lesson_id):
                # no roster check: a record stays removable after its student left the class
                await self._record(uow, viewer, lesson, record.student_id, None, None, False)
            roll = await _roll_call(uow, lesson)
            await uow.commit()
            return roll

    async def mark_absent(
        self, viewer: Viewer, lesson_id: int, student_ids: Sequence[int]
    ) -> RollCall:
        """Rule 1: several absences at once (``/att``); all are written or none."""
        async with self.uow() as uow:
            lesson = await self._open_lesson_for_attendance(uow, viewer, lesson_id)
            for student_id in dict.fromkeys(student_ids):
                await self._record(uow, viewer, lesson, student_id, AttendanceKind.ABSENT, None)
            roll = await _roll_call(uow, lesson)
            await uow.commit()
            return roll

    # --- absence reasons (rule 7) ---------------------------------------------------------

    async def _set_reason(
        self, uow: UnitOfWork, viewer: Viewer, record: AttendanceRecord, reason: AbsenceReason
    ) -> bool:
        if record.kind != AttendanceKind.ABSENT:
            raise NotAbsent(attendance_id=record.id)
        if record.reason == reason:
            return False
        now = self.clock.now()
        if record.reason is not None:
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "attendance.reason",
                    "attendance",
                    record.id,
                    student_id=record.student_id,
                    before=record.reason.value,
                    after=reason.value,
                )
            )
        record.reason = reason
        record.reason_set_by = viewer.staff_id
        record.reason_set_at = now
        uow.emit(AbsenceReasonSet(record.id, record.student_id, reason.value))  # type: ignore[arg-type]
        return True

    async def _student_for_reasons(
        self, uow: UnitOfWork, viewer: Viewer, student_id: int
    ) -> tuple[Student, _Facts]:
        student = await uow.students.get(student_id)
        if student is None:
            raise NotFound("student", student_id)
        access.require_private(viewer)
        access.require_class_teacher(viewer, student.class_id)
        return student, await _class_facts(uow, student.class_id)

    async def set_absence_reason(
        self, viewer: Viewer, attendance_id: int, reason: AbsenceReason
    ) -> AttendanceRecord:
        """Rule 7: the class teacher records why (Б/У/Н), also for past days; periods open."""
        async with self.uow() as uow:
            record = await uow.attendance.get(attendance_id)
            if record is None:
                raise NotFound("attendance", attendance_id)
            _, facts = await self._student_for_reasons(uow, viewer, record.student_id)
            rules.ensure_open(record.day, facts.periods)
            if await self._set_reason(uow, viewer, record, reason):
                await uow.commit()
            return record

    async def set_day_reason(
        self, viewer: Viewer, student_id: int, day: date, reason: AbsenceReason
    ) -> int:
        """Rule 7: one reason for all the student's absences that day; returns how many changed."""
        async with self.uow() as uow:
            _, facts = await self._student_for_reasons(uow, viewer, student_id)
            rules.ensure_open(day, facts.periods)
            absences = [
                r
                for r in await uow.attendance.for_student(student_id, day, day)
                if r.kind == AttendanceKind.ABSENT
            ]
            if not absences:
                raise NotAbsent(student_id=student_id, day=day)
            changed = 0
            for record in absences:
                changed += await self._set_reason(uow, viewer, record, reason)
            if changed:
                await uow.commit()
            return changed

    async def unexplained_absences(
        self, viewer: Viewer, class_id: int, start: date, end: date
    ) -> list[UnexplainedAbsence]:
        """Rule 7: absences still without a reason, for the class teacher's weekly check."""
        if start > end:
            raise ValidationFailed("end", "before_start")
        access.require_private(viewer)
        if not viewer.administers:
            access.require_class_teacher(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            records = [
                r
                for r in await uow.attendance.for_class(class_id, start, end)
                if r.kind == AttendanceKind.ABSENT and r.reason is None
            ]
            students = {
                s.id: s for s in await uow.students.many(sorted({r.student_id for r in records}))
            }
            return [
                UnexplainedAbsence(r, students[r.student_id])
                for r in records
                if r.student_id in students
            ]

    # --- topic and homework -----------------------------------------------------------------

    async def _writable_lesson(
        self, uow: UnitOfWork, viewer: Viewer, lesson_id: int
    ) -> tuple[Lesson, _Facts]:
        lesson = await _lesson(uow, lesson_id)
        access.require_private(viewer)
        access.require_conducts(viewer, lesson)
        rules.ensure_not_cancelled(lesson)
        return lesson, await _class_facts(uow, lesson.class_id)

    async def set_topic(self, viewer: Viewer, lesson_id: int, topic: str) -> Lesson:
        """Rule 1: the topic on the lesson day or planned ahead, by its teacher."""
        topic = _text(topic, "topic", MAX_TOPIC)
        async with self.uow() as uow:
            lesson, facts = await self._writable_lesson(uow, viewer, lesson_id)
            rules.ensure_topic_time(lesson, self.clock.today())
            rules.ensure_open(lesson.day, facts.periods)
            if lesson.topic != topic:
                await uow.audit.add(
                    audit.change(
                        viewer,
                        self.clock.now(),
                        "lesson.topic",
                        "lesson",
                        lesson.id,
                        before=lesson.topic,
                        after=topic,
                    )
                )
                lesson.topic = topic
                await uow.commit()
            return lesson

    async def _last_lesson_end(self, uow: UnitOfWork, facts: _Facts, day: date) -> time | None:
        lessons = [
            x
            for x in await uow.lessons.for_class(facts.cls.id, day, day)  # type: ignore[arg-type]
            if x.status != LessonStatus.CANCELLED
        ]
        if not lessons:
            return None
        last_slot = max(x.slot for x in lessons)
        bells = {b.slot: b for b in await uow.bells.for_school(facts.school.id)}  # type: ignore[arg-type]
        bell = bells.get(last_slot)
        return bell.ends_at if bell else None

    async def _next_lesson_day(self, uow: UnitOfWork, lesson: Lesson, facts: _Facts) -> date:
        """The day of the next lesson of that subject for the class or subgroup."""
        start = lesson.day + timedelta(days=1)
        end = max(start, facts.year.ends_on)
        for x in await uow.lessons.for_class(lesson.class_id, start, end):
            if (
                x.subject_id == lesson.subject_id
                and x.subgroup_id == lesson.subgroup_id
                and x.status != LessonStatus.CANCELLED
            ):
                return x.day
        return start

    async def set_homework(
        self,
        viewer: Viewer,
        lesson_id: int,
        text: str,
        due_on: date | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Homework:
        """Rules 2, 5: ahead or until 2 h after the class's last lesson that day; not in grade 1."""
        text = _text(text, "text", MAX_HOMEWORK, required=False)
        if not text and not attachments:
            raise ValidationFailed("text", "empty")
        async with self.uow() as uow:
            lesson, facts = await self._writable_lesson(uow, viewer, lesson_id)
            now = self.clock.now()
            last_end = await self._last_lesson_end(uow, facts, lesson.day)
            rules.ensure_homework_allowed(facts.cls.grade, lesson, now, last_end)
            rules.ensure_open(lesson.day, facts.periods)
            if due_on is None:
                due_on = await self._next_lesson_day(uow, lesson, facts)
            elif due_on < lesson.day:
                raise ValidationFailed("due_on", "before_lesson")
            author = _actor(viewer, lesson.conducted_by)
            homework = await uow.homework.for_lesson(lesson_id)
            before = "" if homework is None else _homework_text(homework.text, homework.due_on)
            if homework is None:
                homework = await uow.homework.add(
                    Homework(
                        lesson_id,
                        lesson.class_id,
                        lesson.subject_id,
                        lesson.day,
                        due_on,
                        text,
                        author,
                        now,
                        subgroup_id=lesson.subgroup_id,
                        attachments=list(attachments),
                    )
                )
                changed = False
            elif (homework.text, homework.due_on, homework.attachments) == (
                text,
                due_on,
                list(attachments),
            ):
                return homework
            else:
                homework.text = text
                homework.due_on = due_on
                homework.attachments = list(attachments)
                homework.author_id = author
                homework.updated_at = now
                changed = True
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "lesson.homework",
                    "lesson",
                    lesson_id,
                    before=before,
                    after=_homework_text(text, due_on),
                )
            )
            uow.emit(
                HomeworkSet(
                    homework.id,  # type: ignore[arg-type]
                    lesson_id,
                    lesson.class_id,
                    lesson.subgroup_id,
                    lesson.subject_id,
                    due_on.isoformat(),
                    changed,
                )
            )
            await uow.commit()
            return homework

    # --- marks --------------------------------------------------------------------------------

    async def give_mark(
        self,
        viewer: Viewer,
        lesson_id: int,
        student_id: int,
        value: MarkValue,
        work_type_id: int,
        comment: str = "",
    ) -> Mark:
        """Rules 3-5: oral in a day, written in 5/7 days, not ahead, not grade 1, no back-dating."""
        (mark,) = await self.give_marks(
            viewer, lesson_id, work_type_id, [(student_id, value)], comment
        )
        return mark

    async def give_marks(
        self,
        viewer: Viewer,
        lesson_id: int,
        work_type_id: int,
        entries: Sequence[tuple[int, MarkValue]],
        comment: str = "",
    ) -> list[Mark]:
        """Rules 3-5 for several students at once (``/mark``): all are written or none."""
        comment = _text(comment, "comment", MAX_COMMENT, required=False)
        if not entries:
            raise ValidationFailed("entries", "empty")
        async with self.uow() as uow:
            lesson, facts = await self._writable_lesson(uow, viewer, lesson_id)
            work_type = await uow.work_types.get(work_type_id)
            if work_type is None or work_type.school_id != facts.school.id:
                raise NotFound("work_type", work_type_id)
            rules.ensure_mark_allowed(facts.cls.grade, lesson, work_type, self.clock.today())
            await self._ensure_started(uow, facts, lesson)
            rules.ensure_open(lesson.day, facts.periods)
            absent = []
            for student_id, value in entries:
                student = await _student_in_lesson(uow, lesson, student_id)
                if rules.mark_needs_presence(value):
                    record = await uow.attendance.find(lesson_id, student_id)
                    if record is not None and record.kind == AttendanceKind.ABSENT:
                        absent.append(initialled(student.last_name, student.first_name))
            if absent:
                raise AbsentNoMark(", ".join(absent))
            marks = []
            for student_id, value in entries:
                mark = await uow.marks.add(
                    Mark(
                        lesson_id,
                        student_id,
                        lesson.subject_id,
                        lesson.day,
                        value,
                        work_type_id,
                        author_id=_actor(viewer, lesson.conducted_by),
                        created_at=self.clock.now(),
                        comment=comment,
                    )
                )
                uow.emit(
                    MarkGiven(
                        mark.id,  # type: ignore[arg-type]
                        student_id,
                        lesson.subject_id,
                        lesson_id,
                        value.value,
                        work_type_id,
                    )
                )
                marks.append(mark)
            await uow.commit()
            return marks

    async def correct_mark(
        self,
        viewer: Viewer,
        mark_id: int,
        new_value: MarkValue | None,
        reason: str,
        comment: str | None = None,
    ) -> Mark | None:
        """Rule 4: audited, with a reason; the author within 7 days, later a deputy or the admin."""
        async with self.uow() as uow:
            old = await uow.marks.get(mark_id)
            if old is None:
                raise NotFound("mark", mark_id)
            access.require_private(viewer)
            today = self.clock.today()
            deadline = rules.correction_deadline(old.created_at, self.clock.tz)
            if not access.may_correct(viewer, old.author_id, today, deadline):
                if viewer.staff_id is not None and viewer.staff_id == old.author_id:
                    raise CorrectionWindowPassed(
                        datetime.combine(deadline, rules.END_OF_DAY, tzinfo=self.clock.tz)
                    )
                raise AccessDenied("correct_mark")
            reason = rules.clean_reason(reason)
            if not old.current:
                raise AlreadySuperseded(mark_id=mark_id)
            lesson = await _lesson(uow, old.lesson_id)
            facts = await _class_facts(uow, lesson.class_id)
            rules.ensure_open(old.day, facts.periods)
            new_comment = (
                old.comment
                if comment is None
                else _text(comment, "comment", MAX_COMMENT, required=False)
            )
            if new_value == old.value and new_comment == old.comment:
                raise ValidationFailed("new_value", "unchanged")
            now = self.clock.now()
            new = None
            if new_value is not None:
                new = await uow.marks.add(
                    Mark(
                        old.lesson_id,
                        old.student_id,
                        old.subject_id,
                        old.day,
                        new_value,
                        old.work_type_id,
                        author_id=_actor(viewer, old.author_id),
                        created_at=now,
                        comment=new_comment,
                    )
                )
            old.superseded_at = now
            old.superseded_by = new.id if new else None
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "mark.correct",
                    "mark",
                    old.id,
                    student_id=old.student_id,
                    before=old.value.value,
                    after=new_value.value if new_value else "",
                    reason=reason,
                )
            )
            uow.emit(
                MarkCorrected(
                    old.id,  # type: ignore[arg-type]
                    new.id if new else None,
                    old.student_id,
                    old.subject_id,
                    old.value.value,
                    new_value.value if new_value else None,
                    reason,
                )
            )
            await uow.commit()
            return new

    # --- final marks (rule 6) ---------------------------------------------------------------

    def _ensure_final_time(
        self, kind: FinalKind, period: Period | None, facts: _Facts, today: date
    ) -> None:
        if kind == FinalKind.PERIOD:
            assert period is not None
            rules.ensure_final_window(period, facts.school, today)
            return
        if not facts.periods:
            raise ValidationFailed("year", "no_periods")
        last = facts.periods[-1]
        if kind == FinalKind.YEAR:
            rules.ensure_final_window(last, facts.school, today)
            return
        opens, _ = rules.school_final_window(last, facts.school)
        if not opens <= today <= facts.year.ends_on:
            raise FinalWindowClosed(opens, facts.year.ends_on)

    async def set_final_mark(
        self,
        viewer: Viewer,
        student_id: int,
        subject_id: int,
        kind: FinalKind,
        value: MarkValue,
        period_id: int | None = None,
        reason: str = "",
    ) -> FinalMark:
        """Rule 6: by the subject's teacher, from the window's opening to 2 days after the end;
        a mark already set is changed only with a reason (rule 4: no silent correction)."""
        (final,) = await self.set_final_marks(
            viewer, subject_id, kind, [(student_id, value)], period_id, reason
        )
        return final

    async def set_final_marks(
        self,
        viewer: Viewer,
        subject_id: int,
        kind: FinalKind,
        values: Sequence[tuple[int, MarkValue]],
        period_id: int | None = None,
        reason: str = "",
    ) -> list[FinalMark]:
        """Several students' final marks of a subject in one transaction: all are set or, when
        one is refused, none (the teacher's «confirm the proposed marks»). Changing a mark
        already set needs ``reason``, kept in the audit log."""
        if kind == FinalKind.PERIOD and period_id is None:
            raise ValidationFailed("period_id", "required")
        if kind != FinalKind.PERIOD and period_id is not None:
            raise ValidationFailed("period_id", "not_allowed")
        reason = rules.clean_reason(reason, required=False)
        async with self.uow() as uow:
            done = [
                await self._final_in(
                    uow, viewer, student_id, subject_id, kind, value, period_id, reason
                )
                for student_id, value in values
            ]
            await uow.commit()
            return done

    async def _final_in(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        student_id: int,
        subject_id: int,
        kind: FinalKind,
        value: MarkValue,
        period_id: int | None,
        reason: str,
    ) -> FinalMark:
        student = await uow.students.get(student_id)
        if student is None:
            raise NotFound("student", student_id)
        access.require_private(viewer)
        access.require_teaches_subject(viewer, subject_id, student.class_id)
        if not viewer.system:
            # a subgroup's teacher grades only the subgroup's members
            groups = await uow.subgroups.of_student(student_id)
            if not any(
                t.subject_id == subject_id
                and t.class_id == student.class_id
                and (t.subgroup_id is None or t.subgroup_id in groups)
                for t in viewer.teaches
            ):
                raise AccessDenied("set_final_mark")
        facts = await _class_facts(uow, student.class_id)
        rules.ensure_graded(facts.cls.grade)
        subject = await uow.subjects.get(subject_id)
        if subject is None or subject.school_id != facts.school.id:
            raise NotFound("subject", subject_id)
        period = None
        if period_id is not None:
            period = await uow.periods.get(period_id)
            if period is None or period.year_id != facts.year.id:
                raise NotFound("period", period_id)
        self._ensure_final_time(kind, period, facts, self.clock.today())
        now = self.clock.now()
        author = viewer.staff_id
        if author is None:  # the console: in the name of the subject's teacher
            author = next(
                (
                    t.staff_id
                    for t in await uow.teachings.for_class(student.class_id)
                    if t.subject_id == subject_id
                ),
                None,
            )
            if author is None:
                raise ValidationFailed("author", "no_teacher")
        current = [
            f
            for f in await uow.finals.for_student(student_id, facts.year.id)  # type: ignore[arg-type]
            if f.subject_id == subject_id and f.kind == kind and f.period_id == period_id
        ]
        if current and current[0].value == value:
            return current[0]
        if current:
            rules.clean_reason(reason)  # a period mark changed after it was set says why
        for old in current:
            old.superseded_at = now
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "final.replace",
                    "final_mark",
                    old.id,
                    student_id=student_id,
                    before=old.value.value,
                    after=value.value,
                    reason=reason,
                )
            )
        final = await uow.finals.add(
            FinalMark(
                student_id,
                subject_id,
                facts.year.id,  # type: ignore[arg-type]
                kind,
                value,
                author_id=author,
                set_at=now,
                period_id=period_id,
            )
        )
        uow.emit(
            FinalMarkSet(
                final.id,  # type: ignore[arg-type]
                student_id,
                subject_id,
                kind.value,
                period_id,
                value.value,
            )
        )
        return final

    # --- remarks (rule 9) -------------------------------------------------------------------

    async def add_remark(
        self, viewer: Viewer, lesson_id: int, student_id: int, kind: RemarkKind, text: str
    ) -> Remark:
        """Rule 9: a remark or praise by the lesson's teacher, for a lesson already held."""
        text = _text(text, "text", MAX_REMARK)
        async with self.uow() as uow:
            lesson, facts = await self._writable_lesson(uow, viewer, lesson_id)
            await self._ensure_started(uow, facts, lesson)
            rules.ensure_open(lesson.day, facts.periods)
            await _student_in_lesson(uow, lesson, student_id)
            remark = await uow.remarks.add(
                Remark(
                    lesson_id,
                    student_id,
                    lesson.subject_id,
                    lesson.day,
                    kind,
                    text,
                    author_id=_actor(viewer, lesson.conducted_by),
                    created_at=self.clock.now(),
                )
            )
            await uow.audit.add(
                audit.change(
                    viewer,
                    remark.created_at,
                    f"remark.{kind.value}",
                    "remark",
                    remark.id,
                    student_id=student_id,
                    after=text,
                )
            )
            uow.emit(RemarkAdded(remark.id, student_id, kind.value))  # type: ignore[arg-type]
            await uow.commit()
            return remark
