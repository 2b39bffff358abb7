"""The journal's entities.

Plain dataclasses with integer ids and no behaviour beyond small derived properties.
Storage maps them imperatively, so they stay free of any ORM import. Ids are ``None`` until
the unit of work assigns them. Nothing here is ever deleted: students leave, marks are
superseded, links are revoked — the history stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    TRIMESTER = "trimester"
    HALF_YEAR = "half_year"
    SEMESTER = "semester"


class StaffRoleKind(StrEnum):
    ADMIN = "admin"  # администратор ЭЖ
    DIRECTOR = "director"
    DEPUTY = "deputy"  # завуч, зам. по УВР
    TEACHER = "teacher"
    LETTERS = "letters"  # receives the letters parents write to «the administration»


class PersonRole(StrEnum):
    """The role an invite carries; an account link is guardian, student or staff."""

    GUARDIAN = "guardian"
    STUDENT = "student"
    TEACHER = "teacher"
    CLASS_TEACHER = "class_teacher"
    DEPUTY = "deputy"
    DIRECTOR = "director"
    ADMIN = "admin"
    STAFF = "staff"  # an account link to a staff member; rights come from the school's data

    @property
    def is_staff(self) -> bool:
        return self not in (PersonRole.GUARDIAN, PersonRole.STUDENT)


class MarkValue(StrEnum):
    ONE = "1"
    TWO = "2"
    THREE = "3"
    FOUR = "4"
    FIVE = "5"
    PASS = "pass"  # зачёт
    FAIL = "fail"  # незачёт
    NOT_ASSESSED = "na"  # н/а, не аттестован
    EXEMPT = "exempt"  # освобождён

    @property
    def points(self) -> int | None:
        """The numeric value, or None for marks that do not enter an average."""
        return _POINTS[self._value_]

    @property
    def failing(self) -> bool:
        return self in (MarkValue.ONE, MarkValue.TWO, MarkValue.FAIL, MarkValue.NOT_ASSESSED)


# Read for every mark of every average: a plain dict on the value string, not enum machinery.
_POINTS: dict[str, int | None] = {
    v.value: int(v.value) if v.value.isdigit() else None for v in MarkValue
}


class FinalKind(StrEnum):
    PERIOD = "period"  # четвертная, триместровая, полугодовая
    YEAR = "year"  # годовая
    EXAM = "exam"  # экзаменационная
    FINAL = "final"  # итоговая


class AttendanceKind(StrEnum):
    ABSENT = "absent"
    LATE = "late"


class AbsenceReason(StrEnum):
    SICK = "sick"  # Б, болезнь
    EXCUSED = "excused"  # У, уважительная
    UNEXCUSED = "unexcused"  # Н, неуважительная


class LessonStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class LessonOrigin(StrEnum):
    """Where a dated lesson comes from: the timetable re-makes only its own."""

    TIMETABLE = "timetable"
    EXTRA = "extra"  # added by the administration
    MOVED = "moved"  # a timetable lesson moved to another slot or day


class RemarkKind(StrEnum):
    REMARK = "remark"  # замечание
    PRAISE = "praise"  # благодарность


@dataclass(eq=False)
class School:
    name: str
    timezone: str = "Europe/Moscow"
    period_kind: PeriodKind = PeriodKind.QUARTER
    # Rounding of the weighted average: 3.5 -> 4 with "0.5", 3.6 -> 4 with "0.6".
    rounding_threshold: str = "0.5"
    # Fewer current marks than this and no period mark can be proposed.
    min_marks_for_period: int = 3
    # Period marks may be set from this many days before a period's end ...
    final_window_open_days: int = 14
    # ... and at most this many days after it (003 §4.4; 004 §5.8).
    final_window_grace_days: int = 2
    week_days: int = 5  # lessons Monday to Friday (5) or to Saturday (6)
    id: int | None = None


@dataclass(eq=False)
class WorkType:
    """A mark column's kind of work, with the school's weight (003 reg.2 §2.1.4)."""

    school_id: int
    code: str  # stable ascii code: oral, test, independent, lab, practical, homework, essay ...
    short: str  # as on paper: У, КР, СР, ЛР, ПР, Д, Соч
    name: str
    weight: str = "1"  # decimal as text, exact
    written: bool = False  # written works have the longer deadline
    id: int | None = None


@dataclass(eq=False)
class SchoolYear:
    school_id: int
    name: str  # "2026/2027"
    starts_on: date
    ends_on: date
    id: int | None = None


@dataclass(eq=False)
class Period:
    year_id: int
    kind: PeriodKind
    number: int  # 1..4 for quarters
    starts_on: date
    ends_on: date
    closed_at: datetime | None = None
    reopened_at: datetime | None = None  # the admin reopened it: it is not closed by itself again
    id: int | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(eq=False)
class Holiday:
    year_id: int
    name: str
    starts_on: date
    ends_on: date
    id: int | None = None


@dataclass(eq=False)
class Bell:
    school_id: int
    slot: int  # lesson number in the day, from 1
    starts_at: time
    ends_at: time
    id: int | None = None


@dataclass(eq=False)
class Subject:
    school_id: int
    name: str
    short: str = ""
    id: int | None = None


@dataclass(eq=False)
class ClassGroup:
    """A class such as 7А: grade 7, letter А, in one school year."""

    year_id: int
    grade: int
    letter: str
    class_teacher_id: int | None = None  # Staff.id
    source_id: str | None = None  # id in an imported roster
    id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass(eq=False)
class Subgroup:
    """A part of a class for languages, PE or IT."""

    class_id: int
    name: str
    subject_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class SubgroupMember:
    subgroup_id: int
    student_id: int
    starts_on: date | None = None  # None: since the subgroup's start
    ends_on: date | None = None  # None: still in it
    id: int | None = None

    def covers(self, day: date) -> bool:
        return _within(day, self.starts_on, self.ends_on)


def _within(day: date, starts_on: date | None, ends_on: date | None) -> bool:
    return (starts_on is None or starts_on <= day) and (ends_on is None or day <= ends_on)


@dataclass(eq=False)
class Staff:
    last_name: str
    first_name: str
    middle_name: str = ""
    source_id: str | None = None
    id: int | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip()


@dataclass(eq=False)
class StaffRole:
    """Administrative roles; teaching is a Teaching row, class teachers are on ClassGroup."""

    staff_id: int
    role: StaffRoleKind
    id: int | None = None


@dataclass(eq=False)
class Teaching:
    """A subject teacher teaches this subject to this class (or one subgroup of it), from
    ``starts_on`` to ``ends_on`` (None: open); access to the class ends with it."""

    staff_id: int
    subject_id: int
    class_id: int
    subgroup_id: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    id: int | None = None

    def active_on(self, day: date) -> bool:
        return _within(day, self.starts_on, self.ends_on)


@dataclass(eq=False)
class Student:
    """A student and their current class; the classes before it are ``ClassMembership`` rows."""

    last_name: str
    first_name: str
    class_id: int  # the current class (or the last one, once the student has left) ...
    middle_name: str = ""
    birth_date: date | None = None
    arrived_on: date | None = None
    left_on: date | None = None  # never deleted: a student who leaves keeps the history
    source_id: str | None = None
    class_since: date | None = None  # ... since this day (None: since arriving)
    id: int | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    def enrolled_on(self, day: date) -> bool:
        if self.arrived_on is not None and day < self.arrived_on:
            return False
        return self.left_on is None or day <= self.left_on

    def left_before(self, day: date) -> bool:
        return self.left_on is not None and self.left_on < day

    @property
    def current_since(self) -> date | None:
        """When the current class began for them (None: from the beginning)."""
        return self.class_since or self.arrived_on


@dataclass(eq=False)
class ClassMembership:
    """A class a student was in before their current one, day to day, ends included."""

    student_id: int
    class_id: int
    starts_on: date
    ends_on: date
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def class_on(student: Student, history: Iterable[ClassMembership], day: date) -> int | None:
    """The class a student was in on ``day``; None when not enrolled then. ``history`` is
    needed only for a day before ``current_since``."""
    since = student.current_since
    if (since is None or since <= day) and (student.left_on is None or day <= student.left_on):
        return student.class_id
    return next((h.class_id for h in history if h.covers(day)), None)


@dataclass(eq=False)
class Guardian:
    last_name: str
    first_name: str
    middle_name: str = ""
    phone: str = ""
    email: str = ""
    source_id: str | None = None
    id: int | None = None
    # Refuses electronic access: informed on paper from this day (000 §7.2; 003 reg.2 §2.2.2).
    paper_since: date | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass(eq=False)
class GuardianLink:
    """Registered guardian of a child (001 §3.7) with the recorded consent (001 §1.5)."""

    guardian_id: int
    student_id: int
    relation: str = "parent"  # mother, father, guardian ...
    consent_at: datetime | None = None
    ended_at: datetime | None = None  # the roster no longer lists it: no access from then on
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None


@dataclass(eq=False)
class TimetableEntry:
    """One line of the weekly timetable; weekday 0 is Monday."""

    class_id: int
    weekday: int
    slot: int
    subject_id: int
    teacher_id: int
    subgroup_id: int | None = None
    room: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    id: int | None = None


@dataclass(eq=False)
class Lesson:
    """A dated lesson, made from the timetable or added by the administration."""

    class_id: int
    day: date
    slot: int
    subject_id: int
    teacher_id: int
    subgroup_id: int | None = None
    substitute_id: int | None = None  # recorded when the lesson is created (000 §3.9)
    room: str = ""
    topic: str = ""
    status: LessonStatus = LessonStatus.PLANNED
    origin: LessonOrigin = LessonOrigin.TIMETABLE
    note: str = ""  # why it was cancelled, where it was moved
    id: int | None = None

    @property
    def conducted_by(self) -> int:
        return self.substitute_id if self.substitute_id is not None else self.teacher_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file kept by the messenger or a file store; ``ref`` is opaque to the core."""

    kind: str  # photo, document
    ref: str
    name: str = ""


