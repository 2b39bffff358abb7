"""The viewer cache: kept viewers give way within a second to access changed by another process
(the console), read through the access version, not the clock alone."""

from __future__ import annotations

import asyncio

from app.viewers import ViewerCache
from core import model as m
from core.access import SYSTEM, Viewer
from core.access_admin import AccessAdminService
from core.accounts import AccountService
from tests.handlers.conftest import World


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache_for(world: World, accounts: AccountService | None = None) -> tuple[ViewerCache, Ticks]:
    ticks = Ticks()
    accounts = accounts or AccountService(world.store.uow, world.clock)
    return ViewerCache(accounts, ttl=30.0, check_every=1.0, monotonic=ticks), ticks


async def revoke_from_the_console(world: World) -> None:
    """As `schoolbot revoke` would: other services, so this process is told nothing."""
    console = AccessAdminService(world.store.uow, world.clock)
    assert await console.revoke_person(SYSTEM, m.PersonRole.GUARDIAN, world.s.mother.id) == 1


async def test_access_revoked_elsewhere_is_gone_within_the_check_interval(world: World) -> None:
    viewers, ticks = cache_for(world)
    mother = str(world.mother.id)
    assert (await viewers.get("telegram", mother, True)).children == {world.s.ivanov.id}
    await revoke_from_the_console(world)
    ticks.now += 1.0
    after = await viewers.get("telegram", mother, True)
    assert after.guardian_id is None and not after.children


async def test_nothing_is_read_again_while_access_stays_the_same(world: World) -> None:
    calls: list[str] = []

    class Counting(AccountService):
        async def viewer_for(self, messenger: str, external_id: str, private: bool) -> Viewer:
            calls.append(external_id)
            return await super().viewer_for(messenger, external_id, private)

    viewers, ticks = cache_for(world, Counting(world.store.uow, world.clock))
    mother = str(world.mother.id)
    first = await viewers.get("telegram", mother, True)
    for _ in range(5):
        ticks.now += 2.0  # every get checks the version; it has not moved
        assert await viewers.get("telegram", mother, True) is first
    assert calls == [mother]


async def test_a_viewer_read_while_access_changed_is_used_once_and_not_kept(
    world: World,
) -> None:
    read, release = asyncio.Event(), asyncio.Event()

    class Slow(AccountService):
        async def viewer_for(self, messenger: str, external_id: str, private: bool) -> Viewer:
            viewer = await super().viewer_for(messenger, external_id, private)
            if external_id == str(world.mother.id) and not read.is_set():
                read.set()
                await release.wait()  # read before the revoke, finished after it
            return viewer

    viewers, ticks = cache_for(world, Slow(world.store.uow, world.clock))
    mother, teacher = str(world.mother.id), str(world.teacher.id)
    await viewers.get("telegram", teacher, True)  # the first check of the version
    ticks.now += 0.5
    slow = asyncio.create_task(viewers.get("telegram", mother, True))
    await read.wait()
    await revoke_from_the_console(world)
    ticks.now += 0.5
    await viewers.get("telegram", teacher, True)  # a second later: the version has moved
    release.set()
    assert (await slow).children == {world.s.ivanov.id}  # answered as it was asked
    assert (await viewers.get("telegram", mother, True)).guardian_id is None  # but not kept


async def test_a_change_elsewhere_also_drops_the_diarys_memory_of_students(world: World) -> None:
    """A transfer made in the console reaches the diary's kept classes within the interval."""
    drops: list[int] = []
    ticks = Ticks()
    viewers = ViewerCache(
        AccountService(world.store.uow, world.clock),
        ttl=30.0,
        check_every=1.0,
        monotonic=ticks,
        on_change=lambda: drops.append(1),
    )
    mother = str(world.mother.id)
    await viewers.get("telegram", mother, True)
    assert drops == [1]  # the first version read: nothing was known before
    ticks.now += 1.0
    await viewers.get("telegram", mother, True)
    assert drops == [1]  # nothing moved
    await revoke_from_the_console(world)
    ticks.now += 1.0
    await viewers.get("telegram", mother, True)
    assert drops == [1, 1]
