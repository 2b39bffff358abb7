"""Access on record (#12, 152-FZ): staff looking at a child's diary is written off the answer's
path and read back by the administrator as «👀 Кто смотрел», in /admin and at the console; a
parent reading their own child leaves nothing; every change (invites, signing in and out,
settings, consent, remarks, homework with its old text) is on record with who and from where."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from app.keyboards import DiaryCb, View
from bot.cli import main
from core.access import SYSTEM
from core.model import AuditEntry, PersonRole
from tests.support import TgUser
from tests.support.school import THURSDAY, ImportedSchool

ADMIN = TgUser(7301, "Ирина")  # T-001
CLASS_TEACHER = TgUser(7302, "Анна")  # T-004, class teacher of 7А, teaches maths
MOTHER = TgUser(7303, "Ольга")  # U-101: K-01 (7А) and K-22 (5А)


async def _entries(school: ImportedSchool, student: str, reads: bool | None) -> list[AuditEntry]:
    student_id = await school.person_id(PersonRole.STUDENT, student)
    async with school.database.uow(readonly=True) as uow:
        return await uow.audit.for_student(student_id, reads=reads)


async def _account(school: ImportedSchool, user: TgUser) -> int:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
    assert account is not None and account.id is not None
    return account.id


async def test_the_admin_sees_who_looked_at_a_child(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    k01 = await school.person_id(PersonRole.STUDENT, "K-01")
    teacher = await school.person_id(PersonRole.STAFF, "T-004")

    # The mother reads her son's diary: the family, not on record.
    await school.tester.send("/marks", user=MOTHER)
    assert "Иванов Пётр" in (school.tester.last_text(MOTHER) or "")
    # The class teacher opens her pupil's marks and attendance.
    school.clock.set(THURSDAY.replace(hour=10, minute=5))
    for view in (View.MARKS, View.ATTENDANCE, View.MARKS):
        await school.tester.click(DiaryCb(view=view, student=k01), user=CLASS_TEACHER, forged=True)
    assert "Иванов Пётр" in (school.tester.last_text(CLASS_TEACHER) or "")

    # Written off the answer's path: nothing yet, all of it after one flush.
    assert school.services.read_audit.pending == 2  # the second look at the marks is one
    assert await _entries(school, "K-01", reads=True) == []
    await school.services.read_audit.flush()
    reads = await _entries(school, "K-01", reads=True)
    assert sorted(e.action for e in reads) == ["diary.attendance", "diary.marks"]
    assert {(e.actor_id, e.channel, e.entity_id) for e in reads} == {(teacher, "telegram", k01)}
    mother = await _account(school, MOTHER)
    assert all(e.account_id != mother for e in reads)

    await school.tester.send("/admin", user=ADMIN)
    for button in ("🕵 Журнал изменений", "По ученику", "7А", "Иванов Пётр Алексеевич"):
        await school.tester.click(button, user=ADMIN)
    await school.tester.click("👀 Кто смотрел", user=ADMIN)
    text = school.tester.last_text(ADMIN) or ""
    assert text.startswith("<b>👀 Кто смотрел</b>"), text
    assert "03.12.2026 10:05 Просмотр отметок (Смирнова Анна Петровна, Telegram)" in text, text
    assert "Просмотр посещаемости (Смирнова Анна Петровна, Telegram)" in text
    assert "Иванова" not in text  # the mother is not there

    # Reading the log is itself on record.
    await school.services.read_audit.flush()
    admin = await school.person_id(PersonRole.STAFF, "T-001")
    looked = [e for e in await _entries(school, "K-01", reads=True) if e.action == "audit.view"]
    assert [(e.actor_id, e.channel) for e in looked] == [(admin, "telegram")] * len(looked)
    assert len(looked) == 2  # the student's log, then who looked


async def test_changes_are_on_record_with_who_and_from_where(school: ImportedSchool) -> None:
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    mother = await _account(school, MOTHER)
    changes = await _entries(school, "K-01", reads=False)
    consent = [e for e in changes if e.action == "guardian.consent"]
    assert [(e.account_id, e.channel) for e in consent] == [(mother, "telegram")]

    # The mother switches to English and turns the marks' pushes off.
    await school.tester.send("/settings", user=MOTHER)
    await school.tester.click("English", user=MOTHER)
    async with school.database.uow(readonly=True) as uow:
        mine = [e for e in await uow.audit.list_all() if e.account_id == mother]
    assert ("invite.redeem", "", "") in {(e.action, e.before, e.after) for e in mine}
    assert ("settings.locale", "ru", "en") in {(e.action, e.before, e.after) for e in mine}
    assert {e.channel for e in mine} == {"telegram"}

    # 13:20, after the maths lesson of 7А: a praise, and homework written, then rewritten.
    school.clock.set(THURSDAY.replace(hour=13, minute=20))
    await school.tester.send("/today", user=CLASS_TEACHER)
    await school.tester.click("5. 12:30 7А Математика", user=CLASS_TEACHER)
    await school.tester.click("💬 Замечание или благодарность", user=CLASS_TEACHER)
    await school.tester.click("Иванов П.", user=CLASS_TEACHER)
    await school.tester.click("👍 Благодарность", user=CLASS_TEACHER)
    await school.tester.send("Отличная работа у доски", user=CLASS_TEACHER)
    for text in ("№ 412, 415", "№ 412, 415, 418"):
        await school.tester.send("/today", user=CLASS_TEACHER)
        await school.tester.click("5. 12:30 7А Математика", user=CLASS_TEACHER)
        await school.tester.click("🏠 Д/з", user=CLASS_TEACHER)
        await school.tester.send(text, user=CLASS_TEACHER)
        await school.tester.click("✅ Сохранить", user=CLASS_TEACHER)
        assert "Д/з сохранено" in (school.tester.last_text(CLASS_TEACHER) or "")
    for topic in ("Дроби", "Десятичные дроби"):
        await school.tester.send("/today", user=CLASS_TEACHER)
        await school.tester.click("5. 12:30 7А Математика", user=CLASS_TEACHER)
        await school.tester.click("📖 Тема", user=CLASS_TEACHER)
        await school.tester.send(topic, user=CLASS_TEACHER)
        assert "Тема сохранена." in (school.tester.last_text(CLASS_TEACHER) or "")
    async with school.database.uow(readonly=True) as uow:
        topics = [e for e in await uow.audit.list_all() if e.action == "lesson.topic"]
    assert [(e.before, e.after, e.actor_id) for e in topics] == [
        ("", "Дроби", teacher),
        ("Дроби", "Десятичные дроби", teacher),  # the old topic is kept
    ]
    praise = [e for e in await _entries(school, "K-01", False) if e.action == "remark.praise"]
    assert [(e.actor_id, e.after, e.channel) for e in praise] == [
        (teacher, "Отличная работа у доски", "telegram")
    ]
    async with school.database.uow(readonly=True) as uow:
        homework = [e for e in await uow.audit.list_all() if e.action == "lesson.homework"]
    assert [(e.before, e.after) for e in homework] == [
        ("", "№ 412, 415 (2026-12-04)"),
        ("№ 412, 415 (2026-12-04)", "№ 412, 415, 418 (2026-12-04)"),  # the old text is kept
    ]
    assert {(e.actor_id, e.channel) for e in homework} == {(teacher, "telegram")}

    # A code issued and revoked, and the mother signs out (withdrawing her consent).
    k02 = await school.person_id(PersonRole.STUDENT, "K-02")
    issued = await school.services.invites.issue(SYSTEM, PersonRole.STUDENT, k02)
    await school.services.invites.revoke(SYSTEM, issued.invite.id)  # type: ignore[arg-type]
    on_k02 = [e.action for e in await _entries(school, "K-02", False)]
    assert on_k02 == ["invite.issue", "invite.revoke"]
    await school.tester.send("/logout", user=MOTHER)
    await school.tester.click("Sign out", user=MOTHER)
    changes = await _entries(school, "K-01", reads=False)
    withdrawn = [e for e in changes if e.action == "guardian.withdraw"]
    assert [(e.account_id, e.channel) for e in withdrawn] == [(mother, "telegram")]
    async with school.database.uow(readonly=True) as uow:
        out = [e for e in await uow.audit.list_all() if e.action == "account.logout"]
    assert [(e.entity, e.account_id) for e in out] == [("guardian", mother)]

    # The administrator reads it in words.
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    for button in ("🕵 Журнал изменений", "По ученику", "7А", "Иванов Пётр Алексеевич"):
        await school.tester.click(button, user=ADMIN)
    text = school.tester.last_text(ADMIN) or ""
    assert "Благодарность записана (Смирнова Анна Петровна, Telegram)" in text, text
    assert "Согласие отозвано: родитель вышел из бота" in text, text


@pytest.fixture
def console(school: ImportedSchool, monkeypatch: pytest.MonkeyPatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", school.database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SCHOOLBOT_NOW", school.clock.now().replace(tzinfo=None).isoformat())
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")

    async def run(*args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


async def test_the_consoles_export_is_on_record(
    school: ImportedSchool, console, tmp_path: Path
) -> None:
    code, _out, err = await console("export", "journal", "--class", "7А", "--out", str(tmp_path))
    assert code == 0, err
    reads = await _entries(school, "K-01", reads=True)
    assert [(e.action, e.channel, e.actor_id, e.entity) for e in reads] == [
        ("report.journal", "console", None, "class")
    ]
    on_5a = await _entries(school, "K-21", reads=True)
    assert on_5a == []  # only the class exported
    code, out, err = await console("audit", "--student", "K-01", "--reads")
    assert code == 0, err
    assert "администратор в консоли [консоль]  Выгрузка журнала класса" in out, out
    code, out, err = await console("audit", "--teacher", "T-004", "--reads")
    assert code != 0 and "--reads" in err
    # the audit read itself is on record, from the console
    looked = [e.action for e in await _entries(school, "K-01", reads=True)]
    assert looked == ["report.journal", "audit.view"]
    assert school.clock.now() - reads[0].at < timedelta(minutes=1)
