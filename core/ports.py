"""The ports the core needs from storage: repositories and a unit of work.

Repositories never commit; the unit of work does, once, and writes the emitted events into
the outbox in the same transaction. Entities loaded through a unit of work are tracked:
changing an attribute and committing saves it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar

from core.events import Event
from core.model import (
    Account,
    AccountLink,
    AttendanceRecord,
    AuditEntry,
    Bell,
    Broadcast,
    ClassGroup,
    ClassMembership,
    Delivery,
    FinalAck,
    FinalLine,
    FinalMark,
    Guardian,
    GuardianLink,
    Holiday,
    Homework,
    Invite,
    JournalRemark,
    Lesson,
    Letter,
    Mark,
    MarkFact,
    MarkLine,
    Period,
    PersonRole,
    Printout,
    Remark,
    School,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    Teaching,
    TimetableEntry,
    WorkType,
)

T = TypeVar("T")


class Repository(Protocol[T]):
    async def get(self, entity_id: int) -> T | None: ...

    async def add(self, entity: T) -> T:
        """Stage the entity and assign its id (flushes)."""
        ...

    async def add_all(self, entities: Sequence[T]) -> None:
        """Stage many at once and assign their ids."""
        ...

    async def list_all(self) -> list[T]: ...


class SchoolRepo(Repository[School], Protocol):
    async def first(self) -> School | None: ...


class WorkTypeRepo(Repository[WorkType], Protocol):
    async def for_school(self, school_id: int) -> list[WorkType]: ...


class YearRepo(Repository[SchoolYear], Protocol):
    async def containing(self, day: date) -> SchoolYear | None: ...


class PeriodRepo(Repository[Period], Protocol):
    async def for_year(self, year_id: int) -> list[Period]:
        """Ordered by start."""
        ...


class HolidayRepo(Repository[Holiday], Protocol):
    async def for_year(self, year_id: int) -> list[Holiday]: ...

    async def remove(self, entities: Sequence[Holiday]) -> None: ...


class BellRepo(Repository[Bell], Protocol):
    async def for_school(self, school_id: int) -> list[Bell]:
        """Ordered by slot."""
        ...


class SubjectRepo(Repository[Subject], Protocol):
    async def for_school(self, school_id: int) -> list[Subject]: ...


class ClassRepo(Repository[ClassGroup], Protocol):
    async def for_year(self, year_id: int) -> list[ClassGroup]:
        """Ordered by grade, then letter."""
        ...

    async def by_name(self, year_id: int, grade: int, letter: str) -> ClassGroup | None: ...


class SubgroupRepo(Repository[Subgroup], Protocol):
    async def for_class(self, class_id: int) -> list[Subgroup]: ...

    async def add_member(self, member: SubgroupMember) -> None: ...

    async def member_ids(self, subgroup_id: int, on: date | None = None) -> list[int]:
        """Its members on ``on``; everyone who ever was, without it."""
        ...

    async def of_student(self, student_id: int, on: date | None = None) -> frozenset[int]:
        """The student's subgroups on ``on``; every one they were ever in, without it."""
        ...

    async def memberships(self, student_ids: Sequence[int]) -> list[SubgroupMember]:
        """Every subgroup membership of these students, ended ones too, by id."""
        ...


class StaffRepo(Repository[Staff], Protocol):
    async def many(self, ids: Sequence[int]) -> list[Staff]: ...


class StaffRoleRepo(Repository[StaffRole], Protocol):
    async def for_staff(self, staff_id: int) -> list[StaffRole]: ...

    async def remove(self, entities: Sequence[StaffRole]) -> None:
        """A role the staff file no longer gives: the rights it carried end with it."""
        ...


class TeachingRepo(Repository[Teaching], Protocol):
    async def for_staff(self, staff_id: int, on: date | None = None) -> list[Teaching]:
        """Active on ``on``; every one, ended ones too, without it."""
        ...

    async def for_class(self, class_id: int, on: date | None = None) -> list[Teaching]:
        """Active on ``on``; every one, ended ones too, without it."""
        ...


