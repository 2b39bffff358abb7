"""/invites: the class teacher hands out codes from the bot, the whole class as a sheet or one
new code for someone who lost theirs, and sees who has signed in; the admin does so for any
class; nobody else, and no forged button, gets a code."""

from __future__ import annotations

import io
import re

from aiogram.methods import AnswerCallbackQuery, SendDocument
from pypdf import PdfReader

from core.model import PersonRole
from handlers.invites import InvCb, InvPersonCb
from tests.handlers.conftest import World
from tests.support import TgUser, group_message

CODE = re.compile(r"<code>([^<]+)</code>")


def _alerts(w: World) -> list[str]:
    return [c.text or "" for c in w.tester.session.calls(AnswerCallbackQuery)]


async def _invites(w: World) -> int:
    async with w.store.uow() as uow:
        return len(await uow.invites.list_all())


async def test_the_class_teacher_sees_who_has_signed_in(world: World) -> None:
    w = world
    await w.tester.send("/invites", user=w.class_teacher)
    text = w.tester.last_text(w.class_teacher)
    # 7А: Иванов and Петрова are linked, and so are both their parents (conftest links all).
    assert "Коды приглашения: 7А" in text
    assert "Учеников вошло: 2 из 2." in text and "Родителей вошло: 2 из 2." in text
    await w.tester.click("👤 Новый код для одного человека", user=w.class_teacher)
    labels = [t for row in w.tester.keyboard(w.class_teacher) for t, _ in row]
    assert f"✅ 🎒 {w.s.ivanov.full_name}" in labels
    assert any(label.startswith(f"✅ {w.s.mother.full_name}") for label in labels)


async def test_a_lost_code_is_replaced_and_the_old_one_stops_working(world: World) -> None:
    w = world
    lost = await w.code(PersonRole.GUARDIAN, w.s.mother.id)
    await w.tester.send("/invites", user=w.class_teacher)
    await w.tester.click("👤 Новый код для одного человека", user=w.class_teacher)
    mother = next(
        t for row in w.tester.keyboard(w.class_teacher) for t, _ in row if w.s.mother.last_name in t
    )
    before = await _invites(w)
    await w.tester.click(mother, user=w.class_teacher)
    assert "перестанут действовать" in w.tester.last_text(w.class_teacher)
    assert await _invites(w) == before  # asked first: nothing issued yet
    await w.tester.click("Выдать новый код", user=w.class_teacher)
    text = w.tester.last_text(w.class_teacher)
    assert "https://t.me/schoolbot_test_bot?start=" in text
    assert "Прежние неиспользованные коды больше не действуют: 1." in text
    (code,) = CODE.findall(text)

    newcomer, stranger = TgUser(3101, "Мама"), TgUser(3102, "Нашёл бумажку")
    await w.tester.send(f"/start {lost}", user=stranger)
    assert "отозван" in w.tester.last_text(stranger)
    await w.tester.send(f"/start {code}", user=newcomer)
    assert "Иванов" in w.tester.last_text(newcomer)


async def test_the_whole_class_as_a_pdf_and_a_table(world: World) -> None:
    w = world
    await w.tester.send("/invites", user=w.class_teacher)
    await w.tester.click("📄 Коды для всего класса", user=w.class_teacher)
    assert "учеников: 2, родителей: 2" in w.tester.last_text(w.class_teacher)
    before = await _invites(w)
    await w.tester.click("Да, создать коды", user=w.class_teacher)
    assert await _invites(w) == before + 4
    docs = w.tester.sent(SendDocument, w.class_teacher)
    # Named, captioned and printed in the reader's language: the cards go home to families.
    assert [d.document.filename for d in docs] == [
        "Коды приглашения, 7А.pdf",
        "Коды приглашения, 7А.xlsx",
    ]
    assert [d.caption for d in docs] == [
        "Карточки, чтобы распечатать и разрезать: 7А",
        "Те же коды таблицей: 7А",
    ]
    assert docs[0].document.data.startswith(b"%PDF")
    assert docs[1].document.data.startswith(b"PK")  # a zip: the xlsx
    cards = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(docs[0].document.data)).pages
    )
    assert "Обучающийся, класс 7А" in cards and "class" not in cards
    assert any("Готово кодов: 4." in t for t in w.tester.texts(w.class_teacher))


