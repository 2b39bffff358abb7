"""Topic, homework with photos and files (kept by the messenger's file id), remarks and
praise, through the real dispatcher on a fixed clock; and typed input that went stale."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.methods import AnswerCallbackQuery, SendDocument

from app.keyboards import LessonCb
from core import model as m
from tests.core.conftest import TZ
from tests.handlers.conftest import World
from tests.support import document_message, photo_message
from tests.support.recording import button_texts


def alert(w: World) -> str:
    answers = w.tester.session.calls(AnswerCallbackQuery)
    return answers[-1].text or "" if answers else ""


async def lesson(w: World, lesson_id: int) -> m.Lesson:
    async with w.store.uow(readonly=True) as uow:
        found = await uow.lessons.get(lesson_id)
        assert found is not None
        return found


async def homework(w: World, lesson_id: int) -> m.Homework | None:
    async with w.store.uow(readonly=True) as uow:
        return await uow.homework.for_lesson(lesson_id)


async def test_topic_today_and_ahead(world: World) -> None:
    w = world
    for target in (w.s.lesson_today.id, w.s.lesson_tomorrow.id):
        await w.tester.click(LessonCb(lesson=target), user=w.teacher, forged=True)
        await w.tester.click("📖 Тема", user=w.teacher)
        assert "Отправьте тему урока сообщением" in w.tester.last_text(w.teacher)
        await w.tester.send("Решение линейных уравнений", user=w.teacher)
        assert "Тема сохранена." in w.tester.last_text(w.teacher)
        assert (await lesson(w, target)).topic == "Решение линейных уравнений"
    # yesterday: no topic button, and a forged one is refused before anything is typed
    await w.tester.click(LessonCb(lesson=w.s.lesson_yesterday.id), user=w.teacher, forged=True)
    assert "📖 Тема" not in button_texts(w.tester.keyboard(w.teacher))
    await w.tester.click(
        LessonCb(lesson=w.s.lesson_today.id, view="t"), user=w.other_teacher, forged=True
    )
    assert "нет доступа" in alert(w)


async def test_homework_with_text_photos_and_files(world: World) -> None:
    w = world
    target = w.s.lesson_today.id
    await w.tester.click(LessonCb(lesson=target), user=w.teacher, forged=True)
    await w.tester.click("🏠 Д/з", user=w.teacher)
    await w.tester.click("✅ Сохранить", user=w.teacher)
    assert "Сначала отправьте домашнее задание" in alert(w)
    await w.tester.send("№ 245, 247", user=w.teacher)
    assert "Текст: 10 симв.; файлов: 0" in w.tester.last_text(w.teacher)
    await w.tester.feed(photo_message(user=w.teacher, caption="схема к № 247"))
    await w.tester.feed(document_message(user=w.teacher, file_id="DOC-1", file_name="таблица.xlsx"))
    assert "файлов: 2" in w.tester.last_text(w.teacher)
    await w.tester.click("✅ Сохранить", user=w.teacher)
    assert "Д/з сохранено; срок — чт, 19 ноября" in w.tester.last_text(w.teacher)
    saved = await homework(w, target)
    assert saved is not None and saved.text == "№ 245, 247\nсхема к № 247"
    assert [(a.kind, a.name) for a in saved.attachments] == [
        ("photo", ""),
        ("document", "таблица.xlsx"),
    ]
    assert saved.attachments[1].ref == "DOC-1" and saved.attachments[0].ref.startswith("PHOTO")
    assert w.store.outbox[-1].name == "homework.set"
    # the student sees it with the files, by reference
    w.clock.set(datetime(2026, 11, 18, 16, 0, tzinfo=TZ))  # the evening: tomorrow's homework
    await w.tester.send("/homework", user=w.ivanov)
    assert any("№ 245, 247" in t for t in w.tester.texts(w.ivanov))
    assert w.tester.sent(SendDocument, w.ivanov)[-1].document == "DOC-1"


async def test_homework_in_advance_and_its_refusals(world: World) -> None:
    w = world
    s = w.s
    await w.tester.click(LessonCb(lesson=s.lesson_tomorrow.id), user=w.teacher, forged=True)
    await w.tester.click("🏠 Д/з", user=w.teacher)
    await w.tester.send("Повторить § 12", user=w.teacher)
    await w.tester.click("✅ Сохранить", user=w.teacher)
    assert (await homework(w, s.lesson_tomorrow.id)).text == "Повторить § 12"
    # grade 1: no button, and forging one is refused when saving
    await w.tester.click(LessonCb(lesson=s.lesson_1a_today.id), user=w.teacher, forged=True)
    assert "🏠 Д/з" not in button_texts(w.tester.keyboard(w.teacher))
    await w.tester.click(
        LessonCb(lesson=s.lesson_1a_today.id, view="h"), user=w.teacher, forged=True
    )
    await w.tester.send("Прочитать сказку", user=w.teacher)
    await w.tester.click("✅ Сохранить", user=w.teacher)
    assert "В первом классе домашние задания не задаются" in alert(w)
    assert await homework(w, s.lesson_1a_today.id) is None
    # late in the evening the window of today's lesson has closed (2 h after the last lesson)
    w.clock.set(datetime(2026, 11, 18, 20, 0, tzinfo=TZ))
    await w.tester.click(LessonCb(lesson=s.lesson_today.id, view="h"), user=w.teacher, forged=True)
    await w.tester.send("№ 1", user=w.teacher)
    await w.tester.click("✅ Сохранить", user=w.teacher)
    assert "это время прошло" in alert(w)
    assert await homework(w, s.lesson_today.id) is None


async def test_remark_and_praise_go_to_the_parents(world: World) -> None:
    w = world
    await w.tester.click(LessonCb(lesson=w.s.lesson_today.id), user=w.teacher, forged=True)
    await w.tester.click("💬 Замечание или благодарность", user=w.teacher)
    await w.tester.click("Иванов П.", user=w.teacher)
    assert "замечание или благодарность? Запись увидят родители." in w.tester.last_text(w.teacher)
    await w.tester.click("👍 Благодарность", user=w.teacher)
    assert "Напишите благодарность (Иванов Пётр)" in w.tester.last_text(w.teacher)
    await w.tester.send("Отличная работа у доски", user=w.teacher)
    assert "Родители получат уведомление" in w.tester.last_text(w.teacher)
    async with w.store.uow(readonly=True) as uow:
        (remark,) = await uow.remarks.for_student(
            w.s.ivanov.id, w.s.lesson_today.day, w.s.lesson_today.day
        )
    assert (remark.kind, remark.text, remark.author_id) == (
        m.RemarkKind.PRAISE,
        "Отличная работа у доски",
        w.s.teacher.id,
    )
    assert w.store.outbox[-1].name == "remark.added"
    # a remark for a lesson that has not taken place is refused
    await w.tester.click(
        f"rm1:{w.s.lesson_tomorrow.id}:{w.s.petrova.id}:remark", user=w.teacher, forged=True
    )
    await w.tester.send("Опоздала", user=w.teacher)
    assert "ещё не прошёл" in w.tester.last_text(w.teacher)


async def test_typed_input_goes_stale_and_cancel_forgets_it(world: World) -> None:
    w = world
    await w.tester.click(
        LessonCb(lesson=w.s.lesson_today.id, view="t"), user=w.teacher, forged=True
    )
    w.clock.set(w.clock.now() + timedelta(minutes=31))
    await w.tester.send("Дроби", user=w.teacher)
    assert (await lesson(w, w.s.lesson_today.id)).topic == ""
    assert "Выберите действие в меню" in w.tester.last_text(w.teacher)  # the ordinary fallback
    await w.tester.click(
        LessonCb(lesson=w.s.lesson_today.id, view="t"), user=w.teacher, forged=True
    )
    await w.tester.click("Отмена", user=w.teacher)
    await w.tester.send("Дроби", user=w.teacher)
    assert (await lesson(w, w.s.lesson_today.id)).topic == ""
    # a command in the middle of typing is a command
    await w.tester.click(
        LessonCb(lesson=w.s.lesson_today.id, view="t"), user=w.teacher, forged=True
    )
    await w.tester.send("/today", user=w.teacher)
    assert "Мои уроки" in w.tester.last_text(w.teacher)
    await w.tester.send("Дроби", user=w.teacher)
    assert (await lesson(w, w.s.lesson_today.id)).topic == ""
