"""MAX message ids (the MAX adapter, issue #13).

``max_message_ids``: each MAX message id (a string, ``mid.…``) gets the int that aiogram's
``message_id`` carries, so any process can edit a message another one sent.
``max_polling``: one row, the long polling's marker, kept across restarts.
``file_copies``: a file of one messenger as the other knows it once sent there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "max_message_ids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mid", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_max_message_ids")),
        sa.UniqueConstraint("mid", name=op.f("uq_max_message_ids_mid")),
    )
    op.create_table(
        "file_copies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref_hash", sa.String(length=64), nullable=False),
        sa.Column("messenger", sa.String(length=16), nullable=False),
        sa.Column("copy", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_copies")),
        sa.UniqueConstraint(
            "ref_hash", "messenger", name=op.f("uq_file_copies_ref_hash_messenger")
        ),
    )
    op.create_table(
        "max_polling",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("marker", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_max_polling")),
    )


def downgrade() -> None:
    op.drop_table("max_polling")
    op.drop_table("file_copies")
    op.drop_table("max_message_ids")
