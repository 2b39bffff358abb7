"""A whole school day, start to end, as its people live it (#15, "what must hold"): the journal
administrator, a teacher who is also a class teacher, a parent of two, a second class teacher,
a parent who reads in English, another parent and a student — on a school imported from its
own files, through the real dispatcher, with every push delivered by the real delivery worker
into the same recording bot, so that each person's pushes are among what they see.

Thursday 3 December 2026. Смирнова (T-004, class teacher of 7А) teaches maths to 6Б first
(08:30), to 5А second (09:25) and to 7А fifth (12:30). Иванова Ольга (U-101) is the mother of
Иванов Пётр (7А) and Волкова София (5А); Кузнецов (T-005) is 5А's class teacher; Белкина Анна
(U-103, Белкин Иван, 6Б) reads in English.

Each step asserts on what the person sees: the texts of messages and pushes, the buttons, the
short answers to presses; and after each step nobody has seen an error, a stale-button alert
or a refusal (tests/conftest.py fails the test, too, if a handler logged an error)."""

from __future__ import annotations

import io
from datetime import datetime

from aiogram.methods import AnswerCallbackQuery, SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook

from bot.telegram.sender import AiogramSender
from core.model import DeliveryStatus, PersonRole
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.delivery_queue import DeliveryQueue
from tests.support import TgUser
from tests.support.recording import button_texts
from tests.support.school import TZ, ImportedSchool

ADMIN = TgUser(8101, "Ирина")  # T-001: the journal administrator, teaches nothing
TEACHER = TgUser(8102, "Анна")  # T-004: maths; class teacher of 7А
MOTHER = TgUser(8103, "Ольга")  # U-101: Иванов Пётр (7А), Волкова София (5А)
CLASS_TEACHER_5A = TgUser(8104, "Олег")  # T-005
ENGLISH = TgUser(8105, "Anna")  # U-103: Белкин Иван (6Б); switches to English
FATHER = TgUser(8106, "Сергей")  # U-102: Петрова Алёна (7А)
STUDENT = TgUser(8107, "Алёна")  # K-02: Петрова Алёна, 7А
PEOPLE = (ADMIN, TEACHER, MOTHER, CLASS_TEACHER_5A, ENGLISH, FATHER, STUDENT)

# What nobody may see today: an error, a stale button or question, a refusal.
WRONG_TURNS = (
    "Что-то пошло не так",
    "Something went wrong",
    "устарел",
    "out of date",
    "неактуален",
    "нет доступа",
    "do not have access",
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 3, hour, minute, tzinfo=TZ)


class Day:
    """The school's day as its people see it: new texts per person, answers to presses, the
    worker that delivers the pushes, and the check that nothing went wrong."""

    def __init__(self, school: ImportedSchool) -> None:
        self.school = school
        self.tester = school.tester
        self._read: dict[int, int] = {}
        self._answers = 0

    def at(self, hour: int, minute: int = 0) -> None:
        self.school.clock.set(at(hour, minute))

    async def deliver(self) -> None:
        """The pushes due now, sent by the production worker through the recording bot."""
        worker = DeliveryWorker(
            DeliveryQueue(self.school.database),
            {"telegram": AiogramSender(self.tester.bot)},
            self.school.clock,
            WorkerSettings(rate=None, per_chat=0, poll=0.05, backoff=0.01, lease=30),
        )
        await worker.run_until_idle()
        # each one sent at the first try: none retried, parked, skipped, held or released
        assert set(+worker.stats) <= {"claimed", "sent", "progress_edits"}, worker.stats

    def new(self, user: TgUser) -> list[str]:
        """What ``user`` was sent (or had edited) since the last look, oldest first."""
        texts = self.tester.texts(user)
        start = self._read.get(user.id, 0)
        self._read[user.id] = len(texts)
        return texts[start:]

    def sees(self, user: TgUser) -> str:
        """The newest message in ``user``'s chat (after an edit: as edited); all before it read."""
        texts = self.tester.texts(user)
        self._read[user.id] = len(texts)
        return texts[-1] if texts else ""

    def buttons(self, user: TgUser) -> list[str]:
        return button_texts(self.tester.keyboard(user))

    def answer(self) -> str:
        """The short answer to the last press."""
        return self.tester.session.calls(AnswerCallbackQuery)[-1].text or ""

    def nothing_went_wrong(self, step: str) -> None:
        """No answer to a press since the last step, and no text anyone was sent all day, shows
        an error, a stale button or a refusal."""
        answers = self.tester.session.calls(AnswerCallbackQuery)
        seen = [a.text or "" for a in answers[self._answers :]]
        self._answers = len(answers)
        for user in PEOPLE:
            seen += self.tester.texts(user)
        wrong = [text for text in seen for turn in WRONG_TURNS if turn in text]
        assert not wrong, (step, wrong)


