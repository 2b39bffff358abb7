"""Who gets a push for each domain event: one delivery row per recipient account, written by
the unit of work in the transaction that emitted the event (``core.ports.EventFanout``).

Who hears about a child is ``notifications.recipients`` (the scheduled jobs ask it too):
guardians through a consented link and an active account link, one row per account and child;
students about themselves; staff about their own work. The account's settings decide what is
sent at all (marks each / in the daily digest / off, homework, attendance), except what the
regulation requires (``core.rules.required_push``: failing marks, unexcused absences), which
reaches the child's guardians whatever they chose (``_Plan.hearing``). Quiet hours are applied
when sending, so a setting changed in between still counts.

Bursts coalesce: rows of one account and child share a group key and wait a short window on
the wall clock, and the worker sends each group as one message. A later change that makes an
unsent push pointless (absent, then present again) supersedes it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import letters
from core.clock import Clock
from core.events import (
    AbsenceReasonSet,
    AttendanceRecorded,
    BroadcastSent,
    Event,
    FinalMarkSet,
    FinalsAckReminded,
    HomeworkSet,
    LessonChanged,
    LetterSent,
    MarkCorrected,
    MarkGiven,
    RemarkAdded,
)
from core.messaging import resolve_audience
from core.model import (
    Account,
    AttendanceKind,
    ClassGroup,
    Delivery,
    DeliveryStatus,
    PersonRole,
    Student,
)
from core.ports import UnitOfWork
from core.rules import required_push
from notifications import journal_remarks
from notifications.recipients import Recipient, Recipients

logger = logging.getLogger(__name__)

Wall = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Windows:
    """Seconds a push waits for more of its kind, so a burst becomes one message."""

    marks: float = 90.0  # ten marks given in one lesson arrive as one message
    attendance: float = 20.0  # a roll call tapped twice by mistake is never pushed
    reason: float = 60.0
    homework: float = 60.0
    lesson: float = 30.0
    remark: float = 30.0


# Digest-mode marks fall due a little after the digest time: the evening digest, written at
# that time, takes them along; without one they still go, on their own.
DIGEST_GRACE = timedelta(minutes=2)


def next_digest(account: Account, now: datetime) -> datetime:
    """When marks in the account's daily digest go: after its next digest time."""
    at = datetime.combine(now.date(), account.digest_at, tzinfo=now.tzinfo)
    return (at if at > now else at + timedelta(days=1)) + DIGEST_GRACE


