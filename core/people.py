"""People move, history stays: a student's transfer to another class, by its day.

A transfer ends the student's membership of their class the day before and starts the new one
on the day (``class_history`` keeps the old one with its dates; ``Student.class_id`` and
``class_since`` hold the new one); their subgroups of the old class end with it. Rosters,
reports and the journal read who was where by the day, so a period already closed, its
summary sheet and its journal export never change after the fact: a transfer that would reach
into a closed period is refused, and so is one that would leave marks or absences of the old
class after the day it takes effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core import access, audit
from core.access import Viewer
from core.clock import Clock
from core.errors import NotFound, TransferRefused, UnknownClass
from core.model import (
    ClassGroup,
    ClassMembership,
    PersonRole,
    Student,
    SubgroupMember,
)
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.tabular import norm_name, parse_class

DAY = timedelta(days=1)


async def move_student(
    uow: UnitOfWork, student: Student, to_class: ClassGroup, on: date
) -> ClassMembership:
    """Moves the student to ``to_class`` from ``on`` (see the module); raises
    ``TransferRefused`` with the reason, changing nothing."""
    if student.left_on is not None and student.left_on < on:
        raise TransferRefused("left", left_on=student.left_on)
    current = await uow.classes.get(student.class_id)
    year = await uow.years.get(to_class.year_id)
    if current is None or year is None:
        raise NotFound("class", student.class_id)
    if current.id == to_class.id:
        raise TransferRefused("same_class", class_name=to_class.name)
    if current.year_id != to_class.year_id or not year.starts_on <= on <= year.ends_on:
        raise TransferRefused("outside_year", day=on, year=year.name)
    if student.class_since == on:
        return await _correct(uow, student, to_class, on)
    since = student.class_since or student.arrived_on or year.starts_on
    if on <= since:
        raise TransferRefused("too_early", class_name=current.name, since=since)
    closed = [p for p in await uow.periods.for_year(year.id) if p.closed and p.ends_on >= on]  # type: ignore[arg-type]
    if closed:
        raise TransferRefused("closed_period", number=closed[0].number, kind=closed[0].kind.value)
    written = await _records_in(uow, student, current, on, year.ends_on)
    if written:
        raise TransferRefused(
            "records", class_name=current.name, count=len(written), day=min(written)
        )
    old = await uow.class_history.add(
        ClassMembership(student.id, current.id, since, on - DAY)  # type: ignore[arg-type]
    )
    groups = {g.id for g in await uow.subgroups.for_class(current.id)}  # type: ignore[arg-type]
    for member in await uow.subgroups.memberships([student.id]):  # type: ignore[list-item]
        if member.subgroup_id in groups and (member.ends_on is None or member.ends_on >= on):
            member.ends_on = on - DAY
    student.class_id = to_class.id  # type: ignore[assignment]
    student.class_since = on
    return old


async def _correct(
    uow: UnitOfWork, student: Student, to_class: ClassGroup, on: date
) -> ClassMembership:
    """A transfer taken back, or redirected, on the day it takes effect: nothing was ever
    written in the class it led to, so the student simply is where the correction says; back
    in their former class, that stay goes on as if never broken."""
    assert student.id is not None
    history = await uow.class_history.for_student(student.id)
    before = next((h for h in history if h.ends_on == on - DAY), None)
    if before is not None and before.class_id == to_class.id:
        await uow.class_history.remove([before])
        student.class_id = to_class.id  # type: ignore[assignment]
        student.class_since = None if before.starts_on == student.arrived_on else before.starts_on
        return before
    student.class_id = to_class.id  # type: ignore[assignment]
    return before or ClassMembership(student.id, to_class.id, on, on)


async def _records_in(
    uow: UnitOfWork, student: Student, cls: ClassGroup, start: date, end: date
) -> list[date]:
    """The days of the student's marks and absences in the class's lessons in [start, end]."""
    assert student.id is not None
    marks = await uow.marks.for_student(student.id, start, end)
    absences = await uow.attendance.for_student(student.id, start, end)
    ids = sorted({x.lesson_id for x in marks} | {x.lesson_id for x in absences})
    lessons = {x.id: x for x in await uow.lessons.many(ids)} if ids else {}
    return sorted(
        x.day
        for x in [*marks, *absences]
        if x.lesson_id in lessons and lessons[x.lesson_id].class_id == cls.id
    )


async def join_subgroups(
    uow: UnitOfWork, student: Student, subgroup_ids: list[int], on: date | None
) -> int:
    """Adds the student to these subgroups from ``on`` (None: from the start); one they left
    is joined again. Returns how many were joined."""
    mine = {m.subgroup_id: m for m in await uow.subgroups.memberships([student.id])}  # type: ignore[list-item]
    joined = 0
    for group in subgroup_ids:
        member = mine.get(group)
        if member is None:
            await uow.subgroups.add_member(SubgroupMember(group, student.id, starts_on=on))  # type: ignore[arg-type]
            joined += 1
        elif member.ends_on is not None:
            member.ends_on = None
            joined += 1
    return joined


@dataclass(frozen=True, slots=True)
class StudentService:
    """Transfers between classes, by the journal admin (from the console and the bot)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def move(
        self,
        viewer: Viewer,
        student_id: int,
        class_name: str,
        on: date,
        subgroups: tuple[str, ...] = (),
    ) -> ClassMembership:
        access.require_private(viewer)
        access.require_admin(viewer)
        async with self.uow() as uow:
            student = await uow.students.get(student_id)
            if student is None:
                raise NotFound("student", student_id)
            current = await uow.classes.get(student.class_id)
            key = parse_class(class_name)
            target = await uow.classes.by_name(current.year_id, *key) if key and current else None
            if target is None:
                raise UnknownClass(class_name)
            old = await move_student(uow, student, target, on)
            groups = {norm_name(g.name): g.id for g in await uow.subgroups.for_class(target.id)}  # type: ignore[arg-type]
            wanted = []
            for name in subgroups:
                if norm_name(name) not in groups:
                    raise NotFound("subgroup", name)
                wanted.append(groups[norm_name(name)])
            await join_subgroups(uow, student, wanted, on)  # type: ignore[arg-type]
            await uow.audit.add(
                audit.change(
                    viewer,
                    self.clock.now(),
                    "student.move",
                    "student",
                    student.id,
                    student_id=student.id,
                    before=current.name if current else "",
                    after=f"{target.name} {on.isoformat()}",
                )
            )
            await uow.commit()
            return old