async def morning_administrator(day: Day) -> None:
    """08:00 the journal administrator: what the school lacks, and a lesson cancelled."""
    school = day.school
    t = day.tester
    day.at(8, 0)
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    assert "Павлова Ирина Сергеевна (администратор журнала)" in day.new(ADMIN)[-1]
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    assert "Иванова Ольга Викторовна (родитель)" in day.new(MOTHER)[-1]
    await t.send("/admin", user=ADMIN)
    status = day.sees(ADMIN)
    assert status.startswith("3 декабря: чего ещё не хватает школе (2026/2027):"), status
    assert "Смирнова А.П." in status  # not signed in yet
    assert status.endswith("Администрирование. Что вы хотите сделать?")
    assert "🗓 Уроки и замены" in day.buttons(ADMIN)

    await t.click("🗓 Уроки и замены", user=ADMIN)
    await t.click("Сегодня, чт 3 дек.", user=ADMIN)
    await t.click("5А", user=ADMIN)
    assert "5. История — Орлова Н.И." in day.sees(ADMIN)
    await t.click("5. История", user=ADMIN)
    await t.click("❌ Отменить урок", user=ADMIN)
    assert "Почему урок отменяется?" in day.sees(ADMIN)
    await t.send("Учитель на больничном", user=ADMIN)
    question = day.sees(ADMIN)
    assert "Отменить урок? Родители и ученики получат уведомление." in question
    assert "Причина: Учитель на больничном" in question
    await t.click("❌ Да, отменить урок", user=ADMIN)
    assert day.answer() == "Урок отменён."
    assert "❌ Отменён: Учитель на больничном" in day.sees(ADMIN)
    assert "↩️ Восстановить" in day.buttons(ADMIN)

    await day.deliver()
    assert day.new(MOTHER) == [
        "🗓 Волкова София (5А): чт, 3 декабря, 5-й урок, История — отменён.\n"
        "Причина: Учитель на больничном"
    ]
    day.nothing_went_wrong("08:00 the administrator")


async def teachers_sign_in(day: Day) -> None:
    """08:10 the teachers sign in; the parent in English switches her language."""
    school = day.school
    t = day.tester
    day.at(8, 10)
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    assert "Смирнова Анна Петровна (учитель, классный руководитель 7А)" in day.new(TEACHER)[-1]
    await school.link(CLASS_TEACHER_5A, PersonRole.TEACHER, "T-005")
    assert "классный руководитель 5А" in day.new(CLASS_TEACHER_5A)[-1]
    await school.link(ENGLISH, PersonRole.GUARDIAN, "U-103")
    await t.send("/settings", user=ENGLISH)
    assert "Язык: Русский" in day.sees(ENGLISH)
    await t.click("English", user=ENGLISH)
    assert day.new(ENGLISH)[-1] == "Done: the bot now speaks English."
    assert "Language: English" in t.texts(ENGLISH)[-2]  # the settings, redrawn
    day.nothing_went_wrong("08:10 signing in")


async def first_lesson_6b(day: Day) -> None:
    """08:35 6Б's maths: the roll by taps, a mark on the card, the push in English."""
    t = day.tester
    day.at(8, 35)
    await t.send("/today", user=TEACHER)
    lessons = day.buttons(TEACHER)
    assert lessons[:3] == [
        "1. 08:30 6Б Математика",
        "2. 09:25 5А Математика",
        "5. 12:30 7А Математика",
    ], lessons
    await t.click("1. 08:30 6Б Математика", user=TEACHER)
    assert "Присутствуют 3 из 3" in day.sees(TEACHER)
    await t.click("Гусева В.", user=TEACHER)  # absent
    await t.click("Дроздов Л.", user=TEACHER)
    await t.click("❌ Дроздов Л.", user=TEACHER)  # late after all
    card = day.sees(TEACHER)
    assert "Присутствуют 2 из 3 · отсутствуют: 1 · опоздали: 1" in card, card
    assert "Отсутствуют: Гусева В.\nОпоздали: Дроздов Л." in card
    assert {"❌ Гусева В.", "⏰ Дроздов Л.", "Белкин И."} <= set(day.buttons(TEACHER))

    await t.click("📝 Отметки", user=TEACHER)
    await t.click("У · вес 1", user=TEACHER)
    await t.click("Белкин И.", user=TEACHER)
    await t.click("5", user=TEACHER)
    assert day.answer() == "Сохранено: Белкин И. — 5"
    assert "<b>Отметки за урок</b>\nБелкин И.: 5 У" in day.sees(TEACHER)
    await t.click("« Виды работ", user=TEACHER)
    await t.click("« К уроку", user=TEACHER)
    card = day.sees(TEACHER)
    assert "опоздали: 1" in card and "Поставлена 1 отметка" in card, card

    await day.deliver()
    assert day.new(ENGLISH) == [
        "📘 New mark — Белкин Иван (6Б)\nМатематика: <b>5</b> (oral answer), Thu, 3 December"
    ]
    assert day.new(MOTHER) == []  # not her children
    day.nothing_went_wrong("08:35 6Б")


