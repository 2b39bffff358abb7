"""An in-memory unit of work implementing ``core.ports`` for core tests: no database.

Entities are kept as the very objects added, so changing one and committing "saves" it, the
way the real unit of work tracks loaded entities. A rollback restores a snapshot.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from core import model as m
from core.events import Event

T = TypeVar("T")
# The tables of the access triggers (migrations 0004, 0005) besides `accounts`, by the fake
# store's names.
ACCESS_TABLES = (
    "account_links",
    "staff",
    "staff_roles",
    "teachings",
    "classes",
    "years",
    "guardians",
    "guardian_links",
    "students",
    "class_history",
    "subgroup_members",
)


class FakeRepo(Generic[T]):
    def __init__(self, store: FakeStore, name: str) -> None:
        self._store = store
        self._name = name

    @property
    def rows(self) -> dict[int, Any]:
        return self._store.tables.setdefault(self._name, {})

    def _where(self, pred: Callable[[Any], bool], key: Callable[[Any], Any] | None = None) -> list:
        found = [e for e in self.rows.values() if pred(e)]
        return sorted(found, key=key or (lambda e: e.id))

    async def get(self, entity_id: int) -> T | None:
        return self.rows.get(entity_id)

    async def add(self, entity: T) -> T:
        if entity.id is None:  # type: ignore[attr-defined]
            entity.id = self._store.next_id()  # type: ignore[attr-defined]
        self.rows[entity.id] = entity  # type: ignore[attr-defined]
        return entity

    async def add_all(self, entities: Sequence[T]) -> None:
        for e in entities:
            await self.add(e)

    async def list_all(self) -> list[T]:
        return self._where(lambda e: True)


class Schools(FakeRepo[m.School]):
    async def first(self):
        rows = await self.list_all()
        return rows[0] if rows else None


class WorkTypes(FakeRepo[m.WorkType]):
    async def for_school(self, school_id):
        return self._where(lambda e: e.school_id == school_id)


class Years(FakeRepo[m.SchoolYear]):
    async def containing(self, day):
        found = self._where(lambda e: e.starts_on <= day <= e.ends_on)
        return found[0] if found else None


class Periods(FakeRepo[m.Period]):
    async def for_year(self, year_id):
        return self._where(lambda e: e.year_id == year_id, key=lambda e: e.starts_on)


class Holidays(FakeRepo[m.Holiday]):
    async def for_year(self, year_id):
        return self._where(lambda e: e.year_id == year_id, key=lambda e: e.starts_on)

    async def remove(self, entities):
        for holiday in entities:
            self.rows.pop(holiday.id, None)


class Bells(FakeRepo[m.Bell]):
    async def for_school(self, school_id):
        return self._where(lambda e: e.school_id == school_id, key=lambda e: e.slot)


class Subjects(FakeRepo[m.Subject]):
    async def for_school(self, school_id):
        return self._where(lambda e: e.school_id == school_id)


class Classes(FakeRepo[m.ClassGroup]):
    async def for_year(self, year_id):
        return self._where(lambda e: e.year_id == year_id, key=lambda e: (e.grade, e.letter))

    async def by_name(self, year_id, grade, letter):
        found = self._where(
            lambda e: e.year_id == year_id and e.grade == grade and e.letter == letter
        )
        return found[0] if found else None


class Subgroups(FakeRepo[m.Subgroup]):
    async def for_class(self, class_id):
        return self._where(lambda e: e.class_id == class_id)

    async def add_member(self, member):
        member.id = self._store.next_id()
        self._store.tables.setdefault("subgroup_members", {})[member.id] = member

    def _members(self) -> list[m.SubgroupMember]:
        return list(self._store.tables.get("subgroup_members", {}).values())

    async def member_ids(self, subgroup_id, on=None):
        return [
            x.student_id
            for x in self._members()
            if x.subgroup_id == subgroup_id and (on is None or x.covers(on))
        ]

    async def of_student(self, student_id, on=None):
        return frozenset(
            x.subgroup_id
            for x in self._members()
            if x.student_id == student_id and (on is None or x.covers(on))
        )

    async def memberships(self, student_ids):
        wanted = set(student_ids)
        return sorted((x for x in self._members() if x.student_id in wanted), key=lambda x: x.id)


class StaffMembers(FakeRepo[m.Staff]):
    async def many(self, ids):
        wanted = set(ids)
        return self._where(lambda e: e.id in wanted)


class StaffRoles(FakeRepo[m.StaffRole]):
    async def for_staff(self, staff_id):
        return self._where(lambda e: e.staff_id == staff_id)

    async def remove(self, entities):
        for e in entities:
            self.rows.pop(e.id, None)


class Teachings(FakeRepo[m.Teaching]):
    async def for_staff(self, staff_id, on=None):
        return self._where(lambda e: e.staff_id == staff_id and (on is None or e.active_on(on)))

    async def for_class(self, class_id, on=None):
        return self._where(lambda e: e.class_id == class_id and (on is None or e.active_on(on)))


class Students(FakeRepo[m.Student]):
    def _history(self) -> list[m.ClassMembership]:
        return list(self._store.tables.get("class_history", {}).values())

    async def in_class(self, class_id, on=None):
        if on is not None:
            return await self.in_class_between(class_id, on, on)
        before = {h.student_id for h in self._history() if h.class_id == class_id}
        return self._where(
            lambda e: e.class_id == class_id or e.id in before,
            key=lambda e: (e.last_name, e.first_name, e.id),
        )

    async def in_class_between(self, class_id, start, end):
        before = {
            h.student_id
            for h in self._history()
            if h.class_id == class_id and h.starts_on <= end and h.ends_on >= start
        }

        def member(e: m.Student) -> bool:
            now = (
                e.class_id == class_id
                and (e.class_since is None or e.class_since <= end)
                and (e.arrived_on is None or e.arrived_on <= end)
                and (e.left_on is None or e.left_on >= start)
            )
            return now or e.id in before

        return self._where(member, key=lambda e: (e.last_name, e.first_name, e.id))

    async def many(self, ids):
        wanted = set(ids)
        return self._where(lambda e: e.id in wanted)


class ClassHistory(FakeRepo[m.ClassMembership]):
    async def for_student(self, student_id):
        return self._where(lambda e: e.student_id == student_id, key=lambda e: (e.starts_on, e.id))

    async def for_students(self, student_ids):
        wanted = set(student_ids)
        return self._where(lambda e: e.student_id in wanted)

    async def between(self, start, end):
        return self._where(lambda e: e.ends_on >= start and e.starts_on <= end)

    async def remove(self, entities):
        for row in entities:
            self.rows.pop(row.id, None)


class Guardians(FakeRepo[m.Guardian]):
    async def many(self, ids):
        wanted = set(ids)
        return self._where(lambda e: e.id in wanted)

    async def with_links(self, guardian_id):
        guardian = self.rows.get(guardian_id)
        if guardian is None:
            return None, []
        links = self._store.tables.get("guardian_links", {}).values()
        return guardian, sorted(
            (x for x in links if x.guardian_id == guardian_id and x.active), key=lambda x: x.id
        )


class GuardianLinks(FakeRepo[m.GuardianLink]):
    async def for_guardian(self, guardian_id):
        return self._where(lambda e: e.guardian_id == guardian_id and e.active)

    async def for_student(self, student_id):
        return self._where(lambda e: e.student_id == student_id and e.active)

    async def for_students(self, student_ids):
        wanted = set(student_ids)
        return self._where(lambda e: e.student_id in wanted and e.active)


class Timetable(FakeRepo[m.TimetableEntry]):
    async def for_class(self, class_id):
        return self._where(lambda e: e.class_id == class_id, key=lambda e: (e.weekday, e.slot))

    async def for_school_year(self, year_id):
        classes = {
            c.id for c in self._store.tables.get("classes", {}).values() if c.year_id == year_id
        }
        return self._where(lambda e: e.class_id in classes, key=lambda e: (e.weekday, e.slot))


def _by_day_slot(e: m.Lesson) -> tuple:
    return (e.day, e.slot, e.id)


class Lessons(FakeRepo[m.Lesson]):
    async def for_class(self, class_id, start, end):
        return self._where(
            lambda e: e.class_id == class_id and start <= e.day <= end, key=_by_day_slot
        )

    async def for_teacher(self, staff_id, start, end):
        return self._where(
            lambda e: e.conducted_by == staff_id and start <= e.day <= end, key=_by_day_slot
        )

    async def find(self, class_id, day, slot, subgroup_id):
        found = self._where(
            lambda e: (
                (e.class_id, e.day, e.slot, e.subgroup_id) == (class_id, day, slot, subgroup_id)
            )
        )
        return found[0] if found else None

    async def many(self, ids):
        wanted = set(ids)
        return self._where(lambda e: e.id in wanted)

    async def count_by_subject(self, class_id, start, end, subgroup_ids):
        counts: dict[int, int] = {}
        for e in self.rows.values():
            if (
                e.class_id == class_id
                and start <= e.day <= end
                and e.status != m.LessonStatus.CANCELLED
                and (e.subgroup_id is None or e.subgroup_id in subgroup_ids)
            ):
                counts[e.subject_id] = counts.get(e.subject_id, 0) + 1
        return counts

    async def between(self, start, end):
        return self._where(
            lambda e: start <= e.day <= end, key=lambda e: (e.class_id, e.day, e.slot, e.id)
        )

    async def with_records(self, lesson_ids):
        wanted = set(lesson_ids)
        return frozenset(
            x.lesson_id
            for table in ("marks", "attendance", "remarks", "homework")
            for x in self._store.tables.get(table, {}).values()
            if x.lesson_id in wanted
        )

    async def remove(self, entities):
        for lesson in entities:
            self.rows.pop(lesson.id, None)


class HomeworkItems(FakeRepo[m.Homework]):
    async def for_lesson(self, lesson_id):
        found = self._where(lambda e: e.lesson_id == lesson_id)
        return found[0] if found else None

    async def due_for_class(self, class_id, start, end):
        return self._where(
            lambda e: e.class_id == class_id and start <= e.due_on <= end,
            key=lambda e: (e.due_on, e.id),
        )

    async def for_lessons(self, lesson_ids):
        wanted = set(lesson_ids)
        return self._where(lambda e: e.lesson_id in wanted)

    async def lessons_with_homework(self, lesson_ids):
        return frozenset(h.lesson_id for h in await self.for_lessons(lesson_ids))


class Marks(FakeRepo[m.Mark]):
    async def for_student(self, student_id, start, end):
        return self._where(
            lambda e: e.student_id == student_id and e.current and start <= e.day <= end,
            key=lambda e: (e.day, e.id),
        )

    async def lines_for_student(self, student_id, start, end):
        found = await self.for_student(student_id, start, end)
        return [m.MarkLine(*(getattr(e, name) for name in m.MarkLine._fields)) for e in found]

    async def corrections(self, student_id, start, end):
        return frozenset(
            e.superseded_by
            for e in self._where(lambda e: e.student_id == student_id and start <= e.day <= end)
            if e.superseded_by is not None
        )

    async def for_lesson(self, lesson_id):
        return self._where(lambda e: e.lesson_id == lesson_id and e.current)

    async def history(self, student_id):
        return self._where(lambda e: e.student_id == student_id, key=lambda e: (e.created_at, e.id))

    async def latest(self, student_id, limit, subject_ids=None):
        found = self._where(
            lambda e: (
                e.student_id == student_id
                and e.current
                and (subject_ids is None or e.subject_id in subject_ids)
            ),
            key=lambda e: (e.day, e.id),
        )
        return found[::-1][:limit]

    async def for_students(self, student_ids, start, end, subject_id=None):
        wanted = set(student_ids)
        return self._where(
            lambda e: (
                e.student_id in wanted
                and e.current
                and start <= e.day <= end
                and (subject_id is None or e.subject_id == subject_id)
            ),
            key=lambda e: (e.student_id, e.day, e.id),
        )

    async def facts_for_students(self, student_ids, start, end):
        found = await self.for_students(student_ids, start, end)
        return [m.MarkFact(*(getattr(e, name) for name in m.MarkFact._fields)) for e in found]


class Attendance(FakeRepo[m.AttendanceRecord]):
    async def find(self, lesson_id, student_id):
        found = self._where(lambda e: e.lesson_id == lesson_id and e.student_id == student_id)
        return found[0] if found else None

    async def remove(self, record):
        for letter in self._store.tables.get("letters", {}).values():
            if letter.attendance_id == record.id:
                letter.attendance_id = None
        self.rows.pop(record.id, None)

    async def for_lesson(self, lesson_id):
        return self._where(lambda e: e.lesson_id == lesson_id)

    async def for_student(self, student_id, start, end):
        return self._where(
            lambda e: e.student_id == student_id and start <= e.day <= end,
            key=lambda e: (e.day, e.id),
        )

    async def for_class(self, class_id, start, end):
        lessons = {
            x.id for x in self._store.tables.get("lessons", {}).values() if x.class_id == class_id
        }
        return self._where(
            lambda e: e.lesson_id in lessons and start <= e.day <= end,
            key=lambda e: (e.day, e.id),
        )


class Finals(FakeRepo[m.FinalMark]):
    async def for_student(self, student_id, year_id):
        return self._where(
            lambda e: (
                e.student_id == student_id and e.year_id == year_id and e.superseded_at is None
            )
        )

    async def lines_for_student(self, student_id, year_id):
        found = await self.for_student(student_id, year_id)
        return [m.FinalLine(*(getattr(e, name) for name in m.FinalLine._fields)) for e in found]

    async def for_students(self, student_ids, year_id, subject_id=None):
        wanted = set(student_ids)
        return self._where(
            lambda e: (
                e.student_id in wanted
                and e.year_id == year_id
                and e.superseded_at is None
                and (subject_id is None or e.subject_id == subject_id)
            )
        )


class Remarks(FakeRepo[m.Remark]):
    async def for_student(self, student_id, start, end):
        return self._where(
            lambda e: e.student_id == student_id and start <= e.day <= end,
            key=lambda e: (e.day, e.id),
        )

    async def for_lesson(self, lesson_id):
        return self._where(lambda e: e.lesson_id == lesson_id)


class Audit(FakeRepo[m.AuditEntry]):
    async def for_student(self, student_id, reads=None):
        return self._where(
            lambda e: e.student_id == student_id and (reads is None or e.is_read == reads)
        )

    async def for_actor(self, staff_id):
        return self._where(lambda e: e.actor_id == staff_id)

    async def changes_between(self, start, end, actions):
        return self._where(
            lambda e: start <= e.at < end and not e.is_read and e.action in actions,
            key=lambda e: (e.at, e.id),
        )


class FinalAcks(FakeRepo[m.FinalAck]):
    async def for_students(self, student_ids, period_id):
        wanted = set(student_ids)
        return self._where(
            lambda e: e.student_id in wanted and e.period_id == period_id,
            key=lambda e: (e.at, e.id),
        )


class Invites(FakeRepo[m.Invite]):
    async def by_hash(self, code_hash):
        found = self._where(lambda e: e.code_hash == code_hash)
        return found[0] if found else None

    async def for_person(self, role, person_id):
        return self._where(lambda e: (e.role, e.person_id) == (role, person_id))

    async def claim(self, invite, at, account_id):
        if invite.used_at is not None or invite.revoked_at is not None:
            return False
        invite.used_at, invite.used_by = at, account_id
        return True


class Accounts(FakeRepo[m.Account]):
    async def by_external(self, messenger, external_id):
        found = self._where(lambda e: (e.messenger, e.external_id) == (messenger, external_id))
        return found[0] if found else None

    async def many(self, ids):
        wanted = set(ids)
        return self._where(lambda e: e.id in wanted)

    async def by_external_with_links(self, messenger, external_id):
        account = await self.by_external(messenger, external_id)
        if account is None:
            return None, []
        links = self._store.tables.get("account_links", {}).values()
        active = [x for x in links if x.account_id == account.id and x.unlinked_at is None]
        return account, sorted(active, key=lambda x: x.id)

    async def mark_seen(self, seen):
        for account in await self.many(list(seen)):
            at = seen[account.id]
            if account.last_seen_at is None or account.last_seen_at < at:
                account.last_seen_at = at

    async def access_version(self):
        # A digest of what the database's triggers watch (migration 0004): it changes exactly
        # when that does. An account counts by its language and whether it is active.
        tables = self._store.tables
        accounts = [(a.id, a.locale, a.active) for a in tables.get("accounts", {}).values()]
        watched = [repr(sorted(tables.get(name, {}).items())) for name in ACCESS_TABLES]
        return hash((tuple(accounts), *watched))


class AccountLinks(FakeRepo[m.AccountLink]):
    async def active_for_account(self, account_id):
        return self._where(lambda e: e.account_id == account_id and e.unlinked_at is None)

    async def active_for_person(self, role, person_id):
        return self._where(
            lambda e: e.role == role and e.person_id == person_id and e.unlinked_at is None
        )

    async def active_for_people(self, role, person_ids):
        wanted = set(person_ids)
        return self._where(
            lambda e: e.role == role and e.person_id in wanted and e.unlinked_at is None
        )


class Deliveries(FakeRepo[m.Delivery]):
    async def pending_in_group(self, account_ids, group_key):
        wanted = set(account_ids)
        return self._where(
            lambda e: (
                e.account_id in wanted
                and e.group_key == group_key
                and e.status == m.DeliveryStatus.PENDING
            )
        )

    async def existing_keys(self, keys):
        wanted = set(keys)
        return frozenset(e.dedup_key for e in self.rows.values() if e.dedup_key in wanted)

    async def for_broadcast(self, broadcast_id):
        return self._where(lambda e: e.broadcast_id == broadcast_id)


class Broadcasts(FakeRepo[m.Broadcast]):
    async def for_class(self, class_id):
        found = self._where(lambda e: e.class_id == class_id, key=lambda e: (e.created_at, e.id))
        return found[::-1]


class Letters(FakeRepo[m.Letter]):
    async def for_student(self, student_id):
        return self._where(lambda e: e.student_id == student_id)

    async def unanswered(self, to_role, to_ids):
        answered = {e.reply_to for e in self.rows.values()}
        return self._where(
            lambda e: e.to_role == to_role and e.to_id in to_ids and e.id not in answered
        )


class JournalRemarks(FakeRepo[m.JournalRemark]):
    async def open_for(self, teacher_id):
        return self._where(
            lambda e: e.teacher_id == teacher_id and e.fixed_at is None, key=lambda e: e.due_on
        )

    async def open_all(self):
        return self._where(lambda e: e.fixed_at is None, key=lambda e: e.due_on)

    async def between(self, start, end):
        return self._where(lambda e: start <= e.created_at < end, key=lambda e: e.created_at)


class Printouts(FakeRepo[m.Printout]):
    async def for_class(self, class_id):
        found = self._where(lambda e: e.class_id == class_id, key=lambda e: e.printed_at)
        return found[::-1]


REPOS: dict[str, type[FakeRepo]] = {
    "schools": Schools,
    "work_types": WorkTypes,
    "years": Years,
    "periods": Periods,
    "holidays": Holidays,
    "bells": Bells,
    "subjects": Subjects,
    "classes": Classes,
    "subgroups": Subgroups,
    "staff": StaffMembers,
    "staff_roles": StaffRoles,
    "teachings": Teachings,
    "students": Students,
    "class_history": ClassHistory,
    "guardians": Guardians,
    "guardian_links": GuardianLinks,
    "timetable": Timetable,
    "lessons": Lessons,
    "homework": HomeworkItems,
    "marks": Marks,
    "attendance": Attendance,
    "finals": Finals,
    "remarks": Remarks,
    "audit": Audit,
    "invites": Invites,
    "accounts": Accounts,
    "account_links": AccountLinks,
    "deliveries": Deliveries,
    "broadcasts": Broadcasts,
    "letters": Letters,
    "final_acks": FinalAcks,
    "journal_remarks": JournalRemarks,
    "printouts": Printouts,
}


@dataclass
class FakeStore:
    """The "database" the fake units of work share; ``outbox`` holds committed events."""

    tables: dict[str, dict[int, Any]] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)
    commits: int = 0
    _ids: int = 0
    fanout: Any = None  # a core.ports.EventFanout, as the real unit of work takes one

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def uow(self, *, readonly: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def events(self, kind: type[Event] | None = None) -> list[Event]:
        return [e for e in self.outbox if kind is None or isinstance(e, kind)]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._events: list[Event] = []
        self._committed = False
        for name, cls in REPOS.items():
            setattr(self, name, cls(store, name))

    async def __aenter__(self) -> FakeUnitOfWork:
        self._snapshot = (copy.deepcopy(self._store.tables), self._store._ids)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if not self._committed:
            await self.rollback()

    def emit(self, event: Event) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        fanout = self._store.fanout
        if self._events and fanout is not None:
            await fanout.fan_out(self, tuple(self._events))
        self._store.outbox.extend(self._events)
        had_events = bool(self._events)
        self._events.clear()
        self._store.commits += 1
        self._committed = True
        self._snapshot = (copy.deepcopy(self._store.tables), self._store._ids)
        if had_events and fanout is not None:
            fanout.committed()

    async def rollback(self) -> None:
        tables, ids = self._snapshot
        # The store gets the committed copies back; objects the test held from this unit of
        # work are detached, as after a real rollback: re-read them from a new unit of work.
        self._store.tables.clear()
        self._store.tables.update(tables)
        self._store._ids = ids
        self._events.clear()
