"""Period marks acknowledged (#14 item 5; 003 reg.3 §6), on a school imported from its own
files: the push of a period mark carries «Ознакомлен(а)» for the parents; a press is recorded
once per child and period, however many pushes carried it; the class teacher sees who has and
has not acknowledged and reminds only those who have not, once a day. Forged presses (another
family's child, a period with nothing to see, a teacher who is not the class's) change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage

from app.keyboards import FinalCb, LessonCb
from app.push_buttons import FinalAckCb
from core.access import SYSTEM
from core.model import FinalAck, FinalKind, MarkValue, Period, PersonRole
from core.school_admin import SchoolAdminService
from handlers.admin import AdminCb
from handlers.finals_ack import AckClassesCb, AckRemindCb, AckSheetCb
from notifications import buttons
from notifications.render import Item, render
from notifications.sender import Button
from tests.fuzz.test_dispatcher_fuzz import deliver
from tests.school.test_family_day import _lesson
from tests.support import TgUser
from tests.support.recording import button_texts
from tests.support.school import TZ, ImportedSchool

TEACHER = TgUser(7201, "Анна")  # T-004: maths in 7А, its class teacher
MOTHER = TgUser(7202, "Ольга")  # U-101: Иванов Пётр (7А)
FATHER = TgUser(7203, "Сергей")  # U-102: Петрова Алёна (7А)
ENGLISH = TgUser(7204, "Мария")  # T-006: English in 7А, no class of her own
TEACHER_5A = TgUser(7205, "Олег")  # T-005: class teacher of 5А
ADMIN = TgUser(7206, "Ирина")  # T-001: the journal administrator

# In the second quarter's window for period marks (it ends on 28 December).
IN_WINDOW = datetime(2026, 12, 15, 11, 0, tzinfo=TZ)
SEEN = "✅ Ознакомлен(а)"
NO_ACCESS = "У вас нет доступа"
NOT_FOUND = "Ничего не найдено"


async def _ready(school: ImportedSchool) -> None:
    school.clock.set(IN_WINDOW)
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(
        SYSTEM, date(2026, 12, 14), date(2026, 12, 18)
    )
    for user, role, who in (
        (TEACHER, PersonRole.STAFF, "T-004"),
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (FATHER, PersonRole.GUARDIAN, "U-102"),
    ):
        await school.link(user, role, who)


async def _quarter(school: ImportedSchool, number: int = 2) -> Period:
    async with school.database.uow(readonly=True) as uow:
        year = await uow.years.containing(IN_WINDOW.date())
        assert year is not None
        return next(p for p in await uow.periods.for_year(year.id) if p.number == number)  # type: ignore[arg-type]


async def _subject(school: ImportedSchool, name: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        return next(s.id for s in await uow.subjects.list_all() if s.name == name)  # type: ignore[return-value]


async def _class_id(school: ImportedSchool, name: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        return next(c.id for c in await uow.classes.list_all() if c.name == name)  # type: ignore[return-value]


async def _period_marks(school: ImportedSchool, period: Period) -> dict[str, int]:
    """The maths teacher gives Иванов a 4 on the lesson's card, as in the bot; history's
    marks for the class come from the console. The school's ids by the students'."""
    ids = {
        k: await school.person_id(PersonRole.STUDENT, k) for k in ("K-01", "K-02", "K-03", "K-04")
    }
    lesson = await _lesson(school, "7А", date(2026, 12, 15), 2)  # Математика
    maths = await _subject(school, "Математика")
    cb = FinalCb(lesson=lesson, period=period.id, subject=maths, student=ids["K-01"])  # type: ignore[arg-type]
    await school.tester.click(LessonCb(lesson=lesson, view="f"), user=TEACHER, forged=True)
    await school.tester.click(cb, user=TEACHER)
    await school.tester.click(cb.model_copy(update={"value": "4"}), user=TEACHER)
    history = await _subject(school, "История")
    await school.services.journal.set_final_marks(
        SYSTEM,
        history,
        FinalKind.PERIOD,
        [(sid, MarkValue.FIVE) for sid in ids.values()],
        period.id,
    )
    return ids


async def _acks(school: ImportedSchool) -> list[FinalAck]:
    async with school.database.uow(readonly=True) as uow:
        return await uow.final_acks.list_all()


def _answer(school: ImportedSchool) -> str:
    return school.tester.session.calls(AnswerCallbackQuery)[-1].text or ""


async def test_a_parent_acknowledges_the_period_marks_once(school: ImportedSchool) -> None:
    await _ready(school)
    period = await _quarter(school)
    ids = await _period_marks(school, period)
    await deliver(school)

    # the mother's pushes of Иванов's period marks each carry the button, the same press
    texts = [t for t in school.tester.texts(MOTHER) if t.startswith("🏁")]
    assert len(texts) == 2 and all("Иванов" in t for t in texts), texts
    assert button_texts(school.tester.keyboard(MOTHER)) == [SEEN]
    press = buttons.final_ack(ids["K-01"], period.id)  # type: ignore[arg-type]
    assert FinalAckCb.unpack(press) == FinalAckCb(student=ids["K-01"], period=period.id)  # type: ignore[arg-type]

    await school.tester.click(SEEN, user=MOTHER)
    assert _answer(school) == "Спасибо, отмечено."
    (edit,) = school.tester.sent(EditMessageReplyMarkup, MOTHER)
    assert edit.reply_markup is None  # the pressed button is gone
    (ack,) = await _acks(school)
    mother = await school.person_id(PersonRole.GUARDIAN, "U-101")
    assert (ack.guardian_id, ack.student_id, ack.period_id) == (mother, ids["K-01"], period.id)
    # the other push's button counts once
    await school.tester.click(press, user=MOTHER, forged=True)
    assert _answer(school) == "Уже отмечено, спасибо."
    assert len(await _acks(school)) == 1

    # refused: another family's child, a period with nothing to see, a made-up period
    await school.tester.click(press, user=FATHER, forged=True)
    assert NO_ACCESS in _answer(school)
    first = await _quarter(school, 1)
    for period_id in (first.id, 99_999_999):
        forged = FinalAckCb(student=ids["K-01"], period=period_id)  # type: ignore[arg-type]
        await school.tester.click(forged, user=MOTHER, forged=True)
        assert NOT_FOUND in _answer(school)
    # a teacher is no guardian
    await school.tester.click(press, user=TEACHER, forged=True)
    assert NO_ACCESS in _answer(school)
    assert len(await _acks(school)) == 1

    # /finals offers the same button for a period not yet acknowledged, and then no more
    await school.tester.send("/finals", user=FATHER)
    assert button_texts(school.tester.keyboard(FATHER)) == [f"{SEEN} · II"]
    await school.tester.click(f"{SEEN} · II", user=FATHER)
    assert _answer(school) == "Спасибо, отмечено."
    await school.tester.send("/finals", user=FATHER)
    assert school.tester.sent(SendMessage, FATHER)[-1].reply_markup is None
    assert {a.student_id for a in await _acks(school)} == {ids["K-01"], ids["K-02"]}


async def test_the_class_teacher_sees_who_has_seen_and_reminds_once_a_day(
    school: ImportedSchool,
) -> None:
    await _ready(school)
    period = await _quarter(school)
    ids = await _period_marks(school, period)
    await deliver(school)
    await school.tester.click(SEEN, user=MOTHER)
    # Сидоров's mother never signed in; Ёлкина has no guardian in the roster at all
    pushes_before = len(school.tester.texts(FATHER))

    await school.tester.send("/absences", user=TEACHER)
    await school.tester.click("🏁 Ознакомление родителей с итоговыми", user=TEACHER)
    sheet = school.tester.last_text(TEACHER) or ""
    assert "II четверть" in sheet, sheet
    mother_saw = "✅ Иванов Пётр Алексеевич: ознакомлен(а) — Иванова Ольга Викторовна, 15 декабря"
    assert mother_saw in sheet, sheet
    assert "⏳ Петрова Алёна Сергеевна: ещё нет" in sheet
    assert "⏳ Сидоров Максим Олегович: ещё нет (никто из родителей не вошёл в бот)" in sheet
    assert "⏳ Ёлкина Дарья Павловна: ещё нет (никто из родителей не вошёл в бот)" in sheet
    assert "Ознакомлены: 1 из 4." in sheet

    # the reminder goes to the father only: the mother has seen them, the others are not in the bot
    await school.tester.click("🔔 Напомнить", user=TEACHER)
    assert _answer(school) == "Напоминание отправлено 1 родителю."
    assert "🔔 Напомнить" not in button_texts(school.tester.keyboard(TEACHER))
    await deliver(school)
    (reminder,) = school.tester.texts(FATHER)[pushes_before:]
    assert "Петрова" in reminder and "II четверть" in reminder, reminder
    assert button_texts(school.tester.keyboard(FATHER)) == [SEEN]
    assert not [t for t in school.tester.texts(MOTHER) if "подтвердите" in t]

    # once a day: a second press (a stale or forged button) reminds nobody
    class_7a = await _class_id(school, "7А")
    again = AckRemindCb(cls=class_7a, period=period.id)  # type: ignore[arg-type]
    await school.tester.click(again, user=TEACHER, forged=True)
    assert _answer(school) == "Напоминание сегодня уже отправлено."
    await deliver(school)
    assert len(school.tester.texts(FATHER)) == pushes_before + 1

    # the father confirms from the reminder; the next day nobody is left to remind
    await school.tester.click(SEEN, user=FATHER)
    assert _answer(school) == "Спасибо, отмечено."
    school.clock.set(IN_WINDOW + timedelta(days=1))
    await school.tester.click(AckSheetCb(cls=class_7a), user=TEACHER, forged=True)
    sheet = school.tester.last_text(TEACHER) or ""
    assert "✅ Петрова Алёна Сергеевна: ознакомлен(а) — Петров Сергей Николаевич" in sheet
    assert "🔔 Напомнить" not in button_texts(school.tester.keyboard(TEACHER))
    assert {(a.student_id) for a in await _acks(school)} == {ids["K-01"], ids["K-02"]}


async def test_only_the_class_teacher_and_the_administration_see_or_remind(
    school: ImportedSchool,
) -> None:
    await _ready(school)
    for user, who in ((ENGLISH, "T-006"), (TEACHER_5A, "T-005"), (ADMIN, "T-001")):
        await school.link(user, PersonRole.STAFF, who)
    period = await _quarter(school)
    await _period_marks(school, period)
    class_7a = await _class_id(school, "7А")
    deliveries = len(school.tester.texts(FATHER))

    # refused: a subject teacher of the class, the class teacher of another class — to see
    # and to remind; nothing is sent
    for user in (ENGLISH, TEACHER_5A):
        await school.tester.click(AckSheetCb(cls=class_7a), user=user, forged=True)
        assert NO_ACCESS in _answer(school)
        remind = AckRemindCb(cls=class_7a, period=period.id)  # type: ignore[arg-type]
        await school.tester.click(remind, user=user, forged=True)
        assert NO_ACCESS in _answer(school)
    await deliver(school)
    assert not [t for t in school.tester.texts(FATHER)[deliveries:] if "подтвердите" in t]

    # refused: a forged period id, even for the class teacher
    await school.tester.click(AckSheetCb(cls=class_7a, period=99_999), user=TEACHER, forged=True)
    assert NOT_FOUND in _answer(school)

    # allowed: the journal administrator, from the reports menu, sees the same screen
    await school.tester.click(AdminCb(menu="rep"), user=ADMIN, forged=True)
    await school.tester.click("🏁 Ознакомление родителей с итоговыми", user=ADMIN)
    await school.tester.click("7А", user=ADMIN)
    assert "Ознакомлены: 0 из 4." in (school.tester.last_text(ADMIN) or "")
    # but not the list of classes for a teacher
    await school.tester.click(AckClassesCb(), user=TEACHER, forged=True)
    assert NO_ACCESS in _answer(school)


def test_several_period_marks_in_one_message_carry_one_button_per_child() -> None:
    """Marks coalesced into one message (or held in quiet hours): one press for the child and
    period, not one per subject; the student's own copy and a year mark have none."""
    data = {"student": "Иванов П.", "kind": "period", "period_id": 22, "period_number": 2}
    items = [
        Item(1, "final", {**data, "subject": "Математика", "value": "4"}, 3, role="guardian"),
        Item(2, "final", {**data, "subject": "История", "value": "5"}, 3, role="guardian"),
        Item(3, "final", {**data, "student": "Петрова А.", "value": "5"}, 4, role="guardian"),
    ]
    out = render(items, "ru")
    assert [(x.text, x.data) for (x,) in out.buttons] == [
        (f"{SEEN} · Иванов П.", buttons.final_ack(3, 22)),
        (f"{SEEN} · Петрова А.", buttons.final_ack(4, 22)),
    ]
    assert render(items[:2], "ru").buttons == ((Button(SEEN, buttons.final_ack(3, 22)),),)
    year = {**data, "kind": "year", "subject": "История", "value": "5"}
    assert render([Item(4, "final", year, 3, role="guardian")], "ru").buttons == ()
    assert render([Item(5, "final", items[0].data, 3, role="student")], "ru").buttons == ()
