"""The journal administrator in the bot: an import checked, then confirmed (a forged or stale
confirm changes nothing), periods closed and reopened with a reason, reports as documents,
charts, the audit log, staff invites; everyone else is refused."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiogram.methods import AnswerCallbackQuery, SendDocument, SendPhoto

from core.model import AuditEntry
from handlers.admin import AdminCb, ImportCb, PeriodCb
from handlers.admin_reports import AuditCb, ChartCb, ReportCb
from tests.core.conftest import TZ
from tests.handlers.conftest import World
from tests.support import document_message

SUBJECTS_CSV = "subject,short\nАстрономия,Астр\n".encode()
LAST_DAY_OF_Q2 = datetime(2026, 12, 28, 18, 0, tzinfo=TZ)


async def _subjects(w: World) -> set[str]:
    async with w.store.uow() as uow:
        return {s.name for s in await uow.subjects.list_all()}


def _buttons(w: World, user) -> list[str]:  # type: ignore[no-untyped-def]
    return [text for row in w.tester.keyboard(user) for text, _data in row]


def _alerts(w: World) -> list[str]:
    return [c.text or "" for c in w.tester.session.calls(AnswerCallbackQuery)]


async def _upload(w: World, data: bytes, name: str, user=None) -> None:
    file_id = w.tester.session.add_file(data)
    await w.tester.feed(document_message(user or w.admin, file_id=file_id, file_name=name))


async def test_an_import_is_checked_then_confirmed_once(world: World) -> None:
    w = world
    await _upload(w, SUBJECTS_CSV, "subjects.csv")
    report = w.tester.last_text(w.admin)
    assert "subjects.csv" in report and "добавлено 1" in report
    assert "Астрономия" not in await _subjects(w)  # a check only

    # A forged token and another user's click change nothing.
    await w.tester.click(ImportCb(go=True, token="forged"), user=w.admin, forged=True)
    assert "уже не ожидает" in _alerts(w)[-1]
    token = next(d for row in w.tester.keyboard(w.admin) for _t, d in row)
    await w.tester.click(token, user=w.teacher, forged=True)
    assert "уже не ожидает" in _alerts(w)[-1]
    assert "Астрономия" not in await _subjects(w)

    await w.tester.click("✅ Подтвердить импорт", user=w.admin)
    assert "Импортировано" in w.tester.last_text(w.admin)
    assert "Астрономия" in await _subjects(w)
    async with w.store.uow() as uow:
        audit = [e for e in await uow.audit.list_all() if e.action == "import.roster"]
    assert audit and audit[0].actor_id == w.s.admin.id

    # The same confirm again is stale.
    await w.tester.click(token, user=w.admin, forged=True)
    assert "уже не ожидает" in _alerts(w)[-1]


async def test_a_cancelled_or_broken_import_changes_nothing(world: World) -> None:
    w = world
    await _upload(w, SUBJECTS_CSV, "subjects.csv")
    await w.tester.click("Отмена", user=w.admin)
    assert "Импорт отменён" in w.tester.last_text(w.admin)
    await _upload(w, b"not a workbook", "roster.xlsx")
    text = w.tester.last_text(w.admin)
    assert "не удаётся прочитать" in text and "roster.xlsx" in text
    guardians = "guardian_id,last_name,first_name,students\nG1,Новикова,Анна,S-404\n"
    await _upload(w, guardians.encode(), "guardians.csv")
    text = w.tester.last_text(w.admin)
    assert "guardians.csv:2" in text and "S-404" in text
    assert w.tester.keyboard(w.admin) == [] or "Подтвердить" not in str(w.tester.keyboard(w.admin))
    await _upload(w, b"x", "photo.jpg")
    assert "CSV или XLSX" in w.tester.last_text(w.admin)
    assert "Астрономия" not in await _subjects(w)


async def test_others_are_refused(world: World) -> None:
    w = world
    for user in (w.teacher, w.mother, w.class_teacher):
        await w.tester.send("/admin", user=user)
        assert "нет доступа" in w.tester.last_text(user)
    await _upload(w, SUBJECTS_CSV, "subjects.csv", user=w.teacher)
    assert "только администратор" in w.tester.last_text(w.teacher)
    await w.tester.click(PeriodCb(period=w.s.q2.id, action="close"), user=w.teacher, forged=True)
    await w.tester.click(ReportCb(kind="rs", cls=w.s.c7.id, period=2), user=w.mother, forged=True)
    await w.tester.click(AuditCb(who="s", person=w.s.ivanov.id), user=w.teacher, forged=True)
    await w.tester.click(ChartCb(cls=w.s.c7.id, kind="r"), user=w.other_parent, forged=True)
    assert all("нет доступа" in a for a in _alerts(w)[-4:]), _alerts(w)
    assert not w.tester.sent(SendDocument) and not w.tester.sent(SendPhoto)
    async with w.store.uow() as uow:
        assert not (await uow.periods.get(w.s.q2.id)).closed
        assert "Астрономия" not in {s.name for s in await uow.subjects.list_all()}


async def test_periods_close_and_reopen_with_a_reason(world: World) -> None:
    w = world
    w.clock.set(LAST_DAY_OF_Q2)
    await w.tester.send("/admin", user=w.admin)
    assert "Администрирование" in w.tester.last_text(w.admin)
    await w.tester.click(AdminCb(menu="per"), user=w.admin)
    await w.tester.click(PeriodCb(period=w.s.q2.id, action="ask"), user=w.admin)
    assert "Закрыть II четверть?" in w.tester.last_text(w.admin)
    await w.tester.click("🔒 Закрыть", user=w.admin)
    async with w.store.uow() as uow:
        assert (await uow.periods.get(w.s.q2.id)).closed
    await w.tester.click(PeriodCb(period=w.s.q2.id, action="reopen"), user=w.admin)
    assert "причину" in w.tester.last_text(w.admin)
    await w.tester.send("Исправление итоговых отметок", user=w.admin)
    assert "снова открыт" in w.tester.last_text(w.admin)
    async with w.store.uow() as uow:
        assert not (await uow.periods.get(w.s.q2.id)).closed
        entries: list[AuditEntry] = await uow.audit.for_actor(w.s.admin.id)
    assert [e.reason for e in entries if e.action == "period.reopen"] == [
        "Исправление итоговых отметок"
    ]
    await w.tester.click(AuditCb(who="t", person=w.s.admin.id), user=w.admin, forged=True)
    assert "Период открыт снова" in w.tester.last_text(w.admin)


async def test_reports_charts_and_staff_invites(world: World) -> None:
    w = world
    await w.tester.send("/admin", user=w.admin)
    await w.tester.click(AdminCb(menu="rep"), user=w.admin)
    await w.tester.click("Итоги успеваемости класса", user=w.admin)
    await w.tester.click("7А", user=w.admin)
    await w.tester.click("I четверть", user=w.admin)
    for kind in ("gd", "ql", "jr", "ms", "at", "mv"):
        await w.tester.click(
            ReportCb(kind=kind, cls=w.s.c7.id, period=1), user=w.admin, forged=True
        )
    docs = w.tester.sent(SendDocument, w.admin)
    assert len(docs) == 7
    # Named and captioned as their titles, in the reader's language; the journal's archive copy
    # by year, period and class (000 §4.6).
    assert docs[0].document.filename == "Итоги успеваемости класса, 7А, I четверть.xlsx"
    assert docs[0].caption == "Итоги успеваемости класса: 7А, I четверть"
    assert docs[3].document.filename.endswith("_1_7А.xlsx")
    for kind in ("r", "a"):
        await w.tester.click(ChartCb(cls=w.s.c7.id, kind=kind), user=w.admin, forged=True)
    assert len(w.tester.sent(SendPhoto, w.admin)) == 2
    await w.tester.click(ReportCb(kind="zz"), user=w.admin, forged=True)
    assert "устарела" in _alerts(w)[-1]

    await w.tester.click(AdminCb(menu="inv"), user=w.admin, forged=True)
    staff = _buttons(w, w.admin)
    assert "✅ " + w.s.teacher.full_name in staff  # signed in
    assert "⏳ Кузнецов Олег Игоревич" in staff  # not yet
    assert "Вошли в бот:" in w.tester.last_text(w.admin)
    await w.tester.click("✅ " + w.s.teacher.full_name, user=w.admin)
    text = w.tester.last_text(w.admin)
    assert "https://t.me/schoolbot_test_bot?start=" in text and w.s.teacher.last_name in text


async def test_the_menu_and_help_show_administration_to_the_admin_only(world: World) -> None:
    w = world
    await w.tester.send("/help", user=w.admin)
    assert "/admin" in w.tester.last_text(w.admin)
    await w.tester.send("/help", user=w.teacher)
    assert "/admin" not in w.tester.last_text(w.teacher)


async def test_last_seen_is_written_in_batches_at_most_hourly_and_reported(
    world: World,
) -> None:
    from core.access import SYSTEM

    w = world
    last_seen = w.tester.dispatcher["last_seen"]
    commits = w.store.commits
    for _ in range(3):
        await w.tester.send("/help", user=w.mother)
    await w.tester.send("/help", user=w.teacher)
    assert w.store.commits == commits  # no update waits for a write
    assert last_seen.pending == 2
    await last_seen.flush()
    assert w.store.commits == commits + 1  # both accounts in one transaction
    await w.tester.send("/help", user=w.mother)
    assert last_seen.pending == 0  # written this hour already
    async with w.store.uow() as uow:
        account = await uow.accounts.by_external("telegram", str(w.mother.id))
    assert account.last_seen_at == w.clock.now()
    table = await w.services.reports.guardians_activity(SYSTEM, "7А")
    assert table.headers[-1] == "Last seen"
    seen = {row[1]: row[-1] for row in table.rows if row[1]}
    assert seen[w.s.mother.full_name] == w.clock.today()
    assert seen[w.s.other_parent.full_name] is None


async def test_last_seen_waiting_is_written_when_the_bot_stops(world: World) -> None:
    w = world
    await w.tester.send("/help", user=w.mother)
    await w.tester.dispatcher.emit_shutdown(bot=w.tester.bot)
    async with w.store.uow() as uow:
        account = await uow.accounts.by_external("telegram", str(w.mother.id))
    assert account.last_seen_at == w.clock.now()


async def test_last_seen_is_written_by_itself_after_a_short_delay(world: World) -> None:
    w = world
    last_seen = w.tester.dispatcher["last_seen"]
    last_seen.delay = 0.01
    await w.tester.send("/help", user=w.mother)
    for _ in range(100):
        if last_seen.pending == 0 and not last_seen._tasks:
            break
        await asyncio.sleep(0.01)
    async with w.store.uow() as uow:
        account = await uow.accounts.by_external("telegram", str(w.mother.id))
    assert account.last_seen_at == w.clock.now()


async def test_the_audit_log_by_teacher_and_by_student_opens_from_the_menu(world: World) -> None:
    """Each press is answered once (Telegram refuses a second answer, and the page never came)."""
    w = world
    w.clock.set(LAST_DAY_OF_Q2)
    await w.tester.send("/admin", user=w.admin)
    await w.tester.click(AdminCb(menu="per"), user=w.admin)
    await w.tester.click(PeriodCb(period=w.s.q2.id, action="ask"), user=w.admin)
    await w.tester.click("🔒 Закрыть", user=w.admin)

    await w.tester.send("/admin", user=w.admin)
    await w.tester.click("🕵 Журнал изменений", user=w.admin)
    await w.tester.click("По учителю", user=w.admin)
    await w.tester.click(w.s.admin.full_name, user=w.admin)
    page = w.tester.last_text(w.admin)
    assert "Журнал изменений" in page and "Закрыт период" in page

    await w.tester.send("/admin", user=w.admin)
    await w.tester.click("🕵 Журнал изменений", user=w.admin)
    await w.tester.click("По ученику", user=w.admin)
    await w.tester.click("7А", user=w.admin)
    await w.tester.click(w.s.ivanov.full_name, user=w.admin)
    assert "Журнал изменений" in w.tester.last_text(w.admin)
    assert not any(a.show_alert for a in w.tester.session.calls(AnswerCallbackQuery))


async def test_a_refusal_whose_alert_cannot_be_shown_is_said_in_the_chat(world: World) -> None:
    from aiogram.exceptions import TelegramBadRequest

    from tests.support.recording import QUERY_TOO_OLD

    w = world
    w.tester.session.fail_next(AnswerCallbackQuery, TelegramBadRequest, QUERY_TOO_OLD)
    await w.tester.click(AuditCb(who="s", person=w.s.ivanov.id), user=w.teacher, forged=True)
    assert "нет доступа" in w.tester.last_text(w.teacher)