class _Plan:
    """The rows one transaction's events produce; names and accounts are read once."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        windows: Windows,
        wall: datetime,
        running: Collection[str] | None = None,
    ) -> None:
        self.uow = uow
        self.running = running
        self.clock = clock
        self.now = clock.now()
        self.windows = windows
        self.wall = wall
        self.rows: list[Delivery] = []
        self._students: dict[int, tuple[Student, ClassGroup] | None] = {}
        self.recipients = Recipients(uow, running)
        self._names: dict[tuple[str, int], str] = {}

    # --- facts ---

    async def student(self, student_id: int) -> tuple[Student, ClassGroup] | None:
        if student_id not in self._students:
            student = await self.uow.students.get(student_id)
            cls = await self.uow.classes.get(student.class_id) if student else None
            self._students[student_id] = (student, cls) if student and cls else None
        return self._students[student_id]

    async def name(self, table: str, entity_id: int | None) -> str:
        if entity_id is None:
            return ""
        key = (table, entity_id)
        if key not in self._names:
            repo = getattr(self.uow, table)
            entity = await repo.get(entity_id)
            if entity is None:
                self._names[key] = ""
            elif table == "staff":
                self._names[key] = entity.short_name
            elif table in ("guardians", "students"):
                self._names[key] = entity.full_name
            else:
                self._names[key] = entity.name
        return self._names[key]

    async def accounts(self, ids: Sequence[int]) -> dict[int, Account]:
        return await self.recipients.accounts(ids)

    async def linked(
        self, role: PersonRole, person_ids: Sequence[int]
    ) -> list[tuple[Account, int]]:
        return await self.recipients.linked(role, person_ids)

    async def guardians(self, student_ids: Sequence[int]) -> list[Recipient]:
        return await self.recipients.guardians(student_ids)

    async def family(
        self, student_ids: Sequence[int], with_student: bool = True
    ) -> list[Recipient]:
        return await self.recipients.family(student_ids, with_students=with_student)

    # --- who hears ---

    @staticmethod
    def hearing(
        recipients: Sequence[Recipient],
        kind: str,
        data: dict[str, Any],
        on: Callable[[Account], bool],
    ) -> list[Recipient]:
        """Who gets this push: those whose settings (``on``) let it through and, when the
        regulation requires it (rule 8, ``core.rules.required_push``), also the guardians of
        each child none of whose consented guardians has it on: all of them, not one picked
        at random, since each of them switched it off alike and any could be the one at home.
        A guardian who has it on is enough for the others' choice to stand."""
        if not required_push(kind, data):
            return [r for r in recipients if on(r.account)]
        told = {r.student_id for r in recipients if r.role == PersonRole.GUARDIAN and on(r.account)}
        return [
            r
            for r in recipients
            if on(r.account) or (r.role == PersonRole.GUARDIAN and r.student_id not in told)
        ]

    # --- rows ---

    def add(
        self,
        account: Account,
        kind: str,
        data: dict[str, Any],
        *,
        role: PersonRole,
        person_id: int,
        student_id: int | None = None,
        group: str = "",
        window: float = 0.0,
        due_at: datetime | None = None,
        broadcast_id: int | None = None,
        dedup: str | None = None,
        status: DeliveryStatus = DeliveryStatus.PENDING,
        error: str = "",
    ) -> Delivery:
        row = Delivery(
            account.id,  # type: ignore[arg-type]
            kind,
            json.dumps(data, ensure_ascii=False),
            created_at=self.now,
            due_at=due_at or self.now,
            role=role,
            person_id=person_id,
            student_id=student_id,
            group_key=group,
            broadcast_id=broadcast_id,
            dedup_key=dedup,
            not_before=self.wall + timedelta(seconds=window) if window else None,
            status=status,
            last_error=error,
        )
        self.rows.append(row)
        return row

    def add_mark_row(
        self,
        account: Account,
        kind: str,
        data: dict[str, Any],
        role: PersonRole,
        person_id: int,
        student_id: int,
    ) -> None:
        """A mark or a correction, as the account wants marks: each, or in the digest. Only
        for those ``hearing`` it: one with marks off hears a required one at once."""
        if account.notify_marks == "digest":
            self.add(
                account,
                kind,
                data,
                role=role,
                person_id=person_id,
                student_id=student_id,
                group=f"digest:{student_id}",
                due_at=next_digest(account, self.now),
            )
            return
        self.add(
            account,
            kind,
            data,
            role=role,
            person_id=person_id,
            student_id=student_id,
            group=f"marks:{student_id}",
            window=self.windows.marks,
        )

    async def supersede(
        self, account_ids: Sequence[int], group: str, match: Callable[[dict[str, Any]], bool]
    ) -> list[Delivery]:
        """Mark the unsent rows of this group that ``match`` as superseded; returns them."""
        found: list[Delivery] = []
        wanted = set(account_ids)
        candidates = [
            r for r in self.rows if r.account_id in wanted and r.group_key == group
        ] + await self.uow.deliveries.pending_in_group(list(wanted), group)
        for row in candidates:
            if row.status != DeliveryStatus.PENDING:
                continue
            if match(json.loads(row.payload)):
                row.status = DeliveryStatus.SUPERSEDED
                found.append(row)
        return found

    async def flush(self) -> None:
        fresh = [r for r in self.rows if r.id is None]
        if fresh:
            await self.uow.deliveries.add_all(fresh)


def _marks_on(account: Account) -> bool:
    return account.notify_marks != "off"


def _attendance_on(account: Account) -> bool:
    return account.notify_attendance


def _who(student: Student, cls: ClassGroup) -> dict[str, Any]:
    return {"student": student.short_name, "class": cls.name}


# --- one handler per event ----------------------------------------------------------------


async def _mark_given(plan: _Plan, e: MarkGiven) -> None:
    facts = await plan.student(e.student_id)
    mark = await plan.uow.marks.get(e.mark_id)
    if facts is None or mark is None:
        return
    data = await _mark_data(plan, facts, mark.id, e.subject_id, e.value, e.work_type_id)  # type: ignore[arg-type]
    data["day"] = mark.day.isoformat()
    data["comment"] = mark.comment
    family = await plan.family([e.student_id])
    for account, role, person, sid in plan.hearing(family, "mark", data, _marks_on):
        plan.add_mark_row(account, "mark", data, role, person, sid)


