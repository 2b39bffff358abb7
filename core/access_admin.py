"""Handing out and taking back access in bulk, and who is linked (000 §3.1; 004 §5.2).

Guardians and students of a class get their codes on one printable sheet, issued in one
transaction; the admin revokes an invite or a person's access; the administration reads who
is linked. Class-year figures for the charts come from the rule 11 reports.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from core import access, audit
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.clock import Clock
from core.errors import NotFound, UnknownClass
from core.invites import DEFAULT_TTL_DAYS, InviteService, check_ttl
from core.model import ClassGroup, Period, PersonRole, StaffRoleKind, Student
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.reports import ReportService


@dataclass(frozen=True, slots=True)
class SheetLine:
    role: PersonRole  # GUARDIAN or STUDENT
    person_id: int
    name: str
    children: str  # the guardian's children in this class; "" for a student
    class_name: str
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PersonAccess:
    role: PersonRole  # GUARDIAN or STUDENT
    person_id: int
    name: str
    children: str  # the guardian's children in this class; "" for a student
    linked: bool  # signed in to the bot now


@dataclass(frozen=True, slots=True)
class ClassAccess:
    class_id: int
    class_name: str
    people: tuple[PersonAccess, ...]  # the class list: a student, then their guardians

    def count(self, role: PersonRole, linked: bool | None = None) -> int:
        return sum(
            1 for p in self.people if p.role == role and (linked is None or p.linked == linked)
        )


@dataclass(frozen=True, slots=True)
class LinkedLine:
    name: str
    role: PersonRole
    person_id: int
    class_name: str
    linked_at: datetime
    locale: str
    active: bool
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class StaffLine:
    staff_id: int
    name: str
    roles: tuple[StaffRoleKind, ...]
    linked: bool = False  # signed in to the bot now


@dataclass(frozen=True, slots=True)
class PeriodResult:
    number: int
    students: int
    quality: float  # share of excellent and good students, %
    success: float  # share of students without failing marks, %
    kind: str = "quarter"  # the PeriodKind: the period is named «II четверть»


@dataclass(frozen=True, slots=True)
class MonthAttendance:
    month: date  # its first day
    sick: int
    excused: int
    unexcused: int
    no_reason: int  # absences whose reason is not recorded yet
    late: int


@dataclass(frozen=True, slots=True)
class ClassYear:
    class_name: str
    year: str
    results: tuple[PeriodResult, ...]
    attendance: tuple[MonthAttendance, ...]


def invite_role_for(roles: tuple[StaffRoleKind, ...] | list[StaffRoleKind]) -> PersonRole:
    """The invite's role for a staff member: their highest administrative role."""
    for kind, role in (
        (StaffRoleKind.ADMIN, PersonRole.ADMIN),
        (StaffRoleKind.DIRECTOR, PersonRole.DIRECTOR),
        (StaffRoleKind.DEPUTY, PersonRole.DEPUTY),
    ):
        if kind in roles:
            return role
    return PersonRole.TEACHER


