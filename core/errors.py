"""Typed domain errors.

Each carries the facts a front-end needs to explain the refusal in the user's language; the
core never formats user-facing text. ``code`` is stable and used to pick the message.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"

    def __init__(self, **facts: Any) -> None:
        self.facts = facts
        super().__init__(f"{self.code}: {facts}" if facts else self.code)


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(entity=entity, entity_id=entity_id)


class AccessDenied(DomainError):
    code = "access_denied"

    def __init__(self, action: str) -> None:
        super().__init__(action=action)


class PrivateChatRequired(DomainError):
    code = "private_chat_required"


class ValidationFailed(DomainError):
    code = "validation_failed"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field=field, problem=problem)


class PeriodClosed(DomainError):
    """A closed period can no longer be edited (000 §4.6)."""

    code = "period_closed"

    def __init__(self, period_id: int | None, day: date | None = None) -> None:
        super().__init__(period_id=period_id, day=day)


class NoPeriod(DomainError):
    """The day is in no study period (holidays, summer)."""

    code = "no_period"

    def __init__(self, day: date) -> None:
        super().__init__(day=day)


class NotLessonDay(DomainError):
    """Lesson records and absences are entered on the lesson day (000 §3.9; 003 reg.2 §2.1.1)."""

    code = "not_lesson_day"

    def __init__(self, lesson_day: date, today: date) -> None:
        super().__init__(lesson_day=lesson_day, today=today)


class LessonInFuture(DomainError):
    code = "lesson_in_future"

    def __init__(self, lesson_day: date) -> None:
        super().__init__(lesson_day=lesson_day)


class LessonNotStarted(DomainError):
    """Absences, marks and remarks are entered by the fact, once the lesson has begun
    (000 §3.9; 003 reg.2 §2.1.1, §2.1.4)."""

    code = "lesson_not_started"

    def __init__(self, lesson_day: date, starts_at: time) -> None:
        super().__init__(lesson_day=lesson_day, starts_at=starts_at)


class AbsentNoMark(DomainError):
    """A mark is for work done in the lesson: a pupil marked absent from it gets none, only
    «н/а» or «осв» (003 reg.2 §2.1.4: no back-dating)."""

    code = "absent_no_mark"

    def __init__(self, students: str) -> None:
        super().__init__(students=students)


class LessonCancelled(DomainError):
    code = "lesson_cancelled"

    def __init__(self, lesson_id: int) -> None:
        super().__init__(lesson_id=lesson_id)


class HomeworkWindowClosed(DomainError):
    """Homework at most 2 h after the class's last lesson that day (003 reg.2 §2.1.2-2.1.3)."""

    code = "homework_window_closed"

    def __init__(self, deadline: datetime) -> None:
        super().__init__(deadline=deadline)


class MarkDeadlinePassed(DomainError):
    """Oral marks within a day, written works within 5 or 7 days (003 reg.2 §2.1.4)."""

    code = "mark_deadline_passed"

    def __init__(self, lesson_day: date, deadline: date) -> None:
        super().__init__(lesson_day=lesson_day, deadline=deadline)


class FirstGradeNoMarks(DomainError):
    """Grade 1: attendance only, no marks and no homework (000 §3.6; 004 §5.5)."""

    code = "first_grade_no_marks"


class FirstGradeNoHomework(DomainError):
    code = "first_grade_no_homework"


class CorrectionWindowPassed(DomainError):
    """Authors fix their mistakes within 7 days (001 §8.6); later only a deputy or admin."""

    code = "correction_window_passed"

    def __init__(self, deadline: datetime) -> None:
        super().__init__(deadline=deadline)


class ReasonRequired(DomainError):
    code = "reason_required"


class FinalWindowClosed(DomainError):
    """Period marks by the period's last day, at most 2 days after (003 §4.4; 004 §5.8)."""

    code = "final_window_closed"

    def __init__(self, opens_on: date, closes_on: date) -> None:
        super().__init__(opens_on=opens_on, closes_on=closes_on)


class StudentNotInLesson(DomainError):
    code = "student_not_in_lesson"

    def __init__(self, student_id: int, lesson_id: int) -> None:
        super().__init__(student_id=student_id, lesson_id=lesson_id)


class NotAbsent(DomainError):
    code = "not_absent"


class AlreadySuperseded(DomainError):
    code = "already_superseded"


class InviteInvalid(DomainError):
    """An unknown, used, revoked or expired code; ``why`` says which."""

    code = "invite_invalid"

    def __init__(self, why: str) -> None:
        super().__init__(why=why)


class InviteDaysRefused(DomainError):
    """An invite code is valid for 1 to ``max_days`` days (``core.invites.MAX_TTL_DAYS``)."""

    code = "invite_days_refused"

    def __init__(self, days: int, max_days: int) -> None:
        super().__init__(days=days, max_days=max_days)


class StudentLeft(DomainError):
    """The student has left the school: only their final marks stay readable, for a while."""

    code = "student_left"

    def __init__(self, left_on: date, readable_until: date) -> None:
        super().__init__(left_on=left_on, readable_until=readable_until)


class ConsentRequired(DomainError):
    """A guardian sees nothing before consenting (001 §1.5)."""

    code = "consent_required"


