"""Who gets which push, written in the use case's own transaction: consent, settings,
subgroups, tomorrow's lessons only, and later changes superseding unsent pushes."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from core import model as m
from core.access import SYSTEM
from core.clock import FixedClock
from core.events import MarkGiven
from core.journal import JournalService
from core.letters import LetterService
from core.messaging import MessagingService
from core.school_admin import SchoolAdminService
from notifications.fanout import DIGEST_GRACE, Fanout, Windows
from tests.core.conftest import NOW, TZ, SmallSchool, build_small_school
from tests.core.fakes import FakeStore

S = m.DeliveryStatus


@pytest.fixture
async def s() -> SmallSchool:
    store = FakeStore()
    clock = FixedClock(NOW, TZ)
    store.fanout = Fanout(clock, Windows(marks=90), wall=lambda: NOW)
    return await build_small_school(store, clock)


async def link(s: SmallSchool, role: m.PersonRole, person_id: int, **settings) -> m.Account:  # type: ignore[no-untyped-def]
    async with s.store.uow() as uow:
        account = await uow.accounts.add(
            m.Account("telegram", str(9000 + s.store.next_id()), NOW, **settings)
        )
        link_role = m.PersonRole.STAFF if role.is_staff else role
        await uow.account_links.add(m.AccountLink(account.id, link_role, person_id, NOW))
        await uow.commit()
    return account


def rows(s: SmallSchool, **where: object) -> list[m.Delivery]:
    found = s.store.tables.get("deliveries", {}).values()
    return [r for r in found if all(getattr(r, k) == v for k, v in where.items())]


def journal(s: SmallSchool) -> JournalService:
    return JournalService(s.store.uow, s.clock)


async def test_a_mark_goes_to_consented_guardians_and_the_student(s: SmallSchool) -> None:
    mother = await link(s, m.PersonRole.GUARDIAN, s.mother.id)
    student = await link(s, m.PersonRole.STUDENT, s.ivanov.id)
    other = await link(s, m.PersonRole.GUARDIAN, s.other_parent.id)  # Петрова's, not Иванов's
    async with s.store.uow() as uow:  # a second guardian who has not consented yet
        aunt = await uow.guardians.add(m.Guardian("Иванова", "Анна"))
        await uow.guardian_links.add(m.GuardianLink(aunt.id, s.ivanov.id))
        await uow.commit()
    pending = await link(s, m.PersonRole.GUARDIAN, aunt.id)
    await journal(s).give_mark(
        s.viewer(s.teacher), s.lesson_today.id, s.ivanov.id, m.MarkValue.FIVE, s.oral.id
    )
    pushes = rows(s, kind="mark")
    assert {r.account_id for r in pushes} == {mother.id, student.id}
    assert other.id not in {r.account_id for r in pushes} and pending.id not in {
        r.account_id for r in pushes
    }
    data = json.loads(pushes[0].payload)
    assert data["student"] == "Иванов Пётр" and data["value"] == "5" and data["wt_short"] == "У"
    assert {r.group_key for r in pushes} == {f"marks:{s.ivanov.id}"}
    assert {r.not_before for r in pushes} == {NOW + timedelta(seconds=90)}
    assert len(s.store.events(MarkGiven)) == 1  # the outbox still gets the event


async def test_the_account_settings_decide(s: SmallSchool) -> None:
    off = await link(s, m.PersonRole.GUARDIAN, s.mother.id, notify_marks="off")
    digest = await link(
        s, m.PersonRole.STUDENT, s.ivanov.id, notify_marks="digest", digest_at=time(19, 0)
    )
    await journal(s).give_mark(
        s.viewer(s.teacher), s.lesson_today.id, s.ivanov.id, m.MarkValue.FOUR, s.oral.id
    )
    assert not rows(s, account_id=off.id)
    (row,) = rows(s, account_id=digest.id)
    assert row.due_at == NOW.replace(hour=19) + DIGEST_GRACE
    assert row.group_key == f"digest:{s.ivanov.id}"
    async with s.store.uow() as uow:
        account = await uow.accounts.get(off.id)
        account.notify_attendance = False
        await uow.commit()
    await journal(s).toggle_attendance(s.viewer(s.teacher), s.lesson_today.id, s.ivanov.id)
    assert not rows(s, kind="absence")  # the only guardian switched absences off


async def test_a_mark_corrected_before_it_went_out_is_pushed_as_the_new_mark(
    s: SmallSchool,
) -> None:
    mother = await link(s, m.PersonRole.GUARDIAN, s.mother.id)
    service = journal(s)
    teacher = s.viewer(s.teacher)
    mark = await service.give_mark(
        teacher, s.lesson_today.id, s.ivanov.id, m.MarkValue.TWO, s.oral.id
    )
    await service.correct_mark(teacher, mark.id, m.MarkValue.THREE, "опечатка")
    old, new = rows(s, account_id=mother.id)
    assert old.status == S.SUPERSEDED and json.loads(old.payload)["value"] == "2"
    assert new.kind == "mark" and json.loads(new.payload)["value"] == "3"
    # once sent, a correction is pushed as one
    new.status = S.SENT
    await service.correct_mark(teacher, new_mark_id(s, new), m.MarkValue.FOUR, "пересчитали")
    (corrected,) = rows(s, kind="mark_corrected")
    data = json.loads(corrected.payload)
    assert (data["old"], data["new"], data["reason"]) == ("3", "4", "пересчитали")


def new_mark_id(s: SmallSchool, row: m.Delivery) -> int:
    return json.loads(row.payload)["mark_id"]


async def test_attendance_taps_supersede_each_other(s: SmallSchool) -> None:
    mother = await link(s, m.PersonRole.GUARDIAN, s.mother.id)
    student = await link(s, m.PersonRole.STUDENT, s.ivanov.id)
    service = journal(s)
    teacher = s.viewer(s.teacher)
    await service.toggle_attendance(teacher, s.lesson_today.id, s.ivanov.id)  # absent
    await service.toggle_attendance(teacher, s.lesson_today.id, s.ivanov.id)  # late
    absent, late = rows(s, account_id=mother.id)
    assert (absent.kind, absent.status) == ("absence", S.SUPERSEDED)
    assert (late.kind, late.status) == ("late", S.PENDING)
    await service.toggle_attendance(teacher, s.lesson_today.id, s.ivanov.id)  # present
    assert {r.status for r in rows(s, account_id=mother.id)} == {S.SUPERSEDED}
    assert not rows(s, account_id=student.id)  # absences go to guardians


async def test_homework_reaches_the_subgroup_only(s: SmallSchool) -> None:
    mother = await link(s, m.PersonRole.GUARDIAN, s.mother.id)
    ivanov = await link(s, m.PersonRole.STUDENT, s.ivanov.id)
    petrova = await link(s, m.PersonRole.STUDENT, s.petrova.id)
    father = await link(s, m.PersonRole.GUARDIAN, s.other_parent.id, notify_homework=False)
    english = s.viewer(s.english_teacher)
    await journal(s).set_homework(english, s.english_today.id, "Workbook p. 14")
    assert {r.account_id for r in rows(s, kind="homework")} == {mother.id, ivanov.id}
    await journal(s).set_homework(s.viewer(s.teacher), s.lesson_today.id, "№ 7")
    maths = [r for r in rows(s, kind="homework") if "№ 7" in r.payload]
    assert {r.account_id for r in maths} == {mother.id, ivanov.id, petrova.id}
    assert father.id not in {r.account_id for r in rows(s)}
    # changed within the window: one push, the latest text
    await journal(s).set_homework(s.viewer(s.teacher), s.lesson_today.id, "№ 7, 8")
    live = [r for r in rows(s, account_id=petrova.id) if r.status == S.PENDING]
    assert len(live) == 1 and json.loads(live[0].payload)["text"] == "№ 7, 8"


async def test_lesson_changes_of_today_and_tomorrow_only(s: SmallSchool) -> None:
    mother = await link(s, m.PersonRole.GUARDIAN, s.mother.id)
    admin = SchoolAdminService(s.store.uow, s.clock)
    await admin.cancel_lesson(SYSTEM, s.lesson_tomorrow.id)
    (row,) = rows(s, account_id=mother.id)
    assert json.loads(row.payload)["change"] == "cancellation"
    await admin.restore_lesson(SYSTEM, s.lesson_tomorrow.id)  # before it went out
    assert rows(s, account_id=mother.id)[0].status == S.SUPERSEDED
    assert len(rows(s, account_id=mother.id)) == 1  # nothing to undo
    async with s.store.uow() as uow:
        later = await uow.lessons.add(
            m.Lesson(s.c7.id, s.lesson_today.day + timedelta(days=5), 1, s.maths.id, s.teacher.id)
        )
        await uow.commit()
    await admin.cancel_lesson(SYSTEM, later.id)
    assert len(rows(s, account_id=mother.id)) == 1


async def test_a_letter_goes_to_the_class_teachers_account(s: SmallSchool) -> None:
    class_teacher = await link(s, m.PersonRole.STAFF, s.class_teacher.id)
    messaging = MessagingService(s.store.uow, s.clock)
    await messaging.write_to_class_teacher(s.viewer(s.mother), s.ivanov.id, "Добрый день!")
    (row,) = rows(s, kind="letter")
    assert row.account_id == class_teacher.id and row.role == m.PersonRole.STAFF
    assert json.loads(row.payload)["from_name"] == "Иванова Ольга Николаевна"


async def test_a_parent_listed_twice_gets_one_push_and_writes_as_that_childs_parent(
    s: SmallSchool,
) -> None:
    """One account holding two records of the same parent (a roster that lists her under each
    child, here both under Иванов): one push per event, and letters go out, and answers come
    back, through the record of the child they are about."""
    from core.accounts import AccountService

    async with s.store.uow() as uow:
        twin = await uow.guardians.add(m.Guardian("Иванова", "Ольга", "Николаевна"))
        await uow.guardian_links.add(m.GuardianLink(twin.id, s.ivanov.id, consent_at=NOW))
        await uow.guardian_links.add(m.GuardianLink(twin.id, s.petrova.id, consent_at=NOW))
        account = await uow.accounts.add(m.Account("telegram", "8001", NOW))
        for gid in (s.mother.id, twin.id):
            await uow.account_links.add(m.AccountLink(account.id, m.PersonRole.GUARDIAN, gid, NOW))
        await uow.commit()
    await journal(s).give_mark(
        s.viewer(s.teacher), s.lesson_today.id, s.ivanov.id, m.MarkValue.FIVE, s.oral.id
    )
    assert [r.account_id for r in rows(s, kind="mark")] == [account.id]

    class_teacher = await link(s, m.PersonRole.STAFF, s.class_teacher.id)
    viewer = await AccountService(s.store.uow, s.clock).viewer_for("telegram", "8001", True)
    messaging = MessagingService(s.store.uow, s.clock)
    letter = await messaging.write_to_class_teacher(viewer, s.petrova.id, "Добрый день!")
    assert (letter.from_role, letter.from_id) == (m.PersonRole.GUARDIAN, twin.id)
    letters = LetterService(s.store.uow, s.clock)
    answer = await letters.reply(s.viewer(s.class_teacher), letter.id, "Здравствуйте!")
    assert answer.to_id == twin.id
    assert [r.account_id for r in rows(s, kind="letter") if r.role == m.PersonRole.GUARDIAN] == [
        account.id
    ]
    again = await letters.reply(viewer, answer.id, "Спасибо!")  # she may answer the answer
    assert (again.from_id, again.to_id) == (twin.id, s.class_teacher.id)
    assert class_teacher.id in {r.account_id for r in rows(s, kind="letter")}