async def second_lesson_5a(day: Day) -> None:
    """09:30 5А: Волкова absent; her mother explains; the class teacher sets the reason."""
    t = day.tester
    day.at(9, 30)
    await t.send("/today", user=TEACHER)
    assert "1. 08:30 6Б Математика · ❌1 ⏰1" in day.buttons(TEACHER)
    await t.click("2. 09:25 5А Математика", user=TEACHER)
    await t.click("Волкова С.", user=TEACHER)
    assert "Отсутствуют: Волкова С." in day.sees(TEACHER)

    await day.deliver()
    (absence,) = day.new(MOTHER)
    assert absence.startswith(
        "🚫 Волкова София (5А) отсутствует: 2-й урок, Математика, чт, 3 декабря."
    ), absence
    assert day.buttons(MOTHER) == ["✍️ Объяснить пропуск"]
    await t.click("✍️ Объяснить пропуск", user=MOTHER)
    assert day.sees(MOTHER).startswith(
        "Волкова София Денисовна, 5А: пропуск — чт, 3 декабря, 2-й урок, Математика."
    )
    await t.send("Температура 38, сегодня осталась дома", user=MOTHER)
    assert day.sees(MOTHER) == "Отправлено классному руководителю: причину отметят в журнале."
    day.new(MOTHER)

    await day.deliver()
    (letter,) = day.new(CLASS_TEACHER_5A)
    assert letter == (
        "✉️ Волкова София (5А) — пишет родитель: Иванова Ольга Викторовна\n"
        "О пропуске: 2-й урок, Математика, чт, 3 декабря.\n\n"
        "Температура 38, сегодня осталась дома"
    )
    assert {"↩️ Ответить", "Б — по болезни"} <= set(day.buttons(CLASS_TEACHER_5A))
    await t.send("/absences", user=CLASS_TEACHER_5A)
    assert "<b>Волкова София</b>: 2. Математика — причина не указана" in day.sees(CLASS_TEACHER_5A)
    assert day.buttons(CLASS_TEACHER_5A)[:4] == ["Волкова С.", "Б", "У", "Н"]
    await t.click("Б", user=CLASS_TEACHER_5A)  # for the whole day
    assert day.answer() == "Сохранено."
    assert "<b>Волкова София</b>: 2. Математика — по болезни" in day.sees(CLASS_TEACHER_5A)
    assert "•Б•" in day.buttons(CLASS_TEACHER_5A)

    await day.deliver()
    assert day.new(MOTHER) == [
        "✅ Причина записана — Волкова София (5А)\nПропуск чт, 3 декабря (Математика): по болезни."
    ]
    day.nothing_went_wrong("09:30 5А")


