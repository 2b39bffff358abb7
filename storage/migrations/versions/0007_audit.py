"""Access on record: the audit log records who, whose, from where.

Each entry now says which account acted (a parent has no staff id), from where (``channel``:
telegram, max, console) and whether it was a look at someone's data (``is_read``) rather than a
change. "Who looked at this child" is one query on (student_id, is_read, at).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_read", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_index(batch_op.f("ix_audit_log_student_id"))
        batch_op.create_index(
            batch_op.f("ix_audit_log_student_id_is_read_at"),
            ["student_id", "is_read", "at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_student_id_is_read_at"))
        batch_op.create_index(batch_op.f("ix_audit_log_student_id"), ["student_id"], unique=False)
        batch_op.drop_column("is_read")
        batch_op.drop_column("channel")
        batch_op.drop_column("account_id")
