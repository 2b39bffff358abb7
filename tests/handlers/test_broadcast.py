"""/broadcast for a class teacher, read receipts, progress and who has not read, with forged
buttons refused; pushes are the fan-out's rows in the fake store."""

from __future__ import annotations

import json

import pytest
from aiogram.methods import AnswerCallbackQuery

from core import model as m
from core.events import BroadcastSent
from notifications import buttons as b
from notifications.fanout import Fanout, Windows
from tests.handlers.conftest import World
from tests.support import callback
from tests.support.recording import button_texts

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def w(world: World) -> World:
    world.store.fanout = Fanout(world.clock, Windows(0, 0, 0, 0, 0, 0))
    return world


def rows(w: World, **where: object) -> list[m.Delivery]:
    found = w.store.tables.get("deliveries", {}).values()
    return [r for r in found if all(getattr(r, k) == v for k, v in where.items())]


def row(w: World, delivery_id: int) -> m.Delivery:
    return w.store.tables["deliveries"][delivery_id]


def alert(w: World) -> str:
    answers = w.tester.session.calls(AnswerCallbackQuery)
    return answers[-1].text or ""


async def broadcast(w: World, text: str, audience: str) -> None:
    await w.tester.send("/broadcast", user=w.class_teacher)
    assert "7А" in w.tester.last_text(w.class_teacher)
    await w.tester.send(text, user=w.class_teacher)
    await w.tester.click(audience, user=w.class_teacher)
    await w.tester.click("✅ Отправить", user=w.class_teacher)


async def test_class_teacher_previews_and_sends_to_parents(w: World) -> None:
    await w.tester.send("/broadcast", user=w.class_teacher)
    await w.tester.send("Собрание в четверг в <b>18:00</b>", user=w.class_teacher)
    await w.tester.click("👪 Родители", user=w.class_teacher)
    preview = w.tester.last_text(w.class_teacher)
    assert "Собрание в четверг в &lt;b&gt;18:00&lt;/b&gt;" in preview  # shown, not interpreted
    assert "2 аккаунта" in preview and "родители: 2, ученики: 0" in preview
    assert not rows(w)  # nothing goes before the confirmation
    await w.tester.click("✅ Отправить", user=w.class_teacher)
    assert "2 аккаунта" in w.tester.last_text(w.class_teacher)
    pushes = rows(w, kind="broadcast")
    accounts = {r.account_id for r in pushes}
    assert len(pushes) == 2 == len(accounts)
    assert {r.role for r in pushes} == {m.PersonRole.GUARDIAN}
    data = json.loads(pushes[0].payload)
    assert data["text"] == "Собрание в четверг в <b>18:00</b>" and data["class"] == "7А"
    progress = rows(w, kind="broadcast_progress")
    assert len(progress) == 1 and progress[0].broadcast_id == pushes[0].broadcast_id
    assert len(w.store.events(BroadcastSent)) == 1


async def test_both_audiences_and_who_is_not_linked(w: World) -> None:
    async with w.store.uow() as uow:
        aunt = await uow.guardians.add(m.Guardian("Сидорова", "Анна"))
        await uow.guardian_links.add(m.GuardianLink(aunt.id, w.s.petrova.id, consent_at=None))
        await uow.commit()
    await w.tester.send("/broadcast", user=w.class_teacher)
    await w.tester.send("Экскурсия", user=w.class_teacher)
    await w.tester.click("👪🎒 Родители и ученики", user=w.class_teacher)
    preview = w.tester.last_text(w.class_teacher)
    assert "4 аккаунта" in preview and "родители: 2, ученики: 2" in preview
    assert "Сидорова Анна, родитель (Петрова Алёна)" in preview
    await w.tester.click("✅ Отправить", user=w.class_teacher)
    assert len(rows(w, kind="broadcast")) == 4


async def test_only_the_class_teacher_broadcasts(w: World) -> None:
    await w.tester.send("/broadcast", user=w.teacher)
    assert "Писать классу может только" in w.tester.last_text(w.teacher)
    await w.tester.send("/broadcast", user=w.mother)
    assert "Писать классу может только" in w.tester.last_text(w.mother)
    # a forged class button from a subject teacher changes nothing
    await w.tester.feed(callback(f"bc1:{w.s.c7.id}", user=w.teacher))
    assert "нет доступа" in alert(w)
    await w.tester.send("Текст", user=w.teacher)
    assert not rows(w)


