"""The corrections report of a period (rule 4: 001 §8.6; 002 §4.2; 003 reg.2 §2.1.4): every
mark corrected or removed and every period mark changed, from the audit log, which keeps them
with their reason — when, by whom and in what role, whose mark, old → new, why.

Rows are raw facts (mark values, role codes); the exporter words them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

from core.model import AuditEntry, MarkValue, Period, Staff, StaffRoleKind, Student
from core.ports import UnitOfWork

MARK_CORRECT = "mark.correct"  # core.journal.correct_mark; a removal has no new value
FINAL_REPLACE = "final.replace"  # core.journal.set_final_marks over a mark already set
ACTIONS = (MARK_CORRECT, FINAL_REPLACE)
HEADERS = (
    "Changed at",
    "Changed by",
    "Acting as",
    "Class",
    "Subject",
    "Student",
    "Lesson date",
    "Change",
    "Was",
    "Now",
    "Reason",
)
# The administration's roles, in the order a person with several is named by.
_ROLES = (StaffRoleKind.DEPUTY, StaffRoleKind.ADMIN, StaffRoleKind.DIRECTOR)


def _value(raw: str) -> MarkValue | str | None:
    if not raw:
        return None
    try:
        return MarkValue(raw)
    except ValueError:
        return raw


class _Rows:
    """Names and roles read once for the whole report."""

    def __init__(self, uow: UnitOfWork, period: Period, tz: tzinfo) -> None:
        self.uow = uow
        self.period = period
        self.tz = tz
        self.students: dict[int, Student] = {}
        self._subjects: dict[int, str] = {}
        self._classes: dict[int, str] = {}
        self._staff: dict[int, Staff] = {}
        self._roles: dict[int, str] = {}

    async def load(self) -> None:
        self._subjects = {s.id: s.name for s in await self.uow.subjects.list_all()}  # type: ignore[misc]
        self._classes = {c.id: c.name for c in await self.uow.classes.list_all()}  # type: ignore[misc]
        self._staff = {s.id: s for s in await self.uow.staff.list_all()}  # type: ignore[misc]

    async def _student(self, student_id: int) -> Student | None:
        if student_id not in self.students:
            student = await self.uow.students.get(student_id)
            if student is None:
                return None
            self.students[student_id] = student
        return self.students[student_id]

    async def _role(self, actor_id: int | None, author_id: int) -> str:
        """The mark's own teacher, or the administration's role that let them (codes the
        exporter words: ``by_author``, ``by_deputy`` ...)."""
        if actor_id is None:
            return "by_console"
        if actor_id == author_id:
            return "by_author"
        if actor_id not in self._roles:
            kinds = {r.role for r in await self.uow.staff_roles.for_staff(actor_id)}
            self._roles[actor_id] = "by_" + next((k.value for k in _ROLES if k in kinds), "teacher")
        return self._roles[actor_id]

    def _who(self, actor_id: int | None) -> str:
        staff = self._staff.get(actor_id) if actor_id is not None else None
        return staff.full_name if staff else ""

    async def row(self, e: AuditEntry) -> tuple[object, ...] | None:
        """The entry as a report line, or None when it is not of this period."""
        if e.entity_id is None:
            return None
        if e.action == MARK_CORRECT:
            mark = await self.uow.marks.get(e.entity_id)
            if mark is None or not self.period.contains(mark.day):
                return None
            lesson = await self.uow.lessons.get(mark.lesson_id)
            class_id, day, author = (lesson.class_id if lesson else None), mark.day, mark.author_id
            subject_id, student_id = mark.subject_id, mark.student_id
            change = "mark_removed" if not e.after else "mark_corrected"
        else:
            final = await self.uow.finals.get(e.entity_id)
            if final is None or final.period_id != self.period.id:
                return None
            student = await self._student(final.student_id)
            class_id, day, author = (student.class_id if student else None), None, final.author_id
            subject_id, student_id = final.subject_id, final.student_id
            change = "period_mark_changed"
        student = await self._student(student_id)
        return (
            e.at.astimezone(self.tz).replace(tzinfo=None),  # school time, as on paper
            self._who(e.actor_id),
            await self._role(e.actor_id, author),
            self._classes.get(class_id, "") if class_id is not None else "",
            self._subjects.get(subject_id, ""),
            student.full_name if student else "",
            day,
            change,
            _value(e.before),
            _value(e.after),
            e.reason,
        )


async def correction_rows(
    uow: UnitOfWork, period: Period, now: datetime
) -> tuple[list[tuple[object, ...]], list[Student]]:
    """The period's corrections, oldest first, and the students they are about. A correction
    made after the period's end (the administration's, later) still belongs to its period."""
    start = datetime.combine(period.starts_on, time(0), tzinfo=now.tzinfo)
    entries = await uow.audit.changes_between(start, now + timedelta(seconds=1), ACTIONS)
    rows = _Rows(uow, period, now.tzinfo or UTC)
    await rows.load()
    found = [row for e in entries if (row := await rows.row(e)) is not None]
    return found, list(rows.students.values())