async def _mark_data(
    plan: _Plan,
    facts: tuple[Student, ClassGroup],
    mark_id: int,
    subject_id: int,
    value: str,
    work_type_id: int,
) -> dict[str, Any]:
    work = await plan.uow.work_types.get(work_type_id)
    return {
        **_who(*facts),
        "mark_id": mark_id,
        "subject": await plan.name("subjects", subject_id),
        "value": value,
        "wt_code": work.code if work else "",
        "wt_short": work.short if work else "",
        "wt_name": work.name if work else "",
    }


async def _mark_corrected(plan: _Plan, e: MarkCorrected) -> None:
    facts = await plan.student(e.student_id)
    old = await plan.uow.marks.get(e.old_mark_id)
    if facts is None or old is None:
        return
    new = await plan.uow.marks.get(e.new_mark_id) if e.new_mark_id else None
    family = await plan.family([e.student_id])
    # a correction to or from a failing mark is required; a never-pushed mark, if it is one
    hears = {
        kind: {(r.account.id, r.student_id) for r in plan.hearing(family, kind, facts_, _marks_on)}
        for kind, facts_ in (
            ("mark", {"value": e.new_value}),
            ("mark_corrected", {"old": e.old_value, "new": e.new_value}),
        )
    }
    for account, role, person, sid in family:
        unsent = []
        for group in (f"marks:{sid}", f"digest:{sid}"):
            unsent += await plan.supersede(
                [account.id],  # type: ignore[list-item]
                group,
                lambda d: d.get("mark_id") == e.old_mark_id,
            )
        if unsent:
            # The old mark was never pushed: push the new one as if just given.
            if new is not None and (account.id, sid) in hears["mark"]:
                data = await _mark_data(
                    plan, facts, new.id, e.subject_id, new.value.value, new.work_type_id
                )  # type: ignore[arg-type]
                data.update(day=new.day.isoformat(), comment=new.comment)
                plan.add_mark_row(account, "mark", data, role, person, sid)
            continue
        data = {
            **_who(*facts),
            "mark_id": e.new_mark_id,
            "subject": await plan.name("subjects", e.subject_id),
            "old": e.old_value,
            "new": e.new_value,
            "reason": e.reason,
            "day": old.day.isoformat(),
        }
        if (account.id, sid) in hears["mark_corrected"]:
            plan.add_mark_row(account, "mark_corrected", data, role, person, sid)


async def _final_set(plan: _Plan, e: FinalMarkSet) -> None:
    facts = await plan.student(e.student_id)
    if facts is None:
        return
    period = await plan.uow.periods.get(e.period_id) if e.period_id else None
    data = {
        **_who(*facts),
        "final_id": e.final_id,
        "subject": await plan.name("subjects", e.subject_id),
        "kind": e.kind,
        "period_kind": period.kind.value if period else None,
        "period_number": period.number if period else None,
        "period_id": e.period_id,  # the guardian's «I have seen it» (003 reg.3 §6)
        "value": e.value,
    }
    group = f"final:{e.student_id}:{e.subject_id}:{e.kind}:{e.period_id or 0}"
    for account, role, person, sid in await plan.family([e.student_id]):
        # set twice within a moment: only the last one goes
        await plan.supersede([account.id], group, lambda d: True)  # type: ignore[list-item]
        plan.add(account, "final", data, role=role, person_id=person, student_id=sid, group=group)


async def _final_ack_reminded(plan: _Plan, e: FinalsAckReminded) -> None:
    """The period marks not yet acknowledged: to the named guardians (consented, signed in),
    one row per account, child and day (the dedup key), so a second press that day adds none."""
    period = await plan.uow.periods.get(e.period_id)
    wanted = set(e.targets)
    rows = []
    for account, _role, person, sid in await plan.guardians(sorted({s for _, s in wanted})):
        facts = await plan.student(sid)
        if (person, sid) not in wanted or facts is None or period is None:
            continue
        data = {
            **_who(*facts),
            "period_id": period.id,
            "period_kind": period.kind.value,
            "period_number": period.number,
        }
        rows.append((account, person, sid, data, f"far:{period.id}:{sid}:{account.id}:{e.day}"))
    sent = await plan.uow.deliveries.existing_keys([key for *_, key in rows])
    for account, person, sid, data, key in rows:
        if key not in sent:
            plan.add(
                account,
                "final_ack_remind",
                data,
                role=PersonRole.GUARDIAN,
                person_id=person,
                student_id=sid,
                dedup=key,
            )


