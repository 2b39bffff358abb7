"""People from a roster: staff and their roles, classes and class teachers, subgroups,
students (arriving, moving to another class by a day, leaving) and their subgroups, guardians
and their links, teaching from a gradebook's enrollments.

A re-import matches people by their ids in the school's files and never deletes: a student
missing from a full list has left (the day before), a guardian's link or a teaching the file no
longer has is ended, audited and reported, and the access behind it goes with it.
"""

from __future__ import annotations

from datetime import date, timedelta

from core.errors import DomainError, TransferRefused
from core.importing.context import ImportContext, update
from core.imports import ClassKey, RosterData, StaffRow, StudentRow, Where
from core.model import (
    ClassGroup,
    ClassMembership,
    Guardian,
    GuardianLink,
    Staff,
    StaffRole,
    StaffRoleKind,
    Student,
    Subgroup,
    Teaching,
)
from core.people import join_subgroups, move_student
from core.tabular import norm_name

DAY = timedelta(days=1)

TeachingKey = tuple[int, int, int, int | None]  # staff, subject, class, subgroup


async def staff(ctx: ImportContext, data: RosterData) -> None:
    if data.staff is None:
        return
    tally = ctx.report.tally("staff")
    fresh: list[tuple[Staff, StaffRow]] = []
    for row in data.staff:
        person = ctx.staff_by_source.get(row.source_id)
        if person is None:
            person = Staff(row.last_name, row.first_name, row.middle_name, row.source_id)
            ctx.staff_by_source[row.source_id] = person
            fresh.append((person, row))
            tally.added += 1
        elif update(
            person, last_name=row.last_name, first_name=row.first_name, middle_name=row.middle_name
        ):
            tally.changed += 1
        else:
            tally.unchanged += 1
    await ctx.uow.staff.add_all([p for p, _ in fresh])
    # The staff file is the whole staff: a role it no longer gives ends, and so do the roles of
    # someone no longer in it (a deputy's rights end with the deputy's post, 001 §3.1).
    wanted: dict[int, frozenset[StaffRoleKind]] = {
        ctx.staff_by_source[row.source_id].id: row.roles  # type: ignore[misc]
        for row in data.staff
    }
    held = await ctx.uow.staff_roles.list_all()
    await ctx.uow.staff_roles.remove([r for r in held if r.role not in wanted.get(r.staff_id, ())])
    kept = {(r.staff_id, r.role) for r in held}
    await ctx.uow.staff_roles.add_all(
        [
            StaffRole(staff_id, role)
            for staff_id, roles in wanted.items()
            for role in sorted(roles)
            if (staff_id, role) not in kept
        ]
    )


async def classes(ctx: ImportContext, data: RosterData) -> None:
    wanted: dict[ClassKey, Where] = {}
    for row in data.students or ():
        wanted.setdefault(row.cls, row.where)
    new = []
    for key in wanted:
        if key in ctx.classes:
            ctx.report.tally("class").unchanged += 1
        else:
            cls = ClassGroup(ctx.year.id, key[0], key[1])  # type: ignore[arg-type]
            ctx.classes[key] = cls
            new.append(cls)
    await ctx.uow.classes.add_all(new)
    ctx.report.tally("class").added += len(new)
    for row in data.staff or ():
        if row.leads is None:
            continue
        cls = ctx.class_of(row.leads, row.where)
        teacher = ctx.staff_by_source[row.source_id]
        if cls is not None and cls.class_teacher_id != teacher.id:
            before = cls.class_teacher_id
            cls.class_teacher_id = teacher.id
            if cls not in new:
                ctx.audit(
                    "class.teacher",
                    "class",
                    cls.id,
                    before=str(before or ""),
                    after=str(teacher.id),
                )
                ctx.report.tally("class").changed += 1


