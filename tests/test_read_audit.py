"""Reads for the audit log wait in memory and are written in batches: the same look twice in a
batch is one entry, a full batch is written at once, a failed write is logged and dropped
(never the user's problem), and closing writes what waits."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from app.batches import ReadAudit
from core.access import CONSOLE, Viewer
from core.audit import Read, note_read

AT = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
TEACHER = Viewer(account_id=3, staff_id=7, class_teacher_of=frozenset({1}), channel="telegram")
PARENT_AND_TEACHER = Viewer(account_id=4, staff_id=8, children=frozenset({21}), channel="max")
PARENT = Viewer(account_id=5, guardian_id=2, children=frozenset({21}), channel="telegram")


async def test_who_is_recorded_and_batches() -> None:
    written: list[list[Read]] = []

    async def write(reads: list[Read]) -> None:
        written.append(reads)

    log = ReadAudit(write, delay=60, batch=3)
    note_read(log, TEACHER, AT, "diary.marks", "student", 21, 21)
    note_read(log, TEACHER, AT, "diary.marks", "student", 21, 21)  # the same look: one entry
    note_read(log, PARENT, AT, "diary.marks", "student", 21, 21)  # the family: not recorded
    note_read(log, PARENT_AND_TEACHER, AT, "diary.marks", "student", 21, 21)  # their own child
    note_read(log, PARENT_AND_TEACHER, AT, "diary.marks", "student", 22, 22)  # another's
    assert log.pending == 2 and written == []
    note_read(log, CONSOLE, AT, "report.journal", "class", 1, 23)
    await asyncio.sleep(0)  # a full batch is written at once, off the caller's path
    await asyncio.sleep(0)
    assert [[(r.actor_id, r.channel, r.student_id) for r in batch] for batch in written] == [
        [(7, "telegram", 21), (8, "max", 22), (None, "console", 23)]
    ]
    entry = written[0][0].entry()
    assert (entry.is_read, entry.account_id, entry.action) == (True, 3, "diary.marks")


async def test_a_failed_write_is_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    async def write(reads: list[Read]) -> None:
        raise OSError("the database is away")

    log = ReadAudit(write, delay=60)
    note_read(log, TEACHER, AT, "diary.marks", "student", 21, 21)
    with caplog.at_level(logging.WARNING):
        await log.close()
    assert log.pending == 0
    assert "could not write 1 reads for the audit log" in caplog.text