class StudentRepo(Repository[Student], Protocol):
    async def in_class(self, class_id: int, on: date | None = None) -> list[Student]:
        """Ordered by surname: those in the class on ``on`` (moved in or out, arrived or
        left, by the day); without it, everyone who was ever in it."""
        ...

    async def in_class_between(self, class_id: int, start: date, end: date) -> list[Student]:
        """Ordered by surname: those in the class on any day of [start, end]."""
        ...

    async def many(self, ids: Sequence[int]) -> list[Student]: ...


class ClassHistoryRepo(Repository[ClassMembership], Protocol):
    """The classes students were in before their current one."""

    async def for_student(self, student_id: int) -> list[ClassMembership]:
        """By start."""
        ...

    async def for_students(self, student_ids: Sequence[int]) -> list[ClassMembership]: ...

    async def between(self, start: date, end: date) -> list[ClassMembership]:
        """Memberships that overlap [start, end]."""
        ...

    async def remove(self, entities: Sequence[ClassMembership]) -> None:
        """Only a transfer taken back the day it was made: history is never deleted."""
        ...


class GuardianRepo(Repository[Guardian], Protocol):
    async def many(self, ids: Sequence[int]) -> list[Guardian]: ...

    async def with_links(self, guardian_id: int) -> tuple[Guardian | None, list[GuardianLink]]:
        """The guardian and their active links to children, by link id, in one query."""
        ...


class GuardianLinkRepo(Repository[GuardianLink], Protocol):
    """Ended links are history: every reader but ``list_all`` gives active links only."""

    async def for_guardian(self, guardian_id: int) -> list[GuardianLink]: ...

    async def for_student(self, student_id: int) -> list[GuardianLink]: ...

    async def for_students(self, student_ids: Sequence[int]) -> list[GuardianLink]:
        """The links of these students, by id."""
        ...


class TimetableRepo(Repository[TimetableEntry], Protocol):
    async def for_class(self, class_id: int) -> list[TimetableEntry]: ...

    async def for_school_year(self, year_id: int) -> list[TimetableEntry]: ...


class LessonRepo(Repository[Lesson], Protocol):
    async def for_class(self, class_id: int, start: date, end: date) -> list[Lesson]:
        """Lessons of the class and of all its subgroups, by day and slot, ends included."""
        ...

    async def for_teacher(self, staff_id: int, start: date, end: date) -> list[Lesson]:
        """Lessons taught or substituted by this teacher, by day and slot."""
        ...

    async def find(
        self, class_id: int, day: date, slot: int, subgroup_id: int | None
    ) -> Lesson | None: ...

    async def many(self, ids: Sequence[int]) -> list[Lesson]:
        """By id; unknown ids are skipped."""
        ...

    async def count_by_subject(
        self, class_id: int, start: date, end: date, subgroup_ids: Collection[int]
    ) -> dict[int, int]:
        """Lessons in [start, end] that are not cancelled, of the class as a whole and of these
        subgroups only, counted by subject id (one aggregate query)."""
        ...

    async def between(self, start: date, end: date) -> list[Lesson]:
        """Every lesson of the school in [start, end], by class, day and slot."""
        ...

    async def with_records(self, lesson_ids: Sequence[int]) -> frozenset[int]:
        """Which of these lessons have marks (superseded too), attendance, remarks or
        homework."""
        ...

    async def remove(self, entities: Sequence[Lesson]) -> None:
        """Delete lessons that have no records (the planner's, never the journal's)."""
        ...


class HomeworkRepo(Repository[Homework], Protocol):
    async def for_lesson(self, lesson_id: int) -> Homework | None: ...

    async def due_for_class(self, class_id: int, start: date, end: date) -> list[Homework]:
        """Homework of the class and its subgroups due in [start, end], by due date."""
        ...

    async def for_lessons(self, lesson_ids: Sequence[int]) -> list[Homework]:
        """Homework set at these lessons."""
        ...

    async def lessons_with_homework(self, lesson_ids: Sequence[int]) -> frozenset[int]:
        """Which of these lessons have homework set (the ids only, for a timetable's marks)."""
        ...


