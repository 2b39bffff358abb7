"""Russian everywhere: a school day of a school that came in through its own files, driven
through the real dispatcher for every role (a subject and class teacher, a second class
teacher, the deputy, the director, the journal administrator, a parent of two, a parent, a
student and someone not signed in yet). Every command, every reply-keyboard button and the
inline buttons they lead to are pressed (a form waiting for text gets a line of text); every
message, caption, button, alert, command menu, document name, the cells and sheet names of
the workbooks and the text of the printed cards are read, then every push is rendered. No
Latin word may be among them but the short list of names and units in
``tests.support.latin``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
)

from core.model import PersonRole
from notifications.jobs import Jobs
from notifications.render import Item, render
from tests.support import TgUser, callback
from tests.support.latin import latin_words
from tests.support.school import TZ, ImportedSchool

STRANGER = TgUser(7000, "Гость")
TEACHER = TgUser(7001, "Анна")  # T-004: maths, class teacher of 7А
TEACHER_5A = TgUser(7002, "Олег")  # T-005: Russian, class teacher of 5А
DEPUTY = TgUser(7003, "Наталья")  # T-003: deputy head, teaches history
DIRECTOR = TgUser(7004, "Виктор")  # T-002
ADMIN = TgUser(7005, "Ирина")  # T-001: the journal administrator, teaches nothing
PARENT_OF_TWO = TgUser(7006, "Ольга")  # U-101: Иванов Пётр (7А) and Волкова София (5А)
PARENT = TgUser(7007, "Анна")  # U-103: Белкин Иван (6Б)
STUDENT = TgUser(7008, "Алёна")  # K-02: Петрова Алёна (7А)

PEOPLE = (
    (TEACHER, PersonRole.TEACHER, "T-004"),
    (TEACHER_5A, PersonRole.TEACHER, "T-005"),
    (DEPUTY, PersonRole.DEPUTY, "T-003"),
    (DIRECTOR, PersonRole.DIRECTOR, "T-002"),
    (ADMIN, PersonRole.ADMIN, "T-001"),
    (PARENT_OF_TWO, PersonRole.GUARDIAN, "U-101"),
    (PARENT, PersonRole.GUARDIAN, "U-103"),
    (STUDENT, PersonRole.STUDENT, "K-02"),
)

# Typed to a form that waits for text: a topic, homework, a remark, a reason, a message.
TYPED = "Проверка: дроби, упражнение 12"
# Buttons the walk does not press: they would end the walk itself (signing out, taking a
# person's access away, another language).
NOT_PRESSED = (
    re.compile(r"^lo1:1$"),  # sign out
    re.compile(r"^ip1:.*:cut:1$"),  # take a person's access away
    re.compile(r"^st1:lang:en$"),  # the walk is in Russian
)
PRESSES_PER_SHAPE = 2  # buttons that differ only in their ids: the same screen
PRESSES_PER_WALK = 150


@dataclass
class Seen:
    """Every text a person was shown, with where it was seen."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, text: str | None) -> None:
        if text:
            self.texts.append((where, text))

    def findings(self) -> list[str]:
        found: dict[str, list[str]] = {}
        for where, text in self.texts:
            for word in latin_words(text):
                found.setdefault(word, []).append(f"{where}: {text[:160]!r}")
        return [f"{word} ×{len(places)} — {places[0]}" for word, places in sorted(found.items())]


def _buttons(markup: Any) -> Iterator[str]:
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                yield button.text
    elif isinstance(markup, ReplyKeyboardMarkup):
        for row in markup.keyboard:
            for button in row:
                yield button.text


def _document_texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """The sheet names and cells of a workbook, the text of a PDF."""
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            yield f"{name}: sheet name", sheet.title
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        yield f"{name}: {sheet.title}", value
    elif name.endswith(".pdf"):
        from pypdf import PdfReader

        for page in PdfReader(io.BytesIO(data)).pages:
            yield name, page.extract_text()


def collect(school: ImportedSchool, seen: Seen, start: int = 0) -> None:
    """What the bot sent, edited, answered and set since request ``start``."""
    for call in school.tester.session.requests[start:]:
        where = f"{type(call).__name__} to {getattr(call, 'chat_id', '')}"
        if isinstance(call, SendMessage | EditMessageText):
            seen.add(where, call.text)
        if isinstance(call, SendPhoto | SendDocument | EditMessageCaption):
            seen.add(where, call.caption)
        if isinstance(call, SendDocument) and isinstance(call.document, BufferedInputFile):
            name = call.document.filename or ""
            seen.add(f"{where}: file name", name)
            for place, text in _document_texts(name, call.document.data):
                seen.add(f"{where}: {place}", text)
        if isinstance(
            call, SendMessage | EditMessageText | EditMessageReplyMarkup | SendPhoto | SendDocument
        ):
            for text in _buttons(call.reply_markup):
                seen.add(f"{where}: button", text)
        if isinstance(call, AnswerCallbackQuery):
            seen.add("an answer to a press", call.text)
        if isinstance(call, SetMyCommands):
            for command in call.commands:
                seen.add(f"the command menu: /{command.command}", command.description)


def _shape(data: str) -> str:
    """The button with its ids left out; a zero (none chosen yet) is kept."""
    return re.sub(r"\d+", lambda m: "0" if m[0] == "0" else "#", data)