@dataclass(eq=False)
class Homework:
    lesson_id: int
    class_id: int
    subject_id: int
    day: date  # the lesson's day, when it was set
    due_on: date  # when it must be done
    text: str
    author_id: int
    created_at: datetime
    subgroup_id: int | None = None
    attachments: list[Attachment] = field(default_factory=list)
    updated_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Mark:
    """A mark in a lesson's column. Corrections supersede it; it is never changed in place."""

    lesson_id: int
    student_id: int
    subject_id: int  # the lesson's, kept for the diary's queries
    day: date  # the lesson's day: a mark is dated by its lesson, never by hand
    value: MarkValue
    work_type_id: int
    author_id: int
    created_at: datetime
    comment: str = ""
    superseded_at: datetime | None = None
    superseded_by: int | None = None  # the correcting mark, None when removed
    source: str = ""  # "file:line" of a mark that came in by import; "" for the journal's own
    id: int | None = None

    @property
    def current(self) -> bool:
        return self.superseded_at is None


@dataclass(eq=False)
class AttendanceRecord:
    lesson_id: int
    student_id: int
    subject_id: int
    day: date
    kind: AttendanceKind
    recorded_by: int
    recorded_at: datetime
    reason: AbsenceReason | None = None
    reason_set_by: int | None = None
    reason_set_at: datetime | None = None
    minutes_late: int | None = None
    note: str = ""
    id: int | None = None


