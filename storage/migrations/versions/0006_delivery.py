"""Each push once: lease fencing for deliveries, the outbox decided.

- ``deliveries.lease_token``: bumped by every claim; a worker writes a result only for the rows
  whose token is still the one its claim set (or that its send started, ``sending_token``).
- ``deliveries.sending_token``: set, under the lease, just before a message is sent; cleared
  when its result is written. A row found with it set and the lease gone is in doubt: its
  sender may have sent it. ``doubt_at``: when a claim found it so (it then waits a lease for the
  sender to report before it is sent again). ``unknown_sends``: sends whose outcome was never
  known (a timeout, a sender gone), the one allowed repeat.
- ``outbox`` is dropped: it was written on every commit and read by nobody. The delivery rows
  the fan-out writes in the same transaction are the outbox; the audit log is the record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_token", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("sending_token", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("doubt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("unknown_sends", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status_id"))
    op.drop_table("outbox")


def downgrade() -> None:
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
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("unknown_sends")
        batch_op.drop_column("doubt_at")
        batch_op.drop_column("sending_token")
        batch_op.drop_column("lease_token")
