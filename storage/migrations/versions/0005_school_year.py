"""A real school's year: dated class and subgroup membership and teaching, guardians' links
that end, lessons that say where they came from, imported marks that say from which file,
the school's working week, and periods that remember being reopened.

- ``students.class_since``: the day the student entered their current class (NULL: since they
  arrived); ``class_history`` keeps every class they were in before, with its dates.
- ``subgroup_members.starts_on/ends_on`` and ``teachings.starts_on/ends_on`` (NULL: open).
- ``guardian_links.ended_at``: a link the roster dropped; it gives no access from then on.
- ``lessons.origin`` (timetable, extra, moved) and ``lessons.note`` (why it was cancelled or
  moved); ``marks.source`` (``file:line`` of an imported mark).
- ``schools.week_days`` (5 or 6) and ``periods.reopened_at``.

The access counter of migration 0004 also watches the new history tables. The lists are written
out here, not imported: a migration must do the same thing forever.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns whose update matters (None: any column), as in 0004
WATCHED: dict[str, tuple[str, ...] | None] = {
    "class_history": None,
    "subgroup_members": None,
}
BUMP = "UPDATE access_changes SET version = version + 1 WHERE id = 1"
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _date(name: str) -> sa.Column:
    return sa.Column(name, sa.Date(), nullable=True)


def upgrade() -> None:
    op.add_column(
        "schools", sa.Column("week_days", sa.Integer(), server_default="5", nullable=False)
    )
    op.add_column("periods", sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("students", _date("class_since"))
    for table in ("subgroup_members", "teachings"):
        op.add_column(table, _date("starts_on"))
        op.add_column(table, _date("ends_on"))
    op.add_column(
        "guardian_links", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "lessons",
        sa.Column("origin", sa.String(length=16), server_default="timetable", nullable=False),
    )
    op.add_column("lessons", sa.Column("note", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "marks", sa.Column("source", sa.String(length=255), server_default="", nullable=False)
    )
    op.create_table(
        "class_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_class_history_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_class_history_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_history")),
    )
    op.create_index(op.f("ix_class_history_class_id"), "class_history", ["class_id"])
    op.create_index(op.f("ix_class_history_student_id"), "class_history", ["student_id"])
    if op.get_context().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER access_changes_{table} "
                f"AFTER {' OR '.join(EVENTS)} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_access_changes()"
            )
        return
    for table in WATCHED:
        for event in EVENTS:
            name = f"access_changes_{table}_{event.lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for table in WATCHED:
        if postgres:
            op.execute(f"DROP TRIGGER access_changes_{table} ON {table}")
            continue
        for event in EVENTS:
            op.execute(f"DROP TRIGGER access_changes_{table}_{event.lower()}")
    op.drop_index(op.f("ix_class_history_student_id"), table_name="class_history")
    op.drop_index(op.f("ix_class_history_class_id"), table_name="class_history")
    op.drop_table("class_history")
    # SQLite drops columns by rebuilding the table, which would lose 0004's triggers on it:
    # the rebuilt tables get them back below.
    drops = {
        "marks": ("source",),
        "lessons": ("note", "origin"),
        "guardian_links": ("ended_at",),
        "teachings": ("ends_on", "starts_on"),
        "subgroup_members": ("ends_on", "starts_on"),
        "students": ("class_since",),
        "periods": ("reopened_at",),
        "schools": ("week_days",),
    }
    for table, columns in drops.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
    if not postgres:
        for table in ("guardian_links", "teachings", "students"):
            for event in EVENTS:
                name = f"access_changes_{table}_{event.lower()}"
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")
