"""The demo loader on a school of one class (the benchmarks make other sizes)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.clock import FixedClock
from storage.db import Database
from storage.demo import load_demo


async def test_a_one_class_demo_gets_its_invites(database: Database) -> None:
    clock = FixedClock(datetime(2026, 11, 18, 16, 30), ZoneInfo("Europe/Moscow"))
    summary = await load_demo(database.uow, clock, with_invites=True, classes=[(7, "А")])
    assert summary.classes == 1 and summary.students > 0
    invites = summary.invites
    assert set(invites) == {"guardian", "student", "teacher", "class_teacher", "deputy", "admin"}
    assert invites["student"]["class"] == "7А"
    assert all(len(invite["code"]) >= 20 for invite in invites.values())
