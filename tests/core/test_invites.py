"""One-time invite codes (core/invites.py) and the Viewer they lead to."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest

from core import model as m
from core.access_admin import AccessAdminService
from core.accounts import AccountService
from core.errors import (
    AccessDenied,
    DomainError,
    InviteDaysRefused,
    InviteInvalid,
    NotFound,
    PrivateChatRequired,
    ValidationFailed,
)
from core.events import AccountLinked
from core.invites import InviteService, hash_code, looks_like_code
from core.model import PersonRole, StaffRoleKind
from tests.core.conftest import NOW, SmallSchool
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


@pytest.fixture
def invites(small: SmallSchool) -> InviteService:
    return InviteService(small.store.uow, small.clock)


@pytest.fixture
def accounts(small: SmallSchool) -> AccountService:
    return AccountService(small.store.uow, small.clock)


# --- issuing ----------------------------------------------------------------------------------


async def test_admin_issues_a_staff_code(small, invites):
    issued = await invites.issue(small.viewer(small.admin), PersonRole.TEACHER, small.teacher.id)
    code = issued.code
    assert len(code) == 22 and looks_like_code(code)
    assert len(base64.urlsafe_b64decode(code + "==")) == 16  # 128 bits, base64url
    (stored,) = rows(small.store, "invites")
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest() == hash_code(code)
    assert code not in repr(asdict(stored))  # only the hash is kept
    assert (stored.role, stored.person_id, stored.created_by, stored.expires_at) == (
        PersonRole.TEACHER,
        small.teacher.id,
        small.admin.id,
        NOW + timedelta(days=14),
    )
    assert issued.name == "Смирнова Анна Петровна"


async def test_codes_differ(small, invites):
    admin = small.viewer(small.admin)
    codes = {
        (await invites.issue(admin, PersonRole.STAFF, small.teacher.id)).code for _ in range(5)
    }
    assert len(codes) == 5


@pytest.mark.parametrize("who", ["class_teacher", "teacher", "deputy"])
async def test_only_the_admin_issues_staff_codes(small, invites, who):
    await refused(
        small.store,
        AccessDenied,
        invites.issue(small.viewer(getattr(small, who)), PersonRole.TEACHER, small.teacher.id),
    )


async def test_class_teacher_issues_for_their_class(small, invites):
    ct = small.viewer(small.class_teacher)
    student = await invites.issue(ct, PersonRole.STUDENT, small.ivanov.id)
    parent = await invites.issue(ct, PersonRole.GUARDIAN, small.mother.id)
    assert (student.invite.class_id, parent.invite.class_id) == (small.c7.id, small.c7.id)
    assert student.invite.created_by == small.class_teacher.id


async def test_class_teacher_not_for_another_class(small, invites):
    async with small.store.uow() as uow:
        g = await uow.guardians.add(m.Guardian("Новиков", "Андрей"))
        await uow.guardian_links.add(m.GuardianLink(g.id, small.senior.id))
        await uow.commit()
    ct = small.viewer(small.class_teacher)
    await refused(small.store, AccessDenied, invites.issue(ct, PersonRole.STUDENT, small.senior.id))
    await refused(small.store, AccessDenied, invites.issue(ct, PersonRole.GUARDIAN, g.id))


@pytest.mark.parametrize("who", ["teacher", "mother", "ivanov"])
async def test_others_issue_nothing(small, invites, who):
    await refused(
        small.store,
        AccessDenied,
        invites.issue(small.viewer(getattr(small, who)), PersonRole.STUDENT, small.ivanov.id),
    )


async def test_issue_refusals(small, invites):
    admin = small.viewer(small.admin)
    await refused(small.store, NotFound, invites.issue(admin, PersonRole.STUDENT, 9999))
    await refused(
        small.store,
        ValidationFailed,
        invites.issue(admin, PersonRole.CLASS_TEACHER, small.other_teacher.id),
    )
    for days in (0, 91):  # 1 to 90 days
        await refused(
            small.store,
            InviteDaysRefused,
            invites.issue(admin, PersonRole.STAFF, small.teacher.id, days),
        )


async def test_issue_many_is_all_or_nothing(small, invites):
    ct = small.viewer(small.class_teacher)
    targets = [(PersonRole.STUDENT, small.ivanov.id), (PersonRole.STUDENT, small.senior.id)]
    await refused(small.store, AccessDenied, invites.issue_many(ct, targets))
    issued = await invites.issue_many(ct, [*targets[:1], (PersonRole.STUDENT, small.petrova.id)])
    assert len(issued) == 2 and len(rows(small.store, "invites")) == 2


# --- redeeming --------------------------------------------------------------------------------


async def test_redeem_once(small, invites, accounts):
    issued = await invites.issue(small.viewer(small.admin), PersonRole.TEACHER, small.teacher.id)
    link = await invites.redeem(TG, "100", issued.code, display_name="Anna")
    assert (link.role, link.person_id, link.linked_at) == (PersonRole.STAFF, small.teacher.id, NOW)
    (invite,) = rows(small.store, "invites")
    assert invite.used_at == NOW and invite.used_by == link.account_id
    assert small.store.outbox == [AccountLinked(link.account_id, "staff", small.teacher.id)]
    viewer = await accounts.viewer_for(TG, "100", True)
    assert viewer.staff_id == small.teacher.id
    err = await refused(small.store, InviteInvalid, invites.redeem(TG, "101", issued.code))
    assert err.facts == {"why": "used"}


async def test_expired_code(small, invites):
    issued = await invites.issue(small.viewer(small.admin), PersonRole.STAFF, small.teacher.id, 1)
    small.clock.set(NOW + timedelta(days=1))
    err = await refused(small.store, InviteInvalid, invites.redeem(TG, "100", issued.code))
    assert err.facts == {"why": "expired"}


@pytest.mark.parametrize("code", ["A" * 22, "not a code", "", "x" * 100])
async def test_unknown_code(small, invites, code):
    err = await refused(small.store, InviteInvalid, invites.redeem(TG, "100", code))
    assert err.facts == {"why": "unknown"}


async def test_revoked_code(small, invites):
    admin = small.viewer(small.admin)
    issued = await invites.issue(admin, PersonRole.STAFF, small.teacher.id)
    await refused(
        small.store, AccessDenied, invites.revoke(small.viewer(small.deputy), issued.invite.id)
    )
    await invites.revoke(admin, issued.invite.id)
    err = await refused(small.store, InviteInvalid, invites.redeem(TG, "100", issued.code))
    assert err.facts == {"why": "revoked"}


async def test_a_reissued_code_replaces_the_lost_one(small, invites, accounts):
    ct = small.viewer(small.class_teacher)
    lost = await invites.issue(ct, PersonRole.GUARDIAN, small.mother.id)
    also_lost = await invites.issue(ct, PersonRole.GUARDIAN, small.mother.id)
    student = await invites.issue(ct, PersonRole.STUDENT, small.ivanov.id)  # someone else's
    new, revoked = await invites.reissue(ct, PersonRole.GUARDIAN, small.mother.id)
    assert revoked == 2
    for old in (lost, also_lost):
        err = await refused(small.store, InviteInvalid, invites.redeem(TG, "100", old.code))
        assert err.facts == {"why": "revoked"}
    await invites.redeem(TG, "100", new.code)
    await invites.redeem(TG, "101", student.code)  # untouched


async def test_reissue_is_checked_like_issue(small, invites):
    senior = small.senior.id
    ct = small.viewer(small.class_teacher)
    await refused(small.store, AccessDenied, invites.reissue(ct, PersonRole.STUDENT, senior))
    teacher = small.viewer(small.teacher)
    await refused(
        small.store, AccessDenied, invites.reissue(teacher, PersonRole.STUDENT, small.ivanov.id)
    )


async def test_teacher_who_is_also_a_parent_gets_both(small, invites, accounts):
    async with small.store.uow() as uow:
        as_parent = await uow.guardians.add(m.Guardian("Смирнова", "Анна", "Петровна"))
        await uow.guardian_links.add(
            m.GuardianLink(as_parent.id, small.petrova.id, "mother", consent_at=NOW)
        )
        await uow.commit()
    staff_code = await invites.issue(
        small.viewer(small.admin), PersonRole.TEACHER, small.teacher.id
    )
    parent_code = await invites.issue(
        small.viewer(small.class_teacher), PersonRole.GUARDIAN, as_parent.id
    )
    await invites.redeem(TG, "200", staff_code.code)
    await invites.redeem(TG, "200", parent_code.code)
    assert len(rows(small.store, "accounts")) == 1
    viewer = await accounts.viewer_for(TG, "200", True)
    assert viewer.staff_id == small.teacher.id and viewer.guardian_id == as_parent.id
    assert viewer.children == {small.petrova.id}
    assert StaffRoleKind.TEACHER in viewer.staff_roles and viewer.teaches
    assert len(small.store.events(AccountLinked)) == 2


# --- handing out codes for a class ------------------------------------------------------------


@pytest.fixture
def access_admin(small: SmallSchool) -> AccessAdminService:
    return AccessAdminService(small.store.uow, small.clock)


async def test_the_class_list_says_who_has_signed_in(small, invites, access_admin):
    ct = small.viewer(small.class_teacher)
    before = await access_admin.class_access(ct, small.c7.id)
    assert before.class_name == "7А"
    assert [(p.role, p.person_id, p.children, p.linked) for p in before.people] == [
        (PersonRole.STUDENT, small.ivanov.id, "", False),
        (PersonRole.GUARDIAN, small.mother.id, small.ivanov.full_name, False),
        (PersonRole.STUDENT, small.petrova.id, "", False),
        (PersonRole.GUARDIAN, small.other_parent.id, small.petrova.full_name, False),
    ]
    issued = await invites.issue(ct, PersonRole.GUARDIAN, small.mother.id)
    await invites.redeem(TG, "100", issued.code)
    after = await access_admin.class_access(ct, small.c7.id)
    assert [p.person_id for p in after.people if p.linked] == [small.mother.id]
    assert after.count(PersonRole.GUARDIAN) == 2
    assert after.count(PersonRole.GUARDIAN, linked=True) == 1


async def test_class_lists_are_for_their_class_teacher_and_the_admin(small, access_admin):
    ct, admin = small.viewer(small.class_teacher), small.viewer(small.admin)
    assert await access_admin.invite_classes(ct) == [(small.c7.id, "7А")]
    assert [name for _, name in await access_admin.invite_classes(admin)] == ["1А", "7А", "10А"]
    assert (await access_admin.class_access(admin, small.c10.id)).class_name == "10А"
    for who in ("teacher", "deputy", "mother", "ivanov"):
        viewer = small.viewer(getattr(small, who))
        await refused(small.store, AccessDenied, access_admin.invite_classes(viewer))
        await refused(small.store, AccessDenied, access_admin.class_access(viewer, small.c7.id))
    await refused(small.store, AccessDenied, access_admin.class_access(ct, small.c10.id))
    await refused(small.store, NotFound, access_admin.class_access(admin, 9999))
    group = small.viewer(small.class_teacher, private=False)
    await refused(small.store, PrivateChatRequired, access_admin.class_access(group, small.c7.id))