async def test_the_admin_chooses_any_class(world: World) -> None:
    w = world
    await w.tester.send("/invites", user=w.admin)
    assert "для какого класса" in w.tester.last_text(w.admin)
    await w.tester.click("10А", user=w.admin)
    assert "Коды приглашения: 10А" in w.tester.last_text(w.admin)
    await w.tester.click("◀ Классы", user=w.admin)
    assert "для какого класса" in w.tester.last_text(w.admin)


async def test_nobody_else_gets_a_code_and_forged_buttons_change_nothing(world: World) -> None:
    w = world
    before = await _invites(w)
    for user in (w.teacher, w.mother, w.ivanov, w.stranger):
        await w.tester.send("/invites", user=user)
        assert "Коды приглашения" not in (w.tester.last_text(user) or "")
        for forged in (
            InvCb(cls=w.s.c7.id, action="make"),
            InvPersonCb(cls=w.s.c7.id, role="g", person=w.s.mother.id, go=True),
        ):
            await w.tester.click(forged, user=user, forged=True)
            assert "<code>" not in (w.tester.last_text(user) or "")
    # The class teacher of 7А, with buttons for another class or a person of another class.
    ct = w.class_teacher
    await w.tester.click(InvCb(cls=w.s.c10.id, action="make"), user=ct, forged=True)
    await w.tester.click(
        InvPersonCb(cls=w.s.c7.id, role="s", person=w.s.senior.id, go=True), user=ct, forged=True
    )
    assert "больше нет в списке класса" in _alerts(w)[-1]
    await w.tester.click(InvPersonCb(cls=w.s.c7.id, role="x", person=1), user=ct, forged=True)
    assert await _invites(w) == before
    assert not w.tester.sent(SendDocument)


async def test_in_a_group_nothing_is_shown(world: World) -> None:
    w = world
    await w.tester.feed(group_message("/invites", user=w.class_teacher))
    assert w.tester.texts() == ["Это работает только в личном чате с ботом."]


async def test_the_admin_takes_access_away_and_the_class_teacher_cannot(world: World) -> None:
    w = world
    mother = InvPersonCb(cls=w.s.c7.id, role="g", person=w.s.mother.id)
    await w.tester.click(mother, user=w.class_teacher, forged=True)
    assert "⛔" not in str(w.tester.keyboard(w.class_teacher))
    for go in (False, True):
        cut = InvPersonCb(cls=w.s.c7.id, role="g", person=w.s.mother.id, action="cut", go=go)
        await w.tester.click(cut, user=w.class_teacher, forged=True)
        assert "нет доступа" in _alerts(w)[-1]
    await w.tester.send("/marks", user=w.mother)
    assert w.s.ivanov.last_name in w.tester.last_text(w.mother)  # still signed in

    await w.tester.click(mother, user=w.admin, forged=True)
    await w.tester.click("⛔ Закрыть доступ", user=w.admin)
    assert "записывается в журнал изменений" in w.tester.last_text(w.admin)
    await w.tester.click("Да, закрыть доступ", user=w.admin)
    assert "вышли аккаунтов — 1" in w.tester.last_text(w.admin)
    await w.tester.send("/marks", user=w.mother)
    assert "Сначала войдите" in w.tester.last_text(w.mother)
    async with w.store.uow() as uow:
        audit = [e for e in await uow.audit.list_all() if e.action == "access.revoke"]
    assert [(e.actor_id, e.entity_id) for e in audit] == [(w.s.admin.id, w.s.mother.id)]
