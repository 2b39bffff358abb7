"""The schema (SQLAlchemy Core tables) and the imperative mapping of the core's dataclasses.

No relationships: rows refer to each other by plain id columns, so what a unit of work loads
is the core's own dataclass, usable after the session has gone.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import registry

from core import model as m
from storage.types import AttachmentList, StrEnumType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, nullable: bool = False) -> Column:
    return Column(name, Integer, ForeignKey(f"{target}.id"), nullable=nullable)


def _str(name: str, default: str | None = None, length: int | None = None) -> Column:
    if default is None:
        return Column(name, String(length), nullable=False)
    return Column(name, String(length), nullable=False, default=default, server_default=default)


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, UTCDateTime(), nullable=nullable)


schools = Table(
    "schools",
    metadata,
    _id(),
    _str("name"),
    _str("timezone", length=64),
    Column("period_kind", StrEnumType(m.PeriodKind, 16), nullable=False),
    _str("rounding_threshold", length=16),
    Column("min_marks_for_period", Integer, nullable=False),
    Column("final_window_open_days", Integer, nullable=False),
    Column("final_window_grace_days", Integer, nullable=False),
    Column("week_days", Integer, nullable=False, default=5, server_default="5"),
)

work_types = Table(
    "work_types",
    metadata,
    _id(),
    _fk("school_id", "schools"),
    _str("code", length=32),
    _str("short", length=16),
    _str("name"),
    _str("weight", length=16),
    Column("written", Boolean, nullable=False),
    Index(None, "school_id"),
)

school_years = Table(
    "school_years",
    metadata,
    _id(),
    _fk("school_id", "schools"),
    _str("name", length=32),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)

periods = Table(
    "periods",
    metadata,
    _id(),
    _fk("year_id", "school_years"),
    Column("kind", StrEnumType(m.PeriodKind, 16), nullable=False),
    Column("number", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    _ts("closed_at", nullable=True),
    _ts("reopened_at", nullable=True),
    Index(None, "year_id"),
)

holidays = Table(
    "holidays",
    metadata,
    _id(),
    _fk("year_id", "school_years"),
    _str("name"),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Index(None, "year_id"),
)

bells = Table(
    "bells",
    metadata,
    _id(),
    _fk("school_id", "schools"),
    Column("slot", Integer, nullable=False),
    Column("starts_at", Time, nullable=False),
    Column("ends_at", Time, nullable=False),
    Index(None, "school_id"),
)

subjects = Table(
    "subjects",
    metadata,
    _id(),
    _fk("school_id", "schools"),
    _str("name"),
    _str("short", ""),
    Index(None, "school_id"),
)

staff = Table(
    "staff",
    metadata,
    _id(),
    _str("last_name"),
    _str("first_name"),
    _str("middle_name", ""),
    Column("source_id", String, nullable=True),
)

classes = Table(
    "classes",
    metadata,
    _id(),
    _fk("year_id", "school_years"),
    Column("grade", Integer, nullable=False),
    _str("letter", length=8),
    _fk("class_teacher_id", "staff", nullable=True),
    Column("source_id", String, nullable=True),
    UniqueConstraint("year_id", "grade", "letter"),
)

subgroups = Table(
    "subgroups",
    metadata,
    _id(),
    _fk("class_id", "classes"),
    _str("name"),
    _fk("subject_id", "subjects", nullable=True),
    Index(None, "class_id"),
)

staff_roles = Table(
    "staff_roles",
    metadata,
    _id(),
    _fk("staff_id", "staff"),
    Column("role", StrEnumType(m.StaffRoleKind, 16), nullable=False),
    Index(None, "staff_id"),
)

teachings = Table(
    "teachings",
    metadata,
    _id(),
    _fk("staff_id", "staff"),
    _fk("subject_id", "subjects"),
    _fk("class_id", "classes"),
    _fk("subgroup_id", "subgroups", nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    Index(None, "staff_id"),
    Index(None, "class_id"),
)

students = Table(
    "students",
    metadata,
    _id(),
    _str("last_name"),
    _str("first_name"),
    _fk("class_id", "classes"),
    _str("middle_name", ""),
    Column("birth_date", Date, nullable=True),
    Column("arrived_on", Date, nullable=True),
    Column("left_on", Date, nullable=True),
    Column("source_id", String, nullable=True),
    Column("class_since", Date, nullable=True),
    Index(None, "class_id"),
)

# The classes a student was in before the current one (students.class_id since class_since).
class_history = Table(
    "class_history",
    metadata,
    _id(),
    _fk("student_id", "students"),
    _fk("class_id", "classes"),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Index(None, "class_id"),
    Index(None, "student_id"),
)

subgroup_members = Table(
    "subgroup_members",
    metadata,
    _id(),
    _fk("subgroup_id", "subgroups"),
    _fk("student_id", "students"),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    UniqueConstraint("subgroup_id", "student_id"),
    Index(None, "student_id"),
)

guardians = Table(
    "guardians",
    metadata,
    _id(),
    _str("last_name"),
    _str("first_name"),
    _str("middle_name", ""),
    _str("phone", ""),
    _str("email", ""),
    Column("source_id", String, nullable=True),
    Column("paper_since", Date, nullable=True),  # refuses electronic access (rule 8)
)

guardian_links = Table(
    "guardian_links",
    metadata,
    _id(),
    _fk("guardian_id", "guardians"),
    _fk("student_id", "students"),
    _str("relation", "parent", length=32),
    _ts("consent_at", nullable=True),
    _ts("ended_at", nullable=True),
    UniqueConstraint("guardian_id", "student_id"),
    Index(None, "guardian_id"),
    Index(None, "student_id"),
)

timetable_entries = Table(
    "timetable_entries",
    metadata,
    _id(),
    _fk("class_id", "classes"),
    Column("weekday", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    _fk("subject_id", "subjects"),
    _fk("teacher_id", "staff"),
    _fk("subgroup_id", "subgroups", nullable=True),
    _str("room", ""),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Index(None, "class_id"),
)

lessons = Table(
    "lessons",
    metadata,
    _id(),
    _fk("class_id", "classes"),
    Column("day", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    _fk("subject_id", "subjects"),
    _fk("teacher_id", "staff"),
    _fk("subgroup_id", "subgroups", nullable=True),
    _fk("substitute_id", "staff", nullable=True),
    _str("room", ""),
    _str("topic", ""),
    Column("status", StrEnumType(m.LessonStatus, 16), nullable=False),
    Column(
        "origin",
        StrEnumType(m.LessonOrigin, 16),
        nullable=False,
        default=m.LessonOrigin.TIMETABLE,
        server_default="timetable",
    ),
    Column("note", Text, nullable=False, default="", server_default=""),
    Index(None, "class_id", "day", "slot"),
    Index(None, "teacher_id", "day"),
    Index(None, "substitute_id", "day"),
)

homework = Table(
    "homework",
    metadata,
    _id(),
    _fk("lesson_id", "lessons"),
    _fk("class_id", "classes"),
    _fk("subject_id", "subjects"),
    Column("day", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("text", Text, nullable=False),
    _fk("author_id", "staff"),
    _ts("created_at"),
    _fk("subgroup_id", "subgroups", nullable=True),
    Column(
        "attachments",
        MutableList.as_mutable(AttachmentList()),
        nullable=False,
        default=list,
        server_default="[]",
    ),
    _ts("updated_at", nullable=True),
    Index(None, "class_id", "due_on"),
    Index(None, "lesson_id"),
)

marks = Table(
    "marks",
    metadata,
    _id(),
    _fk("lesson_id", "lessons"),
    _fk("student_id", "students"),
    _fk("subject_id", "subjects"),
    Column("day", Date, nullable=False),
    Column("value", StrEnumType(m.MarkValue, 8), nullable=False),
    _fk("work_type_id", "work_types"),
    _fk("author_id", "staff"),
    _ts("created_at"),
    Column("comment", Text, nullable=False, default="", server_default=""),
    _ts("superseded_at", nullable=True),
    _fk("superseded_by", "marks", nullable=True),
    _str("source", "", length=255),
    Index(None, "student_id", "day"),
    Index(None, "lesson_id"),
)

attendance = Table(
    "attendance",
    metadata,
    _id(),
    _fk("lesson_id", "lessons"),
    _fk("student_id", "students"),
    _fk("subject_id", "subjects"),
    Column("day", Date, nullable=False),
    Column("kind", StrEnumType(m.AttendanceKind, 16), nullable=False),
    _fk("recorded_by", "staff"),
    _ts("recorded_at"),
    Column("reason", StrEnumType(m.AbsenceReason, 16), nullable=True),
    _fk("reason_set_by", "staff", nullable=True),
    _ts("reason_set_at", nullable=True),
    Column("minutes_late", Integer, nullable=True),
    Column("note", Text, nullable=False, default="", server_default=""),
    Index(None, "student_id", "day"),
    Index(None, "lesson_id", "student_id", unique=True),
)

final_marks = Table(
    "final_marks",
    metadata,
    _id(),
    _fk("student_id", "students"),
    _fk("subject_id", "subjects"),
    _fk("year_id", "school_years"),
    Column("kind", StrEnumType(m.FinalKind, 16), nullable=False),
    Column("value", StrEnumType(m.MarkValue, 8), nullable=False),
    _fk("author_id", "staff"),
    _ts("set_at"),
    _fk("period_id", "periods", nullable=True),
    _ts("superseded_at", nullable=True),
    Index(None, "student_id", "year_id"),
)

remarks = Table(
    "remarks",
    metadata,
    _id(),
    _fk("lesson_id", "lessons"),
    _fk("student_id", "students"),
    _fk("subject_id", "subjects"),
    Column("day", Date, nullable=False),
    Column("kind", StrEnumType(m.RemarkKind, 16), nullable=False),
    Column("text", Text, nullable=False),
    _fk("author_id", "staff"),
    _ts("created_at"),
    Index(None, "student_id", "day"),
)

journal_remarks = Table(
    "journal_remarks",
    metadata,
    _id(),
    _fk("teacher_id", "staff"),
    _fk("class_id", "classes"),
    Column("text", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    _fk("author_id", "staff"),
    _ts("created_at"),
    _fk("subject_id", "subjects", nullable=True),
    _fk("lesson_id", "lessons", nullable=True),
    _fk("period_id", "periods", nullable=True),
    _ts("fixed_at", nullable=True),
    _fk("fixed_by", "staff", nullable=True),
    Index(None, "teacher_id", "fixed_at"),
    Index(None, "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    _ts("at"),
    _fk("actor_id", "staff", nullable=True),
    _str("action", length=64),
    _str("entity", length=64),
    Column("entity_id", Integer, nullable=True),
    _fk("student_id", "students", nullable=True),
    Column("before", Text, nullable=False, default="", server_default=""),
    Column("after", Text, nullable=False, default="", server_default=""),
    Column("reason", Text, nullable=False, default="", server_default=""),
    Column("account_id", Integer, nullable=True),  # no foreign key: the log outlives rows
    _str("channel", default="", length=16),
    Column("is_read", Boolean, nullable=False, default=False, server_default=false()),
    Index(None, "student_id", "is_read", "at"),  # "who looked at this child"
    Index(None, "actor_id"),
)

accounts = Table(
    "accounts",
    metadata,
    _id(),
    _str("messenger", length=32),
    _str("external_id", length=64),
    _ts("created_at"),
    _str("locale", "ru", length=16),
    _str("display_name", ""),
    Column("quiet_from", Time, nullable=True),
    Column("quiet_to", Time, nullable=True),
    _str("notify_marks", "each", length=16),
    Column("notify_homework", Boolean, nullable=False),
    Column("notify_attendance", Boolean, nullable=False),
    Column("notify_anytime_finals", Boolean, nullable=False),
    Column("digest_at", Time, nullable=False),
    Column("active", Boolean, nullable=False),
    _ts("last_seen_at", nullable=True),
    _ts("pushes_chosen_at", nullable=True),  # core.push_choice
    UniqueConstraint("messenger", "external_id"),
)

invites = Table(
    "invites",
    metadata,
    _id(),
    _str("code_hash", length=128),
    Column("role", StrEnumType(m.PersonRole, 16), nullable=False),
    Column("person_id", Integer, nullable=False),  # Guardian, Student or Staff by role
    _ts("created_at"),
    _ts("expires_at"),
    _fk("created_by", "staff", nullable=True),
    _fk("class_id", "classes", nullable=True),
    _ts("used_at", nullable=True),
    _fk("used_by", "accounts", nullable=True),
    _ts("revoked_at", nullable=True),
    Index(None, "code_hash", unique=True),
)

account_links = Table(
    "account_links",
    metadata,
    _id(),
    _fk("account_id", "accounts"),
    Column("role", StrEnumType(m.PersonRole, 16), nullable=False),
    Column("person_id", Integer, nullable=False),  # Guardian, Student or Staff by role
    _ts("linked_at"),
    _ts("unlinked_at", nullable=True),
    Index(None, "account_id"),
    Index(None, "role", "person_id"),
)

broadcasts = Table(
    "broadcasts",
    metadata,
    _id(),
    _fk("class_id", "classes"),
    _fk("author_id", "staff"),
    Column("audience", StrEnumType(m.Audience, 16), nullable=False),
    Column("text", Text, nullable=False),
    _ts("created_at"),
    _fk("subgroup_id", "subgroups", nullable=True),
    Column(
        "attachments",
        MutableList.as_mutable(AttachmentList()),
        nullable=False,
        default=list,
        server_default="[]",
    ),
    _fk("author_account_id", "accounts", nullable=True),
    Column("recipients", Integer, nullable=False, default=0, server_default="0"),
    Column("not_linked", Integer, nullable=False, default=0, server_default="0"),
    Index(None, "class_id"),
)

letters = Table(
    "letters",
    metadata,
    _id(),
    _fk("student_id", "students"),
    Column("from_role", StrEnumType(m.PersonRole, 16), nullable=False),
    Column("from_id", Integer, nullable=False),  # Guardian or Staff by role
    Column("to_role", StrEnumType(m.PersonRole, 16), nullable=False),
    Column("to_id", Integer, nullable=False),
    Column("text", Text, nullable=False),
    _ts("created_at"),
    Column(
        "attachments",
        MutableList.as_mutable(AttachmentList()),
        nullable=False,
        default=list,
        server_default="[]",
    ),
    _fk("broadcast_id", "broadcasts", nullable=True),
    _fk("reply_to", "letters", nullable=True),
    _fk("attendance_id", "attendance", nullable=True),
    Index(None, "student_id"),
)

# Paper diaries printed (rule 8): who, when, which days; printed_by NULL for the scheduler.
printouts = Table(
    "printouts",
    metadata,
    _id(),
    _fk("class_id", "classes"),
    _fk("student_id", "students"),
    _fk("period_id", "periods", nullable=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("pages", Integer, nullable=False),
    _ts("printed_at"),
    _fk("printed_by", "staff", nullable=True),
    Index(None, "class_id", "printed_at"),
    Index(None, "student_id"),
)

# Period marks seen by a guardian (003 reg.3 §6): one row per guardian, child and period.
final_acks = Table(
    "final_acks",
    metadata,
    _id(),
    _fk("guardian_id", "guardians"),
    _fk("student_id", "students"),
    _fk("period_id", "periods"),
    _ts("at"),
    Column("account_id", Integer, nullable=True),  # no foreign key: the record outlives it
    UniqueConstraint("guardian_id", "student_id", "period_id"),
    Index(None, "student_id", "period_id"),
)

# One row per push and recipient; the delivery worker claims them with a lease.
deliveries = Table(
    "deliveries",
    metadata,
    _id(),
    _fk("account_id", "accounts"),
    _str("kind", length=32),
    Column("payload", Text, nullable=False),
    _ts("created_at"),
    _ts("due_at"),
    Column("role", StrEnumType(m.PersonRole, 16), nullable=True),
    Column("person_id", Integer, nullable=True),
    _fk("student_id", "students", nullable=True),
    _str("group_key", "", length=64),
    _fk("broadcast_id", "broadcasts", nullable=True),
    Column("dedup_key", String(128), nullable=True),
    _ts("not_before", nullable=True),
    Column("status", StrEnumType(m.DeliveryStatus, 16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    _ts("leased_until", nullable=True),
    _str("lease_owner", "", length=64),
    # Fencing (storage.delivery_queue): bumped by every claim; a result is written only by
    # the claim that holds the row (or that started its send).
    Column("lease_token", Integer, nullable=False, default=0, server_default="0"),
    Column("sending_token", Integer, nullable=True),  # a send started, its outcome not known
    _ts("doubt_at", nullable=True),  # a later claim found it so: it waits for the sender
    # sends whose outcome was unknown (a timeout, a sender gone): the one allowed repeat
    Column("unknown_sends", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=False, default="", server_default=""),
    _ts("sent_at", nullable=True),
    _str("message_ref", "", length=64),
    _ts("read_at", nullable=True),
    Index(None, "status", "due_at"),
    Index(None, "account_id", "status"),
    Index(None, "broadcast_id"),
    Index(None, "dedup_key", unique=True),
)

# Named leases: one holder at a time (the scheduler of a deployment).
leases = Table(
    "leases",
    metadata,
    _id(),
    _str("name", length=64),
    _str("owner", "", length=128),
    _ts("until", nullable=True),
    Index(None, "name", unique=True),
)

# MAX's string message ids (``mid.…``) numbered for aiogram's int ``message_id`` (bot.max.ids):
# any process (the delivery worker editing a broadcast's progress) finds the same message.
max_message_ids = Table(
    "max_message_ids",
    metadata,
    _id(),
    Column("mid", String(128), nullable=False),
    _ts("created_at"),
    UniqueConstraint("mid"),
)

# A file that arrived in one messenger, as the other knows it once sent there: a Telegram file's
# MAX upload token, a MAX file's Telegram file_id (``ref_hash``: SHA-256 of the origin's ref).
file_copies = Table(
    "file_copies",
    metadata,
    _id(),
    Column("ref_hash", String(64), nullable=False),
    _str("messenger", length=16),
    Column("copy", Text, nullable=False),
    _ts("created_at"),
    UniqueConstraint("ref_hash", "messenger"),
)

# Where MAX's long polling stands: the marker of the next update, written once a batch is
# handled, so a restart neither loses what came meanwhile (MAX hands a poll without a marker only
# its newest update) nor handles a batch again. Not data: a restored old marker would replay.
max_polling = Table(
    "max_polling",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # one row: 1
    Column("marker", BigInteger, nullable=False),
    _ts("updated_at"),
    info={"backup": False},
)

# One row counting changes to whatever a viewer's rights are built from, bumped by triggers
# (migration 0004, its WATCHED tables) in the changing transaction: a process that keeps viewers in
# memory reads this one number to learn that another process (the console) changed access.
# Not data: backups leave it out, and every database has its row from the migration.
access_changes = Table(
    "access_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    info={"backup": False},
)

# The entity each table holds; the unmapped columns belong to the delivery worker alone.
_WORKER_ONLY = ("lease_token", "sending_token", "doubt_at", "unknown_sends")
MAPPINGS: tuple[tuple[type, Table, tuple[str, ...]], ...] = (
    (m.School, schools, ()),
    (m.WorkType, work_types, ()),
    (m.SchoolYear, school_years, ()),
    (m.Period, periods, ()),
    (m.Holiday, holidays, ()),
    (m.Bell, bells, ()),
    (m.Subject, subjects, ()),
    (m.Staff, staff, ()),
    (m.ClassGroup, classes, ()),
    (m.Subgroup, subgroups, ()),
    (m.SubgroupMember, subgroup_members, ()),
    (m.StaffRole, staff_roles, ()),
    (m.Teaching, teachings, ()),
    (m.Student, students, ()),
    (m.ClassMembership, class_history, ()),
    (m.Guardian, guardians, ()),
    (m.GuardianLink, guardian_links, ()),
    (m.TimetableEntry, timetable_entries, ()),
    (m.Lesson, lessons, ()),
    (m.Homework, homework, ()),
    (m.Mark, marks, ()),
    (m.AttendanceRecord, attendance, ()),
    (m.FinalMark, final_marks, ()),
    (m.Remark, remarks, ()),
    (m.JournalRemark, journal_remarks, ()),
    (m.AuditEntry, audit_log, ()),
    (m.Account, accounts, ()),
    (m.Invite, invites, ()),
    (m.AccountLink, account_links, ()),
    (m.Broadcast, broadcasts, ()),
    (m.Letter, letters, ()),
    (m.Printout, printouts, ()),
    (m.FinalAck, final_acks, ()),
    (m.Delivery, deliveries, _WORKER_ONLY),
)

_mapped = False


def map_entities() -> None:
    """Map the core's dataclasses onto the tables; safe to call any number of times."""
    global _mapped
    if _mapped:
        return
    for cls, table, excluded in MAPPINGS:
        mapper_registry.map_imperatively(cls, table, exclude_properties=excluded)
    mapper_registry.configure()
    _mapped = True