class UnknownClass(DomainError):
    """A class named in a command that the school does not have this year."""

    code = "unknown_class"

    def __init__(self, class_name: str) -> None:
        super().__init__(class_name=class_name)


class ClassAmbiguous(DomainError):
    """Only a grade was given and the school has several classes of it."""

    code = "class_ambiguous"

    def __init__(self, grade: int, classes: str) -> None:
        super().__init__(grade=grade, classes=classes)


class NoLessonWithClass(DomainError):
    """The teacher has no lesson with this class to write to (today, or lately for marks)."""

    code = "no_lesson_with_class"

    def __init__(self, class_name: str) -> None:
        super().__init__(class_name=class_name)


class UnknownWorkType(DomainError):
    code = "unknown_work_type"

    def __init__(self, token: str, known: str) -> None:
        super().__init__(token=token, known=known)


class NoClassTeacher(DomainError):
    """The class has no class teacher to write to."""

    code = "no_class_teacher"


class LetterRefused(DomainError):
    """Letters go only between the pairs of rule 13 (core/letters.py); the teaching or the
    link behind a pair has ended, or the recipient was never one."""

    code = "letter_refused"


class SubstitutionTooLate(DomainError):
    """Rule 1: a substitute is recorded before the lesson, or on its day before anything is
    written in it (000 §3.9; 003 reg.2 §2.1.1)."""

    code = "substitution_too_late"

    def __init__(self, lesson_day: date) -> None:
        super().__init__(lesson_day=lesson_day)


class TeacherBusy(DomainError):
    """The teacher already has a lesson at that time."""

    code = "teacher_busy"

    def __init__(self, teacher: str, class_name: str, day: date, slot: int) -> None:
        super().__init__(teacher=teacher, class_name=class_name, day=day, slot=slot)


class SlotTaken(DomainError):
    """The class (or the group) already has a lesson at that time."""

    code = "slot_taken"

    def __init__(self, class_name: str, day: date, slot: int) -> None:
        super().__init__(class_name=class_name, day=day, slot=slot)


class NotSchoolDay(DomainError):
    """A holiday, a day off, a weekend or a day outside the study periods."""

    code = "not_school_day"

    def __init__(self, day: date) -> None:
        super().__init__(day=day)


class NoSuchSlot(DomainError):
    """The school has no bell for this lesson number."""

    code = "no_such_slot"

    def __init__(self, slot: int) -> None:
        super().__init__(slot=slot)


class LessonHasRecords(DomainError):
    """The lesson already has marks, absences or remarks: it cannot be cancelled or moved."""

    code = "lesson_has_records"

    def __init__(self, lesson_day: date) -> None:
        super().__init__(lesson_day=lesson_day)


class LessonOver(DomainError):
    """The lesson's day is over: it cannot be moved any more."""

    code = "lesson_over"

    def __init__(self, lesson_day: date) -> None:
        super().__init__(lesson_day=lesson_day)


class PeriodNotOver(DomainError):
    """A study period is closed on or after its last day (rule 10)."""

    code = "period_not_over"

    def __init__(self, ends_on: date) -> None:
        super().__init__(ends_on=ends_on)


class TransferRefused(DomainError):
    """A student cannot be moved to another class so: ``why`` says why (the student left, the
    same class, outside the year, before they came to their class, a closed period, marks or
    absences of the old class after the day)."""

    code = "transfer_refused"

    def __init__(self, why: str, **facts: object) -> None:
        super().__init__(why=why, **facts)


class NoCodesAfterLeaving(DomainError):
    """A student who left, and a guardian whose children all left, get no new codes."""

    code = "no_codes_after_leaving"

    def __init__(self, left_on: date) -> None:
        super().__init__(left_on=left_on)


class NoSuchLesson(DomainError):
    """The class has no lesson at that place (a console command names lessons so)."""

    code = "no_such_lesson"

    def __init__(self, class_name: str, day: date, slot: int) -> None:
        super().__init__(class_name=class_name, day=day, slot=slot)


class RemarkTeacherRefused(DomainError):
    """A remark on the journal goes to the one who keeps that part of it: the subject's
    teacher in the class, the lesson's teacher, or the class teacher for the class's journal."""

    code = "remark_teacher_refused"


class RemarkDueRefused(DomainError):
    """The date a remark on the journal is to be fixed by lies outside its window."""

    code = "remark_due_refused"

    def __init__(self, earliest: date, latest: date) -> None:
        super().__init__(earliest=earliest, latest=latest)


class RemarkTextRefused(DomainError):
    code = "remark_text_refused"

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)


class PeriodDatesRefused(DomainError):
    """A period's new dates: outside its school year, or overlapping another period."""

    code = "period_dates_refused"

    def __init__(self, why: str, **facts: object) -> None:
        super().__init__(why=why, **facts)


class Busy(DomainError):
    """The database could not take the work in time: another writer held it longer than the
    busy timeout (SQLite's «database is locked»; PostgreSQL's lock timeout, a serialization
    failure or a deadlock), or the connection was lost mid-way. The transaction was rolled
    back, so nothing was saved; the same action a moment later works. Raised by ``storage``
    in place of the driver's error, so a front-end only knows this."""

    code = "busy"
