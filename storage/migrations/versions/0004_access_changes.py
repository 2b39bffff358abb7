"""Access changes: one counter, bumped by triggers whenever what a viewer is built from changes,
so a bot that keeps viewers in memory learns within a second that the console revoked access.

The trigger list is written out here (not imported from the tables module): a migration must do
the same thing forever, whatever the code later looks like.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns whose update matters (None: any column)
WATCHED: dict[str, tuple[str, ...] | None] = {
    "accounts": ("locale", "active"),
    "account_links": None,
    "staff": None,
    "staff_roles": None,
    "teachings": None,
    "classes": None,
    "school_years": None,
    "guardians": None,
    "guardian_links": None,
    "students": None,
}
BUMP = "UPDATE access_changes SET version = version + 1 WHERE id = 1"


def _events(columns: tuple[str, ...] | None) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return ["INSERT", update, "DELETE"]


def upgrade() -> None:
    op.create_table(
        "access_changes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_changes")),
    )
    op.execute("INSERT INTO access_changes (id, version) VALUES (1, 0)")
    if op.get_context().dialect.name == "postgresql":
        # One bump per statement; the row's new value is seen only when the change commits.
        op.execute(
            "CREATE FUNCTION bump_access_changes() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, columns in WATCHED.items():
            op.execute(
                f"CREATE TRIGGER access_changes_{table} "
                f"AFTER {' OR '.join(_events(columns))} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_access_changes()"
            )
        return
    # SQLite has row triggers only; writes to these tables are few (imports: a few thousand).
    for table, columns in WATCHED.items():
        for event in _events(columns):
            name = f"access_changes_{table}_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for table, columns in WATCHED.items():
        if postgres:
            op.execute(f"DROP TRIGGER access_changes_{table} ON {table}")
            continue
        for event in _events(columns):
            op.execute(f"DROP TRIGGER access_changes_{table}_{event.split()[0].lower()}")
    if postgres:
        op.execute("DROP FUNCTION bump_access_changes()")
    op.drop_table("access_changes")
