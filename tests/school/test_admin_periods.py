"""Study periods in /admin on a school that came in through its own files: a quarantine moves a
period's dates (typed, with a reason, confirmed) and the lessons follow; a malformed date
changes nothing; «Close» is offered only once a period's last day has come, and a question
cancelled gives the periods list back with no working «Close» left in it."""

from __future__ import annotations

from datetime import date

from aiogram.methods import AnswerCallbackQuery

from core.model import Period, PersonRole
from handlers.admin_periods import PeriodMoveCb
from tests.support import TgUser
from tests.support.school import ImportedSchool

ADMIN = TgUser(4201, "Ирина")  # T-001: the journal admin
DEPUTY = TgUser(4202, "Наталья")  # T-003: the deputy
DEC_21 = date(2026, 12, 21)  # a Monday in the second quarter, within the lessons made ahead


def _alerts(school: ImportedSchool) -> list[str]:
    calls = school.tester.session.calls(AnswerCallbackQuery)
    return [c.text or "" for c in calls if c.show_alert]


def _buttons(school: ImportedSchool, user: TgUser) -> list[str]:
    return [text for row in school.tester.keyboard(user) for text, _data in row]


async def _period(school: ImportedSchool, number: int) -> Period:
    async with school.database.uow(readonly=True) as uow:
        (found,) = [p for p in await uow.periods.list_all() if p.number == number]
    return found


async def _lessons_on(school: ImportedSchool, day: date) -> int:
    async with school.database.uow(readonly=True) as uow:
        return len(await uow.lessons.between(day, day))


async def _open_periods(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    await school.tester.click("🔒 Периоды", user=ADMIN)
    assert "Учебные периоды" in school.tester.last_text(ADMIN)


async def test_a_quarantine_moves_a_period_and_its_lessons(school: ImportedSchool) -> None:
    await _open_periods(school)
    assert await _lessons_on(school, DEC_21) > 0
    await school.tester.click("📅 Перенести даты: II четверть", user=ADMIN)
    assert "05.11.2026–28.12.2026" in school.tester.last_text(ADMIN)

    for typed in ("31.02.2026–18.12.2026", "до конца недели", "05.11.2026"):
        await school.tester.send(typed, user=ADMIN)
        assert "Это не две даты" in school.tester.last_text(ADMIN)
    await school.tester.send("18.12.2026 - 05.11.2026", user=ADMIN)
    assert "Последний день раньше первого" in school.tester.last_text(ADMIN)
    await school.tester.send("05.11.2026 – 18.12.2026", user=ADMIN)
    assert "Почему переносятся даты" in school.tester.last_text(ADMIN)
    await school.tester.send("Карантин по гриппу, приказ № 112", user=ADMIN)
    question = school.tester.last_text(ADMIN)
    assert "Перенести II четверть на 05.11.2026 – 18.12.2026?" in question
    assert "Карантин по гриппу" in question
    q2 = await _period(school, 2)
    assert (q2.starts_on, q2.ends_on) == (date(2026, 11, 5), date(2026, 12, 28))  # not yet

    # A forged token and another account's press change nothing.
    await school.tester.click(PeriodMoveCb(go=True, token="forged"), user=ADMIN, forged=True)
    assert "неактуален" in _alerts(school)[-1]
    token = next(data for row in school.tester.keyboard(ADMIN) for _t, data in row)
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    await school.tester.click(token, user=DEPUTY, forged=True)  # type: ignore[arg-type]
    assert "неактуален" in _alerts(school)[-1]
    assert (await _period(school, 2)).ends_on == date(2026, 12, 28)

    await school.tester.click("✅ Перенести даты", user=ADMIN)
    q2 = await _period(school, 2)
    assert (q2.starts_on, q2.ends_on) == (date(2026, 11, 5), date(2026, 12, 18))
    assert "II четверть: теперь 05.11.2026 – 18.12.2026." in school.tester.last_text(ADMIN)
    assert await _lessons_on(school, DEC_21) == 0  # the lessons followed the dates
    async with school.database.uow(readonly=True) as uow:
        moves = [e for e in await uow.audit.list_all() if e.action == "period.move"]
    assert [e.reason for e in moves] == ["Карантин по гриппу, приказ № 112"]

    await school.tester.click(token, user=ADMIN, forged=True)  # type: ignore[arg-type]
    assert "неактуален" in _alerts(school)[-1]


async def test_moving_dates_can_be_cancelled(school: ImportedSchool) -> None:
    await _open_periods(school)
    await school.tester.click("📅 Перенести даты: III четверть", user=ADMIN)
    await school.tester.send("/cancel", user=ADMIN)
    assert "ничего не изменено" in school.tester.last_text(ADMIN)
    await school.tester.send("12.01.2027 – 28.03.2027", user=ADMIN)  # ordinary text now
    assert "Почему переносятся даты" not in school.tester.last_text(ADMIN)
    q3 = await _period(school, 3)
    assert (q3.starts_on, q3.ends_on) == (date(2027, 1, 12), date(2027, 3, 21))


async def test_close_is_offered_once_the_last_day_has_come(school: ImportedSchool) -> None:
    await _open_periods(school)
    buttons = _buttons(school, ADMIN)
    assert "Закрыть I четверть" in buttons  # ended on 24 October
    assert "Закрыть II четверть" not in buttons  # ends on 28 December
    assert "📅 Перенести даты: II четверть" in buttons

    await school.tester.click("Закрыть I четверть", user=ADMIN)
    assert "Закрыть I четверть?" in school.tester.last_text(ADMIN)
    await school.tester.click("Отмена", user=ADMIN)
    assert "Учебные периоды" in school.tester.last_text(ADMIN)  # the same message, edited
    assert "🔒 Закрыть" not in _buttons(school, ADMIN)
    assert not (await _period(school, 1)).closed
    assert not _alerts(school)

    await school.tester.click("Закрыть I четверть", user=ADMIN)
    await school.tester.click("🔒 Закрыть", user=ADMIN)
    assert (await _period(school, 1)).closed
    assert "Открыть снова: I четверть" in _buttons(school, ADMIN)
