"""A new school's first ordinary Thursday, end to end: the school's own files imported into an
empty database, then the teacher's day (/today, a roll call by taps, /mark with a standard work
type), the parent's diary (the timetable, the mark, the absence push), and the console's
substitution and cancellation of tomorrow's lessons reaching the substitute's /today, the
parent's timetable and the pushes of the class and both teachers."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from app.keyboards import DiaryCb, LessonCb, RollCb, TodayCb, View
from bot.cli import main
from core.model import DeliveryStatus, PersonRole
from notifications.render import Item, render
from tests.support import TgUser
from tests.support.school import ImportedSchool

TEACHER = TgUser(6001, "Анна")  # T-004: maths; 6Б's first lesson on Thursdays
PARENT = TgUser(6002, "Анна")  # U-103: Белкин Иван (6Б)
SUBSTITUTE = TgUser(6003, "Елена")  # T-008
ENGLISH = TgUser(6004, "Мария")  # T-006: 6Б's English on Fridays
FRIDAY = date(2026, 12, 4)


async def rows_for(school: ImportedSchool, user: TgUser, kind: str) -> list:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    return [r for r in rows if r.account_id == account.id and r.kind == kind]  # type: ignore[union-attr]


def text_of(row) -> str:  # type: ignore[no-untyped-def]
    item = Item.parse(
        row.id, row.kind, row.payload, row.student_id, row.broadcast_id, row.role.value
    )
    return render([item], "ru").text


@pytest.fixture
def console(school: ImportedSchool, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``schoolbot`` at the administrator's desk, on the school's database and clock."""
    monkeypatch.setenv("DATABASE_URL", school.database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SCHOOLBOT_NOW", school.clock.now().replace(tzinfo=None).isoformat())
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")

    async def run(args: list[str]) -> int:
        return await asyncio.to_thread(main, args)  # its own event loop, as at a desk

    return run


async def test_a_new_schools_thursday(school: ImportedSchool, console, capsys) -> None:  # type: ignore[no-untyped-def]
    belkin = await school.person_id(PersonRole.STUDENT, "K-11")
    guseva = await school.person_id(PersonRole.STUDENT, "K-12")
    for user, role, source in (
        (TEACHER, PersonRole.TEACHER, "T-004"),
        (PARENT, PersonRole.GUARDIAN, "U-103"),
        (SUBSTITUTE, PersonRole.TEACHER, "T-008"),
        (ENGLISH, PersonRole.TEACHER, "T-006"),
    ):
        await school.link(user, role, source)

    # the teacher's day: 6Б, 6А… the first lesson is 6Б's maths at 08:30
    await school.tester.send("/today", user=TEACHER)
    day = school.tester.last_text(TEACHER)
    buttons = [t for row in school.tester.keyboard(TEACHER) for t, _ in row]
    assert "1. 08:30 6Б Математика" in buttons, (day, buttons)
    lesson_id = next(
        int(data.split(":")[1])
        for row in school.tester.keyboard(TEACHER)
        for text, data in row
        if text.startswith("1. 08:30 6Б")
    )
    # the roll call by taps: Белкин absent, Гусева late
    await school.tester.click(LessonCb(lesson=lesson_id), user=TEACHER)
    await school.tester.click(RollCb(lesson=lesson_id, student=belkin), user=TEACHER)
    for _ in range(2):
        await school.tester.click(RollCb(lesson=lesson_id, student=guseva), user=TEACHER)
    card = school.tester.last_text(TEACHER)
    assert "Белкин" in card
    # a mark with a standard work type: a test (КР), written, so within 5 days
    await school.tester.send("/mark 6Б КР Дроздов 5", user=TEACHER)
    assert "Дроздов" in school.tester.last_text(TEACHER)
    drozdov = await school.person_id(PersonRole.STUDENT, "K-13")
    async with school.database.uow(readonly=True) as uow:
        (mark,) = await uow.marks.for_lesson(lesson_id)
        kinds = {w.id: w for w in await uow.work_types.list_all()}
    assert (mark.student_id, mark.value.value, kinds[mark.work_type_id].short) == (
        drozdov,
        "5",
        "КР",
    )

    # the parent: the absence push, today's timetable; a mark of her son's shows in /marks
    (absence,) = await rows_for(school, PARENT, "absence")
    assert "Белкин Иван (6Б) отсутствует" in text_of(absence)
    await school.tester.send("/timetable", user=PARENT)
    assert "Математика" in school.tester.last_text(PARENT)
    await school.tester.send("/mark 6Б У Белкин 4", user=TEACHER)  # absent: no mark (#15)
    assert "Отмечены отсутствующими" in (school.tester.last_text(TEACHER) or "")
    await school.tester.send("/marks", user=PARENT)
    assert "Белкин Иван" in school.tester.last_text(PARENT)

    # the console: tomorrow Соколова stands in for 6Б's English, the third lesson is cancelled
    assert (
        await console(
            [
                "lessons",
                "substitute",
                "--class",
                "6Б",
                "--date",
                "2026-12-04",
                "--slot",
                "2",
                "--teacher",
                "T-008",
            ]
        )
        == 0
    )
    assert (
        await console(
            [
                "lessons",
                "cancel",
                "--class",
                "6Б",
                "--date",
                "2026-12-04",
                "--slot",
                "3",
                "--reason",
                "Экскурсия в музей",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Соколова Елена Викторовна" in out and "отменён" in out
    # the substitute's Friday
    await school.tester.send("/today", user=SUBSTITUTE)
    await school.tester.click(TodayCb(day=FRIDAY.toordinal()), user=SUBSTITUTE, forged=True)
    friday = [t for row in school.tester.keyboard(SUBSTITUTE) for t, _ in row]
    assert any("6Б" in t and "Английский язык" in t for t in friday), friday
    # the parent's timetable for tomorrow
    await school.tester.click(
        DiaryCb(view=View.TIMETABLE, student=belkin, item=1), user=PARENT, forged=True
    )
    tomorrow = school.tester.last_text(PARENT)
    assert "Соколова" in tomorrow and "отмен" in tomorrow, tomorrow
    # the pushes: the parent twice, the substitute and the timetable's teacher once each
    changes = await rows_for(school, PARENT, "lesson")
    texts = sorted(text_of(r) for r in changes)
    assert len(texts) == 2 and any("отменён" in t and "Экскурсия" in t for t in texts)
    assert any("Соколова" in t for t in texts)
    (mine,) = await rows_for(school, SUBSTITUTE, "lesson_staff")
    assert "Замена: вы ведёте урок 6Б" in text_of(mine)
    (theirs,) = await rows_for(school, ENGLISH, "lesson_staff")
    assert "ваш урок ведёт Соколова" in text_of(theirs)
    assert all(r.status == DeliveryStatus.PENDING for r in changes)

    # today's first lesson has its roll taken: too late for a substitute (rule 1)
    assert (
        await console(
            [
                "lessons",
                "substitute",
                "--class",
                "6Б",
                "--date",
                "2026-12-03",
                "--slot",
                "1",
                "--teacher",
                "T-008",
            ]
        )
        == 1
    )
    assert "поздно" in capsys.readouterr().err
