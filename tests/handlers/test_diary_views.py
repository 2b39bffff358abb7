"""What parents and students see: each view's content, navigation, children and settings."""

from __future__ import annotations

import struct

from aiogram.methods import SendMessage, SendPhoto

from app.keyboards import DiaryCb, View
from core import model as m
from core.limits import MESSAGE_LIMIT
from handlers.render import split
from tests.handlers.conftest import World
from tests.support import group_message


async def test_marks_show_latest_averages_and_forecast(world: World) -> None:
    w = world
    await w.tester.send("/marks", user=w.mother)
    text = w.tester.last_text(w.mother)
    assert "Иванов Пётр, 7А" in text
    assert "II четверть" in text
    assert "отличный ответ" in text  # the comment
    assert "(контрольная работа)" in text  # the work type, by its name
    # 5 (weight 1) and 4 (weight 2): (5 + 8) / 3 = 4.33
    assert "4,33" in text
    assert "нужна ещё 1 отметка" in text
    rows = w.tester.keyboard(w.mother)
    subjects = [t for row in rows for t, _ in row]
    assert "Математика" in subjects and "Английский язык" in subjects


async def test_subject_details_and_back(world: World) -> None:
    w = world
    await w.tester.send("/marks", user=w.mother)
    await w.tester.click("Математика", user=w.mother)
    text = w.tester.last_text(w.mother)
    assert "вес 2" in text and "Средний взвешенный балл: 4,33" in text
    await w.tester.click("« Все предметы", user=w.mother)
    assert "Последние отметки" in w.tester.last_text(w.mother)


async def test_previous_period_shows_its_period_mark(world: World) -> None:
    w = world
    await w.tester.send("/marks", user=w.ivanov)
    await w.tester.click("I", user=w.ivanov)
    text = w.tester.last_text(w.ivanov)
    assert "I четверть" in text and "за период 4" in text


async def test_finals_attendance_homework_timetable(world: World) -> None:
    w = world
    await w.tester.send("/finals", user=w.ivanov)
    assert "Математика</b> — I: 4" in w.tester.last_text(w.ivanov)
    await w.tester.send("/attendance", user=w.ivanov)
    text = w.tester.last_text(w.ivanov)
    assert "по болезни — 1" in text and "Математика" in text
    await w.tester.send("/homework", user=w.ivanov)
    texts = w.tester.texts(w.ivanov)
    assert "№ 101, 102" in texts[-2] and "Workbook p. 12" in texts[-2]
    photos = w.tester.sent(SendPhoto, w.ivanov)
    assert photos and photos[-1].photo == "photo-file-1"  # the attachment, by reference
    await w.tester.send("/timetable", user=w.ivanov)
    text = w.tester.last_text(w.ivanov)
    assert "09:25–10:10" in text and "Математика" in text and "Кузнецов О.И." in text


async def test_homework_of_another_subgroup_is_never_shown(world: World) -> None:
    w = world
    await w.tester.send("/homework", user=w.petrova)
    texts = w.tester.texts(w.petrova)
    assert any("№ 101, 102" in t for t in texts)
    assert not any("Workbook" in t for t in texts)


async def test_timetable_marks_substitutions_and_cancellations(world: World) -> None:
    w = world
    async with w.store.uow() as uow:
        lesson = await uow.lessons.get(w.s.lesson_today.id)
        lesson.substitute_id = w.s.other_teacher.id
        english = await uow.lessons.get(w.s.english_today.id)
        english.status = m.LessonStatus.CANCELLED
        await uow.commit()
    await w.tester.send("/timetable", user=w.ivanov)
    text = w.tester.last_text(w.ivanov)
    assert "замена: Волков И.И." in text
    assert "<s>Английский язык (гр. 1)</s> — отменён" in text


async def test_week_navigation_stays_in_one_message(world: World) -> None:
    w = world
    await w.tester.send("/timetable", user=w.ivanov)
    sent = len(w.tester.sent(SendMessage, w.ivanov))
    await w.tester.click("Неделя", user=w.ivanov)
    assert "16 ноября – 22 ноября" in w.tester.last_text(w.ivanov)
    await w.tester.click("▶", user=w.ivanov)
    assert "23 ноября – 29 ноября" in w.tester.last_text(w.ivanov)
    assert len(w.tester.sent(SendMessage, w.ivanov)) == sent  # edited, not re-sent


