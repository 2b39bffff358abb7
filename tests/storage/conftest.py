"""The hand-made data set, loaded into a real database and into the core tests' fake."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.core.fakes import FakeStore
from tests.storage import dataset as ds


@pytest.fixture
async def fake() -> FakeStore:
    store = FakeStore()
    async with store.uow() as uow:
        await ds.populate(uow)
        await uow.commit()
    return store


@pytest.fixture
async def loaded(database: Database) -> Database:
    async with database.uow() as uow:
        await ds.populate(uow)
        await uow.commit()
    return database