async def _attendance(plan: _Plan, e: AttendanceRecorded) -> None:
    facts = await plan.student(e.student_id)
    if facts is None:
        return
    group = f"att:{e.lesson_id}:{e.student_id}"
    guardians = await plan.guardians([e.student_id])
    await plan.supersede([g.account.id for g in guardians], group, lambda d: True)  # type: ignore[misc]
    if e.kind is None or (e.kind == AttendanceKind.ABSENT.value and e.reason is not None):
        return
    lesson = await plan.uow.lessons.get(e.lesson_id)
    record = await plan.uow.attendance.find(e.lesson_id, e.student_id)
    if lesson is None or record is None:
        return
    data = {
        **_who(*facts),
        "subject": await plan.name("subjects", e.subject_id),
        "day": lesson.day.isoformat(),
        "slot": lesson.slot,
        "lesson_id": lesson.id,
    }
    if e.kind == AttendanceKind.ABSENT.value:
        kind = "absence"
        data["attendance_id"] = record.id
    else:
        kind = "late"
        data["minutes"] = record.minutes_late
    for account, _, gid, sid in plan.hearing(guardians, kind, data, _attendance_on):
        plan.add(
            account,
            kind,
            data,
            role=PersonRole.GUARDIAN,
            person_id=gid,
            student_id=sid,
            group=group,
            window=plan.windows.attendance,
        )


async def _reason_set(plan: _Plan, e: AbsenceReasonSet) -> None:
    facts = await plan.student(e.student_id)
    record = await plan.uow.attendance.get(e.attendance_id)
    if facts is None or record is None:
        return
    guardians = await plan.guardians([e.student_id])
    # an unsent "absent, please explain" is pointless now
    await plan.supersede(
        [g.account.id for g in guardians],  # type: ignore[misc]
        f"att:{record.lesson_id}:{e.student_id}",
        lambda d: True,
    )
    group = f"reason:{e.student_id}"
    await plan.supersede(
        [g.account.id for g in guardians],  # type: ignore[misc]
        group,
        lambda d: d.get("attendance_id") == e.attendance_id,
    )
    lesson = await plan.uow.lessons.get(record.lesson_id)
    data = {
        **_who(*facts),
        "attendance_id": e.attendance_id,
        "subject": await plan.name("subjects", record.subject_id),
        "day": record.day.isoformat(),
        "slot": lesson.slot if lesson else None,
        "reason": e.reason,
    }
    for account, _, gid, sid in plan.hearing(guardians, "reason", data, _attendance_on):
        plan.add(
            account,
            "reason",
            data,
            role=PersonRole.GUARDIAN,
            person_id=gid,
            student_id=sid,
            group=group,
            window=plan.windows.reason,
        )


async def _students_of(
    plan: _Plan, class_id: int, subgroup_id: int | None, day: date
) -> list[Student]:
    students = await plan.uow.students.in_class(class_id, on=day)
    if subgroup_id is not None:
        members = set(await plan.uow.subgroups.member_ids(subgroup_id))
        students = [s for s in students if s.id in members]
    return students


async def _homework(plan: _Plan, e: HomeworkSet) -> None:
    homework = await plan.uow.homework.get(e.homework_id)
    cls = await plan.uow.classes.get(e.class_id)
    if homework is None or cls is None:
        return
    students = await _students_of(plan, e.class_id, e.subgroup_id, plan.clock.today())
    by_id = {s.id: s for s in students}
    subject = await plan.name("subjects", e.subject_id)
    for account, role, person, sid in await plan.family(list(by_id)):
        if not account.notify_homework:
            continue
        group = f"hw:{sid}"
        await plan.supersede(
            [account.id],  # type: ignore[list-item]
            group,
            lambda d: d.get("homework_id") == e.homework_id,
        )
        data = {
            **_who(by_id[sid], cls),
            "homework_id": e.homework_id,
            "subject": subject,
            "text": homework.text,
            "due_on": e.due_on,
            "changed": e.changed,
            "files": len(homework.attachments),
        }
        plan.add(
            account,
            "homework",
            data,
            role=role,
            person_id=person,
            student_id=sid,
            group=group,
            window=plan.windows.homework,
        )


