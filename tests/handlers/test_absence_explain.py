"""The absence loop: the push to the parent carries "explain", the parent answers with a text
and a photo of a note, the class teacher sets the reason from the letter; blocking the bot and
coming back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Chat, ChatMemberBanned, ChatMemberMember, ChatMemberUpdated, Update, User

from core import model as m
from notifications import buttons as b
from notifications.fanout import Fanout, Windows
from notifications.render import Item, render
from tests.handlers.conftest import World
from tests.support import callback, photo_message
from tests.support.recording import BOT_USER

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def w(world: World) -> World:
    world.store.fanout = Fanout(world.clock, Windows(0, 0, 0, 0, 0, 0))
    return world


def rows(w: World, **where: object) -> list[m.Delivery]:
    found = w.store.tables.get("deliveries", {}).values()
    return [r for r in found if all(getattr(r, k) == v for k, v in where.items())]


def alert(w: World) -> str:
    return w.tester.session.calls(AnswerCallbackQuery)[-1].text or ""


def rendered(row: m.Delivery, locale: str = "ru"):  # type: ignore[no-untyped-def]
    item = Item.parse(
        row.id, row.kind, row.payload, row.student_id, row.broadcast_id, row.role.value
    )
    return render([item], locale)


async def absent(w: World) -> m.AttendanceRecord:
    teacher = await w.services.viewers.get("telegram", str(w.teacher.id), True)
    await w.services.journal.toggle_attendance(teacher, w.s.lesson_today.id, w.s.ivanov.id)
    async with w.store.uow() as uow:
        record = await uow.attendance.find(w.s.lesson_today.id, w.s.ivanov.id)
    assert record is not None
    return record


async def test_explain_with_a_photo_and_the_class_teacher_sets_the_reason(w: World) -> None:
    record = await absent(w)
    push = rows(w, kind="absence")
    assert len(push) == 1 and push[0].role == m.PersonRole.GUARDIAN  # the parent, not the child
    out = rendered(push[0])
    assert "Иванов Пётр (7А) отсутствует: 2-й урок, Математика" in out.text
    assert out.buttons[0][0].data == b.explain(record.id)

    await w.tester.feed(callback(b.explain(record.id), user=w.mother))
    prompt = w.tester.last_text(w.mother)
    assert "Иванов Пётр, 7А: пропуск — ср, 18 ноября, 2-й урок, Математика" in prompt  # whose
    assert "причину пропуска" in prompt and "отсутствовал" not in prompt  # no gendered word
    await w.tester.feed(photo_message(user=w.mother, caption="Температура, справка будет"))
    assert "Отправлено классному руководителю" in w.tester.last_text(w.mother)
    letter_row = rows(w, kind="letter")[-1]
    data = json.loads(letter_row.payload)
    assert data["absence"]["attendance_id"] == record.id
    assert data["attachments"][0][0] == "photo"
    to_teacher = rendered(letter_row)
    assert to_teacher.attachment is not None and to_teacher.attachment.kind == "photo"
    assert "Температура, справка будет" in to_teacher.text and "О пропуске" in to_teacher.text
    reasons = [x.data for row in to_teacher.buttons[1:] for x in row]  # one a row
    assert reasons == [b.reason(record.id, r) for r in ("sick", "excused", "unexcused")]

    # the parent cannot set the reason with a forged button
    await w.tester.feed(callback(b.reason(record.id, "excused"), user=w.mother))
    assert "нет доступа" in alert(w)
    await w.tester.feed(callback(b.reason(record.id, "sick"), user=w.class_teacher))
    async with w.store.uow() as uow:
        saved = await uow.attendance.get(record.id)
    assert saved is not None and saved.reason == m.AbsenceReason.SICK
    told = rows(w, kind="reason")
    assert len(told) == 1 and json.loads(told[0].payload)["reason"] == "sick"
    # the pending "absent, please explain" was superseded by the reason
    assert rows(w, kind="absence")[0].status == m.DeliveryStatus.SUPERSEDED


async def test_another_parent_cannot_explain_and_bad_data_changes_nothing(w: World) -> None:
    record = await absent(w)
    await w.tester.feed(callback(b.explain(record.id), user=w.other_parent))
    assert "нет доступа" in alert(w)  # refused at the press: the form never opens
    await w.tester.send("Это не мой ребёнок", user=w.other_parent)
    assert not rows(w, kind="letter")
    await w.tester.feed(callback("rs1:999999:sick", user=w.class_teacher))
    assert "ничего не найдено" in alert(w).lower()
    await w.tester.feed(callback(f"rs1:{record.id}:holiday", user=w.class_teacher))
    assert "проверьте" in alert(w).lower()


def membership(user_id: int, banned: bool) -> Update:
    chat = Chat(id=user_id, type="private", first_name="Ольга")
    bot = User.model_validate(BOT_USER)
    new = ChatMemberBanned(user=bot, until_date=0) if banned else ChatMemberMember(user=bot)
    old = ChatMemberMember(user=bot) if banned else ChatMemberBanned(user=bot, until_date=0)
    event = ChatMemberUpdated(
        chat=chat,
        from_user=User(id=user_id, is_bot=False, first_name="Ольга"),
        date=datetime.now(UTC),
        old_chat_member=old,
        new_chat_member=new,
    )
    return Update(update_id=990_000 + user_id + int(banned), my_chat_member=event)


async def test_blocking_the_bot_stops_pushes_and_coming_back_resumes(w: World) -> None:
    async def active() -> bool:
        async with w.store.uow() as uow:
            account = await uow.accounts.by_external("telegram", str(w.mother.id))
        return account.active

    await w.tester.feed(membership(w.mother.id, banned=True))
    assert not await active()
    await absent(w)
    assert not rows(w, kind="absence")  # nothing is queued for an account that blocked us
    await w.tester.feed(membership(w.mother.id, banned=False))
    assert await active()