@dataclass(frozen=True, slots=True)
class AccessAdminService:
    """Class invite sheets (class teacher or admin), revoking access (admin), who is linked
    (the administration, 001 §3.1). Reading who is linked is on record."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS

    async def class_sheet(
        self, viewer: Viewer, class_name: str, ttl_days: int = DEFAULT_TTL_DAYS
    ) -> list[SheetLine]:
        """One code per guardian and per student of the class, all in one transaction."""
        access.require_private(viewer)
        check_ttl(ttl_days)
        invites = InviteService(self.uow, self.clock)
        async with self.uow() as uow:
            cls = await _class(ReportService(self.uow, self.clock), uow, viewer, class_name)
            access.require_class_teacher(viewer, cls.id)  # type: ignore[arg-type]
            lines: list[SheetLine] = []
            for role, person_id, _name, children in await self._people(uow, cls):
                issued = await invites.issue_in(uow, viewer, role, person_id, ttl_days)
                lines.append(self._line(issued, children, cls.name))
            if not lines:
                raise NotFound("student", class_name)
            await uow.commit()
            return lines

    async def staff_sheet(
        self, viewer: Viewer, ttl_days: int = DEFAULT_TTL_DAYS
    ) -> list[SheetLine]:
        """One code for each member of staff who works at the school now (teaches, leads a
        class or has an administrative role) and has not signed in yet; the admin's, in one
        transaction. Those already signed in keep their access and get no code."""
        access.require_private(viewer)
        access.require_admin(viewer)
        check_ttl(ttl_days)
        invites = InviteService(self.uow, self.clock)
        today = self.clock.today()
        async with self.uow() as uow:
            year = await ReportService(self.uow, self.clock)._year(uow)
            leads = {
                c.class_teacher_id: c.name
                for c in await uow.classes.for_year(year.id)  # type: ignore[arg-type]
                if c.class_teacher_id is not None
            }
            roles: dict[int, list[StaffRoleKind]] = {}
            for r in await uow.staff_roles.list_all():
                roles.setdefault(r.staff_id, []).append(r.role)
            staff = sorted(await uow.staff.list_all(), key=lambda s: s.full_name)
            linked = {
                x.person_id
                for x in await uow.account_links.active_for_people(
                    PersonRole.STAFF,
                    [s.id for s in staff],  # type: ignore[misc]
                )
            }
            lines: list[SheetLine] = []
            for person in staff:
                sid: int = person.id  # type: ignore[assignment]
                if sid in linked:
                    continue
                works = sid in leads or sid in roles or await uow.teachings.for_staff(sid, on=today)
                if not works:
                    continue
                role = invite_role_for(roles.get(sid, []))
                issued = await invites.issue_in(uow, viewer, role, sid, ttl_days)
                lines.append(self._line(issued, "", leads.get(sid, "")))
            await uow.commit()
            return lines

    async def _people(
        self, uow: UnitOfWork, cls: ClassGroup
    ) -> list[tuple[PersonRole, int, str, str]]:
        """The class list: each student, then each of their guardians not listed yet, as
        (role, id, name, the guardian's children in this class)."""
        students = await uow.students.in_class(cls.id, on=self.clock.today())  # type: ignore[arg-type]
        names = {s.id: s.full_name for s in students}
        children: dict[int, list[int]] = {}
        for link in await uow.guardian_links.for_students(list(names)):  # type: ignore[arg-type]
            children.setdefault(link.guardian_id, []).append(link.student_id)
        order = {s.id: i for i, s in enumerate(students)}
        for kids in children.values():
            kids.sort(key=order.__getitem__)
        guardians = {g.id: g for g in await uow.guardians.many(list(children))}
        people: list[tuple[PersonRole, int, str, str]] = []
        for student in students:
            people.append((PersonRole.STUDENT, student.id, student.full_name, ""))  # type: ignore[arg-type]
            # Each guardian once, after their first child in the class list.
            for gid, kids in children.items():
                if gid in guardians and kids[0] == student.id:
                    kid_names = ", ".join(names[k] for k in kids)
                    people.append((PersonRole.GUARDIAN, gid, guardians[gid].full_name, kid_names))
        return people

    async def invite_classes(self, viewer: Viewer) -> list[tuple[int, str]]:
        """The classes this viewer hands out codes for, as (id, name): every class of the year
        for the admin, their own for a class teacher."""
        access.require_private(viewer)
        access.require_hands_out_codes(viewer)
        async with self.uow(readonly=True) as uow:
            year = await ReportService(self.uow, self.clock)._year(uow)
            return [
                (c.id, c.name)  # type: ignore[misc]
                for c in await uow.classes.for_year(year.id)  # type: ignore[arg-type]
                if viewer.is_admin or c.id in viewer.class_teacher_of
            ]

    async def class_access(self, viewer: Viewer, class_id: int) -> ClassAccess:
        """Who in the class (students and their guardians) has signed in to the bot."""
        access.require_private(viewer)
        async with self.uow(readonly=True) as uow:
            cls = await uow.classes.get(class_id)
            if cls is None:
                raise NotFound("class", class_id)
            access.require_hands_out_codes(viewer, class_id)
            people = await self._people(uow, cls)
            linked: set[tuple[PersonRole, int]] = set()
            for role in (PersonRole.STUDENT, PersonRole.GUARDIAN):
                ids = [pid for r, pid, _, _ in people if r == role]
                linked |= {
                    (role, x.person_id)
                    for x in await uow.account_links.active_for_people(role, ids)
                }
            return ClassAccess(
                class_id,
                cls.name,
                tuple(
                    PersonAccess(role, pid, name, kids, (role, pid) in linked)
                    for role, pid, name, kids in people
                ),
            )

    @staticmethod
    def _line(issued, children: str, class_name: str) -> SheetLine:
        invite = issued.invite
        return SheetLine(
            invite.role,
            invite.person_id,
            issued.name,
            children,
            class_name,
            issued.code,
            invite.expires_at,
        )

    async def revoke_person(self, viewer: Viewer, role: PersonRole, person_id: int) -> int:
        """Unlink every account of the person and revoke their unused codes; audited."""
        access.require_private(viewer)
        access.require_admin(viewer)
        link_role = PersonRole.STAFF if role.is_staff else role
        async with self.uow() as uow:
            repo = {
                PersonRole.GUARDIAN: uow.guardians,
                PersonRole.STUDENT: uow.students,
            }.get(link_role, uow.staff)
            if await repo.get(person_id) is None:
                raise NotFound(link_role.value, person_id)
            now = self.clock.now()
            links = await uow.account_links.active_for_person(link_role, person_id)
            for link in links:
                link.unlinked_at = now
            codes = 0
            for invite in await uow.invites.list_all():
                same = invite.person_id == person_id and (
                    invite.role == role or (link_role == PersonRole.STAFF and invite.role.is_staff)
                )
                if same and invite.used_at is None and invite.revoked_at is None:
                    invite.revoked_at = now
                    codes += 1
            await uow.audit.add(
                audit.change(
                    viewer,
                    now,
                    "access.revoke",
                    link_role.value,
                    person_id,
                    student_id=person_id if link_role == PersonRole.STUDENT else None,
                    before=f"links={len(links)} codes={codes}",
                )
            )
            await uow.commit()
            return len(links)

    async def linked(self, viewer: Viewer, class_name: str | None = None) -> list[LinkedLine]:
        """Every active link: person, role, class, since when, the account's language."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            class_id = None
            if class_name:
                cls = await _class(ReportService(self.uow, self.clock), uow, viewer, class_name)
                class_id = cls.id
            classes = {c.id: c.name for c in await uow.classes.list_all()}
            links = [x for x in await uow.account_links.list_all() if x.unlinked_at is None]
            accounts = {a.id: a for a in await uow.accounts.many([x.account_id for x in links])}
            students = {s.id: s for s in await uow.students.list_all()}
            guardians = {g.id: g for g in await uow.guardians.list_all()}
            staff = {s.id: s for s in await uow.staff.list_all()}
            guardian_classes: dict[int, set[str]] = {}
            now = self.clock.now()
            for gl in await uow.guardian_links.list_all():
                child = students.get(gl.student_id)
                if child is not None:
                    guardian_classes.setdefault(gl.guardian_id, set()).add(
                        classes.get(child.class_id, "")
                    )
            lines = []
            for link in links:
                account = accounts.get(link.account_id)
                if account is None:
                    continue
                if link.role == PersonRole.STUDENT and link.person_id in students:
                    student = students[link.person_id]
                    name, in_class = student.full_name, classes.get(student.class_id, "")
                    wanted = class_id is None or student.class_id == class_id
                elif link.role == PersonRole.GUARDIAN and link.person_id in guardians:
                    name = guardians[link.person_id].full_name
                    names = sorted(guardian_classes.get(link.person_id, set()))
                    in_class = ", ".join(names)
                    wanted = class_id is None or classes.get(class_id) in names
                elif link.person_id in staff:
                    name, in_class = staff[link.person_id].full_name, ""
                    wanted = class_id is None
                else:
                    continue
                if wanted:
                    audit.note_read(
                        self.reads,
                        viewer,
                        now,
                        "access.linked",
                        link.role.value,
                        link.person_id,
                        link.person_id if link.role == PersonRole.STUDENT else None,
                    )
                    lines.append(
                        LinkedLine(
                            name,
                            link.role,
                            link.person_id,
                            in_class,
                            link.linked_at,
                            account.locale,
                            account.active,
                            account.last_seen_at,
                        )
                    )
            return sorted(lines, key=lambda x: (x.class_name, x.role.value, x.name))

    async def staff_list(self, viewer: Viewer) -> list[StaffLine]:
        """Staff, for the administration's menus (codes, the audit log), with who has signed
        in."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            staff = await uow.staff.list_all()
            linked = {
                x.person_id
                for x in await uow.account_links.active_for_people(
                    PersonRole.STAFF,
                    [s.id for s in staff],  # type: ignore[misc]
                )
            }
            lines = []
            for s in staff:
                roles = tuple(r.role for r in await uow.staff_roles.for_staff(s.id))  # type: ignore[arg-type]
                lines.append(StaffLine(s.id, s.full_name, roles, s.id in linked))  # type: ignore[arg-type]
        return sorted(lines, key=lambda x: x.name)

    async def staff_invite(self, viewer: Viewer, staff_id: int):
        """A staff member's code, by the admin only (000 §3.1)."""
        access.require_private(viewer)
        access.require_admin(viewer)
        async with self.uow() as uow:
            if await uow.staff.get(staff_id) is None:
                raise NotFound("staff", staff_id)
            roles = [r.role for r in await uow.staff_roles.for_staff(staff_id)]
            issued = await InviteService(self.uow, self.clock).issue_in(
                uow, viewer, invite_role_for(roles), staff_id
            )
            await uow.commit()
            return issued

    async def year_periods(self, viewer: Viewer) -> list[Period]:
        """The current year's periods, for the administration's menus."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            year = await ReportService(self.uow, self.clock)._year(uow)
            return await uow.periods.for_year(year.id)  # type: ignore[arg-type]

    async def classes(self, viewer: Viewer) -> list[ClassGroup]:
        """The current year's classes, by grade and letter."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            year = await ReportService(self.uow, self.clock)._year(uow)
            found = await uow.classes.for_year(year.id)  # type: ignore[arg-type]
        return sorted(found, key=lambda c: (c.grade, c.letter))

    async def class_students(self, viewer: Viewer, class_id: int) -> list[Student]:
        """Everyone who has been in the class, for picking a student's audit log."""
        access.require_private(viewer)
        access.require_administration(viewer)
        async with self.uow(readonly=True) as uow:
            if await uow.classes.get(class_id) is None:
                raise NotFound("class", class_id)
            found = await uow.students.in_class(class_id)
        return sorted(found, key=lambda s: s.full_name)

    async def record_seen(self, seen: Mapping[int, datetime]) -> None:
        """When accounts last used the bot, in one transaction; the caller batches them and
        writes each account at most hourly. An account gone since is skipped."""
        if not seen:
            return
        async with self.uow() as uow:
            await uow.accounts.mark_seen(seen)
            await uow.commit()

    async def class_year(self, viewer: Viewer, class_name: str) -> ClassYear:
        """Results per period and absences per month so far this year, for the charts."""
        reports = ReportService(self.uow, self.clock)
        async with self.uow(readonly=True) as uow:
            cls = await _class(reports, uow, viewer, class_name)
            year = await uow.years.get(cls.year_id)
            if year is None:
                raise NotFound("year", cls.year_id)
            periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
        today = self.clock.today()
        results = []
        for p in periods:
            if p.starts_on > today:
                continue
            table = await reports.class_results(viewer, class_name, p.number)
            total, *_rest, quality, success = table.rows[0]
            results.append(
                PeriodResult(p.number, int(total), float(quality), float(success), p.kind.value)  # type: ignore[arg-type]
            )
        months = []
        first = date(year.starts_on.year, year.starts_on.month, 1)
        while first <= min(today, year.ends_on):
            last = date(first.year, first.month, monthrange(first.year, first.month)[1])
            table = await reports.attendance_summary(
                viewer, class_name, max(first, year.starts_on), min(last, year.ends_on)
            )
            sums = [sum(int(row[i]) for row in table.rows) for i in (3, 4, 5, 6, 7)]  # type: ignore[call-overload]
            months.append(MonthAttendance(first, *sums))
            first = _next_month(first)
        return ClassYear(cls.name, year.name, tuple(results), tuple(months))


async def _class(reports: ReportService, uow, viewer: Viewer, name: str):
    try:
        return await reports._class(uow, viewer, name)
    except NotFound as exc:
        if exc.facts.get("entity") == "class":
            raise UnknownClass(name) from None
        raise


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
