"""The corrections report (#14 item 7; rule 4: 001 §8.6; 003 reg.2 §2.1.4), on a school imported
from its own files: the author's correction within the week, the deputy's late one with its
reason, a removed mark and a changed period mark are all in the period's report with old → new
and the reason; another period's report has none of them; a teacher and a forged period are
refused. The parents' push of a corrected mark shows the reason too."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from openpyxl import load_workbook

from core.access import SYSTEM
from core.errors import AccessDenied, NotFound
from core.model import FinalKind, MarkValue, PersonRole
from core.reports import ReportService
from handlers.admin_reports import ReportCb
from notifications.render import Item, render
from tests.school.test_access_ends import alerts
from tests.school.test_console import console  # noqa: F401 - the fixture
from tests.school.test_corrections_honest import IN_WINDOW, LATER, MONDAY, _ready
from tests.school.test_family_day import _kind, _lesson
from tests.support import TgUser
from tests.support.school import TZ, ImportedSchool

TEACHER = TgUser(7301, "Анна")  # T-004: maths in 7А, its class teacher
DEPUTY = TgUser(7302, "Наталья")  # T-003: deputy head
ADMIN = TgUser(7303, "Ирина")  # T-001: the journal administrator
WITHIN_WEEK = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)


async def _corrections(school: ImportedSchool) -> None:
    """Three marks on Monday's maths; the author corrects one and removes another within the
    week, the deputy corrects the third later; the period mark is changed with a reason."""
    await _ready(school)
    for user, who in ((TEACHER, "T-004"), (DEPUTY, "T-003"), (ADMIN, "T-001")):
        await school.link(user, PersonRole.STAFF, who)
    teacher = await school.services.viewers.get("telegram", str(TEACHER.id), True)
    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    journal = school.services.journal
    lesson = await _lesson(school, "7А", MONDAY, 3)  # Математика
    work = await _kind(school, "КР")
    ids = [await school.person_id(PersonRole.STUDENT, k) for k in ("K-01", "K-02", "K-03")]
    first, second, third = [
        await journal.give_mark(teacher, lesson, sid, MarkValue.THREE, work) for sid in ids
    ]
    school.clock.set(WITHIN_WEEK)
    await journal.correct_mark(teacher, first.id, MarkValue.FOUR, "Ошибка ввода")  # type: ignore[arg-type]
    await journal.correct_mark(teacher, second.id, None, "Отметка не тому ученику")  # type: ignore[arg-type]
    school.clock.set(LATER)
    await journal.correct_mark(deputy, third.id, MarkValue.FIVE, "Работа перепроверена")  # type: ignore[arg-type]
    school.clock.set(IN_WINDOW)
    async with school.database.uow(readonly=True) as uow:
        item = await uow.lessons.get(lesson)
        year = await uow.years.containing(IN_WINDOW.date())
        period = next(p for p in await uow.periods.for_year(year.id) if p.number == 2)  # type: ignore[union-attr, arg-type]
    subject = item.subject_id  # type: ignore[union-attr]
    await journal.set_final_mark(
        teacher, ids[0], subject, FinalKind.PERIOD, MarkValue.FOUR, period.id
    )
    await journal.set_final_mark(
        teacher, ids[0], subject, FinalKind.PERIOD, MarkValue.FIVE, period.id, "Пересдал зачёт"
    )


def _rows(sent: SendDocument) -> list[tuple]:
    data = sent.document.data  # type: ignore[union-attr]
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


async def test_every_correction_of_the_period_is_in_the_report(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _corrections(school)
    await school.tester.click(ReportCb(kind="cr", period=2), user=ADMIN, forged=True)
    (sent,) = school.tester.sent(SendDocument, ADMIN)
    assert sent.caption and "Исправления отметок" in sent.caption
    rows = _rows(sent)
    assert "Исправления отметок: II четверть" in str(rows[0][0])
    lines = {(r[5], r[7]): r for r in rows[3:]}
    author = lines[("Иванов Пётр Алексеевич", "исправлена отметка")]
    assert author[1:5] == ("Смирнова Анна Петровна", "автор отметки", "7А", "Математика")
    assert author[8:] == ("3", "4", "Ошибка ввода")
    assert author[0] == datetime(2026, 12, 3, 10, 0)  # school time
    assert author[6] == datetime(2026, 11, 30)  # the lesson's day
    removed = lines[("Петрова Алёна Сергеевна", "отметка удалена")]
    assert removed[8:] == ("3", None, "Отметка не тому ученику")
    late = lines[("Сидоров Максим Олегович", "исправлена отметка")]
    assert late[1:3] == ("Орлова Наталья Игоревна", "заместитель директора")
    assert late[8:] == ("3", "5", "Работа перепроверена")
    final = lines[("Иванов Пётр Алексеевич", "изменена итоговая отметка")]
    assert final[8:] == ("4", "5", "Пересдал зачёт") and final[6] is None
    assert len(rows) == 3 + 4

    # another period: none of them
    reports = ReportService(school.database.uow, school.clock)
    admin = await school.services.viewers.get("telegram", str(ADMIN.id), True)
    assert (await reports.corrections(admin, 1)).rows == ()

    # at the console, the same report
    monkeypatch.setenv("SCHOOLBOT_NOW", IN_WINDOW.replace(tzinfo=None).isoformat())
    out = tmp_path / "corrections.xlsx"
    code, _, err = await console("report", "corrections", "--period", "2", "--out", str(out))
    assert code == 0, err
    cells = {c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row}
    assert {"Работа перепроверена", "Пересдал зачёт", "отметка удалена"} <= cells


async def test_the_report_is_the_administrations_only(school: ImportedSchool) -> None:
    await _corrections(school)
    reports = ReportService(school.database.uow, school.clock)
    teacher = await school.services.viewers.get("telegram", str(TEACHER.id), True)
    with pytest.raises(AccessDenied):
        await reports.corrections(teacher, 2)
    await school.tester.click(ReportCb(kind="cr", period=2), user=TEACHER, forged=True)
    assert not school.tester.sent(SendDocument, TEACHER)
    assert alerts(school, TEACHER) == ["У вас нет доступа к этим данным."]
    with pytest.raises(NotFound):
        await reports.corrections(SYSTEM, 9)
    await school.tester.click(ReportCb(kind="cr", period=9), user=ADMIN, forged=True)
    assert not school.tester.sent(SendDocument, ADMIN)
    assert alerts(school, ADMIN)[-1].startswith("Ничего не найдено")


def test_the_parents_see_the_reason_of_a_correction_among_other_news() -> None:
    data = {"student": "Иванов П.", "subject": "Математика", "day": "2026-11-30"}
    items = [
        Item(1, "mark", {**data, "value": "5", "wt_short": "У"}, student_id=3, role="guardian"),
        Item(
            2,
            "mark_corrected",
            {**data, "old": "3", "new": "4", "reason": "Ошибка ввода"},
            student_id=3,
            role="guardian",
        ),
    ]
    text = render(items, "ru").text
    assert "исправлено: Математика, пн, 30 ноября: 3 → <b>4</b>, причина: Ошибка ввода" in text
    # on its own, the push says it in a line of its own
    alone = render(items[1:], "ru").text
    assert "Математика, пн, 30 ноября: 3 → <b>4</b>\nПричина: Ошибка ввода" in alone, alone