class MarkRepo(Repository[Mark], Protocol):
    async def for_student(self, student_id: int, start: date, end: date) -> list[Mark]:
        """Current (not superseded) marks by day, then id."""
        ...

    async def lines_for_student(self, student_id: int, start: date, end: date) -> list[MarkLine]:
        """The same marks as ``for_student``, as plain rows for reading."""
        ...

    async def facts_for_students(
        self, student_ids: Sequence[int], start: date, end: date
    ) -> list[MarkFact]:
        """The current marks of these students in [start, end], as plain rows (reports)."""
        ...

    async def corrections(self, student_id: int, start: date, end: date) -> frozenset[int]:
        """Of the student's marks of these days, the ones that replaced a corrected mark."""
        ...

    async def for_lesson(self, lesson_id: int) -> list[Mark]:
        """Current marks of a lesson."""
        ...

    async def history(self, student_id: int) -> list[Mark]:
        """Every mark of the student, superseded ones included, by creation time."""
        ...

    async def latest(
        self, student_id: int, limit: int, subject_ids: Collection[int] | None = None
    ) -> list[Mark]:
        """The newest ``limit`` current marks (of these subjects, when given), newest first by
        the work's day (the lesson's), then id."""
        ...

    async def for_students(
        self, student_ids: Sequence[int], start: date, end: date, subject_id: int | None = None
    ) -> list[Mark]:
        """Current marks of these students in [start, end] (of one subject, when given), by
        student, day, then id."""
        ...


class AttendanceRepo(Repository[AttendanceRecord], Protocol):
    async def find(self, lesson_id: int, student_id: int) -> AttendanceRecord | None: ...

    async def remove(self, record: AttendanceRecord) -> None:
        """Back to present: the record goes; the audit log keeps what it was, and a letter
        that explained it stays, no longer pointing at it."""
        ...

    async def for_lesson(self, lesson_id: int) -> list[AttendanceRecord]: ...

    async def for_student(
        self, student_id: int, start: date, end: date
    ) -> list[AttendanceRecord]: ...

    async def for_class(self, class_id: int, start: date, end: date) -> list[AttendanceRecord]: ...


class FinalMarkRepo(Repository[FinalMark], Protocol):
    async def for_student(self, student_id: int, year_id: int) -> list[FinalMark]:
        """Current final marks of the student for the year."""
        ...

    async def lines_for_student(self, student_id: int, year_id: int) -> list[FinalLine]:
        """The same final marks as ``for_student``, as plain rows for reading."""
        ...

    async def for_students(
        self, student_ids: Sequence[int], year_id: int, subject_id: int | None = None
    ) -> list[FinalMark]:
        """Current final marks of these students for the year (of one subject, when given)."""
        ...


class RemarkRepo(Repository[Remark], Protocol):
    async def for_student(self, student_id: int, start: date, end: date) -> list[Remark]: ...

    async def for_lesson(self, lesson_id: int) -> list[Remark]: ...


class JournalRemarkRepo(Repository[JournalRemark], Protocol):
    async def open_for(self, teacher_id: int) -> list[JournalRemark]:
        """Not yet fixed, addressed to this teacher; by due date."""
        ...

    async def open_all(self) -> list[JournalRemark]:
        """Not yet fixed, anyone's; by due date."""
        ...

    async def between(self, start: datetime, end: datetime) -> list[JournalRemark]:
        """Written in [start, end); oldest first."""
        ...


class AuditRepo(Repository[AuditEntry], Protocol):
    async def for_student(self, student_id: int, reads: bool | None = None) -> list[AuditEntry]:
        """Entries whose student this is: the reads (True), the changes (False) or all."""
        ...

    async def for_actor(self, staff_id: int) -> list[AuditEntry]: ...

    async def changes_between(
        self, start: datetime, end: datetime, actions: Collection[str]
    ) -> list[AuditEntry]:
        """Changes (not reads) with these actions made in [start, end), oldest first."""
        ...


class InviteRepo(Repository[Invite], Protocol):
    async def by_hash(self, code_hash: str) -> Invite | None: ...

    async def for_person(self, role: PersonRole, person_id: int) -> list[Invite]:
        """Every code issued for this person in this role, used or not, by id."""
        ...

    async def claim(self, invite: Invite, at: datetime, account_id: int) -> bool:
        """Spend the code if nobody has: False when it was used or revoked meanwhile."""
        ...


