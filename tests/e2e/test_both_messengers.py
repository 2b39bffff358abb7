"""The same scenarios, written once, against the fake Telegram and the fake MAX (issue #13).

Each test is one definition run on both messengers: the application in this process (the real
dispatcher, each messenger's bot and polling over real HTTP on 127.0.0.1, the delivery worker)
on a school imported from its own files (``tests.support.school``). A person is driven through
``tests.support.messengers``: what they type, the deep link they open, the buttons they press,
the files they send, blocking the bot; and what they see.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from sqlalchemy import select

from core.access import SYSTEM
from core.model import DeliveryStatus, PersonRole
from storage.db import Database
from storage.tables import accounts, attendance, deliveries
from tests.support.messengers import MESSENGERS, App, Person
from tests.support.school import TZ, ImportedSchool, open_school

pytestmark = pytest.mark.e2e

CONSENT = "✅ Я согласен(на)"
PDF = b"%PDF-1.4\n% homework sheet\n" + bytes(range(256)) * 4


def at(hour: int, minute: int = 0) -> datetime:
    """That Thursday (3 December 2026) at this time."""
    return datetime(2026, 12, 3, hour, minute, tzinfo=TZ)


@pytest.fixture
async def school(database: Database, tmp_path: Path) -> ImportedSchool:
    return await open_school(database, tmp_path / "files")


@pytest.fixture(params=MESSENGERS)
def messenger(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def app(school: ImportedSchool, messenger: str):  # type: ignore[no-untyped-def]
    async with App(school, [messenger]) as running:
        yield running


async def code_for(school: ImportedSchool, role: PersonRole, source_id: str) -> str:
    person = await school.person_id(role, source_id)
    return (await school.services.invites.issue(SYSTEM, role, person)).code


async def sign_in(
    app: App, school: ImportedSchool, who: Person, role: PersonRole, source_id: str
) -> None:
    """By the deep link (``/start <code>``), consenting as a guardian."""
    await who.start(await code_for(school, role, source_id))
    if role == PersonRole.GUARDIAN and CONSENT in who.buttons():  # once per person
        await who.press(CONSENT)
    assert "Вы вошли" in "\n".join(who.texts()[-2:]), who.texts()[-3:]


async def account_of(database: Database, who: Person):  # type: ignore[no-untyped-def]
    a = accounts.c
    async with database.session(readonly=True) as session:
        stmt = select(accounts).where(a.messenger == who.messenger, a.external_id == str(who.id))
        return (await session.execute(stmt)).one()


async def delivery_rows(database: Database, who: Person) -> list:
    d = deliveries.c
    account = await account_of(database, who)
    async with database.session(readonly=True) as session:
        stmt = select(d.kind, d.status, d.last_error).where(d.account_id == account.id)
        return list((await session.execute(stmt)).all())


async def test_linking_by_link_and_by_code_consent_and_the_diary(
    app: App, school: ImportedSchool
) -> None:
    mother = app.person(app.messengers[0], 5101, "Ольга")
    await mother.start(await code_for(school, PersonRole.GUARDIAN, "U-101"))
    assert "согласны" in mother.last(), mother.texts()
    await mother.press(CONSENT)
    assert "Иванова Ольга Викторовна (родитель)" in "\n".join(mother.texts()[-2:])

    father = app.person(app.messengers[0], 5102, "Сергей")
    await father.start()  # opened the bot without a link, then types the code
    await father.send(await code_for(school, PersonRole.GUARDIAN, "U-102"))
    assert "согласны" in father.last(), father.texts()
    await father.press(CONSENT)
    assert "Петров Сергей Николаевич (родитель)" in "\n".join(father.texts()[-2:])

    await mother.send("/marks")
    marks = mother.last()
    assert "Отметки" in marks and "Иванов Пётр" in marks, marks
    assert mother.buttons() == ["I", "• II •"], mother.buttons()
    await mother.press("I")  # the first quarter's marks, by a press
    assert "I четверть" in mother.last() and "• I •" in mother.buttons(), mother.last()

    await mother.send("/homework")
    assert "Домашнее задание" in mother.last(), mother.last()
    await mother.send("/timetable")
    assert "Расписание" in mother.last(), mother.last()
    assert "Что-то пошло не так" not in "\n".join(mother.texts() + father.texts())


async def test_the_roll_call_by_taps(app: App, school: ImportedSchool) -> None:
    teacher = app.person(app.messengers[0], 5201, "Анна")
    await sign_in(app, school, teacher, PersonRole.TEACHER, "T-004")
    school.clock.set(at(8, 35))
    await teacher.send("/today")
    assert "1. 08:30 6Б Математика" in teacher.buttons(), teacher.buttons()
    await teacher.press("1. 08:30 6Б Математика")
    assert "Присутствуют 3 из 3" in teacher.last()
    await teacher.press("Гусева В.")
    await teacher.press("Дроздов Л.")
    card = teacher.last()
    assert "Присутствуют 1 из 3 · отсутствуют: 2" in card, card
    assert {"❌ Гусева В.", "❌ Дроздов Л.", "Белкин И."} <= set(teacher.buttons())
    async with school.database.session(readonly=True) as session:
        kinds = (await session.execute(select(attendance.c.kind))).scalars().all()
    assert sorted(str(k) for k in kinds) == ["absent", "absent"]


async def test_a_broadcast_with_its_progress_and_read_receipts(
    app: App, school: ImportedSchool
) -> None:
    m = app.messengers[0]
    teacher, mother, father = (
        app.person(m, 5301, "Анна"),
        app.person(m, 5302, "Ольга"),
        app.person(m, 5303, "Сергей"),
    )
    await sign_in(app, school, teacher, PersonRole.TEACHER, "T-004")
    await sign_in(app, school, mother, PersonRole.GUARDIAN, "U-101")
    await sign_in(app, school, father, PersonRole.GUARDIAN, "U-102")
    school.clock.set(at(13, 30))
    mother.new(), father.new()

    await teacher.send("📣 Сообщение классу")
    assert teacher.last().startswith("Напишите сообщение для 7А"), teacher.last()
    await teacher.send("Завтра в 18:00 родительское собрание, кабинет 305.")
    assert teacher.last() == "Кому отправить?"
    await teacher.press("👪 Родители")
    assert "Получат 2 аккаунта" in teacher.last(), teacher.last()
    await teacher.press("✅ Отправить")
    await app.deliver()

    for parent, child in ((mother, "Иванов Пётр"), (father, "Петрова Алёна")):
        assert parent.new() == [
            "📢 7А: сообщение от классного руководителя (Смирнова А.П.)\n"
            f"Для родителей: {child}\n\n"
            "Завтра в 18:00 родительское собрание, кабинет 305."
        ]
        assert parent.buttons() == ["✓ Прочитано", "↩️ Ответить"]
    # the progress message, edited by the worker as the pushes go out
    await app.until(lambda: "Доставлено: 2 из 2" in teacher.last())
    assert teacher.last().startswith("📢 Рассылка: 7А"), teacher.last()
    assert "Прочитали: 0" in teacher.last()

    await mother.press("✓ Прочитано")
    assert mother.buttons() == ["↩️ Ответить"]
    await teacher.press("🔄 Обновить")
    assert "Прочитали: 1" in teacher.last(), teacher.last()
    await teacher.press("👀 Кто не прочитал")
    unread = teacher.last()
    assert "Петров Сергей Николаевич" in unread and "Иванова" not in unread, unread


async def test_a_file_in_and_a_file_out(app: App, school: ImportedSchool) -> None:
    m = app.messengers[0]
    teacher, mother, admin = (
        app.person(m, 5401, "Анна"),
        app.person(m, 5402, "Ольга"),
        app.person(m, 5403, "Ирина"),
    )
    await sign_in(app, school, teacher, PersonRole.TEACHER, "T-004")
    await sign_in(app, school, mother, PersonRole.GUARDIAN, "U-101")
    await sign_in(app, school, admin, PersonRole.ADMIN, "T-001")
    school.clock.set(at(12, 35))
    mother.new()

    # in: the teacher's homework with a file, which the parent gets with the push
    await teacher.send("/today")
    await teacher.press("5. 12:30 7А Математика")
    await teacher.press("🏠 Д/з")
    await teacher.send_file("Задачи к уроку.pdf", PDF, "№ 412, 415")
    assert "файлов: 1" in teacher.last(), teacher.last()
    await teacher.press("✅ Сохранить")
    assert teacher.last().startswith("Д/з сохранено"), teacher.last()
    await app.deliver()
    assert any("Новое домашнее задание" in t for t in mother.new()), mother.texts()[-3:]
    assert mother.files() == []  # the push says where the files are
    await mother.send("/homework")
    await mother.press("▶")  # tomorrow's, where the push pointed
    assert "№ 412, 415" in "\n".join(mother.texts()[-2:]), mother.texts()[-2:]
    (sheet,) = mother.files()
    assert sheet.data == PDF

    # out: a report the school makes, as a spreadsheet
    await admin.send("/admin")
    for button in ("📊 Отчёты и выгрузки", "Посещаемость", "5А", "II четверть"):
        await admin.press(button)
    (report,) = admin.files()
    assert report.name == "Посещаемость, 5А, II четверть.xlsx"
    rows = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert rows[2][:3] == ("№", "Обучающийся", "Пропущено уроков")


async def put_mark(
    teacher: Person, mark: str, lesson: str = "5. 12:30 7А Математика", student: str = "Иванов П."
) -> None:
    await teacher.send("/today")
    await teacher.press(lesson)
    await teacher.press("📝 Отметки")
    await teacher.press("У · вес 1")
    await teacher.press(student)
    await teacher.press(mark)
    assert teacher.buttons(), teacher.texts()[-2:]


async def test_a_blocked_user_is_skipped_and_comes_back(app: App, school: ImportedSchool) -> None:
    m = app.messengers[0]
    teacher, mother = app.person(m, 5501, "Анна"), app.person(m, 5502, "Ольга")
    await sign_in(app, school, teacher, PersonRole.TEACHER, "T-004")
    await sign_in(app, school, mother, PersonRole.GUARDIAN, "U-101")
    school.clock.set(at(12, 35))
    mother.new()

    # she blocks the bot and the bot learns it only from the push refused
    await mother.block(told=False)
    await put_mark(teacher, "4")
    await app.deliver()
    assert mother.new() == []
    (row,) = await delivery_rows(school.database, mother)
    assert row.kind == "mark" and row.status == DeliveryStatus.SKIPPED, row
    assert "blocked" in row.last_error, row
    assert not (await account_of(school.database, mother)).active

    # she comes back (Telegram: unblocks; MAX: presses Start again): pushes resume
    await mother.unblock()
    assert (await account_of(school.database, mother)).active
    await put_mark(teacher, "5", "2. 09:25 5А Математика", "Волкова С.")
    await app.deliver()
    (push,) = [t for t in mother.new() if t.startswith("📘")]  # MAX: the home screen first
    assert push.startswith("📘 Новая отметка — Волкова София (5А)"), push

    # she blocks it again, and this time the messenger tells the bot at once
    await mother.block()
    assert not (await account_of(school.database, mother)).active
    await teacher.send("/today")
    await teacher.press("5. 12:30 7А Математика")
    await teacher.press("Иванов П.")  # absent: a push for her, which nobody tries to send
    assert "отсутствуют: 1" in teacher.last(), teacher.last()
    await app.deliver()
    assert mother.new() == []
    sent = [r for r in await delivery_rows(school.database, mother) if r.kind == "absence"]
    assert all(r.status == DeliveryStatus.SKIPPED for r in sent), sent


async def test_a_parent_on_both_messengers_gets_a_mark_once(school: ImportedSchool) -> None:
    async with App(school, MESSENGERS) as app:
        teacher = app.person("telegram", 5601, "Анна")
        on_telegram, on_max = (
            app.person("telegram", 5602, "Ольга"),
            app.person("max", 5602, "Ольга"),
        )
        await sign_in(app, school, teacher, PersonRole.TEACHER, "T-004")
        await sign_in(app, school, on_telegram, PersonRole.GUARDIAN, "U-101")
        await sign_in(app, school, on_max, PersonRole.GUARDIAN, "U-101")
        school.clock.set(at(12, 35))
        on_telegram.new(), on_max.new()
        await put_mark(teacher, "4")
        await app.deliver()
        pushes = [
            (who.messenger, t)
            for who in (on_telegram, on_max)
            for t in who.new()
            if t.startswith("📘 Новая отметка")
        ]
        assert len(pushes) == 1, pushes
        assert pushes[0][0] == "max"  # where she was last active


STRANGER = 5701


async def test_the_webhook_checks_its_secret(school: ImportedSchool, messenger: str) -> None:
    secret = "hook-secret-5"
    async with App(school, [messenger], worker=False, polling=False) as app:
        web_app = web.Application()
        if messenger == "telegram":
            from bot.telegram.webhook import HandledFirstRequestHandler

            bot = app.bots["telegram"]
            HandledFirstRequestHandler(dispatcher=app.dp, bot=bot, secret_token=secret).register(
                web_app, path="/hook"
            )
        else:
            from bot.max.webhook import max_webhook_handler

            web_app.router.add_post(
                "/hook", max_webhook_handler(app.dp, app.bots["max"], app.max_converter, secret)
            )
        async with TestServer(web_app, host="127.0.0.1") as server:
            url = str(server.make_url("/hook"))
            stranger = app.person(messenger, STRANGER, "Гость")
            if messenger == "telegram":
                update = {
                    "update_id": 10_001,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": STRANGER, "type": "private"},
                        "from": {"id": STRANGER, "is_bot": False, "first_name": "Гость"},
                        "text": "/help",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    },
                }
                header = "X-Telegram-Bot-Api-Secret-Token"
            else:
                from bot.max.webhook import subscribe

                await subscribe(app.bots["max"], url, secret)
                assert app.max.subscriptions[-1]["url"] == url
                app.max.user(STRANGER, "Гость")
                update = app.max.message_created("/help", STRANGER)  # queued for the webhook
                header = "X-Max-Bot-Api-Secret"
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {header: "wrong-secret"}):
                    async with http.post(url, json=update, headers=headers) as forged:
                        assert forged.status in (401, 403), forged.status
                assert stranger.texts() == []  # nothing handled
                if messenger == "telegram":
                    async with http.post(url, json=update, headers={header: secret}) as right:
                        assert right.status == 200
                else:  # MAX posts it itself, with the secret it was subscribed with
                    assert await app.max.deliver() == 200
            assert len(stranger.texts()) == 1 and "код" in stranger.last(), stranger.texts()