async def test_cancel_and_stale_buttons(w: World) -> None:
    await w.tester.send("/broadcast", user=w.class_teacher)
    await w.tester.send("Текст", user=w.class_teacher)
    await w.tester.send("/cancel", user=w.class_teacher)
    assert "ничего не отправлено" in w.tester.last_text(w.class_teacher)
    await w.tester.feed(callback("ba1:guardians:0", user=w.class_teacher))
    assert "/broadcast" in alert(w)
    await w.tester.feed(callback("bs1:send", user=w.class_teacher))
    assert not rows(w)


async def test_read_receipt_progress_and_unread(w: World) -> None:
    await broadcast(w, "Собрание", "👪 Родители")
    pushes = {r.account_id: r for r in rows(w, kind="broadcast")}
    async with w.store.uow() as uow:
        mother = await uow.accounts.by_external("telegram", str(w.mother.id))
    mine = pushes[mother.id]
    # someone else's receipt is refused and changes nothing
    await w.tester.feed(callback(b.read(mine.id), user=w.other_parent))
    assert "ничего не найдено" in alert(w).lower()
    assert row(w, mine.id).read_at is None
    await w.tester.feed(callback(b.read(mine.id), user=w.mother))
    assert "Спасибо" in alert(w)
    assert row(w, mine.id).read_at == w.clock.now()
    bid = mine.broadcast_id
    await w.tester.feed(callback(b.progress(bid, "u"), user=w.class_teacher))
    unread = w.tester.last_text(w.class_teacher)
    assert "Петров Сергей, родитель (Петрова Алёна)" in unread
    assert "Иванова" not in unread
    await w.tester.feed(callback(b.progress(bid, "r"), user=w.class_teacher))
    assert "Прочитали: 1" in w.tester.last_text(w.class_teacher)
    # parents see neither the progress nor the list
    await w.tester.feed(callback(b.progress(bid, "u"), user=w.mother))
    assert "нет доступа" in alert(w)


async def test_a_guardian_answers_and_the_class_teacher_replies(w: World) -> None:
    await broadcast(w, "Собрание", "👪 Родители")
    push = rows(w, kind="broadcast")[0]
    await w.tester.feed(callback(b.reply(push.broadcast_id, w.s.ivanov.id), user=w.mother))
    await w.tester.send("Придём вдвоём", user=w.mother)
    assert "Отправлено классному руководителю" in w.tester.last_text(w.mother)
    letter = rows(w, kind="letter")[-1]
    data = json.loads(letter.payload)
    assert data["from_name"] == "Иванова Ольга Николаевна" and data["student"] == "Иванов Пётр"
    assert data["broadcast"] is True and letter.role == m.PersonRole.STAFF
    await w.tester.feed(callback(b.answer(data["letter_id"]), user=w.class_teacher))
    assert "Иванова Ольга Николаевна" in w.tester.last_text(w.class_teacher)
    await w.tester.send("Ждём!", user=w.class_teacher)
    back = rows(w, kind="letter")[-1]
    assert back.role == m.PersonRole.GUARDIAN and json.loads(back.payload)["text"] == "Ждём!"
    # another parent cannot answer a letter that is not theirs
    await w.tester.feed(callback(b.answer(data["letter_id"]), user=w.other_parent))
    assert "ничего не найдено" in alert(w).lower()


async def test_write_to_the_class_teacher_from_the_diary(w: World) -> None:
    await w.tester.send("/write", user=w.mother)
    assert "Иванов Пётр" in w.tester.last_text(w.mother)
    (class_teacher,) = [
        t for t in button_texts(w.tester.keyboard(w.mother)) if t.startswith("Классный")
    ]
    await w.tester.click(class_teacher, user=w.mother)
    await w.tester.send("Можно ли забрать ребёнка в 12:00?", user=w.mother)
    letter = rows(w, kind="letter")[-1]
    assert json.loads(letter.payload)["text"] == "Можно ли забрать ребёнка в 12:00?"
    # the student writes to his teachers too, but not to the administration (#14)
    await w.tester.send("/write", user=w.ivanov)
    assert "кому вы пишете" in w.tester.last_text(w.ivanov)
    assert "🏫 Администрация школы" not in button_texts(w.tester.keyboard(w.ivanov))
