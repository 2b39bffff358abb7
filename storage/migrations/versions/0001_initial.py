"""Initial schema: every table of storage.tables.

Revision ID: 0001
Revises: -
Create Date: 2026-11-22 19:15:57.629725
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("messenger", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locale", sa.String(length=16), server_default="ru", nullable=False),
        sa.Column("display_name", sa.String(), server_default="", nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_to", sa.Time(), nullable=True),
        sa.Column("notify_marks", sa.String(length=16), server_default="each", nullable=False),
        sa.Column("notify_homework", sa.Boolean(), nullable=False),
        sa.Column("notify_attendance", sa.Boolean(), nullable=False),
        sa.Column("notify_anytime_finals", sa.Boolean(), nullable=False),
        sa.Column("digest_at", sa.Time(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "messenger", "external_id", name=op.f("uq_accounts_messenger_external_id")
        ),
    )
    op.create_table(
        "guardians",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("middle_name", sa.String(), server_default="", nullable=False),
        sa.Column("phone", sa.String(), server_default="", nullable=False),
        sa.Column("email", sa.String(), server_default="", nullable=False),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardians")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="new", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_status_id"), ["status", "id"], unique=False)

    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("rounding_threshold", sa.String(length=16), nullable=False),
        sa.Column("min_marks_for_period", sa.Integer(), nullable=False),
        sa.Column("final_window_open_days", sa.Integer(), nullable=False),
        sa.Column("final_window_grace_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("middle_name", sa.String(), server_default="", nullable=False),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
    )
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_links_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_links_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_links_role_person_id"), ["role", "person_id"], unique=False
        )

    op.create_table(
        "bells",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_bells_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bells")),
    )
    with op.batch_alter_table("bells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bells_school_id"), ["school_id"], unique=False)

    op.create_table(
        "school_years",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_school_years_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_years")),
    )
    op.create_table(
        "staff_roles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_roles_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_roles")),
    )
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_roles_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("short", sa.String(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_subjects_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subjects_school_id"), ["school_id"], unique=False)

    op.create_table(
        "work_types",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("short", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("weight", sa.String(length=16), nullable=False),
        sa.Column("written", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_work_types_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_types")),
    )
    with op.batch_alter_table("work_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_types_school_id"), ["school_id"], unique=False)

    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("letter", sa.String(length=8), nullable=False),
        sa.Column("class_teacher_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_teacher_id"], ["staff.id"], name=op.f("fk_classes_class_teacher_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["year_id"], ["school_years.id"], name=op.f("fk_classes_year_id_school_years")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint(
            "year_id", "grade", "letter", name=op.f("uq_classes_year_id_grade_letter")
        ),
    )
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["year_id"], ["school_years.id"], name=op.f("fk_holidays_year_id_school_years")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
    )
    with op.batch_alter_table("holidays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holidays_year_id"), ["year_id"], unique=False)

    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["year_id"], ["school_years.id"], name=op.f("fk_periods_year_id_school_years")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periods")),
    )
    with op.batch_alter_table("periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_periods_year_id"), ["year_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_invites_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_invites_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["accounts.id"], name=op.f("fk_invites_used_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invites_code_hash"), ["code_hash"], unique=True)

    op.create_table(
        "students",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("middle_name", sa.String(), server_default="", nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_students_class_id_classes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_students_class_id"), ["class_id"], unique=False)

    op.create_table(
        "subgroups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_subgroups_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subgroups_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subgroups")),
    )
    with op.batch_alter_table("subgroups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subgroups_class_id"), ["class_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), server_default="", nullable=False),
        sa.Column("after", sa.Text(), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_audit_log_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_audit_log_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_student_id"), ["student_id"], unique=False)

    op.create_table(
        "final_marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_final_marks_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_final_marks_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_final_marks_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_final_marks_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["year_id"], ["school_years.id"], name=op.f("fk_final_marks_year_id_school_years")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_marks")),
    )
    with op.batch_alter_table("final_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_final_marks_student_id_year_id"), ["student_id", "year_id"], unique=False
        )

    op.create_table(
        "guardian_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=32), server_default="parent", nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["guardians.id"], name=op.f("fk_guardian_links_guardian_id_guardians")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_guardian_links_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_links")),
        sa.UniqueConstraint(
            "guardian_id", "student_id", name=op.f("uq_guardian_links_guardian_id_student_id")
        ),
    )
    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardian_links_guardian_id"), ["guardian_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guardian_links_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.Column("substitute_id", sa.Integer(), nullable=True),
        sa.Column("room", sa.String(), server_default="", nullable=False),
        sa.Column("topic", sa.String(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_lessons_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["subgroup_id"], ["subgroups.id"], name=op.f("fk_lessons_subgroup_id_subgroups")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_lessons_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["substitute_id"], ["staff.id"], name=op.f("fk_lessons_substitute_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["staff.id"], name=op.f("fk_lessons_teacher_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
    )
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lessons_class_id_day_slot"), ["class_id", "day", "slot"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lessons_substitute_id_day"), ["substitute_id", "day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lessons_teacher_id_day"), ["teacher_id", "day"], unique=False
        )

    op.create_table(
        "subgroup_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_subgroup_members_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["subgroup_id"],
            ["subgroups.id"],
            name=op.f("fk_subgroup_members_subgroup_id_subgroups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subgroup_members")),
        sa.UniqueConstraint(
            "subgroup_id", "student_id", name=op.f("uq_subgroup_members_subgroup_id_student_id")
        ),
    )
    with op.batch_alter_table("subgroup_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subgroup_members_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "teachings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_teachings_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_teachings_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["subgroup_id"], ["subgroups.id"], name=op.f("fk_teachings_subgroup_id_subgroups")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_teachings_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teachings")),
    )
    with op.batch_alter_table("teachings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teachings_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teachings_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "timetable_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.Column("room", sa.String(), server_default="", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_timetable_entries_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["subgroup_id"],
            ["subgroups.id"],
            name=op.f("fk_timetable_entries_subgroup_id_subgroups"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_timetable_entries_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["staff.id"], name=op.f("fk_timetable_entries_teacher_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_entries")),
    )
    with op.batch_alter_table("timetable_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timetable_entries_class_id"), ["class_id"], unique=False
        )

    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("reason_set_by", sa.Integer(), nullable=True),
        sa.Column("reason_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes_late", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_attendance_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["reason_set_by"], ["staff.id"], name=op.f("fk_attendance_reason_set_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_attendance_recorded_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_attendance_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_attendance_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_lesson_id_student_id"),
            ["lesson_id", "student_id"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_attendance_student_id_day"), ["student_id", "day"], unique=False
        )

    op.create_table(
        "homework",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.Column("attachments", sa.Text(), server_default="[]", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_homework_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_homework_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_homework_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["subgroup_id"], ["subgroups.id"], name=op.f("fk_homework_subgroup_id_subgroups")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_homework_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homework")),
    )
    with op.batch_alter_table("homework", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_homework_class_id_due_on"), ["class_id", "due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_homework_lesson_id"), ["lesson_id"], unique=False)

    op.create_table(
        "marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["staff.id"], name=op.f("fk_marks_author_id_staff")),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_marks_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_marks_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_marks_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["marks.id"], name=op.f("fk_marks_superseded_by_marks")
        ),
        sa.ForeignKeyConstraint(
            ["work_type_id"], ["work_types.id"], name=op.f("fk_marks_work_type_id_work_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marks")),
    )
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marks_lesson_id"), ["lesson_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_marks_student_id_day"), ["student_id", "day"], unique=False
        )

    op.create_table(
        "remarks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_remarks_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_remarks_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_remarks_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_remarks_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remarks")),
    )
    with op.batch_alter_table("remarks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remarks_student_id_day"), ["student_id", "day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remarks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remarks_student_id_day"))

    op.drop_table("remarks")
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marks_student_id_day"))
        batch_op.drop_index(batch_op.f("ix_marks_lesson_id"))

    op.drop_table("marks")
    with op.batch_alter_table("homework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_homework_lesson_id"))
        batch_op.drop_index(batch_op.f("ix_homework_class_id_due_on"))

    op.drop_table("homework")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_student_id_day"))
        batch_op.drop_index(batch_op.f("ix_attendance_lesson_id_student_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("timetable_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timetable_entries_class_id"))

    op.drop_table("timetable_entries")
    with op.batch_alter_table("teachings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teachings_staff_id"))
        batch_op.drop_index(batch_op.f("ix_teachings_class_id"))

    op.drop_table("teachings")
    with op.batch_alter_table("subgroup_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subgroup_members_student_id"))

    op.drop_table("subgroup_members")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lessons_teacher_id_day"))
        batch_op.drop_index(batch_op.f("ix_lessons_substitute_id_day"))
        batch_op.drop_index(batch_op.f("ix_lessons_class_id_day_slot"))

    op.drop_table("lessons")
    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_links_student_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_links_guardian_id"))

    op.drop_table("guardian_links")
    with op.batch_alter_table("final_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_marks_student_id_year_id"))

    op.drop_table("final_marks")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_student_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("subgroups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subgroups_class_id"))

    op.drop_table("subgroups")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_students_class_id"))

    op.drop_table("students")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invites_code_hash"))

    op.drop_table("invites")
    with op.batch_alter_table("periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_periods_year_id"))

    op.drop_table("periods")
    with op.batch_alter_table("holidays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holidays_year_id"))

    op.drop_table("holidays")
    op.drop_table("classes")
    with op.batch_alter_table("work_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_types_school_id"))

    op.drop_table("work_types")
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subjects_school_id"))

    op.drop_table("subjects")
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_roles_staff_id"))

    op.drop_table("staff_roles")
    op.drop_table("school_years")
    with op.batch_alter_table("bells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bells_school_id"))

    op.drop_table("bells")
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_links_role_person_id"))
        batch_op.drop_index(batch_op.f("ix_account_links_account_id"))

    op.drop_table("account_links")
    op.drop_table("staff")
    op.drop_table("schools")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status_id"))

    op.drop_table("outbox")
    op.drop_table("guardians")
    op.drop_table("accounts")
