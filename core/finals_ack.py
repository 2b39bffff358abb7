"""Period marks acknowledged by the family (003 reg.3 §6): a guardian confirms having seen a
child's period marks; the class teacher (and the administration) see who has, and remind those
who have not.

A child counts as acknowledged once any of their guardians has pressed «Ознакомлен(а)» for the
period: the regulation asks the family to confirm, not each parent. Reminders go to the other
guardians of children nobody has acknowledged yet, through the bot only (consented and signed
in), at most once a school day per class and period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from core import access, audit
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.clock import Clock
from core.errors import AccessDenied, NotFound
from core.events import FinalsAckReminded
from core.model import (
    ClassGroup,
    FinalAck,
    FinalKind,
    Period,
    PersonRole,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

ACK = "final.ack"  # audit actions
REMIND = "final.ack_remind"


@dataclass(frozen=True, slots=True)
class GuardianAck:
    guardian_id: int
    name: str
    reachable: bool  # consented and signed in: the bot reaches them
    paper: bool  # informed on paper: refuses electronic access (rule 8)
    acked_at: datetime | None  # in school time


@dataclass(frozen=True, slots=True)
class AckLine:
    student: Student
    has_finals: bool  # the child has period marks for the period: something to acknowledge
    guardians: tuple[GuardianAck, ...]

    @property
    def acked(self) -> tuple[GuardianAck, ...]:
        return tuple(g for g in self.guardians if g.acked_at is not None)

    @property
    def to_remind(self) -> tuple[GuardianAck, ...]:
        """Whom a reminder reaches: nobody in the family has acknowledged yet."""
        if not self.has_finals or self.acked:
            return ()
        return tuple(g for g in self.guardians if g.reachable)


@dataclass(frozen=True, slots=True)
class AckSheet:
    class_id: int
    class_name: str
    period: Period
    periods: tuple[Period, ...]  # the year's periods that have begun, to choose from
    lines: tuple[AckLine, ...]
    reminded_today: bool

    @property
    def to_remind(self) -> tuple[tuple[int, int], ...]:
        """(guardian id, student id) a reminder would go to now."""
        return tuple(
            (g.guardian_id, line.student.id)  # type: ignore[misc]
            for line in self.lines
            for g in line.to_remind
        )


@dataclass(frozen=True, slots=True)
class FinalAckService:
    """003 reg.3 §6: parents confirm they have seen the period marks."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS

    async def acknowledge(self, viewer: Viewer, student_id: int, period_id: int) -> bool:
        """A consenting guardian of the child confirms; False when they already had."""
        access.require_private(viewer)
        async with self.uow() as uow:
            student = await uow.students.get(student_id)
            if student is None:
                raise NotFound("student", student_id)
            guardian_id = await _consenting_guardian(uow, viewer, student_id)
            cls = await uow.classes.get(student.class_id)
            period = await uow.periods.get(period_id)
            if cls is None or period is None or period.year_id != cls.year_id:
                raise NotFound("period", period_id)
            if not await _period_marks(uow, [student_id], period):
                raise NotFound("period", period_id)  # nothing published to acknowledge
            done = await uow.final_acks.for_students([student_id], period_id)
            if any(a.guardian_id == guardian_id for a in done):
                return False
            now = self.clock.now()
            await uow.final_acks.add(
                FinalAck(guardian_id, student_id, period_id, now, viewer.account_id)
            )
            await uow.audit.add(
                audit.change(viewer, now, ACK, "period", period_id, student_id=student_id)
            )
            await uow.commit()
            return True

    async def unacknowledged(self, viewer: Viewer, student_id: int) -> list[Period]:
        """The periods of this year whose marks the child has and this guardian's family
        has not acknowledged yet (for the button on /finals); none for anyone else."""
        if student_id not in viewer.children:
            return []
        async with self.uow(readonly=True) as uow:
            student = await uow.students.get(student_id)
            cls = await uow.classes.get(student.class_id) if student else None
            if cls is None:
                return []
            finals = await uow.finals.for_students([student_id], cls.year_id)
            graded = {f.period_id for f in finals if f.kind == FinalKind.PERIOD}
            periods = [p for p in await uow.periods.for_year(cls.year_id) if p.id in graded]
            done = {
                a.period_id
                for p in periods
                for a in await uow.final_acks.for_students([student_id], p.id)  # type: ignore[arg-type]
            }
        return [p for p in periods if p.id not in done]

    async def sheet(self, viewer: Viewer, class_id: int, period_id: int = 0) -> AckSheet:
        """Per child: who acknowledged and when, or who has not (and whom the bot cannot
        reach). The class teacher and the administration (001 §3.1: guardians' data)."""
        access.require_read_contacts(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            sheet = await self._sheet(uow, class_id, period_id)
        now = self.clock.now()
        for line in sheet.lines:  # whose guardians it shows
            student = line.student.id
            audit.note_read(
                self.reads, viewer, now, "report.final_acks", "class", class_id, student
            )
        return sheet

    async def remind(self, viewer: Viewer, class_id: int, period_id: int) -> int | None:
        """Remind the guardians of the children nobody has acknowledged for yet: how many
        guardians it reaches, or None when the class was reminded of this period today (once
        a school day, so a parent is not pressed twice)."""
        access.require_private(viewer)
        access.require_read_contacts(viewer, class_id)
        async with self.uow() as uow:
            sheet = await self._sheet(uow, class_id, period_id)
            if not period_id or sheet.period.id != period_id:
                raise NotFound("period", period_id)
            if sheet.reminded_today:
                return None
            targets = sheet.to_remind
            if not targets:
                return 0
            now = self.clock.now()
            await uow.audit.add(
                audit.change(viewer, now, REMIND, "class", class_id, after=str(period_id))
            )
            uow.emit(FinalsAckReminded(period_id, self.clock.today().isoformat(), targets))
            await uow.commit()
            return len({g for g, _ in targets})

    async def _sheet(self, uow: UnitOfWork, class_id: int, period_id: int) -> AckSheet:
        cls = await uow.classes.get(class_id)
        if cls is None:
            raise NotFound("class", class_id)
        today = self.clock.today()
        periods = [
            p
            for p in await uow.periods.for_year(cls.year_id)  # type: ignore[arg-type]
            if p.starts_on <= today
        ]
        if not periods:
            raise NotFound("period", period_id)
        students = await uow.students.in_class_between(class_id, periods[0].starts_on, today)
        if period_id:
            period = next((p for p in periods if p.id == period_id), None)
            if period is None:
                raise NotFound("period", period_id)
        else:
            period = await _latest_published(uow, students, periods)
        roster = await uow.students.in_class_between(class_id, period.starts_on, period.ends_on)
        lines = await _lines(uow, roster, period, self.clock.tz)
        return AckSheet(
            class_id,
            cls.name,
            period,
            tuple(periods),
            lines,
            await self._reminded_today(uow, cls, period),
        )

    async def _reminded_today(self, uow: UnitOfWork, cls: ClassGroup, period: Period) -> bool:
        day = datetime.combine(self.clock.today(), time(0), tzinfo=self.clock.tz)
        entries = await uow.audit.changes_between(day, day + timedelta(days=1), (REMIND,))
        return any(e.entity_id == cls.id and e.after == str(period.id) for e in entries)


async def _consenting_guardian(uow: UnitOfWork, viewer: Viewer, student_id: int) -> int:
    """The guardian record through which this account is the child's guardian today, with
    the consent recorded (001 §3.7, §1.5): read again, not taken from the button."""
    mine = viewer.guardian_ids
    for link in await uow.guardian_links.for_student(student_id):
        if link.guardian_id in mine and link.consent_at is not None and link.active:
            return link.guardian_id
    raise AccessDenied("final_ack")


async def _period_marks(uow: UnitOfWork, student_ids: list[int], period: Period) -> set[int]:
    """The children with a current period mark for ``period``."""
    finals = await uow.finals.for_students(student_ids, period.year_id)
    return {f.student_id for f in finals if f.kind == FinalKind.PERIOD and f.period_id == period.id}


async def _latest_published(
    uow: UnitOfWork, students: list[Student], periods: list[Period]
) -> Period:
    """The latest period with any period marks in the class, else the current one."""
    finals = await uow.finals.for_students([s.id for s in students], periods[0].year_id)  # type: ignore[misc]
    published = {f.period_id for f in finals if f.kind == FinalKind.PERIOD}
    return next((p for p in reversed(periods) if p.id in published), periods[-1])


async def _lines(
    uow: UnitOfWork, students: list[Student], period: Period, tz: tzinfo
) -> tuple[AckLine, ...]:
    ids = [s.id for s in students]
    graded = await _period_marks(uow, ids, period)  # type: ignore[arg-type]
    links = [x for x in await uow.guardian_links.for_students(ids) if x.active]  # type: ignore[arg-type]
    guardians = {g.id: g for g in await uow.guardians.many([x.guardian_id for x in links])}
    signed_in = await _signed_in(uow, list(guardians))
    acked: dict[tuple[int, int], datetime] = {
        (a.guardian_id, a.student_id): a.at.astimezone(tz)  # school time, as shown
        for a in await uow.final_acks.for_students(ids, period.id)  # type: ignore[arg-type]
    }
    of_student: dict[int, list[GuardianAck]] = defaultdict(list)
    for x in links:
        g = guardians.get(x.guardian_id)
        if g is None:
            continue
        of_student[x.student_id].append(
            GuardianAck(
                g.id,  # type: ignore[arg-type]
                g.full_name,
                reachable=x.consent_at is not None and g.id in signed_in,
                paper=g.paper_since is not None,
                acked_at=acked.get((g.id, x.student_id)),  # type: ignore[arg-type]
            )
        )
    return tuple(
        AckLine(s, s.id in graded, tuple(of_student.get(s.id, ())))  # type: ignore[arg-type]
        for s in students
    )


async def _signed_in(uow: UnitOfWork, guardian_ids: list[int]) -> set[int]:
    """The guardians with an active account linked: those the bot reaches."""
    links = await uow.account_links.active_for_people(PersonRole.GUARDIAN, guardian_ids)
    active = {a.id for a in await uow.accounts.many([x.account_id for x in links]) if a.active}
    return {x.person_id for x in links if x.account_id in active}
