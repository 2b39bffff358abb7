"""Domain events. A use case emits them into its unit of work; the unit of work writes them
into the outbox in the same transaction, so a crash neither loses a push nor invents one."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class Event:
    name: ClassVar[str] = "event"

    def payload(self) -> str:
        return json.dumps({k: _plain(v) for k, v in asdict(self).items()}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class MarkGiven(Event):
    name: ClassVar[str] = "mark.given"
    mark_id: int
    student_id: int
    subject_id: int
    lesson_id: int
    value: str
    work_type_id: int


@dataclass(frozen=True, slots=True)
class MarkCorrected(Event):
    name: ClassVar[str] = "mark.corrected"
    old_mark_id: int
    new_mark_id: int | None  # None when the mark was removed
    student_id: int
    subject_id: int
    old_value: str
    new_value: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AttendanceRecorded(Event):
    name: ClassVar[str] = "attendance.recorded"
    lesson_id: int
    student_id: int
    subject_id: int
    kind: str | None  # absent, late; None when set back to present
    reason: str | None


@dataclass(frozen=True, slots=True)
class AbsenceReasonSet(Event):
    name: ClassVar[str] = "attendance.reason"
    attendance_id: int
    student_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class HomeworkSet(Event):
    name: ClassVar[str] = "homework.set"
    homework_id: int
    lesson_id: int
    class_id: int
    subgroup_id: int | None
    subject_id: int
    due_on: str
    changed: bool


@dataclass(frozen=True, slots=True)
class LessonChanged(Event):
    name: ClassVar[str] = "lesson.changed"
    lesson_id: int
    class_id: int
    subgroup_id: int | None
    day: str
    change: str  # substitution, cancellation, restored, moved, added
    staff_ids: tuple[int, ...] = ()  # the teachers whose day it changes
    to_day: str = ""  # moved: where to
    to_slot: int = 0


@dataclass(frozen=True, slots=True)
class FinalMarkSet(Event):
    name: ClassVar[str] = "final.set"
    final_id: int
    student_id: int
    subject_id: int
    kind: str
    period_id: int | None
    value: str


@dataclass(frozen=True, slots=True)
class FinalsAckReminded(Event):
    """A class's guardians who have not acknowledged the period marks are reminded."""

    name: ClassVar[str] = "final.ack_reminded"
    period_id: int
    day: str  # the school day of the reminder: one a day per period (the pushes' dedup key)
    targets: tuple[tuple[int, int], ...]  # (guardian id, student id)


@dataclass(frozen=True, slots=True)
class RemarkAdded(Event):
    name: ClassVar[str] = "remark.added"
    remark_id: int
    student_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class JournalRemarkWritten(Event):
    """The administration wrote a remark on a teacher's journal: the teacher is told."""

    name: ClassVar[str] = "journal_remark.written"
    remark_id: int
    teacher_id: int


@dataclass(frozen=True, slots=True)
class JournalRemarkFixed(Event):
    """A remark on the journal was marked fixed: its author is told."""

    name: ClassVar[str] = "journal_remark.fixed"
    remark_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class PeriodClosedEvent(Event):
    name: ClassVar[str] = "period.closed"
    period_id: int
    closed: bool


@dataclass(frozen=True, slots=True)
class AccountLinked(Event):
    name: ClassVar[str] = "account.linked"
    account_id: int
    role: str
    person_id: int


@dataclass(frozen=True, slots=True)
class BroadcastSent(Event):
    name: ClassVar[str] = "broadcast.sent"
    broadcast_id: int
    class_id: int


@dataclass(frozen=True, slots=True)
class LetterSent(Event):
    name: ClassVar[str] = "letter.sent"
    letter_id: int
    student_id: int
    to_role: str
    to_id: int
