"""The archive of journals and summary sheets (#14 item 6): no schema change. The archive is
files in each backup place (``<place>/archive``) with a register beside them
(``register.json``, ``storage.archive``), not rows in the database: it must outlive the
database and be checked on its own medium. The revision stays so that the chain 0012 → 0013
holds.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
