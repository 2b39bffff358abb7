"""The access version: it moves, with the commit, when what a viewer is built from changes, and
only then; on the database (triggers of migration 0004) and in the core tests' fake alike."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from core import model as m
from core.accounts import AccountService
from core.clock import FixedClock
from storage.db import Database
from storage.migrate import MIGRATIONS_DIR
from tests.core.fakes import FakeStore
from tests.storage.dataset import C7A, FATHER, IVANOV, L_MATHS, MARIA, MOTHER, MSK, OLEG, PETROVA

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
Change = Callable[[Any], Awaitable[None]]


def _load_migration(name: str) -> Any:
    path = MIGRATIONS_DIR / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Watched:
    """The watched tables and their events, as migrations 0004 and 0005 made them."""

    def __init__(self) -> None:
        first, second = _load_migration("0004_access_changes"), _load_migration("0005_school_year")
        self.WATCHED = {**first.WATCHED, **second.WATCHED}
        self._events = first._events


MIGRATION = _Watched()


async def link_another_account(uow: Any) -> None:
    await uow.accounts.add(m.Account("telegram", "556", AT, id=172))
    await uow.account_links.add(m.AccountLink(172, m.PersonRole.GUARDIAN, FATHER, AT, id=194))


async def unlink(uow: Any) -> None:
    (await uow.account_links.get(190)).unlinked_at = AT


async def give_consent(uow: Any) -> None:
    for link in await uow.guardian_links.for_guardian(MOTHER):
        link.consent_at = AT


async def student_leaves(uow: Any) -> None:
    (await uow.students.get(PETROVA)).left_on = date(2026, 11, 20)


async def new_class_teacher(uow: Any) -> None:
    (await uow.classes.get(C7A)).class_teacher_id = OLEG


async def new_role(uow: Any) -> None:
    await uow.staff_roles.add(m.StaffRole(OLEG, m.StaffRoleKind.DEPUTY))


async def new_language(uow: Any) -> None:
    (await uow.accounts.get(170)).locale = "en"


async def seen(uow: Any) -> None:
    await uow.accounts.mark_seen({170: AT})


async def new_display_name(uow: Any) -> None:
    (await uow.accounts.get(170)).display_name = "Мама"


async def a_mark(uow: Any) -> None:
    await uow.marks.add(
        m.Mark(L_MATHS, IVANOV, 43, date(2026, 11, 16), m.MarkValue.FIVE, 40, MARIA, AT)
    )


async def a_lesson_topic(uow: Any) -> None:
    (await uow.lessons.get(L_MATHS)).topic = "Проценты"


MOVES = [
    link_another_account,
    unlink,
    give_consent,
    student_leaves,
    new_class_teacher,
    new_role,
    new_language,
]
STAYS = [seen, new_display_name, a_mark, a_lesson_topic]


@pytest.fixture(params=["sql", "fake"])
def store(request: pytest.FixtureRequest, loaded: Database, fake: FakeStore) -> Any:
    """The data set (account 170 is linked to MOTHER by link 190) in either store."""
    return loaded if request.param == "sql" else fake


async def version(store: Any) -> int:
    async with store.uow(readonly=True) as uow:
        return await uow.accounts.access_version()


@pytest.mark.parametrize("change", MOVES + STAYS, ids=lambda f: f.__name__)
async def test_the_version_moves_with_access_and_only_with_it(store: Any, change: Change) -> None:
    before = await version(store)
    async with store.uow() as uow:
        await change(uow)
        await uow.commit()
    moved = await version(store) != before
    assert moved == (change in MOVES)


async def test_the_version_moves_with_the_commit_not_before_and_not_on_rollback(
    store: Any,
) -> None:
    before = await version(store)
    async with store.uow() as uow:
        await unlink(uow)
        await uow.rollback()
    assert await version(store) == before
    async with store.uow() as uow:
        await unlink(uow)
        if isinstance(store, Database):  # the fake has no transactions to look across
            await uow.session.flush()
            assert await version(store) == before  # another reader still sees the old links
        await uow.commit()
    assert await version(store) != before


async def test_a_removed_role_moves_the_version(loaded: Database) -> None:
    before = await version(loaded)
    async with loaded.session() as session:
        await session.execute(text("DELETE FROM staff_roles WHERE id = 55"))
        await session.commit()
    assert await version(loaded) != before


async def test_every_watched_table_has_its_triggers(database: Database) -> None:
    watched, events = MIGRATION.WATCHED, MIGRATION._events
    async with database.session(readonly=True) as session:
        if database.is_sqlite:
            rows = await session.execute(
                text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            )
            found = {(table, sql.split(" AFTER ")[1].split(" ON ")[0]) for table, sql in rows}
            expected = {(table, event) for table, cols in watched.items() for event in events(cols)}
        else:
            rows = await session.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND t.tgname LIKE 'access_changes_%'"
                )
            )
            found = {row[0] for row in rows}
            expected = set(watched)
    assert found == expected


async def test_a_viewer_is_built_from_watched_tables_only(loaded: Database) -> None:
    """A viewer read from a table no trigger watches could go stale in another process."""
    async with loaded.uow() as uow:
        await uow.accounts.add(m.Account("telegram", "557", AT, id=173))
        await uow.account_links.add(m.AccountLink(173, m.PersonRole.STUDENT, IVANOV, AT))
        await uow.commit()
    read: set[str] = set()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        read.update(re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)', statement))

    accounts = AccountService(loaded.uow, FixedClock(AT, MSK))
    engine = loaded.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        viewers = [await accounts.viewer_for("telegram", x, True) for x in ("100", "557")]
        viewers.append(await accounts.viewer_for("max", "100", True))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert viewers[0].children and viewers[1].student_id and viewers[2].staff_id  # all kinds
    assert read - {"access_changes"} <= set(MIGRATION.WATCHED)
    assert {"accounts", "account_links", "guardian_links", "staff_roles"} <= read
