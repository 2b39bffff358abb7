"""The deputy's remarks on a teacher's journal (#14 item 4; 003 reg.2 §2.1.7, §2.3.1).

``journal_remarks``: a remark on how a teacher keeps the journal — about a lesson, a subject in
a class, or a class's journal for a period — with the date it must be fixed by, and who fixed
it when. Not ``remarks``, which a teacher writes to a student's family.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_remarks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_journal_remarks_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_journal_remarks_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["fixed_by"], ["staff.id"], name=op.f("fk_journal_remarks_fixed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_journal_remarks_lesson_id_lessons")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_journal_remarks_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_journal_remarks_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["staff.id"], name=op.f("fk_journal_remarks_teacher_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_remarks")),
    )
    with op.batch_alter_table("journal_remarks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_remarks_teacher_id_fixed_at"),
            ["teacher_id", "fixed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_journal_remarks_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_remarks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_remarks_created_at"))
        batch_op.drop_index(batch_op.f("ix_journal_remarks_teacher_id_fixed_at"))
    op.drop_table("journal_remarks")