@dataclass(eq=False)
class FinalMark:
    student_id: int
    subject_id: int
    year_id: int
    kind: FinalKind
    value: MarkValue
    author_id: int
    set_at: datetime
    period_id: int | None = None  # for FinalKind.PERIOD
    superseded_at: datetime | None = None
    id: int | None = None


class MarkLine(NamedTuple):
    """A current mark as a view reads it: a plain row, no entity to track (the diary reads
    dozens a screen, and loading each as a tracked entity cost more than the query)."""

    id: int
    lesson_id: int
    subject_id: int
    day: date
    value: MarkValue
    work_type_id: int
    comment: str
    created_at: datetime


class MarkFact(NamedTuple):
    """A current mark as a school-wide report reads it (the deputy's analysis reads every mark
    of a period: as tracked entities that took seconds)."""

    student_id: int
    lesson_id: int
    subject_id: int
    value: MarkValue
    work_type_id: int
    created_at: datetime
    source: str
    id: int


class FinalLine(NamedTuple):
    """A current final mark as a view reads it."""

    id: int
    student_id: int
    subject_id: int
    kind: FinalKind
    period_id: int | None
    value: MarkValue
    set_at: datetime
    superseded_at: datetime | None


@dataclass(eq=False)
class Remark:
    lesson_id: int
    student_id: int
    subject_id: int
    day: date
    kind: RemarkKind
    text: str
    author_id: int
    created_at: datetime
    id: int | None = None


@dataclass(eq=False)
class JournalRemark:
    """The administration's remark on how a teacher keeps the journal, to be fixed by a date
    (003 reg.2 §2.1.7, §2.3.1). About a lesson, a subject in a class, or a class's journal for
    a period; not a ``Remark``, which a teacher writes to a student's family."""

    teacher_id: int  # Staff.id it is addressed to
    class_id: int
    text: str
    due_on: date
    author_id: int  # Staff.id
    created_at: datetime
    subject_id: int | None = None
    lesson_id: int | None = None
    period_id: int | None = None
    fixed_at: datetime | None = None
    fixed_by: int | None = None  # Staff.id
    id: int | None = None

    @property
    def fixed(self) -> bool:
        return self.fixed_at is not None


@dataclass(eq=False)
class Printout:
    """A paper diary printed for a student (rule 8): who printed it, when, for which days.
    ``printed_by`` is None when the scheduler or the console made it."""

    class_id: int
    student_id: int
    period_id: int | None
    starts_on: date
    ends_on: date
    pages: int
    printed_at: datetime
    printed_by: int | None = None
    id: int | None = None


