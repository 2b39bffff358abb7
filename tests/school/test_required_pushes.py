"""What the regulation requires cannot be switched off (#14 item 2; rule 8: 000 §4.4, §7.2;
003 reg.2 §2.2.2), on a school imported from its own files: a failing mark and an unexcused
absence reach a consented guardian who switched those pushes off in /settings, when no other
guardian of the child gets them; the rest of what they switched off stays off; the settings
screen shows the lock and says why, and a forged press to lift it changes nothing."""

from __future__ import annotations

import json
from datetime import date

from aiogram.methods import AnswerCallbackQuery

from app.keyboards import SettingCb
from core.access import SYSTEM
from core.model import AbsenceReason, AttendanceKind, DeliveryStatus, MarkValue, PersonRole
from core.rules import required_push
from core.school_admin import SchoolAdminService
from notifications.jobs import Jobs
from notifications.render import Item, render
from tests.support import TgUser
from tests.support.school import THURSDAY, ImportedSchool

MOTHER = TgUser(7101, "Ольга")  # U-101: Иванов Пётр (7А)
FATHER = TgUser(7102, "Алексей")  # U-105, added below: Иванов Пётр (7А)
CLASS_TEACHER = TgUser(7103, "Анна")  # T-004: maths, class teacher of 7А

MONDAY, TUESDAY, TODAY = date(2026, 11, 30), date(2026, 12, 1), THURSDAY.date()
LAST_FRIDAY = date(2026, 11, 27)

LOCKED = "🔒 Двойки и пропуски без уважительной причины: приходят всегда"
WHY = (
    "🔒 Пропуски без уважительной причины и неудовлетворительные отметки школа обязана "
    "сообщать родителям — эти уведомления не отключаются."
)


async def _school(school: ImportedSchool, father: bool = False) -> None:
    school.clock.set(THURSDAY.replace(hour=12))  # the first four lessons have begun
    if father:
        school.files.guardians.append(["U-105", "Иванов", "Алексей", "Петрович", "", "K-01"])
    report = await school.import_roster()
    assert report.applied, report.errors
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, MONDAY, TODAY)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    if father:
        await school.link(FATHER, PersonRole.GUARDIAN, "U-105")


async def _lesson(school: ImportedSchool, day: date, slot: int) -> int:
    async with school.database.uow(readonly=True) as uow:
        (group,) = [c for c in await uow.classes.list_all() if c.name == "7А"]
        found = [x for x in await uow.lessons.for_class(group.id, day, day) if x.slot == slot]
    return found[0].id  # type: ignore[return-value]


async def _mark(school: ImportedSchool, day: date, slot: int, value: str, who: str = "K-01") -> int:
    student = await school.person_id(PersonRole.STUDENT, who)
    async with school.database.uow(readonly=True) as uow:
        work = next(w for w in await uow.work_types.list_all() if w.written)
    mark = await school.services.journal.give_mark(
        SYSTEM, await _lesson(school, day, slot), student, MarkValue(value), work.id
    )
    return mark.id  # type: ignore[return-value]


async def _switch(school: ImportedSchool, user: TgUser, field: str, value: str) -> None:
    """As the settings screen's button does (the one that is pressed is a few clicks away)."""
    await school.tester.send("/settings", user=user)
    await school.tester.click(SettingCb(field=field, value=value), user=user, forged=True)


async def _pushes(school: ImportedSchool, user: TgUser, kind: str) -> list[dict]:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    assert account is not None
    return [
        json.loads(r.payload)
        for r in rows
        if r.account_id == account.id and r.kind == kind and r.status == DeliveryStatus.PENDING
    ]


async def _sent(school: ImportedSchool) -> None:
    """The worker has sent every pending push."""
    async with school.database.uow() as uow:
        for row in await uow.deliveries.list_all():
            if row.status == DeliveryStatus.PENDING:
                row.status = DeliveryStatus.SENT
        await uow.commit()


async def _settings(school: ImportedSchool, user: TgUser) -> tuple:
    async with school.database.uow(readonly=True) as uow:
        a = await uow.accounts.by_external("telegram", str(user.id))
    assert a is not None
    return (a.notify_marks, a.notify_attendance, a.notify_homework, a.quiet_from, a.quiet_to)


def test_the_rule_names_failing_marks_and_unexcused_absences_only() -> None:
    assert required_push("mark", {"value": "2"}) and required_push("mark", {"value": "fail"})
    assert not required_push("mark", {"value": "5"}) and not required_push("mark", {"value": "3"})
    assert required_push("final", {"value": "2"}) and not required_push("final", {"value": "4"})
    assert required_push("mark_corrected", {"old": "4", "new": "2"})
    assert required_push("mark_corrected", {"old": "2", "new": "4"})  # they were told of the 2
    assert not required_push("mark_corrected", {"old": "4", "new": "5"})
    assert required_push("reason", {"reason": "unexcused"})
    assert not required_push("reason", {"reason": "sick"})
    assert not required_push("absence", {}) and not required_push("homework", {"value": "2"})


