"""A new school year from /admin on a school that came in through its own files: the calendar
file is checked and the turnover shown; nothing changes until «Continue» and then «Yes, start»;
a stale, forged or another account's press changes nothing. Then the classes are in the new
year, a grade up, with their students."""

from __future__ import annotations

import io

from aiogram.methods import AnswerCallbackQuery
from openpyxl import Workbook

from core.model import PersonRole
from handlers.admin import AdminCb
from handlers.admin_year import YearCb
from tests.support import TgUser, document_message
from tests.support.school import ImportedSchool

ADMIN = TgUser(4301, "Ирина")  # T-001: the journal admin
DEPUTY = TgUser(4302, "Наталья")  # T-003: the deputy

CALENDAR = (
    "year,period,kind,starts_on,ends_on\n"
    "2027/2028,1,quarter,2027-09-01,2027-10-24\n"
    "2027/2028,2,quarter,2027-11-03,2027-12-28\n"
    "2027/2028,3,quarter,2028-01-10,2028-03-21\n"
    "2027/2028,4,quarter,2028-03-30,2028-05-26\n"
)


def _workbook() -> bytes:
    """The calendar and the holidays as two sheets of one XLSX, as a school saves them."""
    book = Workbook()
    sheet = book.active
    sheet.title = "calendar"
    for line in CALENDAR.splitlines():
        sheet.append(line.split(","))
    holidays = book.create_sheet("holidays")
    holidays.append(["Название", "Дата начала", "Дата окончания"])
    holidays.append(["Осенние каникулы", "25.10.2027", "02.11.2027"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _alerts(school: ImportedSchool) -> list[str]:
    calls = school.tester.session.calls(AnswerCallbackQuery)
    return [c.text or "" for c in calls if c.show_alert]


def _data(school: ImportedSchool, user: TgUser) -> list[str]:
    return [data for row in school.tester.keyboard(user) for _t, data in row if data]


async def _upload(school: ImportedSchool, user: TgUser, data: str | bytes, name: str) -> None:
    file_id = school.tester.session.add_file(data.encode() if isinstance(data, str) else data)
    await school.tester.feed(document_message(user, file_id=file_id, file_name=name))


async def _years(school: ImportedSchool) -> list[str]:
    async with school.database.uow(readonly=True) as uow:
        return sorted(y.name for y in await uow.years.list_all())


async def _ask_for_the_year(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    await school.tester.click("🎓 Новый учебный год", user=ADMIN)
    assert "календарь нового учебного года" in school.tester.last_text(ADMIN)


async def test_the_year_starts_only_after_the_second_confirmation(school: ImportedSchool):
    await _ask_for_the_year(school)
    await _upload(school, ADMIN, _workbook(), "calendar-2027.xlsx")
    report = school.tester.last_text(ADMIN)
    assert "Новый учебный год 2027/2028" in report and "7А → 8А" in report
    assert await _years(school) == ["2026/2027"]
    (go, cancel) = _data(school, ADMIN)
    token = YearCb.unpack(go).token

    # Skipping «Continue», an old token, another account: nothing changes.
    await school.tester.click(YearCb(step=2, token=token), user=ADMIN, forged=True)
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    await school.tester.click(go, user=DEPUTY, forged=True)
    await school.tester.click(YearCb(step=1, token="forged"), user=ADMIN, forged=True)
    assert all("больше не ждёт" in a for a in _alerts(school)[-3:]), _alerts(school)

    await school.tester.click("Продолжить", user=ADMIN)
    assert "Это нельзя отменить. Начать учебный год 2027/2028?" in school.tester.last_text(ADMIN)
    assert await _years(school) == ["2026/2027"]
    await school.tester.click(go, user=ADMIN, forged=True)  # «Continue» again: stale
    await school.tester.click(YearCb(step=2, token=token), user=ADMIN, forged=True)
    assert all("больше не ждёт" in a for a in _alerts(school)[-2:])
    assert await _years(school) == ["2026/2027"]

    await school.tester.click("Да, начать", user=ADMIN)
    assert "Учебный год 2027/2028 начался." in school.tester.last_text(ADMIN)
    assert await _years(school) == ["2026/2027", "2027/2028"]
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    async with school.database.uow(readonly=True) as uow:
        (year,) = [y for y in await uow.years.list_all() if y.name == "2027/2028"]
        classes = {c.id: c.name for c in await uow.classes.for_year(year.id)}  # type: ignore[arg-type]
        student = await uow.students.get(ivanov)
        periods = await uow.periods.for_year(year.id)  # type: ignore[arg-type]
        holidays = await uow.holidays.for_year(year.id)  # type: ignore[arg-type]
    assert sorted(classes.values()) == ["6А", "7Б", "8А"]
    assert student is not None and classes[student.class_id] == "8А"
    assert len(periods) == 4
    assert [h.name for h in holidays] == ["Осенние каникулы"]

    await school.tester.click(cancel, user=ADMIN, forged=True)
    assert "больше не ждёт" in _alerts(school)[-1]


async def test_a_cancelled_or_wrong_calendar_changes_nothing(school: ImportedSchool):
    await _ask_for_the_year(school)
    await _upload(school, ADMIN, "not,a,calendar\n1,2,3\n", "calendar.csv")
    assert await _years(school) == ["2026/2027"]
    two_years = CALENDAR + "2028/2029,1,quarter,2028-09-01,2028-10-24\n"
    await _upload(school, ADMIN, two_years, "calendar.csv")
    assert "несколько учебных лет" in school.tester.last_text(ADMIN)
    await _upload(school, ADMIN, b"%PDF", "calendar.pdf")
    assert "CSV или XLSX" in school.tester.last_text(ADMIN)

    await _upload(school, ADMIN, CALENDAR, "calendar.csv")
    await school.tester.click("Продолжить", user=ADMIN)
    await school.tester.click("Отмена", user=ADMIN)
    assert "ничего не изменено" in school.tester.last_text(ADMIN)
    assert await _years(school) == ["2026/2027"]
    assert not _alerts(school)


async def test_the_year_is_the_journal_admins(school: ImportedSchool):
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    await school.tester.send("/admin", user=DEPUTY)
    assert "🎓 Новый учебный год" not in str(school.tester.keyboard(DEPUTY))
    await school.tester.click(AdminCb(menu="yr"), user=DEPUTY, forged=True)
    assert "нет доступа" in _alerts(school)[-1]
    await _upload(school, DEPUTY, CALENDAR, "calendar.csv")  # an import: not the deputy's
    assert "только администратор" in school.tester.last_text(DEPUTY)
    assert await _years(school) == ["2026/2027"]
