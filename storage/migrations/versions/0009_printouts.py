"""Paper for guardians who refuse electronic access (rule 8; 000 §7.2; 003 reg.2 §2.2.2).

``guardians.paper_since``: the day a guardian asked to be informed on paper (NULL: the bot).
``printouts``: every paper diary printed, one row per student page set — who printed it (NULL
for the scheduler and the console), when, for which days and period, how many pages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER, not a batch copy: the copy would lose the table's access-change triggers
    # (0004).
    op.add_column("guardians", sa.Column("paper_since", sa.Date(), nullable=True))
    op.create_table(
        "printouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_printouts_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_printouts_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["printed_by"], ["staff.id"], name=op.f("fk_printouts_printed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_printouts_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printouts")),
    )
    with op.batch_alter_table("printouts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_printouts_class_id_printed_at"), ["class_id", "printed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_printouts_student_id"), ["student_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("printouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_printouts_student_id"))
        batch_op.drop_index(batch_op.f("ix_printouts_class_id_printed_at"))
    op.drop_table("printouts")
    if op.get_bind().dialect.name == "sqlite":  # 3.35+ drops a column in place, triggers kept
        op.execute("ALTER TABLE guardians DROP COLUMN paper_since")
    else:
        op.drop_column("guardians", "paper_since")