async def fifth_lesson_7a(day: Day) -> None:
    """12:35 7А: all present, a test mark corrected, homework."""
    t = day.tester
    day.at(12, 35)
    await t.send("/today", user=TEACHER)
    assert "2. 09:25 5А Математика · ❌1" in day.buttons(TEACHER)
    await t.click("5. 12:30 7А Математика", user=TEACHER)
    day.new(TEACHER)
    await t.click("✅ Все на месте", user=TEACHER)  # a fresh roll: nothing to lose, no question
    assert day.answer() == "Все на месте."
    assert "Отметить всех присутствующими?" not in "".join(day.new(TEACHER))
    assert "Присутствуют 4 из 4" in day.sees(TEACHER)

    await t.click("📝 Отметки", user=TEACHER)
    await t.click("КР · вес 2", user=TEACHER)
    await t.click("Иванов П.", user=TEACHER)
    await t.click("4", user=TEACHER)
    assert day.answer() == "Сохранено: Иванов П. — 4"
    await day.deliver()
    assert day.new(MOTHER) == [
        "📘 Новая отметка — Иванов Пётр (7А)\n"
        "Математика: <b>4</b> (контрольная работа), чт, 3 декабря"
    ]

    await t.click("« Виды работ", user=TEACHER)
    await t.click("✏️ Исправить отметку", user=TEACHER)
    await t.click("Иванов П. · 4 КР", user=TEACHER)
    await t.click("5", user=TEACHER)
    assert "Иванов Пётр: 4 → 5." in day.sees(TEACHER)
    assert "её увидят родители" in day.sees(TEACHER)
    await t.send("Перепроверила: задача 3 решена верно", user=TEACHER)
    assert day.sees(TEACHER) == (
        "Исправлено: Иванов П., 4 → 5. Прежняя отметка осталась в истории."
    )
    await day.deliver()
    assert day.new(MOTHER) == [
        "✏️ Исправлена отметка — Иванов Пётр (7А)\n"
        "Математика, чт, 3 декабря: 4 → <b>5</b>\n"
        "Причина: Перепроверила: задача 3 решена верно"
    ]

    await t.click("« К уроку", user=TEACHER)
    await t.click("🏠 Д/з", user=TEACHER)
    await t.send("№ 412, 415", user=TEACHER)
    await t.click("✅ Сохранить", user=TEACHER)
    card = day.sees(TEACHER)
    assert card.startswith("Д/з сохранено; срок — пт, 4 декабря."), card
    assert "Д/з (к 4 дек.): № 412, 415" in card and "Присутствуют 4 из 4" in card

    await day.deliver()
    assert day.new(MOTHER) == [
        "📚 Новое домашнее задание — Иванов Пётр (7А)\n"
        "<b>Математика</b>, задано на пт, 4 декабря:\n№ 412, 415"
    ]
    await t.send("/marks", user=MOTHER)
    marks = day.sees(MOTHER)
    assert marks.startswith("<b>Отметки: Иванов Пётр Алексеевич, 7А</b>\nII четверть"), marks
    assert "3 дек. · Математика · <b>5</b> (контрольная работа) · исправлено" in marks
    assert "<b>4</b>" not in marks
    day.nothing_went_wrong("12:35 7А")


async def broadcast(day: Day) -> None:
    """13:30 the class teacher of 7А writes to the parents, and sees who has read it."""
    school = day.school
    t = day.tester
    day.at(13, 30)
    await school.link(FATHER, PersonRole.GUARDIAN, "U-102")
    day.new(FATHER)
    await t.send("📣 Сообщение классу", user=TEACHER)
    assert day.sees(TEACHER).startswith("Напишите сообщение для 7А")
    await t.send("Завтра в 18:00 родительское собрание, кабинет 305.", user=TEACHER)
    assert day.sees(TEACHER) == "Кому отправить?"
    await t.click("👪 Родители", user=TEACHER)
    preview = day.sees(TEACHER)
    assert "Получат 2 аккаунта (родители: 2, ученики: 0)." in preview, preview
    assert "• Сидорова Елена Олеговна, родитель (Сидоров Максим)" in preview  # not signed in
    await t.click("✅ Отправить", user=TEACHER)
    assert day.answer() == "Отправлено"

    await day.deliver()
    for parent, child in ((MOTHER, "Иванов Пётр"), (FATHER, "Петрова Алёна")):
        assert day.new(parent) == [
            "📢 7А: сообщение от классного руководителя (Смирнова А.П.)\n"
            f"Для родителей: {child}\n\n"
            "Завтра в 18:00 родительское собрание, кабинет 305."
        ]
        assert day.buttons(parent) == ["✓ Прочитано", "↩️ Ответить"]
    progress = day.sees(TEACHER)
    assert progress.startswith("📢 Рассылка: 7А\nДоставлено: 2 из 2"), progress
    assert "Прочитали: 0" in progress

    await t.click("✓ Прочитано", user=MOTHER)
    assert day.answer() == "Спасибо! Классный руководитель увидит, что вы прочитали."
    assert day.buttons(MOTHER) == ["↩️ Ответить"]
    await t.click("🔄 Обновить", user=TEACHER)
    assert "Прочитали: 1" in day.sees(TEACHER)
    await t.click("👀 Кто не прочитал", user=TEACHER)
    unread = day.sees(TEACHER)
    assert "• Петров Сергей Николаевич, родитель (Петрова Алёна)" in unread, unread
    assert "Иванова" not in unread
    day.nothing_went_wrong("13:30 the broadcast")