async def _lesson_changed(plan: _Plan, e: LessonChanged) -> None:
    """A substitution, a cancellation, a moved or an extra lesson of today or tomorrow: the
    class (or the group) and the teachers whose day it changes."""
    today = plan.clock.today()
    soon = (today, today + timedelta(days=1))
    day = date.fromisoformat(e.day)
    if day not in soon and not (e.to_day and date.fromisoformat(e.to_day) in soon):
        return
    lesson = await plan.uow.lessons.get(e.lesson_id)
    cls = await plan.uow.classes.get(e.class_id)
    if lesson is None or cls is None:
        return
    data = {
        "lesson_id": e.lesson_id,
        "subject": await plan.name("subjects", lesson.subject_id),
        "day": e.day,
        "slot": lesson.slot,
        "change": e.change,
        "substitute": await plan.name("staff", lesson.substitute_id),
        "teacher": await plan.name("staff", lesson.teacher_id),
        "to_day": e.to_day,
        "to_slot": e.to_slot,
        "note": lesson.note if e.change == "cancellation" else "",
    }
    students = {s.id: s for s in await _students_of(plan, e.class_id, e.subgroup_id, day)}
    for account, role, person, sid in await plan.family(list(students)):
        group = f"lesson:{sid}"
        unsent = await plan.supersede(
            [account.id],  # type: ignore[list-item]
            group,
            lambda d: d.get("lesson_id") == e.lesson_id,
        )
        if e.change == "restored" and unsent:
            continue  # the cancellation was never pushed: nothing to undo
        plan.add(
            account,
            "lesson",
            {**_who(students[sid], cls), **data},
            role=role,
            person_id=person,
            student_id=sid,
            group=group,
            window=plan.windows.lesson,
        )
    for account, staff_id in await plan.linked(PersonRole.STAFF, list(e.staff_ids)):
        if staff_id == lesson.substitute_id:
            you = "substitute"
        elif staff_id == lesson.teacher_id:
            you = "teacher"
        else:
            you = "former"  # no longer stands in
        plan.add(
            account,
            "lesson_staff",
            {**data, "class": cls.name, "you": you},
            role=PersonRole.STAFF,
            person_id=staff_id,
            group=f"lesson_staff:{e.lesson_id}",
            window=plan.windows.lesson,
        )


async def _remark(plan: _Plan, e: RemarkAdded) -> None:
    facts = await plan.student(e.student_id)
    remark = await plan.uow.remarks.get(e.remark_id)
    if facts is None or remark is None:
        return
    data = {
        **_who(*facts),
        "remark_id": e.remark_id,
        "remark_kind": e.kind,
        "subject": await plan.name("subjects", remark.subject_id),
        "teacher": await plan.name("staff", remark.author_id),
        "text": remark.text,
        "day": remark.day.isoformat(),
    }
    for account, role, person, sid in await plan.family([e.student_id]):
        plan.add(
            account,
            "remark",
            data,
            role=role,
            person_id=person,
            student_id=sid,
            group=f"remark:{sid}",
            window=plan.windows.remark,
        )


def _attachments(items: Sequence[Any]) -> list[list[str]]:
    return [[a.kind, a.ref, a.name] for a in items]


async def _broadcast(plan: _Plan, e: BroadcastSent) -> None:
    broadcast = await plan.uow.broadcasts.get(e.broadcast_id)
    cls = await plan.uow.classes.get(e.class_id)
    if broadcast is None or cls is None:
        return
    view = await resolve_audience(
        plan.uow, cls, broadcast.audience, broadcast.subgroup_id, plan.clock.today(), plan.running
    )
    author = await plan.name("staff", broadcast.author_id)
    students = {
        s.id: s
        for s in await plan.uow.students.many(
            sorted({i for r in view.recipients for i in r.student_ids})
        )
    }
    accounts = await plan.accounts([r.account_id for r in view.recipients])
    if broadcast.author_account_id is not None:
        owner = await plan.accounts([broadcast.author_account_id])
        if owner:
            plan.add(
                owner[broadcast.author_account_id],
                "broadcast_progress",
                {
                    "broadcast_id": broadcast.id,
                    "class": cls.name,
                    "total": len(view.recipients),
                    "not_linked": len(view.not_linked),
                },
                role=PersonRole.STAFF,
                person_id=broadcast.author_id,
                broadcast_id=broadcast.id,
                dedup=f"bcp:{broadcast.id}",
            )
    base = {
        "broadcast_id": broadcast.id,
        "class": cls.name,
        "author": author,
        "text": broadcast.text,
        "attachments": _attachments(broadcast.attachments),
    }
    for r in view.recipients:
        account = accounts.get(r.account_id)
        if account is None:
            continue
        data = {
            **base,
            "student_ids": list(r.student_ids),
            "student_names": [students[i].short_name for i in r.student_ids if i in students],
        }
        plan.add(
            account,
            "broadcast",
            data,
            role=r.role,
            person_id=r.person_id,
            student_id=r.student_ids[0] if r.student_ids else None,
            broadcast_id=broadcast.id,
            dedup=f"bc:{broadcast.id}:{account.id}",
            status=DeliveryStatus.PENDING if account.active else DeliveryStatus.SKIPPED,
            error="" if account.active else "blocked",
        )


