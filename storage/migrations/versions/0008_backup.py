"""Backups that prove themselves: no schema change. The restore drill's result is kept signed
beside the backups (``drill.json``, ``storage.backup.record_drill``), not in the database; the
revision stays so that the chain 0007 → 0008 holds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
