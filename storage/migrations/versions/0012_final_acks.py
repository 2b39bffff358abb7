"""Period marks acknowledged by guardians (003 reg.3 §6).

``final_acks``: a guardian has seen a child's period marks — one row per guardian, child and
period, with when and from which account (no foreign key: the record outlives the account).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "final_acks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["guardians.id"], name=op.f("fk_final_acks_guardian_id_guardians")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_final_acks_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_final_acks_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_acks")),
        sa.UniqueConstraint(
            "guardian_id",
            "student_id",
            "period_id",
            name=op.f("uq_final_acks_guardian_id_student_id_period_id"),
        ),
    )
    with op.batch_alter_table("final_acks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_final_acks_student_id_period_id"),
            ["student_id", "period_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("final_acks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_acks_student_id_period_id"))
    op.drop_table("final_acks")