async def subgroups(ctx: ImportContext, data: RosterData) -> None:
    tally = ctx.report.tally("subgroup") if data.subgroups else None
    for row in data.subgroups:
        cls = ctx.class_of(row.cls, row.where)
        if cls is None or tally is None:
            continue
        subject_id = (await ctx.subject(row.subject)).id if row.subject else None
        key = (cls.id, norm_name(row.name))
        sg = ctx.subgroups.get(key)  # type: ignore[arg-type]
        if sg is None:
            sg = await ctx.uow.subgroups.add(Subgroup(cls.id, row.name, subject_id))  # type: ignore[arg-type]
            ctx.subgroups[key] = sg  # type: ignore[index]
            tally.added += 1
        elif subject_id is not None and sg.subject_id != subject_id:
            sg.subject_id = subject_id
            tally.changed += 1
        else:
            tally.unchanged += 1


def _left_day(ctx: ImportContext, student: Student) -> date:
    day = min(ctx.today - DAY, ctx.year.ends_on)
    return max(day, student.class_since or student.arrived_on or day)


async def students(ctx: ImportContext, data: RosterData) -> None:
    everyone = await ctx.uow.students.list_all()
    existing = {s.source_id: s for s in everyone if s.source_id}
    year_classes = {c.id for c in ctx.classes.values()}
    first_import = not any(s.class_id in year_classes for s in existing.values())
    default_arrival = (
        ctx.year.starts_on
        if first_import or ctx.today < ctx.year.starts_on
        else min(ctx.today, ctx.year.ends_on)
    )
    ctx.students_by_source = dict(existing)
    if data.students is None:
        _removed(ctx, data, existing)
        return
    tally = ctx.report.tally("student")
    new: list[Student] = []
    seen: set[str] = set()
    for row in data.students:
        seen.add(row.source_id)
        cls = ctx.classes[row.cls]
        for day in (row.arrived_on, row.moved_on):
            if day is not None and not ctx.in_year(day):
                ctx.error(row.where, "date_outside_year", value=day, year=ctx.year.name)
        if row.birth_date is not None and not (date(1990, 1, 1) <= row.birth_date < ctx.today):
            ctx.error(row.where, "bad_birth_date", value=row.birth_date)
        student = existing.get(row.source_id)
        if student is None:
            student = Student(
                row.last_name,
                row.first_name,
                cls.id,  # type: ignore[arg-type]
                row.middle_name,
                row.birth_date,
                arrived_on=row.arrived_on or default_arrival,
                source_id=row.source_id,
            )
            new.append(student)
            ctx.students_by_source[row.source_id] = student
            tally.added += 1
            continue
        changed = update(
            student,
            last_name=row.last_name,
            first_name=row.first_name,
            middle_name=row.middle_name,
        )
        if row.birth_date is not None:
            changed |= update(student, birth_date=row.birth_date)
        if student.left_on is not None and student.left_on < ctx.today:
            await _return(ctx, student, row, cls)
            changed = True
        elif student.class_id != cls.id:
            await _move(ctx, student, row, cls)
            continue
        elif row.arrived_on is not None and student.class_since is None:
            changed |= update(student, arrived_on=row.arrived_on)
        if changed:
            tally.changed += 1
        else:
            tally.unchanged += 1
    await ctx.uow.students.add_all(new)
    if data.complete:
        for student in existing.values():
            if (
                student.source_id not in seen
                and student.class_id in year_classes
                and (student.left_on is None or student.left_on >= ctx.today)
            ):
                _leave(ctx, student)
    _removed(ctx, data, existing)
    await _members(ctx, data)


async def _move(ctx: ImportContext, student: Student, row: StudentRow, cls: ClassGroup) -> None:
    """A new class in the file: the transfer takes effect on its day (``moved_on``, else the
    import's), by the rules of ``core.people``."""
    on = row.moved_on or ctx.today
    before = next((c.name for c in ctx.classes.values() if c.id == student.class_id), "")
    try:
        await move_student(ctx.uow, student, cls, on)
    except TransferRefused as refused:  # a lost connection or a busy journal fails the import
        ctx.error(row.where, f"transfer_{refused.facts['why']}", **_facts(refused, cls))
        return
    ctx.audit(
        "student.move",
        "student",
        student.id,
        student_id=student.id,  # type: ignore[arg-type]
        before=before,
        after=f"{cls.name} {on.isoformat()}",
        reason="import",
    )
    ctx.report.tally("student").moved += 1