async def _waiting(school: ImportedSchool, user: TgUser) -> str | None:
    context = school.tester.dispatcher.fsm.get_context(school.tester.bot, user.id, user.id)
    return await context.get_state()


async def walk(school: ImportedSchool, user: TgUser, shapes: dict[str, int]) -> None:
    """Press the inline buttons of the newest message, and those of the screens they lead to,
    breadth first; each shape of button at most ``PRESSES_PER_SHAPE`` times."""
    session = school.tester.session
    queue: list[tuple[int, str]] = []

    def enqueue(message: dict[str, Any]) -> None:
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not data or any(p.search(data) for p in NOT_PRESSED):
                    continue
                if shapes.get(_shape(data), 0) >= PRESSES_PER_SHAPE:
                    continue
                shapes[_shape(data)] = shapes.get(_shape(data), 0) + 1
                queue.append((message["message_id"], data))

    mine = [m for (chat, _), m in session.messages.items() if chat == user.id]
    if mine:
        enqueue(mine[-1])
    presses = 0
    while queue and presses < PRESSES_PER_WALK:
        message_id, data = queue.pop(0)
        stored = session.messages.get((user.id, message_id))
        if stored is None:
            continue
        before = set(session.messages)
        versions = {k: id(v) for k, v in session.messages.items()}
        await school.tester.feed(callback(data, user=user, message=Message.model_validate(stored)))
        presses += 1
        for key, message in list(session.messages.items()):
            if key[0] == user.id and (key not in before or versions.get(key) != id(message)):
                enqueue(message)
        if await _waiting(school, user):
            await school.tester.send(TYPED, user=user)
            for key, message in list(session.messages.items()):
                if key[0] == user.id and key not in before:
                    enqueue(message)
        if await _waiting(school, user):
            await school.tester.send("/cancel", user=user)


async def visit(school: ImportedSchool, user: TgUser, shapes: dict[str, int], text: str) -> None:
    await school.tester.send(text, user=user)
    await walk(school, user, shapes)
    if await _waiting(school, user):
        await school.tester.send("/cancel", user=user)


async def run_jobs(school: ImportedSchool) -> None:
    jobs = Jobs(school.database.uow, school.clock)
    await jobs.evening_digest()
    await jobs.fortnight_summary(every_other_week=False)
    await jobs.teacher_reminders()
    await jobs.finals_missing()
    await jobs.school_calendar()
    await jobs.weekly_reconciliation()


def _menu(school: ImportedSchool, user: TgUser) -> list[str]:
    return [t for row in school.tester.reply_keyboard(user) or [] for t in row]


COMMANDS = (
    "/help",
    "/today",
    "/att 7А Иванов",
    "/mark 7А КР Петрова 5 Сидоров 4",
    "/absences",
    "/invites",
    "/broadcast",
    "/write",
    "/admin",
    "/marks",
    "/homework",
    "/timetable",
    "/attendance",
    "/finals",
    "/progress",
    "/children",
    "/settings",
    "/nosuchcommand",
    "Здравствуйте!",
)


async def test_a_school_day_shows_no_latin_word_in_russian(school: ImportedSchool) -> None:
    seen = Seen()
    for text in ("/start", "/help", "/marks", "Здравствуйте!"):
        await school.tester.send(text, user=STRANGER)
    for user, role, source in PEOPLE:
        await school.link(user, role, source)
    for user, _role, _source in PEOPLE:
        shapes: dict[str, int] = {}
        for text in _menu(school, user):
            await visit(school, user, shapes, text)
        for text in COMMANDS:
            await visit(school, user, shapes, text)
    # the lessons again, now with marks in them: corrections; then the jobs of the evening
    for user in (TEACHER, TEACHER_5A, DEPUTY):
        await visit(school, user, {}, "/today")
    school.clock.set(datetime(2026, 12, 3, 18, 0, tzinfo=TZ))
    await run_jobs(school)
    # the second quarter's last day: period marks, closing the period, its reports
    school.clock.set(datetime(2026, 12, 28, 10, 0, tzinfo=TZ))
    for user in (TEACHER, TEACHER_5A, DEPUTY, ADMIN):
        await visit(school, user, {}, "/today" if user != ADMIN else "/admin")
    await run_jobs(school)
    for user, _role, _source in PEOPLE:
        await visit(school, user, {}, "/finals")
    collect(school, seen)

    async with school.database.uow(readonly=True) as uow:
        rows = await uow.deliveries.list_all()
    by_account: dict[int, list[Item]] = {}
    for row in rows:
        item = Item.parse(
            row.id, row.kind, row.payload, row.student_id, row.broadcast_id, row.role.value
        )
        by_account.setdefault(row.account_id, []).append(item)
        pushed = render([item], "ru")
        seen.add(f"a push ({row.kind})", pushed.text)
        for button_row in pushed.buttons:
            for button in button_row:
                seen.add(f"a push's button ({row.kind})", button.text)
    for items in by_account.values():
        if len(items) > 1:
            seen.add("a combined push", render(items, "ru").text)

    assert len(seen.texts) > 500, len(seen.texts)  # the day was walked, not skipped
    findings = seen.findings()
    assert not findings, "\n".join(findings)
