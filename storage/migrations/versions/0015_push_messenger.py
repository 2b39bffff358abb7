"""Where a person on two messengers gets pushes: when an account's messenger was chosen

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0004's triggers on accounts, written out (a migration does the same thing forever)
BUMP = "UPDATE access_changes SET version = version + 1 WHERE id = 1"
EVENTS = {"insert": "INSERT", "update": "UPDATE OF locale, active", "delete": "DELETE"}


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite keeps the table (and 0004's triggers on it)
    op.add_column("accounts", sa.Column("pushes_chosen_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # SQLite drops a column by rebuilding the table, which loses 0004's triggers on it:
    # the rebuilt table gets them back below.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("pushes_chosen_at")
    if op.get_context().dialect.name != "postgresql":
        for suffix, event in EVENTS.items():
            name = f"access_changes_accounts_{suffix}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON accounts BEGIN {BUMP}; END")