async def test_progress_is_text_at_a_glance_and_a_chart_per_subject(world: World) -> None:
    w = world
    photos = len(w.tester.sent(SendPhoto, w.mother))
    await w.tester.send("/progress", user=w.mother)
    text = w.tester.last_text(w.mother)
    assert "Успеваемость: Иванов Пётр, 7А" in text
    assert "▰▰▰▰▱</code> <b>4,33</b> Математика" in text  # the average, as a bar and a number
    assert len(w.tester.sent(SendPhoto, w.mother)) == photos  # no picture of tiny charts
    await w.tester.click("📈 Математика", user=w.mother)
    photo = w.tester.sent(SendPhoto, w.mother)[-1]
    png = photo.photo.data
    assert png.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (720, 400)  # a phone's screen, not 960×1248
    assert "Математика" in photo.caption and "Иванов Пётр, 7А" in photo.caption


async def test_children_switch(world: World) -> None:
    w = world
    async with w.store.uow() as uow:
        await uow.guardian_links.add(
            m.GuardianLink(w.s.mother.id, w.s.senior.id, "mother", consent_at=w.clock.now())
        )
        await uow.commit()
    await w.tester.send("/children", user=w.mother)
    buttons = [t for row in w.tester.keyboard(w.mother) for t, _ in row]
    assert "✓ Иванов Пётр, 7А" in buttons and "Новикова Ольга, 10А" in buttons
    await w.tester.click("Новикова Ольга, 10А", user=w.mother)
    await w.tester.send("/marks", user=w.mother)
    assert "Новикова Ольга, 10А" in w.tester.last_text(w.mother)


async def test_english_interface(world: World) -> None:
    w = world
    await w.tester.send("/settings", user=w.ivanov)
    await w.tester.click("English", user=w.ivanov)
    await w.tester.send("/marks", user=w.ivanov)
    text = w.tester.last_text(w.ivanov)
    assert "Marks: Иванов Пётр, 7А" in text and "Quarter 2" in text
    assert "1 more mark is needed" in text
    assert w.tester.reply_keyboard(w.ivanov)[0][0] == "📘 Marks"
    buttons = [t for row in w.tester.keyboard(w.ivanov) for t, _ in row]
    assert "Q1" in buttons and "• Q2 •" in buttons  # not «I», «II» in English
    await w.tester.send("/marks", user=w.mother)  # Russian: Roman numerals
    buttons = [t for row in w.tester.keyboard(w.mother) for t, _ in row]
    assert "I" in buttons and "• II •" in buttons


async def test_settings_toggle_and_forged_values(world: World) -> None:
    w = world
    await w.tester.send("/settings", user=w.mother)
    await w.tester.click("st1:hw:0", user=w.mother)
    account = await w.services.accounts.account(
        await w.services.viewers.get("telegram", str(w.mother.id), True)
    )
    assert account.notify_homework is False
    await w.tester.click("st1:dig:3", user=w.mother, forged=True)
    account = await w.services.accounts.account(
        await w.services.viewers.get("telegram", str(w.mother.id), True)
    )
    assert account.digest_at.hour == 18  # unchanged


async def test_group_chat_gets_one_line_and_no_data(world: World) -> None:
    w = world
    calls = await w.tester.feed(group_message("/marks", user=w.mother))
    sent = [c for c in calls if hasattr(c, "text") and c.text]
    assert len(sent) == 1
    assert "только в личном чате" in sent[0].text and "Иванов" not in sent[0].text
    calls = await w.tester.feed(group_message("привет всем", user=w.mother))
    assert calls == []


async def test_unknown_command_and_stray_text_get_help(world: World) -> None:
    w = world
    await w.tester.send("/oceny", user=w.mother)
    assert "не знаю такой команды" in w.tester.last_text(w.mother)
    assert "/marks" in w.tester.last_text(w.mother)
    await w.tester.send("что задали?", user=w.mother)
    assert "/homework" in w.tester.last_text(w.mother)


async def test_students_never_reach_anything_that_writes(world: World) -> None:
    """The diary's buttons only read: every callback a student can press is a view."""
    w = world
    for command in ("/marks", "/attendance", "/homework", "/timetable", "/settings"):
        await w.tester.send(command, user=w.ivanov)
        for row in w.tester.keyboard(w.ivanov):
            for _, data in row:
                assert data.split(":")[0] in {"d1", "c1", "st1"}


def test_long_text_is_split_within_the_limit() -> None:
    """Parts fit MAX's 4,000 characters, the smaller of the two messengers' limits."""
    assert MESSAGE_LIMIT == 4000
    text = "\n".join(f"строка {i} " + "х" * 90 for i in range(200))
    parts = split(text)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert "\n".join(parts) == text
    assert split("а" * 9000) == ["а" * 4000, "а" * 4000, "а" * 1000]


def test_callback_data_fits_64_bytes() -> None:
    big = DiaryCb(view=View.SUBJECT, student=2**31, period=2**31, item=-60, span=7)
    assert len(big.pack().encode()) <= 64
