"""Every Bot API method the app sends is served in MAX.

The source of ``handlers/``, ``app/``, ``bot/`` (MAX's own kit aside) and ``notifications/`` is
scanned for the Bot API methods it uses: a method class named (``SendMessage(...)``), a ``Bot``
method called (``bot.send_photo(...)``, ``bot.download(...)``), and a shortcut of the objects the
handlers get (``message.answer(...)``, ``query.answer()``, ``message.edit_text(...)``). The scan
goes by names, so it over-counts a little (a service's ``letters.reply`` counts as
``message.reply``) but never misses a call written in these forms. The list found must be
``USED``: a new method fails here until ``MaxSession`` serves it (``SERVED``) and a sample of
it below has been sent to the fake MAX API.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, methods
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.max.files import MaxFile, make_ref
from bot.max.ids import MemoryMessageIds
from bot.max.session import SERVED
from tests.max.test_session import FileHost, make_bot
from tests.support.fake_max import FakeMaxAPI

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("handlers", "app", "bot", "notifications")
PARENT = 501

CLASSES: dict[str, type[methods.TelegramMethod[Any]]] = {
    name: cls
    for name, cls in inspect.getmembers(methods, inspect.isclass)
    if issubclass(cls, methods.TelegramMethod) and cls is not methods.TelegramMethod
}

# What the app uses today (see the module's docstring).
USED = {
    "AnswerCallbackQuery",
    "DeleteWebhook",
    "EditMessageReplyMarkup",
    "EditMessageText",
    "GetFile",
    "GetMe",
    "GetUpdates",
    "SendDocument",
    "SendMessage",
    "SendPhoto",
    "SetMyCommands",
    "SetWebhook",
}


# Names every resource has (``session.close()``, ``redis.delete(key)``): a call counts only on
# a receiver named as a message or a bot (``query.message.delete()``, ``bot.close()``).
GENERIC = {"close", "delete"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _calls() -> dict[str, set[str]]:
    """Attribute names that send a Bot API method, and which methods they may send."""
    found: dict[str, set[str]] = {
        _snake(name): {name} for name in CLASSES if callable(getattr(Bot, _snake(name), None))
    }
    found["download"] = {"GetFile"}  # Bot.download asks for the file first
    for kind in (Message, CallbackQuery):
        for name, function in inspect.getmembers(kind, inspect.isfunction):
            returned = inspect.signature(function).return_annotation
            returned = getattr(returned, "__name__", returned)
            if not name.startswith("_") and returned in CLASSES:
                found.setdefault(name, set()).add(returned)
    return found


def scan(root: Path = ROOT) -> dict[str, set[str]]:
    """The Bot API methods the scanned source uses, each with where it is used."""
    calls = _calls()
    used: dict[str, set[str]] = {}
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith("bot/max/"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            for node in ast.walk(tree):
                names: set[str] = set()
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    names = calls.get(node.func.attr, set())
                    if node.func.attr in GENERIC and not re.search(
                        r"(message|bot)$", ast.unparse(node.func.value), re.IGNORECASE
                    ):
                        names = set()
                elif isinstance(node, ast.Name) and node.id in CLASSES:
                    names = {node.id}
                elif isinstance(node, ast.Attribute) and node.attr in CLASSES:
                    names = {node.attr}
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "aiogram.methods"
                ):
                    names = {a.name for a in node.names if a.name in CLASSES}
                for name in names:
                    used.setdefault(name, set()).add(relative)
    return used


def test_the_methods_used_are_known() -> None:
    found = scan()
    assert set(found) == USED, {name: sorted(found.get(name, ())) for name in set(found) ^ USED}


def test_max_serves_every_method_used() -> None:
    served = {cls.__name__ for cls in SERVED}
    assert USED <= served, sorted(USED - served)
    assert set(SAMPLES) == served  # each served method is sent to the fake below


def test_the_scan_sees_each_form(tmp_path: Path) -> None:
    calls = _calls()
    assert calls["answer"] == {"SendMessage", "AnswerCallbackQuery"}
    assert calls["edit_text"] == {"EditMessageText"}
    assert calls["answer_photo"] == {"SendPhoto"}
    assert calls["set_my_commands"] == {"SetMyCommands"}
    assert calls["download"] == {"GetFile"}
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "probe.py").write_text(
        "from aiogram.methods import SendPoll\n"
        "async def f(query, bot, redis):\n"
        "    await redis.delete('key')\n"
        "    await bot.session.close()\n"
        "    await query.message.delete()\n"
        "    await bot.pin_chat_message(1, 2)\n"
        "    return ForwardMessage(chat_id=1, from_chat_id=2, message_id=3)\n"
    )
    assert set(scan(tmp_path)) == {
        "SendPoll",
        "DeleteMessage",
        "PinChatMessage",
        "ForwardMessage",
    }


# --- each served method, sent to the fake ---


class Context:
    def __init__(self, fake: FakeMaxAPI, bot: Bot, host: FileHost) -> None:
        self.fake = fake
        self.bot = bot
        self.host = host

    async def sent(self) -> int:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="y")]]
        )
        message = await self.bot.send_message(PARENT, "Вопрос", reply_markup=keyboard)
        return message.message_id


Sample = Callable[[Context], Awaitable[Any]]


async def _answer(c: Context) -> Any:
    await c.sent()
    press = c.fake.message_callback(PARENT, c.fake.last(PARENT)["body"]["mid"], button="Да")
    result = await c.bot(
        methods.AnswerCallbackQuery(callback_query_id=press["callback"]["callback_id"], text="Ок")
    )
    assert press["callback"]["callback_id"] in c.fake.answered
    return result


async def _edit_text(c: Context) -> Any:
    number = await c.sent()
    await c.bot(methods.EditMessageText(chat_id=PARENT, message_id=number, text="Ответ"))
    assert c.fake.texts(PARENT) == ["Ответ"]


async def _edit_markup(c: Context) -> Any:
    number = await c.sent()
    await c.bot(methods.EditMessageReplyMarkup(chat_id=PARENT, message_id=number))
    assert c.fake.last(PARENT)["body"]["attachments"] == []


async def _delete(c: Context) -> Any:
    number = await c.sent()
    await c.bot(methods.DeleteMessage(chat_id=PARENT, message_id=number))
    assert c.fake.texts(PARENT) == []


async def _get_file(c: Context) -> Any:
    c.host.files["a.txt"] = b"hello"
    ref = make_ref(MaxFile("file", "t1", f"{c.host.base_url}/files/a.txt", "a.txt"))
    file = await c.bot(methods.GetFile(file_id=ref))
    assert file.file_path == f"{c.host.base_url}/files/a.txt"
    assert (await c.bot.download(ref)).read() == b"hello"  # type: ignore[union-attr]


async def _send_document(c: Context) -> Any:
    data = BufferedInputFile(b"x", filename="x.txt")
    await c.bot(methods.SendDocument(chat_id=PARENT, document=data))
    assert c.fake.last(PARENT)["body"]["attachments"][0]["type"] == "file"


async def _send_photo(c: Context) -> Any:
    await c.bot(methods.SendPhoto(chat_id=PARENT, photo=BufferedInputFile(b"p", "p.png")))
    assert c.fake.last(PARENT)["body"]["attachments"][0]["type"] == "image"


async def _commands(c: Context) -> Any:
    await c.bot(methods.SetMyCommands(commands=[BotCommand(command="help", description="Помощь")]))
    assert c.fake.commands == [{"name": "help", "description": "Помощь"}]


async def _send_message(c: Context) -> Any:
    await c.bot(methods.SendMessage(chat_id=PARENT, text="Привет"))
    assert c.fake.texts(PARENT) == ["Привет"]


async def _get_me(c: Context) -> Any:
    me = await c.bot(methods.GetMe())
    assert me.id == c.fake.bot_id


async def _chat_action(c: Context) -> Any:
    assert await c.bot(methods.SendChatAction(chat_id=PARENT, action="typing")) is True


async def _delete_webhook(c: Context) -> Any:
    assert await c.bot(methods.DeleteWebhook()) is True


def _refused(method: methods.TelegramMethod[Any]) -> Sample:
    async def sample(c: Context) -> Any:
        with pytest.raises(TelegramBadRequest, match=r"bot\.max\.polling"):
            await c.bot(method)

    return sample


SAMPLES: dict[str, Sample] = {
    "AnswerCallbackQuery": _answer,
    "DeleteMessage": _delete,
    "DeleteWebhook": _delete_webhook,
    "EditMessageReplyMarkup": _edit_markup,
    "EditMessageText": _edit_text,
    "GetFile": _get_file,
    "GetMe": _get_me,
    "GetUpdates": _refused(methods.GetUpdates()),
    "SendChatAction": _chat_action,
    "SendDocument": _send_document,
    "SendMessage": _send_message,
    "SendPhoto": _send_photo,
    "SetMyCommands": _commands,
    "SetWebhook": _refused(methods.SetWebhook(url="https://example.org/hook")),
}


@pytest.fixture
async def context() -> AsyncIterator[Context]:
    async with FakeMaxAPI() as fake, FileHost() as host:
        bot = await make_bot(fake, MemoryMessageIds())
        try:
            yield Context(fake, bot, host)
        finally:
            await bot.session.close()


@pytest.mark.parametrize("name", sorted(SAMPLES))
async def test_each_served_method_works_against_the_fake(name: str, context: Context) -> None:
    await SAMPLES[name](context)
