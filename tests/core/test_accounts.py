"""AccountService: the Viewer of an account, consent, logout, settings."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, time, timedelta
from typing import Any

import pytest

from core import model as m
from core.access import TeachingRef, Viewer
from core.accounts import AccountService
from core.errors import AccessDenied, DomainError, NotFound, PrivateChatRequired, ValidationFailed
from core.model import PersonRole, StaffRoleKind
from tests.core.conftest import NOW, TODAY, SmallSchool
from tests.core.fakes import FakeStore

TG = "telegram"


def state(store: FakeStore) -> tuple[dict[str, Any], int]:
    tables = {n: {i: asdict(e) for i, e in rows.items()} for n, rows in store.tables.items()}
    return tables, len(store.outbox)


async def refused(store: FakeStore, error: type[DomainError], awaitable) -> DomainError:
    before = state(store)
    with pytest.raises(DomainError) as info:
        await awaitable
    assert type(info.value) is error, info.value
    assert state(store) == before
    return info.value


def rows(store: FakeStore, table: str) -> list[Any]:
    return list(store.tables.get(table, {}).values())


async def link(
    store: FakeStore, external_id: str, *people: tuple[PersonRole, int], **account: Any
) -> m.Account:
    async with store.uow() as uow:
        acc = await uow.accounts.by_external(TG, external_id)
        if acc is None:
            acc = await uow.accounts.add(m.Account(TG, external_id, NOW, **account))
        for role, person_id in people:
            await uow.account_links.add(m.AccountLink(acc.id, role, person_id, NOW))
        await uow.commit()
    return acc


@pytest.fixture
def accounts(small: SmallSchool) -> AccountService:
    return AccountService(small.store.uow, small.clock)


async def test_unknown_account_is_anonymous(small, accounts):
    viewer = await accounts.viewer_for(TG, "42", private=False)
    assert viewer.is_anonymous and viewer == Viewer(private_chat=False)


async def test_staff_viewer(small, accounts):
    acc = await link(small.store, "1", (PersonRole.STAFF, small.teacher.id), locale="en")
    viewer = await accounts.viewer_for(TG, "1", private=True)
    assert viewer.account_id == acc.id and viewer.staff_id == small.teacher.id
    assert viewer.staff_roles == {StaffRoleKind.TEACHER}
    assert viewer.teaches == {
        TeachingRef(small.maths.id, small.c7.id),
        TeachingRef(small.maths.id, small.c10.id),
        TeachingRef(small.reading.id, small.c1.id),
    }
    assert viewer.class_teacher_of == frozenset() and viewer.locale == "en"
    assert viewer.names["staff"] == "Смирнова Анна Петровна"


async def test_class_teacher_and_admin_viewers(small, accounts):
    await link(small.store, "2", (PersonRole.STAFF, small.class_teacher.id))
    await link(small.store, "3", (PersonRole.STAFF, small.admin.id))
    ct = await accounts.viewer_for(TG, "2", private=True)
    assert ct.class_teacher_of == {small.c7.id} and ct.teaches == frozenset()
    admin = await accounts.viewer_for(TG, "3", private=False)
    assert admin.is_admin and not admin.private_chat


async def test_guardian_viewer_splits_consented_children(small, accounts):
    async with small.store.uow() as uow:
        await uow.guardian_links.add(m.GuardianLink(small.mother.id, small.petrova.id))
        await uow.commit()
    await link(small.store, "4", (PersonRole.GUARDIAN, small.mother.id))
    viewer = await accounts.viewer_for(TG, "4", private=True)
    assert viewer.guardian_id == small.mother.id
    assert viewer.children == {small.ivanov.id}
    assert viewer.children_pending_consent == {small.petrova.id}
    assert viewer.staff_id is None and not viewer.administers


async def test_a_parent_listed_once_per_child_sees_every_child(small, accounts):
    """Some rosters list the same parent under each child: two guardian records, two codes,
    one account. Both children are hers, each through its own record."""
    async with small.store.uow() as uow:
        twin = await uow.guardians.add(m.Guardian("Иванова", "Ольга", "Николаевна"))
        await uow.guardian_links.add(m.GuardianLink(twin.id, small.petrova.id))  # no consent
        await uow.commit()
    await link(
        small.store, "4", (PersonRole.GUARDIAN, small.mother.id), (PersonRole.GUARDIAN, twin.id)
    )
    viewer = await accounts.viewer_for(TG, "4", private=True)
    assert viewer.guardian_ids == {small.mother.id, twin.id}
    assert viewer.children == {small.ivanov.id}
    assert viewer.children_pending_consent == {small.petrova.id}
    assert await accounts.give_consent(viewer) == 1  # the second record's link
    viewer = await accounts.viewer_for(TG, "4", private=True)
    assert viewer.children == {small.ivanov.id, small.petrova.id}
    assert viewer.guardian_for(small.ivanov.id) == small.mother.id
    assert viewer.guardian_for(small.petrova.id) == twin.id
    assert viewer.guardian_for(small.senior.id) is None


async def test_student_viewer_while_enrolled(small, accounts):
    await link(small.store, "5", (PersonRole.STUDENT, small.ivanov.id))
    assert (await accounts.viewer_for(TG, "5", True)).student_id == small.ivanov.id
    small.store.tables["students"][small.ivanov.id].left_on = TODAY
    assert (await accounts.viewer_for(TG, "5", True)).student_id == small.ivanov.id
    # one who left keeps the account for a year, to read their final marks (core.access)
    small.store.tables["students"][small.ivanov.id].left_on = TODAY - timedelta(days=1)
    assert (await accounts.viewer_for(TG, "5", True)).student_id == small.ivanov.id
    small.store.tables["students"][small.ivanov.id].left_on = TODAY - timedelta(days=366)
    assert (await accounts.viewer_for(TG, "5", True)).is_anonymous


async def test_blocked_account_keeps_its_rights(small, accounts):
    await link(small.store, "6", (PersonRole.STAFF, small.teacher.id), active=False)
    assert (await accounts.viewer_for(TG, "6", True)).staff_id == small.teacher.id


async def test_consent(small, accounts):
    async with small.store.uow() as uow:
        pending = await uow.guardian_links.add(m.GuardianLink(small.mother.id, small.petrova.id))
        await uow.commit()
    await link(small.store, "7", (PersonRole.GUARDIAN, small.mother.id))
    viewer = await accounts.viewer_for(TG, "7", True)
    assert await accounts.give_consent(viewer) == 1
    assert small.store.tables["guardian_links"][pending.id].consent_at == NOW
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.entity_id, entry.student_id) == (
        "guardian.consent",
        pending.id,
        small.petrova.id,
    )
    viewer = await accounts.viewer_for(TG, "7", True)
    assert viewer.children == {small.ivanov.id, small.petrova.id}
    assert viewer.children_pending_consent == frozenset()
    assert await accounts.give_consent(viewer) == 0
    assert len(rows(small.store, "audit")) == 1


async def test_consent_is_for_guardians_in_private(small, accounts):
    await refused(small.store, AccessDenied, accounts.give_consent(small.viewer(small.teacher)))
    await refused(
        small.store,
        PrivateChatRequired,
        accounts.give_consent(Viewer(guardian_id=small.mother.id, private_chat=False)),
    )


async def test_logout_unlinks_everything(small, accounts):
    await link(
        small.store,
        "8",
        (PersonRole.STAFF, small.teacher.id),
        (PersonRole.GUARDIAN, small.mother.id),
    )
    assert await accounts.logout(TG, "8") == 2
    assert all(x.unlinked_at == NOW for x in rows(small.store, "account_links"))
    viewer = await accounts.viewer_for(TG, "8", True)
    assert viewer.is_anonymous and viewer.account_id is not None
    assert await accounts.logout(TG, "8") == 0
    assert await accounts.logout(TG, "unknown") == 0


async def test_set_locale(small, accounts):
    acc = await accounts.set_locale(TG, "9", "en", display_name="Anna")
    assert (acc.locale, acc.display_name, acc.created_at) == ("en", "Anna", NOW)
    acc = await accounts.set_locale(TG, "9", "ru")
    assert acc.locale == "ru" and len(rows(small.store, "accounts")) == 1
    await refused(small.store, ValidationFailed, accounts.set_locale(TG, "9", "de"))


async def test_update_settings(small, accounts):
    await link(small.store, "10", (PersonRole.GUARDIAN, small.mother.id))
    viewer = await accounts.viewer_for(TG, "10", True)
    acc = await accounts.update_settings(
        viewer,
        quiet_from=time(22, 0),
        quiet_to=time(7, 30),
        notify_marks="digest",
        notify_homework=False,
        notify_attendance=True,
        notify_anytime_finals=True,
        digest_at=time(19, 0),
    )
    assert (acc.quiet_from, acc.quiet_to, acc.notify_marks, acc.digest_at) == (
        time(22, 0),
        time(7, 30),
        "digest",
        time(19, 0),
    )
    assert (acc.notify_homework, acc.notify_anytime_finals) == (False, True)
    acc = await accounts.update_settings(viewer, quiet_from=None, quiet_to=None)
    assert acc.quiet_from is None and acc.quiet_to is None


@pytest.mark.parametrize(
    "fields",
    [
        {"notify_marks": "sometimes"},
        {"notify_homework": "yes"},
        {"digest_at": "18:00"},
        {"quiet_from": 22},
        {"quiet_from": None},  # quiet_to stays set
        {"locale": "en"},
        {"active": False},
    ],
)
async def test_bad_settings_are_refused(small, accounts, fields):
    await link(small.store, "11", (PersonRole.GUARDIAN, small.mother.id))
    viewer = await accounts.viewer_for(TG, "11", True)
    await refused(small.store, ValidationFailed, accounts.update_settings(viewer, **fields))


async def test_settings_need_an_account(small, accounts):
    await refused(small.store, NotFound, accounts.update_settings(Viewer(), notify_marks="off"))


async def test_accounts_for_person(small, accounts):
    a = await link(small.store, "12", (PersonRole.GUARDIAN, small.mother.id))
    b = await link(small.store, "13", (PersonRole.GUARDIAN, small.mother.id), active=False)
    await link(small.store, "14", (PersonRole.STAFF, small.teacher.id))
    found = await accounts.accounts_for_person(PersonRole.GUARDIAN, small.mother.id)
    assert [x.id for x in found] == [a.id, b.id]
    teachers = await accounts.accounts_for_person(PersonRole.TEACHER, small.teacher.id)
    assert [x.external_id for x in teachers] == ["14"]
    await accounts.logout(TG, "12")
    found = await accounts.accounts_for_person(PersonRole.GUARDIAN, small.mother.id)
    assert [x.id for x in found] == [b.id]
    assert await accounts.accounts_for_person(PersonRole.STUDENT, small.ivanov.id) == []


async def test_teachings_of_another_year_are_left_out(small, accounts):
    async with small.store.uow() as uow:
        old_year = await uow.years.add(
            m.SchoolYear(small.school.id, "2025/2026", date(2025, 9, 1), date(2026, 8, 31))
        )
        old = await uow.classes.add(
            m.ClassGroup(old_year.id, 6, "А", class_teacher_id=small.teacher.id)
        )
        await uow.teachings.add(m.Teaching(small.teacher.id, small.maths.id, old.id))
        await uow.commit()
    await link(small.store, "15", (PersonRole.STAFF, small.teacher.id))
    viewer = await accounts.viewer_for(TG, "15", True)
    assert old.id not in {t.class_id for t in viewer.teaches}
    assert viewer.class_teacher_of == frozenset()