async def diaries_after_school(day: Day) -> None:
    """15:00 after school: the diaries."""
    school = day.school
    t = day.tester
    day.at(15, 0)
    await t.send("/marks", user=ENGLISH)
    marks = day.sees(ENGLISH)
    assert marks.startswith("<b>Marks: Белкин Иван Петрович, 6Б</b>\nQuarter 2"), marks
    assert "<b>Latest marks</b>\n3 Dec · Математика · <b>5</b> (oral answer)" in marks
    assert "Отметки" not in marks and "четверть" not in marks

    await t.send("/timetable", user=MOTHER)
    timetable = day.sees(MOTHER)
    assert "<b>Расписание: Иванов Пётр Алексеевич, 7А</b>\nЗавтра, пт, 4 декабря" in timetable
    assert "4. 11:35–12:20 <b>Математика</b> · каб. 304 · Смирнова А.П." in timetable
    await t.send("/children", user=MOTHER)
    assert day.sees(MOTHER) == "Чей дневник показать?"
    await t.click("Волкова София Денисовна, 5А", user=MOTHER)
    await t.send("/timetable", user=MOTHER)
    await t.click("Сегодня", user=MOTHER)
    timetable = day.sees(MOTHER)
    assert "<b>Расписание: Волкова София Денисовна, 5А</b>\nСегодня, чт, 3 декабря" in timetable
    assert "5. 12:30–13:15 <s>История</s> — отменён" in timetable, timetable

    await school.link(STUDENT, PersonRole.STUDENT, "K-02")
    await t.send("/homework", user=STUDENT)
    homework = day.sees(STUDENT)
    assert homework.startswith("<b>Домашнее задание: Петрова Алёна Сергеевна, 7А</b>")
    assert "<b>Математика</b>: № 412, 415" in homework, homework
    day.nothing_went_wrong("15:00 the diaries")


async def evening_administrator(day: Day) -> None:
    """17:00 the administrator: a report and a student's audit log."""
    t = day.tester
    day.at(17, 0)
    await t.send("/admin", user=ADMIN)
    assert "Смирнова А.П." not in day.sees(ADMIN)  # she has signed in since the morning
    await t.click("📊 Отчёты и выгрузки", user=ADMIN)
    await t.click("Посещаемость", user=ADMIN)
    await t.click("5А", user=ADMIN)
    await t.click("II четверть", user=ADMIN)
    (report,) = t.sent(SendDocument, ADMIN)
    assert isinstance(report.document, BufferedInputFile)
    assert report.document.filename == "Посещаемость, 5А, II четверть.xlsx"
    assert report.caption == "Посещаемость: 5А, II четверть, 05.11.2026 – 03.12.2026"
    rows = list(load_workbook(io.BytesIO(report.document.data)).active.iter_rows(values_only=True))
    assert rows[2][:3] == ("№", "Обучающийся", "Пропущено уроков")
    assert rows[3][1:4] == ("Волкова София Денисовна", 1, 1)  # one lesson missed, sick

    await t.send("/admin", user=ADMIN)
    for button in ("🕵 Журнал изменений", "По ученику", "7А", "Иванов Пётр Алексеевич"):
        await t.click(button, user=ADMIN)
    log = day.sees(ADMIN)
    assert (
        "03.12.2026 12:35 Исправлена отметка (Смирнова Анна Петровна, Telegram): 4 → 5 — "
        "Перепроверила: задача 3 решена верно"
    ) in log, log
    day.nothing_went_wrong("17:00 the administrator")


async def every_push_went_once(day: Day) -> None:
    """The evening: every push went once, nothing is left behind."""
    school = day.school
    async with school.database.uow(readonly=True) as uow:
        deliveries = await uow.deliveries.list_all()
        accounts = {
            user.id: (await uow.accounts.by_external("telegram", str(user.id))).id  # type: ignore[union-attr]
            for user in PEOPLE
        }
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}

    def kinds(user: TgUser) -> list[str]:
        return sorted(d.kind for d in deliveries if d.account_id == accounts[user.id])

    assert kinds(MOTHER) == sorted(
        ["lesson", "absence", "reason", "mark", "mark_corrected", "homework", "broadcast"]
    )
    assert kinds(ENGLISH) == ["mark"]
    assert kinds(CLASS_TEACHER_5A) == ["letter"]
    assert kinds(TEACHER) == ["broadcast_progress"]
    assert kinds(FATHER) == ["broadcast"]  # signed in after the homework was set


async def test_a_school_day_from_the_first_bell_to_the_evening(school: ImportedSchool) -> None:
    day = Day(school)
    await morning_administrator(day)
    await teachers_sign_in(day)
    await first_lesson_6b(day)
    await second_lesson_5a(day)
    await fifth_lesson_7a(day)
    await broadcast(day)
    await diaries_after_school(day)
    await evening_administrator(day)
    await every_push_went_once(day)