async def _letter(plan: _Plan, e: LetterSent) -> None:
    letter = await plan.uow.letters.get(e.letter_id)
    facts = await plan.student(e.student_id)
    if letter is None or facts is None:
        return
    to_role = PersonRole(e.to_role)
    link_role = PersonRole.STAFF if to_role.is_staff else to_role
    table = {PersonRole.GUARDIAN: "guardians", PersonRole.STUDENT: "students"}
    from_name = await plan.name(table.get(letter.from_role, "staff"), letter.from_id)
    data: dict[str, Any] = {
        **_who(*facts),
        "letter_id": letter.id,
        "from_name": from_name,
        "from_role": letter.from_role.value,
        "from_class_teacher": letter.from_role == PersonRole.STAFF
        and letter.from_id == facts[1].class_teacher_id,
        "text": letter.text,
        "attachments": _attachments(letter.attachments),
        "broadcast": letter.broadcast_id is not None,
    }
    if letter.attendance_id is not None:
        record = await plan.uow.attendance.get(letter.attendance_id)
        lesson = await plan.uow.lessons.get(record.lesson_id) if record else None
        if record is not None:
            data["absence"] = {
                "attendance_id": record.id,
                "day": record.day.isoformat(),
                "subject": await plan.name("subjects", record.subject_id),
                "slot": lesson.slot if lesson else None,
            }
    if to_role == PersonRole.GUARDIAN and e.to_id == letters.EVERYONE:  # the family
        found = [(r.account, r.person_id) for r in await plan.guardians([e.student_id])]
    elif to_role == PersonRole.ADMIN:  # whoever receives the administration's letters
        office = sorted(await letters.office(plan.uow))
        found = await plan.linked(PersonRole.STAFF, office)
        data["to_office"] = True
    else:
        found = await plan.linked(link_role, [e.to_id])
    for account, person in found:
        plan.add(
            account,
            "letter",
            data,
            role=link_role,
            person_id=person,
            student_id=e.student_id,
        )


Handler = Callable[[_Plan, Any], Awaitable[None]]

HANDLERS: dict[type[Event], Handler] = {
    MarkGiven: _mark_given,
    MarkCorrected: _mark_corrected,
    FinalMarkSet: _final_set,
    FinalsAckReminded: _final_ack_reminded,
    AttendanceRecorded: _attendance,
    AbsenceReasonSet: _reason_set,
    HomeworkSet: _homework,
    LessonChanged: _lesson_changed,
    RemarkAdded: _remark,
    BroadcastSent: _broadcast,
    LetterSent: _letter,
    **journal_remarks.HANDLERS,  # the deputy's remarks on a journal
}


class Fanout:
    """``core.ports.EventFanout``: events in, per-recipient deliveries out, same transaction."""

    def __init__(
        self,
        clock: Clock,
        windows: Windows | None = None,
        wall: Wall = utc_now,
        running: Collection[str] | None = None,
    ) -> None:
        self.clock = clock
        self.windows = windows or Windows()
        self.wall = wall
        # the messengers this school runs (None: all): a person on two messengers, one of
        # them turned off, hears in the other whatever they chose (core.push_choice)
        self.running = running
        self._listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit with events (a worker's wake-up)."""
        self._listeners.append(listener)

    async def fan_out(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        plan = _Plan(uow, self.clock, self.windows, self.wall(), self.running)
        for event in events:
            handler = HANDLERS.get(type(event))
            if handler is not None:
                await handler(plan, event)
        await plan.flush()

    def committed(self) -> None:
        for listener in self._listeners:
            listener()
