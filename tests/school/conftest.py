"""A school that came in through its own files (``tests.support.school``), on a real database."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clock import FixedClock
from storage.db import Database
from tests.support.school import THURSDAY, TZ, ImportedSchool, open_school


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(THURSDAY, TZ)


@pytest.fixture
async def school(database: Database, tmp_path: Path) -> ImportedSchool:
    return await open_school(database, tmp_path / "files")
