"""What the school still lacks to work today (``schoolbot status``, the top of ``/admin``).

Each finding names what is missing, the facts (which classes, how many), and the console
command that fixes it; the front-ends word it in the reader's language. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core import access, rules
from core.access import Viewer
from core.clock import Clock
from core.model import FinalKind, PersonRole
from core.ports import UnitOfWork, UnitOfWorkFactory

WEEK = timedelta(days=7)
# The roles a staff member's invite may carry (the link is to the staff member either way).
STAFF_INVITES = tuple(r for r in PersonRole if r.is_staff and r != PersonRole.STAFF)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # picks the sentence
    fix: str  # the command that fixes it, as typed at the console
    blocker: bool = True  # the school cannot work without it; else a warning
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Drill:
    """A restore drill: the newest backup restored into a scratch database (rule 12)."""

    ran_at: datetime
    backup: str  # the backup folder's name; "" when none was found
    ok: bool
    problem: str = ""  # why the backup was refused (a backup problem's code), or "counts_differ"
    facts: dict[str, object] = field(default_factory=dict)
    differences: tuple[tuple[str, int, int], ...] = ()  # (table, in the manifest, restored)


@dataclass(frozen=True, slots=True)
class Backups:
    """What the front-end knows of the scheduled backups: BACKUP_DIRS, BACKUP_KEY, the drill."""

    places: int = 0
    keyed: bool = False
    drill: Drill | None = None
    media: int = 0  # the devices the places are on: two places on one disk are one medium


DRILL_STALE = timedelta(days=15)  # weekly drills: two missed in a row


@dataclass(frozen=True, slots=True)
class SchoolStatus:
    today: date
    year: str
    findings: tuple[Finding, ...]
    drill: Drill | None = None  # the last restore drill, shown when it went well

    @property
    def ready(self) -> bool:
        return not any(f.blocker for f in self.findings)


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … (+{len(items) - limit})" if len(items) > limit else "")


@dataclass(frozen=True, slots=True)
class StatusService:
    uow: UnitOfWorkFactory
    clock: Clock

    async def status(self, viewer: Viewer, backups: Backups | None = None) -> SchoolStatus:
        """``backups``: the scheduled backups' places, key and last drill (rule 12)."""
        access.require_private(viewer)
        access.require_administration(viewer)
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            found: list[Finding] = []
            year = await uow.years.containing(today)
            if year is None:
                found.append(Finding("no_year", "schoolbot import roster calendar.csv …"))
                return SchoolStatus(today, "", tuple(found))
            await self._calendar(uow, year.id, year.school_id, today, found)  # type: ignore[arg-type]
            await self._people(uow, year.id, today, found)  # type: ignore[arg-type]
            await self._finals(uow, year.id, year.school_id, today, found)  # type: ignore[arg-type]
        backups = backups or Backups()
        self._backups(backups, found)
        return SchoolStatus(today, year.name, tuple(found), backups.drill)

    def _backups(self, backups: Backups, found: list[Finding]) -> None:
        if backups.places == 0:
            found.append(Finding("no_backups", "BACKUP_DIRS=/backups/a,/mnt/b"))
            return
        # Rule 12 (001 §10.3; 003 §5.6): backups and the archive on at least two media.
        if backups.places == 1:
            found.append(Finding("one_backup_place", "BACKUP_DIRS=/backups/a,/mnt/b", False))
        elif backups.media == 1:
            found.append(Finding("one_backup_medium", "BACKUP_DIRS=/backups/a,/mnt/b", False))
        if not backups.keyed:  # the scheduled backup refuses to run unsigned
            found.append(Finding("no_backup_key", "schoolbot backup key new"))
            return
        drill = backups.drill
        if drill is None:
            found.append(Finding("no_drill", "schoolbot backup drill", False))
            return
        facts: dict[str, object] = {
            "day": drill.ran_at.astimezone(self.clock.tz).date(),
            "backup": drill.backup or "—",
        }
        if not drill.ok:
            found.append(Finding("drill_failed", "schoolbot backup drill", True, facts))
        elif self.clock.now() - drill.ran_at > DRILL_STALE:
            found.append(Finding("drill_stale", "schoolbot backup drill", False, facts))

    async def _calendar(
        self, uow: UnitOfWork, year_id: int, school_id: int, today: date, found: list[Finding]
    ) -> None:
        periods = await uow.periods.for_year(year_id)
        if not periods:
            found.append(Finding("no_periods", "schoolbot import roster calendar.csv"))
        if not await uow.work_types.for_school(school_id):
            found.append(Finding("no_work_types", "schoolbot import roster work_types.csv"))
        if not await uow.bells.for_school(school_id):
            found.append(Finding("no_bells", "schoolbot import timetable bells.csv"))
        lines = [
            e
            for e in await uow.timetable.for_school_year(year_id)
            if e.valid_to is None or e.valid_to >= today
        ]
        if not lines:
            found.append(Finding("no_timetable", "schoolbot import timetable timetable.csv"))
            return
        school = await uow.schools.get(school_id)
        holidays = await uow.holidays.for_year(year_id)
        week = [today + timedelta(days=n) for n in range(1, 8)]
        school_days = [
            d
            for d in week
            if rules.is_school_day(d, periods, holidays, school.week_days if school else 5)
        ]
        if school_days:
            lessons = [x for x in await uow.lessons.between(week[0], week[-1])]
            if not lessons:
                found.append(Finding("no_lessons_ahead", "schoolbot lessons make"))

    async def _people(
        self, uow: UnitOfWork, year_id: int, today: date, found: list[Finding]
    ) -> None:
        classes = await uow.classes.for_year(year_id)
        leaderless = [c.name for c in classes if c.class_teacher_id is None]
        if leaderless:
            found.append(
                Finding(
                    "no_class_teacher",
                    "schoolbot import roster staff.csv",
                    False,
                    {"classes": _names(leaderless), "n": len(leaderless)},
                )
            )
        teachers = {
            e.teacher_id
            for e in await uow.timetable.for_school_year(year_id)
            if e.valid_to is None or e.valid_to >= today
        }
        linked = {
            x.person_id
            for x in await uow.account_links.active_for_people(PersonRole.STAFF, sorted(teachers))
        }
        now = self.clock.now()
        coded = {
            i.person_id
            for sid in teachers - linked
            for role in STAFF_INVITES
            for i in await uow.invites.for_person(role, sid)
            if i.used_at is None and i.revoked_at is None and i.expires_at > now
        }
        offline = sorted(teachers - linked - coded)
        if offline:
            names = [s.short_name for s in await uow.staff.many(offline)]
            found.append(
                Finding(
                    "teachers_not_signed_in",
                    "schoolbot invites --staff --out codes-staff",
                    False,
                    {"teachers": _names(names), "n": len(names)},
                )
            )
        without_codes: list[str] = []
        for cls in classes:
            students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
            if not students:
                continue
            links = await uow.guardian_links.for_students([s.id for s in students])  # type: ignore[misc]
            guardians = sorted({x.guardian_id for x in links})
            coded = {
                i.person_id
                for g in guardians
                for i in await uow.invites.for_person(PersonRole.GUARDIAN, g)
            }
            with_code = {x.student_id for x in links if x.guardian_id in coded}
            if any(s.id not in with_code for s in students):
                without_codes.append(cls.name)
        if without_codes:
            found.append(
                Finding(
                    "guardian_codes_missing",
                    f"schoolbot invites --class {without_codes[0]} --out codes-{without_codes[0]}",
                    False,
                    {"classes": _names(without_codes), "n": len(without_codes)},
                )
            )

    async def _finals(
        self, uow: UnitOfWork, year_id: int, school_id: int, today: date, found: list[Finding]
    ) -> None:
        """A period over and not closed yet, with period marks still missing."""
        school = await uow.schools.get(school_id)
        if school is None:
            return
        for period in await uow.periods.for_year(year_id):
            if period.closed or period.ends_on >= today:
                continue
            missing = 0
            for cls in await uow.classes.for_year(year_id):
                if not rules.graded(cls.grade):
                    continue
                students = await uow.students.in_class(cls.id, on=period.ends_on)  # type: ignore[arg-type]
                ids = [s.id for s in students]
                have = {
                    (f.student_id, f.subject_id)
                    for f in await uow.finals.for_students(ids, year_id)  # type: ignore[arg-type]
                    if f.kind == FinalKind.PERIOD and f.period_id == period.id
                }
                for t in await uow.teachings.for_class(cls.id, on=period.ends_on):  # type: ignore[arg-type]
                    members = ids
                    if t.subgroup_id is not None:
                        group = set(
                            await uow.subgroups.member_ids(t.subgroup_id, on=period.ends_on)
                        )
                        members = [i for i in ids if i in group]
                    missing += sum(1 for i in members if (i, t.subject_id) not in have)
            if missing:
                _, closes = rules.school_final_window(period, school)
                found.append(
                    Finding(
                        "period_marks_missing",
                        f"schoolbot period close {period.number}",
                        False,  # the school works on; the nightly job closes it after the window
                        {
                            "number": period.number,
                            "kind": period.kind.value,  # named «I четверть» where it is shown
                            "missing": missing,
                            "closes": closes,
                        },
                    )
                )