def _facts(refused: DomainError, cls: ClassGroup) -> dict[str, object]:
    facts = {k: v for k, v in refused.facts.items() if k != "why"}
    facts.setdefault("class_name", cls.name)
    return facts


async def _return(ctx: ImportContext, student: Student, row: StudentRow, cls: ClassGroup) -> None:
    """A student who had left is in the file again: back, in the file's class, from the day
    they arrive (the import's by default)."""
    ctx.audit(
        "student.return",
        "student",
        student.id,
        student_id=student.id,  # type: ignore[arg-type]
        before=student.left_on.isoformat(),  # type: ignore[union-attr]
    )
    arrived = row.arrived_on or min(ctx.today, ctx.year.ends_on)
    since = student.current_since or ctx.year.starts_on
    if student.left_on is not None and since <= student.left_on:
        # the first stay is history; the class of the return starts with it
        await ctx.uow.class_history.add(
            ClassMembership(student.id, student.class_id, since, student.left_on)  # type: ignore[arg-type]
        )
    student.left_on = None
    student.arrived_on = arrived
    student.class_id = cls.id  # type: ignore[assignment]
    student.class_since = None


def _leave(ctx: ImportContext, student: Student) -> None:
    student.left_on = _left_day(ctx, student)
    ctx.report.tally("student").left += 1
    ctx.audit(
        "student.left",
        "student",
        student.id,
        student_id=student.id,  # type: ignore[arg-type]
        after=student.left_on.isoformat(),
    )


def _removed(ctx: ImportContext, data: RosterData, existing: dict[str, Student]) -> None:
    for source_id in data.removed_students:
        student = existing.get(source_id)
        if student is not None and student.left_on is None:
            _leave(ctx, student)


async def _members(ctx: ImportContext, data: RosterData) -> None:
    for row in data.students or ():
        if not row.subgroups:
            continue
        student = ctx.students_by_source[row.source_id]
        cls = ctx.classes[row.cls]
        if student.class_id != cls.id:
            continue  # the transfer was refused: told above
        wanted = []
        for name in row.subgroups:
            sg = ctx.subgroup_of(cls, name, row.where)
            if sg is not None:
                wanted.append(sg.id)
        await join_subgroups(ctx.uow, student, wanted, student.class_since)  # type: ignore[arg-type]


def _paper_since(current: date | None, given: date | bool | None, today: date) -> date | None:
    """The guardians' file's «на бумаге» (rule 8): no column keeps what there is; «да» keeps
    the day already recorded, else today; a day sets it; empty takes it off."""
    if given is None:
        return current
    if given is True:
        return current or today
    return given or None


