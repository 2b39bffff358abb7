"""Linking by invite code, consent, several roles on one account, and signing out."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery, SendMessage, SetMyCommands

from core import model as m
from core.access import SYSTEM
from tests.handlers.conftest import World
from tests.support import TgUser


async def new_guardian_without_consent(w: World) -> m.Guardian:
    async with w.store.uow() as uow:
        g = await uow.guardians.add(m.Guardian("Соколова", "Ирина", "Петровна"))
        await uow.guardian_links.add(m.GuardianLink(g.id, w.s.first_grader.id, "mother"))
        await uow.guardian_links.add(m.GuardianLink(g.id, w.s.senior.id, "mother"))
        await uow.commit()
    return g


async def test_stranger_is_asked_for_a_code(world: World) -> None:
    await world.tester.send("/start", user=world.stranger)
    assert "код" in world.tester.last_text(world.stranger)
    await world.tester.send("/marks", user=world.stranger)
    assert "код" in world.tester.last_text(world.stranger)


async def test_guardian_links_by_deep_link_consents_and_sees_the_diary(world: World) -> None:
    w, user = world, TgUser(3001, "Ирина")
    g = await new_guardian_without_consent(w)
    code = await w.code(m.PersonRole.GUARDIAN, g.id)
    await w.tester.send(f"/start {code}", user=user)
    assert "согласны" in w.tester.last_text(user)
    # nothing is shown before consent
    await w.tester.send("/marks", user=user)
    assert "согласны" in w.tester.last_text(user)
    await w.tester.click("✅ Я согласен(на)", user=user)
    async with w.store.uow() as uow:
        links = await uow.guardian_links.for_guardian(g.id)
    assert all(link.consent_at == w.clock.now() for link in links)
    assert w.tester.reply_keyboard(user) is not None
    commands = w.tester.sent(SetMyCommands)[-1]
    assert {c.command for c in commands.commands} >= {"marks", "children", "logout"}
    await w.tester.send("/marks", user=user)
    text = w.tester.last_text(user)
    assert "Соколов" in text or "Новикова" in text


async def test_code_typed_as_a_message_links_a_student(world: World) -> None:
    w, user = world, TgUser(3002, "Миша")
    code = await w.code(m.PersonRole.STUDENT, w.s.senior.id)
    await w.tester.send(code, user=user)
    await w.tester.send("/marks", user=user)
    assert "Новикова Ольга, 10А" in w.tester.last_text(user)


async def test_used_expired_and_unknown_codes_are_refused_and_change_nothing(world: World) -> None:
    w, user = world, TgUser(3003)
    code = await w.code(m.PersonRole.STUDENT, w.s.senior.id)
    await w.tester.send(f"/start {code}", user=user)
    again = TgUser(3004)
    await w.tester.send(f"/start {code}", user=again)
    assert "уже использован" in w.tester.last_text(again)
    expired = await w.services.invites.issue(SYSTEM, m.PersonRole.STUDENT, w.s.senior.id, 1)
    w.clock.set(w.clock.now() + timedelta(days=2))
    await w.tester.send(f"/start {expired.code}", user=again)
    assert "истёк" in w.tester.last_text(again)
    await w.tester.send("/start AAAAAAAAAAAAAAAAAAAAAA", user=again)
    assert "не найден" in w.tester.last_text(again)
    async with w.store.uow() as uow:
        assert await uow.accounts.by_external("telegram", str(again.id)) is None


async def test_five_wrong_codes_in_ten_minutes_make_the_user_wait(world: World) -> None:
    w, user = world, TgUser(3005)
    for _ in range(5):
        await w.tester.send("/start BBBBBBBBBBBBBBBBBBBBBB", user=user)
    good = await w.code(m.PersonRole.STUDENT, w.s.senior.id)
    await w.tester.send(f"/start {good}", user=user)
    assert "Слишком много" in w.tester.last_text(user)
    async with w.store.uow() as uow:
        invite = [i for i in await uow.invites.list_all() if i.used_at is None]
    assert invite, "the good code was not spent while the user waits"


async def test_teacher_who_is_also_a_parent_gets_both_menus(world: World) -> None:
    w = world
    async with w.store.uow() as uow:
        g = await uow.guardians.add(m.Guardian("Смирнова", "Анна", "Петровна"))
        await uow.guardian_links.add(
            m.GuardianLink(g.id, w.s.senior.id, "mother", consent_at=w.clock.now())
        )
        await uow.commit()
    await w.link(w.teacher, m.PersonRole.GUARDIAN, g.id)
    assert "(учитель)" in w.tester.last_text(w.teacher)
    assert "родитель" in w.tester.last_text(w.teacher)
    await w.tester.send("/marks", user=w.teacher)
    assert "Новикова Ольга" in w.tester.last_text(w.teacher)


async def test_logout_unlinks_at_once(world: World) -> None:
    w = world
    await w.tester.send("/logout", user=w.mother)
    await w.tester.click("Выйти", user=w.mother)
    assert w.tester.reply_keyboard(w.mother) is None
    await w.tester.send("/marks", user=w.mother)
    assert "Иванов" not in w.tester.last_text(w.mother)
    assert "Сначала войдите" in w.tester.last_text(w.mother)  # told how to come back
    async with w.store.uow() as uow:
        account = await uow.accounts.by_external("telegram", str(w.mother.id))
        assert await uow.account_links.active_for_account(account.id) == []


async def test_consent_button_pressed_twice_is_harmless(world: World) -> None:
    w, user = world, TgUser(3006)
    g = await new_guardian_without_consent(w)
    await w.tester.send(f"/start {await w.code(m.PersonRole.GUARDIAN, g.id)}", user=user)
    await w.tester.click("cs1:1", user=user)
    calls = await w.tester.click("cs1:1", user=user, forged=True)
    assert any(isinstance(c, AnswerCallbackQuery) for c in calls)
    assert not any(isinstance(c, SendMessage) and "согласны" in c.text for c in calls)