@dataclass(eq=False)
class FinalAck:
    """A guardian has seen a child's period marks (003 reg.3 §6): once per guardian, child
    and period, however many pushes carried the button."""

    guardian_id: int
    student_id: int
    period_id: int
    at: datetime
    account_id: int | None = None  # the account that pressed
    id: int | None = None


@dataclass(eq=False)
class AuditEntry:
    at: datetime
    actor_id: int | None  # Staff.id; None for the system and the console
    action: str  # mark.correct, period.close, final.set ...
    entity: str
    entity_id: int | None
    student_id: int | None = None
    before: str = ""
    after: str = ""
    reason: str = ""
    account_id: int | None = None  # the account that acted (a parent has no staff id)
    channel: str = ""  # from where: a messenger's name, "console"; "" for the system
    is_read: bool = False  # a look at someone's data, not a change
    id: int | None = None


@dataclass(eq=False)
class Invite:
    """A one-time access code; only its hash is stored."""

    code_hash: str
    role: PersonRole
    person_id: int  # Guardian.id, Student.id or Staff.id by role
    created_at: datetime
    expires_at: datetime
    created_by: int | None = None
    class_id: int | None = None
    used_at: datetime | None = None
    used_by: int | None = None  # Account.id
    revoked_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Account:
    """A messenger account; ``external_id`` is the messenger's user id as text."""

    messenger: str
    external_id: str
    created_at: datetime
    locale: str = "ru"
    display_name: str = ""
    quiet_from: time | None = time(21, 0)
    quiet_to: time | None = time(8, 0)
    notify_marks: str = "each"  # each, digest, off
    notify_homework: bool = True
    notify_attendance: bool = True
    notify_anytime_finals: bool = False
    digest_at: time = time(18, 0)
    active: bool = True  # False when the messenger says the user blocked us
    id: int | None = None
    last_seen_at: datetime | None = None  # written at most hourly (guardians' activity)
    # when its owner chose this account's messenger for pushes (/settings); a person linked on
    # two messengers gets pushes where the latest choice says (``core.push_choice``)
    pushes_chosen_at: datetime | None = None


@dataclass(eq=False)
class AccountLink:
    account_id: int
    role: PersonRole
    person_id: int
    linked_at: datetime
    unlinked_at: datetime | None = None
    id: int | None = None


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    PARKED = "parked"  # given up, with its reason (a bad request, too many failures)
    SKIPPED = "skipped"  # not sent on purpose: unlinked, blocked, switched off
    SUPERSEDED = "superseded"  # a later change made it pointless (absent, then present)


class Audience(StrEnum):
    GUARDIANS = "guardians"
    STUDENTS = "students"
    BOTH = "both"


@dataclass(eq=False)
class Delivery:
    """One push to one account, written in the transaction that caused it.

    ``due_at`` is school time (quiet hours, digests); ``not_before`` and ``leased_until`` are
    the wall clock (coalescing windows, back-off, the sending worker's lease). Rows of one
    account with the same ``group_key`` go out as one message.
    """

    account_id: int
    kind: str
    payload: str  # JSON: everything the renderer needs
    created_at: datetime
    due_at: datetime
    role: PersonRole | None = None  # the link it goes through, checked again when sent
    person_id: int | None = None
    student_id: int | None = None  # the child it is about
    group_key: str = ""
    broadcast_id: int | None = None
    dedup_key: str | None = None  # one row per key: scheduled jobs never write twice
    not_before: datetime | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    leased_until: datetime | None = None
    lease_owner: str = ""
    last_error: str = ""
    sent_at: datetime | None = None
    message_ref: str = ""  # the messenger's message id, once sent
    read_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Broadcast:
    """A class teacher's message to a class's guardians and/or students."""

    class_id: int
    author_id: int  # Staff.id
    audience: Audience
    text: str
    created_at: datetime
    subgroup_id: int | None = None
    attachments: list[Attachment] = field(default_factory=list)
    author_account_id: int | None = None  # where the progress goes
    recipients: int = 0
    not_linked: int = 0
    id: int | None = None


@dataclass(eq=False)
class Letter:
    """A message about one child between the family and the staff (001 §4.8; core/letters.py
    says who may write to whom)."""

    student_id: int
    from_role: PersonRole  # GUARDIAN, STUDENT or STAFF
    from_id: int
    to_role: PersonRole  # the same, or ADMIN: the administration
    to_id: int  # 0 (letters.EVERYONE) to ADMIN, or to GUARDIAN: all the child's guardians
    text: str
    created_at: datetime
    attachments: list[Attachment] = field(default_factory=list)
    broadcast_id: int | None = None  # an answer to this broadcast
    reply_to: int | None = None  # an answer to this letter
    attendance_id: int | None = None  # explains this absence
    id: int | None = None
