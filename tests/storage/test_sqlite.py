"""SQLite specifics: WAL and pragmas, a reader's snapshot, in-loop reads (writers queueing:
test_writers)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from core import model as m
from storage.db import BUSY_TIMEOUT_MS, Database
from storage.tables import metadata


@pytest.fixture(autouse=True)
def _sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")


async def _school(database: Database) -> m.School:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа", min_marks_for_period=0))
        await uow.commit()
    return school


async def _pragma(uow, name: str):  # type: ignore[no-untyped-def]
    return (await uow.session.execute(text(f"PRAGMA {name}"))).scalar_one()


@pytest.mark.parametrize("readonly", [False, True])
async def test_pragmas_are_in_effect(database: Database, readonly: bool) -> None:
    async with database.uow(readonly=readonly) as uow:
        assert await _pragma(uow, "journal_mode") == "wal"
        assert await _pragma(uow, "foreign_keys") == 1
        # a writer waits for the lock in storage.db._take_write_lock, up to BUSY_TIMEOUT_MS
        assert await _pragma(uow, "busy_timeout") == (BUSY_TIMEOUT_MS if readonly else 0)
        assert BUSY_TIMEOUT_MS >= 5000
        assert await _pragma(uow, "synchronous") == 1  # NORMAL
        assert await _pragma(uow, "query_only") == int(readonly)


async def test_a_reader_does_not_block_a_writer(database: Database) -> None:
    school = await _school(database)
    async with database.uow(readonly=True) as reader:
        count = text("SELECT count(*) FROM subjects")
        assert (await reader.session.execute(count)).scalar_one() == 0  # snapshot taken
        started = time.perf_counter()
        async with database.uow() as writer:
            await writer.subjects.add(m.Subject(school.id, "Физика"))
            await writer.commit()
        assert time.perf_counter() - started < 1
        # Its transaction keeps reading the snapshot it started with.
        assert (await reader.session.execute(count)).scalar_one() == 0
    async with database.uow(readonly=True) as reader:
        assert len(await reader.subjects.list_all()) == 1


async def test_an_in_memory_database_works(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database.connect("sqlite+aiosqlite:///:memory:")
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with database.uow() as uow:
            school = await uow.schools.add(m.School("Школа"))
            await uow.commit()
        async with database.uow(readonly=True) as uow:
            assert [s.id for s in await uow.schools.list_all()] == [school.id]
    finally:
        await database.dispose()


async def test_reads_run_on_the_event_loop_thread_and_writes_on_a_worker(
    database: Database,
) -> None:
    """The reader skips aiosqlite's thread hand-offs; the writer keeps its thread, since
    BEGIN IMMEDIATE may wait for the write lock."""
    loop_thread = threading.get_ident()

    async def thread_of(uow) -> int:  # type: ignore[no-untyped-def]
        raw = await uow.session.connection()
        driver = (await raw.get_raw_connection()).driver_connection
        await driver.create_function("thread_ident", 0, threading.get_ident)
        return (await uow.session.execute(text("SELECT thread_ident()"))).scalar_one()

    async with database.uow(readonly=True) as reader:
        assert await thread_of(reader) == loop_thread
    async with database.uow() as writer:
        assert await thread_of(writer) != loop_thread
