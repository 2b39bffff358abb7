"""The deputy's remarks on a teacher's journal (#14 item 4; 001 §8.6; 003 reg.2 §2.1.7,
§2.3.1), on a school imported from its own files, through the real dispatcher: the deputy
writes a remark about a lesson and about a subject, the teacher is told, sees it above /today
until it is fixed, marks it fixed, the author is told, the report lists it; what is refused
changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from aiogram.methods import SendDocument, SendMessage

from core.errors import AccessDenied, NotFound, RemarkDueRefused, RemarkTeacherRefused
from core.journal_remarks import Draft
from core.model import DeliveryStatus, JournalRemark, PersonRole
from handlers.admin import AdminCb
from handlers.admin_reports import ReportCb
from handlers.journal_control import RemarkCb, RemarkFormCb
from notifications import buttons as b
from notifications.render import Item, render
from tests.school.test_access_ends import alerts
from tests.school.test_family_day import MONDAY, TUESDAY, _lesson, _week
from tests.support import TgUser
from tests.support.school import TZ, ImportedSchool

DEPUTY = TgUser(7301, "Наталья")  # T-003: deputy head, teaches History
MATHS = TgUser(7302, "Анна")  # T-004: maths in every class, class teacher of 7А
ENGLISH = TgUser(7303, "Мария")  # T-006: English, the first group of 7А
RUSSIAN = TgUser(7304, "Олег")  # T-005: Russian in every class, class teacher of 5А

DENIED = "У вас нет доступа к этим данным."
NOT_FOUND = "Ничего не найдено: возможно, запись удалена или номер указан неверно."


async def _school(school: ImportedSchool) -> None:
    await _week(school)
    for user, source_id in (
        (DEPUTY, "T-003"),
        (MATHS, "T-004"),
        (ENGLISH, "T-006"),
        (RUSSIAN, "T-005"),
    ):
        await school.link(user, PersonRole.STAFF, source_id)


async def _ids(school: ImportedSchool) -> dict[str, int]:
    async with school.database.uow(readonly=True) as uow:
        classes = {c.name: c.id for c in await uow.classes.list_all()}
        subjects = {s.name: s.id for s in await uow.subjects.list_all()}
    return {
        "7А": classes["7А"],
        "maths": subjects["Математика"],
        "english": subjects["Английский язык"],
        **{
            s: await school.person_id(PersonRole.STAFF, s)
            for s in ("T-003", "T-004", "T-005", "T-006", "T-008")
        },
    }


async def _pushes(school: ImportedSchool, user: TgUser, kind: str) -> list[Item]:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    assert account is not None
    return [
        Item.parse(r.id, r.kind, r.payload, r.student_id, r.broadcast_id, "staff")  # type: ignore[arg-type]
        for r in rows
        if r.account_id == account.id and r.kind == kind and r.status == DeliveryStatus.PENDING
    ]


def _buttons(message: SendMessage) -> list[tuple[str, str | None]]:
    markup = message.reply_markup
    rows = getattr(markup, "inline_keyboard", None) or []
    return [(x.text, x.callback_data) for row in rows for x in row]


async def _remarks(school: ImportedSchool) -> list[JournalRemark]:
    async with school.database.uow(readonly=True) as uow:
        return await uow.journal_remarks.list_all()


async def _write_in_bot(school: ImportedSchool, steps: list[RemarkFormCb], text: str) -> None:
    """/admin → «Замечания по журналам» → «Написать» → the steps → the text → «Через
    неделю» → «Отправить», as the deputy."""
    await school.tester.send("/admin", user=DEPUTY)
    await school.tester.click("📋 Замечания по журналам", user=DEPUTY)
    await school.tester.click("✍️ Написать замечание", user=DEPUTY)
    for step in steps:
        await school.tester.click(step, user=DEPUTY)
    assert "Напишите замечание" in (school.tester.last_text(DEPUTY) or "")
    await school.tester.send(text, user=DEPUTY)
    await school.tester.click("Через неделю", user=DEPUTY)
    await school.tester.click("✅ Отправить", user=DEPUTY)


async def test_a_remark_goes_to_the_teacher_until_it_is_fixed(school: ImportedSchool) -> None:
    await _school(school)
    ids = await _ids(school)
    cls, maths = ids["7А"], ids["maths"]
    lesson = await _lesson(school, "7А", TUESDAY, 2)  # Математика, Смирнова

    # about a lesson: 7А → Математика (one teacher: no choice) → Tuesday's lesson
    await _write_in_bot(
        school,
        [
            RemarkFormCb(cls=cls),
            RemarkFormCb(cls=cls, subject=maths),
            RemarkFormCb(cls=cls, subject=maths, teacher=ids["T-004"], scope="l", lesson=lesson),
        ],
        "Не записана тема урока",
    )
    assert "✅ Отправлено: Смирнова А.П." in (school.tester.last_text(DEPUTY) or "")
    (remark,) = await _remarks(school)
    assert (remark.teacher_id, remark.lesson_id, remark.subject_id) == (ids["T-004"], lesson, maths)
    assert remark.due_on == date(2026, 12, 10) and remark.author_id == ids["T-003"]

    # the teacher is told, with a button that opens it
    (push,) = await _pushes(school, MATHS, "journal_remark")
    shown = render([push], "ru")
    assert "Замечание по вашему журналу от Орлова Н.И." in shown.text
    assert "7А, Математика, урок 2" in shown.text and "Не записана тема урока" in shown.text
    assert "10 декабря" in shown.text
    assert shown.buttons[0][0].data == b.journal_remark(remark.id)  # type: ignore[arg-type]
    assert RemarkCb.unpack(b.journal_remark(remark.id)) == RemarkCb(remark=remark.id)  # type: ignore[arg-type]
    await school.tester.click(b.journal_remark(remark.id), user=MATHS, forged=True)  # type: ignore[arg-type]
    assert "Не записана тема урока" in (school.tester.last_text(MATHS) or "")
    # ... and nobody else is
    assert await _pushes(school, ENGLISH, "journal_remark") == []

    # about a subject: 7А → English, two groups: Белова's journal, for the whole quarter
    await _write_in_bot(
        school,
        [
            RemarkFormCb(cls=cls),
            RemarkFormCb(cls=cls, subject=ids["english"]),
            RemarkFormCb(cls=cls, subject=ids["english"], teacher=ids["T-006"]),
            RemarkFormCb(cls=cls, subject=ids["english"], teacher=ids["T-006"], scope="p"),
        ],
        "Мало отметок у первой группы",
    )
    subject_remark = (await _remarks(school))[1]
    assert subject_remark.teacher_id == ids["T-006"] and subject_remark.lesson_id is None
    assert subject_remark.period_id is not None
    (push,) = await _pushes(school, ENGLISH, "journal_remark")
    assert "II четверть" in render([push], "ru").text

    # /today: the open remark at the top, until it is fixed
    await school.tester.send("/today", user=MATHS)
    top = next(t for t in school.tester.texts(MATHS) if "Замечания по вашему журналу" in t)
    assert "Не записана тема урока" in top and "исправить до 10 декабря" in top
    assert ("✅ Исправлено: 1", RemarkCb(remark=remark.id, action="f").pack()) in [
        b for m in school.tester.sent(SendMessage, MATHS) if m.reply_markup for b in _buttons(m)
    ]
    await school.tester.click(RemarkCb(remark=remark.id, action="f"), user=MATHS, forged=True)
    assert "Все замечания по вашему журналу исправлены" in (school.tester.last_text(MATHS) or "")
    fixed = (await _remarks(school))[0]
    assert fixed.fixed_at is not None and fixed.fixed_by == ids["T-004"]
    before = len(school.tester.texts(MATHS))
    await school.tester.send("/today", user=MATHS)
    assert not any("Не записана тема урока" in t for t in school.tester.texts(MATHS)[before:])

    # the author is told
    (push,) = await _pushes(school, DEPUTY, "journal_remark_fixed")
    assert "Замечание исправлено: Смирнова А.П." in render([push], "ru").text

    # the administration's list: only the open one
    await school.tester.click(AdminCb(menu="jr"), user=DEPUTY, forged=True)
    listed = school.tester.last_text(DEPUTY) or ""
    assert "Мало отметок" in listed and "Не записана тема урока" not in listed

    # the report: both, one fixed
    table = await school.services.journal_remarks.report(
        await school.services.viewers.get("telegram", str(DEPUTY.id), True), 2
    )
    assert [(r[2], r[4], r[10]) for r in table.rows] == [
        ("Смирнова А.П.", "Математика", "remark.fixed"),
        ("Белова М.И.", "Английский язык", ""),
    ]
    assert table.rows[0][5] == TUESDAY and table.rows[0][9] == date(2026, 12, 3)
    await school.tester.click(ReportCb(kind="jm", period=2), user=DEPUTY, forged=True)
    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    assert sent.caption and "Замечания по ведению журналов" in sent.caption

    # the audit log has both writes and the fix
    async with school.database.uow(readonly=True) as uow:
        actions = [e.action for e in await uow.audit.for_actor(ids["T-003"])]
        actions += [e.action for e in await uow.audit.for_actor(ids["T-004"])]
    assert actions.count("journal_remark.write") == 2 and "journal_remark.fix" in actions


async def test_overdue_remarks_are_marked_so(school: ImportedSchool) -> None:
    await _school(school)
    ids = await _ids(school)
    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    await school.services.journal_remarks.write(
        deputy,
        Draft(ids["7А"], ids["T-004"], "Нет домашнего задания", date(2026, 12, 5), ids["maths"]),
    )
    await school.tester.send("/today", user=MATHS)
    assert "просрочено" not in "\n".join(school.tester.texts(MATHS))

    school.clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=TZ))  # Monday: two days late
    await school.tester.send("/today", user=MATHS)
    top = next(t for t in school.tester.texts(MATHS)[::-1] if "Нет домашнего задания" in t)
    assert "⚠️ просрочено: срок был 5 декабря" in top
    await school.tester.click(AdminCb(menu="jr"), user=DEPUTY, forged=True)
    assert "просрочено" in (school.tester.last_text(DEPUTY) or "")
    table = await school.services.journal_remarks.report(deputy, 2)
    assert table.rows[0][10] == "remark.overdue"


async def test_what_is_refused_changes_nothing(school: ImportedSchool) -> None:
    await _school(school)
    ids = await _ids(school)
    cls, maths = ids["7А"], ids["maths"]
    lesson = await _lesson(school, "7А", MONDAY, 3)  # Математика, Смирнова
    service = school.services.journal_remarks
    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    teacher = await school.services.viewers.get("telegram", str(MATHS.id), True)
    week = date(2026, 12, 10)

    # a subject teacher (and class teacher) cannot write a remark: core and bot
    with pytest.raises(AccessDenied):
        await service.write(teacher, Draft(cls, ids["T-006"], "Тема", week, ids["english"]))
    await school.tester.click(AdminCb(menu="jr"), user=MATHS, forged=True)
    await school.tester.click(RemarkFormCb(cls=cls), user=MATHS, forged=True)
    assert alerts(school, MATHS)[-2:] == [DENIED, DENIED]

    # a remark to a teacher who does not teach that subject in that class, or that lesson
    with pytest.raises(RemarkTeacherRefused):
        await service.write(deputy, Draft(cls, ids["T-005"], "Тема", week, maths))
    with pytest.raises(RemarkTeacherRefused):
        await service.write(deputy, Draft(cls, ids["T-008"], "Тема", week, lesson_id=lesson))
    forged = RemarkFormCb(cls=cls, subject=maths, teacher=ids["T-005"])
    await school.tester.click(forged, user=DEPUTY, forged=True)
    assert "не ведёт эту часть журнала" in alerts(school, DEPUTY)[-1]

    # a due date in the past, in the core and typed in the bot
    with pytest.raises(RemarkDueRefused):
        await service.write(deputy, Draft(cls, ids["T-004"], "Тема", date(2026, 12, 2), maths))
    await school.tester.click(
        RemarkFormCb(cls=cls, subject=maths, teacher=ids["T-004"], scope="p"),
        user=DEPUTY,
        forged=True,
    )
    await school.tester.send("Тема не записана", user=DEPUTY)
    await school.tester.send("02.12", user=DEPUTY)
    assert "Срок исправления можно назначить с 3 декабря по" in (
        school.tester.last_text(DEPUTY) or ""
    )
    await school.tester.send("/cancel", user=DEPUTY)

    # forged class, subject and lesson ids
    for step in (
        RemarkFormCb(cls=99_999),
        RemarkFormCb(cls=cls, subject=99_999),
    ):
        await school.tester.click(step, user=DEPUTY, forged=True)
        assert alerts(school, DEPUTY)[-1] == NOT_FOUND
    other = await _lesson(school, "6Б", MONDAY, 1)
    with pytest.raises(NotFound):
        await service.write(deputy, Draft(cls, ids["T-004"], "Тема", week, lesson_id=other))
    assert await _remarks(school) == []

    # a remark is marked fixed by its teacher (or the administration), nobody else
    line = await service.write(deputy, Draft(cls, ids["T-004"], "Нет темы", week, maths))
    rid = line.remark.id
    await school.tester.click(RemarkCb(remark=rid, action="f"), user=ENGLISH, forged=True)
    assert alerts(school, ENGLISH)[-1] == DENIED
    await school.tester.click(RemarkCb(remark=rid), user=RUSSIAN, forged=True)
    assert alerts(school, RUSSIAN)[-1] == DENIED
    await school.tester.click(RemarkCb(remark=99_999, action="f"), user=MATHS, forged=True)
    assert alerts(school, MATHS)[-1] == NOT_FOUND
    (still,) = await _remarks(school)
    assert still.fixed_at is None
    assert await _pushes(school, DEPUTY, "journal_remark_fixed") == []
