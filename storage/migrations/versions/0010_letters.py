"""Letters with anyone whose work touches the child (#14 item 3): no schema change.

The letters table already holds any pair: ``to_role``/``from_role`` are plain strings (a
letter to the administration is ``to_role = 'admin'``, to all of a child's guardians
``to_role = 'guardian'``, both with ``to_id = 0``), and answers thread through ``reply_to``.
Who receives the administration's letters is a staff role, ``letters``, stored as any other
in ``staff_roles.role`` (a plain string). The revision stays, empty, to keep the chain.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