class AccountRepo(Repository[Account], Protocol):
    async def by_external(self, messenger: str, external_id: str) -> Account | None: ...

    async def by_external_with_links(
        self, messenger: str, external_id: str
    ) -> tuple[Account | None, list[AccountLink]]:
        """The account and its active links, by link id, in one query."""
        ...

    async def many(self, ids: Sequence[int]) -> list[Account]:
        """By id; unknown ids are skipped."""
        ...

    async def mark_seen(self, seen: Mapping[int, datetime]) -> None:
        """Set each account's ``last_seen_at`` unless it is already later; unknown ids are
        skipped. One statement for the lot."""
        ...

    async def access_version(self) -> int:
        """A number that changes, in the same transaction, whenever anything a viewer is built
        from changes (links, roles, teaching, guardianship, consent, a pupil leaving...).
        Compare it for equality only."""
        ...


class AccountLinkRepo(Repository[AccountLink], Protocol):
    async def active_for_account(self, account_id: int) -> list[AccountLink]: ...

    async def active_for_person(self, role: PersonRole, person_id: int) -> list[AccountLink]: ...

    async def active_for_people(
        self, role: PersonRole, person_ids: Sequence[int]
    ) -> list[AccountLink]:
        """Active links to any of these people, by id."""
        ...


class DeliveryRepo(Repository[Delivery], Protocol):
    async def pending_in_group(self, account_ids: Sequence[int], group_key: str) -> list[Delivery]:
        """Unsent rows of these accounts with this group key, by id."""
        ...

    async def existing_keys(self, keys: Sequence[str]) -> frozenset[str]:
        """Which of these dedup keys already have a row."""
        ...

    async def for_broadcast(self, broadcast_id: int) -> list[Delivery]:
        """Every row of a broadcast, by id."""
        ...


class BroadcastRepo(Repository[Broadcast], Protocol):
    async def for_class(self, class_id: int) -> list[Broadcast]:
        """Newest first."""
        ...


class LetterRepo(Repository[Letter], Protocol):
    async def for_student(self, student_id: int) -> list[Letter]: ...

    async def unanswered(self, to_role: PersonRole, to_ids: Sequence[int]) -> list[Letter]:
        """Letters to these people (of this role) that no letter answers yet, by id."""
        ...


class PrintoutRepo(Repository[Printout], Protocol):
    async def for_class(self, class_id: int) -> list[Printout]:
        """Newest first."""
        ...


class FinalAckRepo(Repository[FinalAck], Protocol):
    async def for_students(self, student_ids: Sequence[int], period_id: int) -> list[FinalAck]:
        """The acknowledgements of these children's marks for the period, oldest first."""
        ...


class UnitOfWork(Protocol):
    schools: SchoolRepo
    work_types: WorkTypeRepo
    years: YearRepo
    periods: PeriodRepo
    holidays: HolidayRepo
    bells: BellRepo
    subjects: SubjectRepo
    classes: ClassRepo
    subgroups: SubgroupRepo
    staff: StaffRepo
    staff_roles: StaffRoleRepo
    teachings: TeachingRepo
    students: StudentRepo
    class_history: ClassHistoryRepo
    guardians: GuardianRepo
    guardian_links: GuardianLinkRepo
    timetable: TimetableRepo
    lessons: LessonRepo
    homework: HomeworkRepo
    marks: MarkRepo
    attendance: AttendanceRepo
    finals: FinalMarkRepo
    remarks: RemarkRepo
    journal_remarks: JournalRemarkRepo
    audit: AuditRepo
    invites: InviteRepo
    accounts: AccountRepo
    account_links: AccountLinkRepo
    deliveries: DeliveryRepo
    broadcasts: BroadcastRepo
    letters: LetterRepo
    final_acks: FinalAckRepo
    printouts: PrintoutRepo

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed."""
        ...

    def emit(self, event: Event) -> None:
        """Collect an event; ``commit`` writes it to the outbox with the changes."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        """A new unit of work; ``readonly`` ones take no write lock on SQLite."""
        ...


class EventFanout(Protocol):
    """Turns a transaction's events into per-recipient deliveries, inside that transaction."""

    async def fan_out(self, uow: UnitOfWork, events: Sequence[Event]) -> None: ...

    def committed(self) -> None:
        """Called after a commit with events: wakes a delivery worker in this process."""
        ...