async def guardians(ctx: ImportContext, data: RosterData) -> None:
    """Guardians and their links as the file lists them: a link the file no longer has ends
    (audited and reported), and with it the guardian's access to that child."""
    if data.guardians is None:
        return
    tally = ctx.report.tally("guardian")
    existing = {g.source_id: g for g in await ctx.uow.guardians.list_all() if g.source_id}
    new: list[Guardian] = []
    people: list[Guardian] = []
    for row in data.guardians:
        person = existing.get(row.source_id)
        if person is None:
            person = Guardian(
                row.last_name, row.first_name, row.middle_name, row.phone, row.email, row.source_id
            )
            person.paper_since = _paper_since(None, row.paper, ctx.today)
            existing[row.source_id] = person
            new.append(person)
            tally.added += 1
        elif update(
            person,
            last_name=row.last_name,
            first_name=row.first_name,
            middle_name=row.middle_name,
            phone=row.phone,
            email=row.email,
            paper_since=_paper_since(person.paper_since, row.paper, ctx.today),
        ):
            tally.changed += 1
        else:
            tally.unchanged += 1
        people.append(person)
    await ctx.uow.guardians.add_all(new)
    links = {(x.guardian_id, x.student_id): x for x in await ctx.uow.guardian_links.list_all()}
    links_tally = ctx.report.tally("guardian_link")
    listed: set[tuple[int, int]] = set()
    fresh = []
    for person, row in zip(people, data.guardians, strict=True):
        for child, where in row.students:
            student = ctx.students_by_source.get(child)
            if student is None:
                ctx.error(where, "unknown_student", id=child)
                continue
            key = (person.id, student.id)
            listed.add(key)  # type: ignore[arg-type]
            link = links.get(key)  # type: ignore[arg-type]
            if link is None:
                link = GuardianLink(person.id, student.id, row.relation)  # type: ignore[arg-type]
                links[key] = link  # type: ignore[index]
                fresh.append(link)
                links_tally.added += 1
            elif link.ended_at is not None:
                link.ended_at = None
                ctx.audit("guardian_link.restore", "guardian_link", link.id, student_id=student.id)  # type: ignore[arg-type]
                links_tally.added += 1
            else:
                links_tally.unchanged += 1
    await ctx.uow.guardian_links.add_all(fresh)
    # A child who left keeps their family's link: it reads the final marks for a year (the
    # certificate) and nothing new; a roster of the school's students no longer lists it.
    gone = {
        s.id
        for s in ctx.students_by_source.values()
        if s.left_on is not None and s.left_on < ctx.today
    }
    for key, link in links.items():
        if key not in listed and link.ended_at is None and link.id is not None:
            if link.student_id in gone:
                continue
            link.ended_at = ctx.now
            ctx.audit(
                "guardian_link.end",
                "guardian_link",
                link.id,
                student_id=link.student_id,
                before=f"guardian {link.guardian_id}",
                reason="import",
            )
            links_tally.left += 1


async def teachings(ctx: ImportContext, data: RosterData) -> None:
    """Teaching from a gradebook's enrollments: as listed, the rest of the year's ended."""
    if not data.teachings:
        return
    wanted: set[TeachingKey] = set()
    for row in data.teachings:
        person = ctx.staff_by_source.get(row.staff_source)
        cls = ctx.class_of(row.cls, row.where)
        if person is None:
            ctx.error(row.where, "unknown_teacher", value=row.staff_source)
        if person is None or cls is None:
            continue
        sg = ctx.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
        if row.subgroup and sg is None:
            continue
        subject = await ctx.subject(row.subject)
        wanted.add((person.id, subject.id, cls.id, sg.id if sg else None))  # type: ignore[arg-type]
    await settle_teachings(ctx, {key: (None, None) for key in wanted})


async def settle_teachings(
    ctx: ImportContext, wanted: dict[TeachingKey, tuple[date | None, date | None]]
) -> None:
    """Makes the year's teaching what ``wanted`` says (each key with its first and last day,
    None: open): missing ones start, changed ends follow, the rest end yesterday (audited)."""
    tally = ctx.report.tally("teaching")
    year_classes = {c.id for c in ctx.classes.values()}
    yesterday = ctx.today - DAY
    active: dict[TeachingKey, Teaching] = {}
    for class_id in sorted(year_classes):  # type: ignore[type-var]
        for t in await ctx.uow.teachings.for_class(class_id):  # type: ignore[arg-type]
            if t.ends_on is None or t.ends_on >= ctx.today:
                active[(t.staff_id, t.subject_id, t.class_id, t.subgroup_id)] = t
    for key, (starts, ends) in wanted.items():
        found = active.pop(key, None)
        if found is None:
            await ctx.uow.teachings.add(Teaching(*key, starts_on=starts, ends_on=ends))
            tally.added += 1
        elif found.ends_on != ends:
            found.ends_on = ends
            tally.changed += 1
        else:
            tally.unchanged += 1
    for key, t in active.items():
        t.ends_on = max(yesterday, t.starts_on - DAY) if t.starts_on else yesterday
        ctx.audit(
            "teaching.end",
            "teaching",
            t.id,
            before=f"staff {key[0]} subject {key[1]} class {key[2]} group {key[3] or ''}",
            after=t.ends_on.isoformat(),
            reason="import",
        )
        tally.left += 1
