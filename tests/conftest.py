"""Database fixtures shared by every test that needs a real database.

``db_url``: the URL of an empty database (no tables, no alembic_version). By default a fresh
SQLite file in the test's ``tmp_path``. With ``TEST_DATABASE_URL`` set (for instance
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``: a throwaway database, its ``public``
schema is dropped) the tests run on that PostgreSQL database instead.

``database``: a ``storage.db.Database`` migrated to head with every table empty, disposed
after the test; ``database.url`` is its URL (the same as ``db_url`` when a test asks for
both). On SQLite it is a copy of a file migrated once per session. On PostgreSQL the schema
is dropped and migrated the first time, then emptied (rows deleted, id sequences restarted)
for each test, as long as it is still the migrated one.

Tests that change the schema themselves (migrations) use ``db_url``, never ``database``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.migrate import head_revision, migration_engine, upgrade, upgrade_sync
from storage.tables import metadata

_PRIVATE_DB = pytest.StashKey[str]()

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip() or None
_SHARED_DATABASE_URL = TEST_DATABASE_URL
# Backups (and the archive) are on by default, beside the database or in the working
# directory: a test that wants them names its own temporary folders (or unsets this for the
# default beside its temporary database); none writes beside the repository.
os.environ["BACKUP_DIRS"] = "off"


async def _admin(url: str, sql: str) -> None:
    engine = migration_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    """On PostgreSQL, run in a private database made from TEST_DATABASE_URL's server, so two
    test runs on one server (CI beside a developer's run) never see each other's rows."""
    global TEST_DATABASE_URL
    if (
        not _SHARED_DATABASE_URL
        or make_url(_SHARED_DATABASE_URL).get_backend_name() != "postgresql"
    ):
        return
    name = f"schoolbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(_SHARED_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    TEST_DATABASE_URL = (
        make_url(_SHARED_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    )
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL
    config.stash[_PRIVATE_DB] = name


def pytest_unconfigure(config: pytest.Config) -> None:
    name = config.stash.get(_PRIVATE_DB, None)
    if name and _SHARED_DATABASE_URL:
        asyncio.run(_admin(_SHARED_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        os.environ["TEST_DATABASE_URL"] = _SHARED_DATABASE_URL


_EMPTY_ALL_TABLES = "DO $$ BEGIN {} END $$".format(
    " ".join(
        f"DELETE FROM {t.name}; PERFORM setval(pg_get_serial_sequence('{t.name}', 'id'), 1, false);"
        for t in reversed(metadata.sorted_tables)
        if t.info.get("backup", True)  # not data (access_changes): kept as the migration made it
    )
)


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def reset_database(url: str) -> None:
    """Empty a PostgreSQL database completely: every table, sequence and alembic_version."""
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        await engine.dispose()


async def empty_migrated_database(url: str) -> None:
    """Leave a PostgreSQL database migrated to head with no rows: cheaply when it already is
    at head with exactly our tables, by dropping and migrating otherwise."""
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            tables, versioned = (
                await conn.exec_driver_sql(
                    "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'), "
                    "to_regclass('public.alembic_version') IS NOT NULL"
                )
            ).one()
            at_head = versioned and tables == len(metadata.tables) + 1
            if at_head:
                version = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                at_head = version.scalar_one_or_none() == head_revision()
            if at_head:
                await conn.exec_driver_sql(_EMPTY_ALL_TABLES)
    finally:
        await engine.dispose()
    if not at_head:
        await reset_database(url)
        await upgrade(url)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A SQLite file migrated to head once per session; None when on PostgreSQL."""
    if TEST_DATABASE_URL:
        return None
    path = tmp_path_factory.mktemp("db-template") / "template.db"
    upgrade_sync(_sqlite_url(path))
    return path


@pytest.fixture
def backend() -> str:
    """``sqlite`` or ``postgresql``: the database these tests run on."""
    return make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"


@pytest.fixture
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        if "database" not in request.fixturenames:
            await reset_database(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return _sqlite_url(tmp_path / "test.db")


@pytest.fixture
async def database(db_url: str, migrated_sqlite_template: Path | None) -> AsyncIterator[Database]:
    if migrated_sqlite_template is not None:
        target = make_url(db_url).database
        assert target is not None
        shutil.copyfile(migrated_sqlite_template, target)
    else:
        await empty_migrated_database(db_url)
    db = Database.connect(db_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(autouse=True)
def _no_unexpected_handler_errors(caplog: pytest.LogCaptureFixture):
    """An update that ends in «something went wrong» fails the test that sent it, even when
    the test does not look at the answer: users never see a traceback's alert."""
    yield
    failed = [
        r.getMessage()
        for r in caplog.get_records("call")
        if r.name == "handlers.common" and r.levelname == "ERROR"
    ]
    assert not failed, f"an update failed in a handler: {failed}"
