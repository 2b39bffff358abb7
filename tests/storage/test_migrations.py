"""Migrations from an empty database give exactly the schema of ``storage.tables``."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import normalize_url
from storage.migrate import (
    MIGRATIONS_DIR,
    current_revision,
    downgrade,
    head_revision,
    migration_engine,
    upgrade,
    upgrade_sync,
)
from storage.tables import map_entities, metadata

TABLES = {
    "schools",
    "work_types",
    "school_years",
    "periods",
    "holidays",
    "bells",
    "subjects",
    "classes",
    "subgroups",
    "subgroup_members",
    "staff",
    "staff_roles",
    "teachings",
    "students",
    "class_history",
    "guardians",
    "guardian_links",
    "timetable_entries",
    "lessons",
    "homework",
    "marks",
    "attendance",
    "final_marks",
    "remarks",
    "journal_remarks",
    "audit_log",
    "invites",
    "accounts",
    "account_links",
    "broadcasts",
    "letters",
    "printouts",
    "final_acks",
    "deliveries",
    "leases",
    "access_changes",
    "max_message_ids",
    "max_polling",
    "file_copies",
}

# (table, columns, unique)
INDEXES = [
    ("marks", ["student_id", "day"], False),
    ("marks", ["lesson_id"], False),
    ("attendance", ["student_id", "day"], False),
    ("attendance", ["lesson_id", "student_id"], True),
    ("lessons", ["class_id", "day", "slot"], False),
    ("lessons", ["teacher_id", "day"], False),
    ("lessons", ["substitute_id", "day"], False),
    ("homework", ["class_id", "due_on"], False),
    ("homework", ["lesson_id"], False),
    ("final_marks", ["student_id", "year_id"], False),
    ("invites", ["code_hash"], True),
    ("accounts", ["messenger", "external_id"], True),
    ("account_links", ["account_id"], False),
    ("guardian_links", ["guardian_id"], False),
    ("guardian_links", ["student_id"], False),
    ("guardian_links", ["guardian_id", "student_id"], True),
    ("students", ["class_id"], False),
    ("class_history", ["class_id"], False),
    ("class_history", ["student_id"], False),
    ("subgroup_members", ["subgroup_id", "student_id"], True),
    ("classes", ["year_id", "grade", "letter"], True),
    ("deliveries", ["status", "due_at"], False),
    ("deliveries", ["account_id", "status"], False),
    ("deliveries", ["dedup_key"], True),
    ("leases", ["name"], True),
    ("max_message_ids", ["mid"], True),
    ("file_copies", ["ref_hash", "messenger"], True),
]


async def _inspect(url: str, fn):  # type: ignore[no-untyped-def]
    engine = migration_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diff(conn: Connection) -> list:
    return compare_metadata(MigrationContext.configure(conn), metadata)


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_metadata_has_every_table() -> None:
    assert set(metadata.tables) == TABLES


async def test_upgrade_from_empty_gives_the_metadata(db_url: str) -> None:
    assert await current_revision(db_url) is None
    head = head_revision()
    assert await upgrade(db_url) == head
    assert await current_revision(db_url) == head
    assert await _inspect(db_url, _diff) == []
    assert await _inspect(db_url, _tables) == TABLES | {"alembic_version"}
    assert await upgrade(db_url) == head  # again: nothing to do


async def test_hot_reads_have_their_indexes(db_url: str) -> None:
    await upgrade(db_url)

    def indexes(conn: Connection) -> set[tuple[str, tuple[str, ...], bool]]:
        found = set()
        insp = inspect(conn)
        for table in TABLES:
            for ix in insp.get_indexes(table):
                found.add((table, tuple(ix["column_names"]), bool(ix["unique"])))
            for uq in insp.get_unique_constraints(table):
                found.add((table, tuple(uq["column_names"]), True))
        return found

    found = await _inspect(db_url, indexes)
    missing = [i for i in INDEXES if (i[0], tuple(i[1]), i[2]) not in found]
    assert not missing


async def test_every_reference_is_a_foreign_key(db_url: str) -> None:
    await upgrade(db_url)

    def fks(conn: Connection) -> dict[tuple[str, str], str]:
        insp = inspect(conn)
        return {
            (table, fk["constrained_columns"][0]): fk["referred_table"]
            for table in TABLES
            for fk in insp.get_foreign_keys(table)
        }

    found = await _inspect(db_url, fks)
    assert found[("marks", "lesson_id")] == "lessons"
    assert found[("marks", "superseded_by")] == "marks"
    assert found[("lessons", "substitute_id")] == "staff"
    assert found[("invites", "used_by")] == "accounts"
    assert found[("classes", "class_teacher_id")] == "staff"
    # Polymorphic person ids (guardian, student or staff by role) cannot have one.
    assert ("invites", "person_id") not in found
    assert ("account_links", "person_id") not in found
    assert len(found) >= 60


async def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    await upgrade(db_url)
    assert await downgrade(db_url, "base") is None
    assert await _inspect(db_url, _tables) == {"alembic_version"}
    await upgrade(db_url)
    assert await _inspect(db_url, _diff) == []


async def test_upgrade_sync_from_inside_a_running_loop(db_url: str) -> None:
    # The CLI path: a plain function; here called while a loop runs, so it uses a thread.
    assert upgrade_sync(db_url) == head_revision()
    assert await current_revision(db_url) == head_revision()


async def test_a_migration_failing_halfway_changes_nothing(db_url: str) -> None:
    # "remarks" is created last but one: every table before it must be rolled back.
    engine = migration_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE remarks (id INTEGER PRIMARY KEY)")
    finally:
        await engine.dispose()
    with pytest.raises(Exception, match=r"(?i)already exists"):
        await upgrade(db_url)
    assert await current_revision(db_url) is None
    assert await _inspect(db_url, _tables) == {"remarks"}


async def test_unknown_revision_is_refused(db_url: str) -> None:
    with pytest.raises(Exception, match="nope"):
        await upgrade(db_url, "nope")
    assert await _inspect(db_url, _tables) == set()


def test_migration_files_are_package_data() -> None:
    # pyproject ships migrations/*.mako and migrations/versions/*.py; env.py must be there too.
    names = {p.relative_to(MIGRATIONS_DIR).as_posix() for p in MIGRATIONS_DIR.rglob("*.*")}
    assert {"env.py", "script.py.mako", "versions/0001_initial.py"} <= names


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+pysqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_urls_are_rewritten_to_async_drivers(url: str, expected: str) -> None:
    assert normalize_url(url).render_as_string(hide_password=False) == expected


def test_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        normalize_url("mysql://u@h/db")


def test_map_entities_is_idempotent() -> None:
    map_entities()
    map_entities()
    from core import model as m

    assert inspect(m.Mark).local_table is metadata.tables["marks"]
    assert "lease_token" not in inspect(m.Delivery).attrs  # the worker's own