async def test_marks_off_still_brings_a_two_but_not_a_five(school: ImportedSchool) -> None:
    await _school(school)
    await _switch(school, MOTHER, "marks", "off")
    assert (await _settings(school, MOTHER))[0] == "off"

    await _mark(school, MONDAY, 3, "5")
    five_to_four = await _mark(school, TUESDAY, 2, "5")
    await _mark(school, TODAY, 1, "2")
    fail = await _mark(school, TODAY, 2, "fail")  # «незачёт»
    assert sorted(p["value"] for p in await _pushes(school, MOTHER, "mark")) == ["2", "fail"]

    journal = school.services.journal
    await journal.correct_mark(SYSTEM, five_to_four, MarkValue.FOUR, "ошибка ввода")
    await journal.correct_mark(SYSTEM, fail, MarkValue.PASS, "ошибка ввода")
    assert await _pushes(school, MOTHER, "mark_corrected") == []  # 5 → 4: off as asked
    # «незачёт» → «зачёт» before the push went: it goes no more, and the «зачёт» is not pushed
    assert [p["value"] for p in await _pushes(school, MOTHER, "mark")] == ["2"]
    (two,) = [p for p in await _pushes(school, MOTHER, "mark") if p["value"] == "2"]
    await _sent(school)  # the 2 has reached the family, so it is told of the correction
    await journal.correct_mark(SYSTEM, two["mark_id"], MarkValue.THREE, "ошибка ввода")
    (corrected,) = await _pushes(school, MOTHER, "mark_corrected")
    assert (corrected["old"], corrected["new"]) == ("2", "3")


async def test_one_guardian_with_marks_on_is_enough_else_all_hear(
    school: ImportedSchool,
) -> None:
    await _school(school, father=True)
    await _switch(school, FATHER, "marks", "off")
    await _mark(school, MONDAY, 3, "2")
    assert [p["value"] for p in await _pushes(school, MOTHER, "mark")] == ["2"]
    assert await _pushes(school, FATHER, "mark") == []  # the mother hears: his choice stands

    await _switch(school, MOTHER, "marks", "off")
    await _mark(school, TUESDAY, 2, "2")
    await _mark(school, TODAY, 1, "5")
    assert [p["value"] for p in await _pushes(school, MOTHER, "mark")] == ["2", "2"]
    assert [p["value"] for p in await _pushes(school, FATHER, "mark")] == ["2"]


async def test_absences_off_still_brings_an_unexcused_one_only(school: ImportedSchool) -> None:
    await _school(school)
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await _switch(school, MOTHER, "att", "0")
    student = await school.person_id(PersonRole.STUDENT, "K-01")
    journal = school.services.journal
    first, second = await _lesson(school, TODAY, 1), await _lesson(school, TODAY, 2)
    await journal.set_attendance(SYSTEM, first, student, AttendanceKind.ABSENT)
    await journal.set_attendance(SYSTEM, second, student, AttendanceKind.ABSENT)
    assert await _pushes(school, MOTHER, "absence") == []  # no reason yet: off as asked
    async with school.database.uow(readonly=True) as uow:
        sick = await uow.attendance.find(first, student)
        truant = await uow.attendance.find(second, student)
    assert sick is not None and truant is not None
    teacher = await school.services.viewers.get("telegram", str(CLASS_TEACHER.id), True)
    await journal.set_absence_reason(teacher, sick.id, AbsenceReason.SICK)  # type: ignore[arg-type]
    assert await _pushes(school, MOTHER, "reason") == []
    await journal.set_absence_reason(teacher, truant.id, AbsenceReason.UNEXCUSED)  # type: ignore[arg-type]
    (told,) = await _pushes(school, MOTHER, "reason")
    assert (told["attendance_id"], told["reason"]) == (truant.id, "unexcused")


async def test_the_settings_screen_shows_the_lock_and_refuses_to_lift_it(
    school: ImportedSchool,
) -> None:
    await _school(school)
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await school.tester.send("/settings", user=MOTHER)
    screen = school.tester.last_text(MOTHER) or ""
    assert LOCKED in screen and WHY in screen
    before = await _settings(school, MOTHER)

    await school.tester.click(LOCKED, user=MOTHER)
    await school.tester.click(SettingCb(field="req", value="off"), user=MOTHER, forged=True)
    alerts = [c.text for c in school.tester.session.calls(AnswerCallbackQuery) if c.show_alert]
    assert alerts[-2:] == [WHY, WHY]
    assert await _settings(school, MOTHER) == before
    await _mark(school, TODAY, 1, "2")  # and the push still comes
    assert len(await _pushes(school, MOTHER, "mark")) == 1

    # a teacher has no child to be told about: no lock on their screen
    await school.tester.send("/settings", user=CLASS_TEACHER)
    assert LOCKED not in (school.tester.last_text(CLASS_TEACHER) or "")


async def test_the_class_teacher_gets_the_weeks_failing_marks(school: ImportedSchool) -> None:
    await _school(school)
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(
        SYSTEM, LAST_FRIDAY, LAST_FRIDAY
    )
    school.clock.set(THURSDAY.replace(day=27, month=11, hour=12))  # last week's Friday
    await _mark(school, LAST_FRIDAY, 1, "2")  # told last week
    school.clock.set(THURSDAY.replace(hour=12))
    await _mark(school, MONDAY, 3, "2")
    await _mark(school, TUESDAY, 2, "5")
    await _mark(school, TODAY, 2, "fail", who="K-02")
    await _mark(school, TODAY, 1, "4", who="K-02")

    jobs = Jobs(school.database.uow, school.clock)
    assert await jobs.weekly_failing() == 1
    assert await jobs.weekly_failing() == 0  # run twice, written once
    (row,) = await _pushes(school, CLASS_TEACHER, "failing")
    assert row["class"] == "7А"
    assert [item[0::3] for item in row["items"]] == [
        ["Иванов Пётр", "2"],
        ["Петрова Алёна", "fail"],
    ]
    async with school.database.uow(readonly=True) as uow:
        (delivery,) = [r for r in await uow.deliveries.list_all() if r.kind == "failing"]
    text = render([Item.parse(delivery.id, "failing", delivery.payload, None, None, "staff")], "ru")
    assert text.text.split("\n") == [
        "📉 Итоги недели, 7А: неудовлетворительные отметки",
        "• Иванов Пётр: <b>2</b>, Математика, 30 ноября",
        "• Петрова Алёна: <b>незач</b>, Английский язык, 3 декабря",
    ]