def people_of(uow: UnitOfWork, role: PersonRole):  # type: ignore[no-untyped-def]
    """The repository of a role's people: students, guardians, or staff for every staff role."""
    return {PersonRole.STUDENT: uow.students, PersonRole.GUARDIAN: uow.guardians}.get(
        role, uow.staff
    )


async def find_person(uow: UnitOfWork, role: PersonRole, text: str) -> int:
    """A person by the school's own id from its files (``K-02``, ``U-101``, ``T-004``), else by
    the database's number: the console takes either."""
    repo = people_of(uow, role)
    kind = "staff" if role.is_staff else role.value
    wanted = text.strip()
    people = await repo.list_all()
    found = [p.id for p in people if p.source_id is not None and p.source_id == wanted]
    if not found:
        folded = wanted.casefold()
        found = [p.id for p in people if p.source_id and p.source_id.casefold() == folded]
    if len(found) == 1:
        return found[0]  # type: ignore[return-value]
    if not found and wanted.isdigit() and await repo.get(int(wanted)) is not None:
        return int(wanted)
    raise NotFound(kind, wanted)


async def class_named(uow: UnitOfWork, name: str, day: date) -> ClassGroup:
    """A class of the school year containing ``day`` by its name (``7А``, ``7a``, ``7 а``)."""
    key = parse_class(name)
    year = await uow.years.containing(day)
    found = await uow.classes.by_name(year.id, *key) if key and year else None  # type: ignore[arg-type]
    if found is None:
        raise UnknownClass(name)
    return found
