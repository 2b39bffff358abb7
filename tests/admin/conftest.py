"""Shared helpers for the administrator's features: a clock, example files, imports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.access import SYSTEM
from core.clock import FixedClock
from core.import_apply import ImportReport, ImportService
from core.imports import ALIASES
from storage.db import Database
from storage.importers import read_oneroster, read_tables

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT.parent / "shared" / "fixtures" / "oneroster"
TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW, TZ)


async def import_roster(
    db: Database, clock: FixedClock, *paths: Path, apply: bool = True
) -> ImportReport:
    tables = read_tables(list(paths), ALIASES)
    return await ImportService(db.uow, clock).roster(SYSTEM, tables, apply=apply)


async def import_timetable(
    db: Database, clock: FixedClock, *paths: Path, apply: bool = True
) -> ImportReport:
    tables = read_tables(list(paths), ALIASES)
    return await ImportService(db.uow, clock).timetable(SYSTEM, tables, apply=apply)


async def import_oneroster(
    db: Database, clock: FixedClock, path: Path, apply: bool = True, school: str | None = None
) -> ImportReport:
    tables = read_oneroster(path)
    return await ImportService(db.uow, clock).oneroster(SYSTEM, tables, apply=apply, school=school)


def problems(report: ImportReport) -> set[tuple[str, int | None, str]]:
    return {(p.file, p.line, p.code) for p in report.errors}


@pytest.fixture
async def school(database: Database, clock: FixedClock) -> Database:
    """The example school: roster and timetable imported."""
    report = await import_roster(database, clock, EXAMPLES / "roster.xlsx")
    assert report.applied, report.errors
    report = await import_timetable(database, clock, EXAMPLES / "timetable.xlsx")
    assert report.applied, report.errors
    return database
