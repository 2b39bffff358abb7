"""aiogram's Bot API calls spoken to MAX by ``MaxSession``, against the fake MAX API over HTTP."""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import (
    DeleteWebhook,
    GetUpdates,
    SendChatAction,
    SendDocument,
    SendPhoto,
    SetWebhook,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from aiohttp import web

from app.viewers import messenger_of
from bot.max.bot import (
    MaxTokenRejected,
    MaxUnreachable,
    build_max_bot,
    telegram_file_bridge,
)
from bot.max.files import MaxFile, make_ref, parse_ref
from bot.max.ids import DatabaseMessageIds, MemoryMessageIds, MessageIds
from bot.max.session import MaxSession
from bot.telegram.sender import AiogramSender
from notifications.sender import Blocked
from storage.db import Database
from tests.support.fake_max import MAX_TOKEN, FakeMaxAPI, buttons_of
from tests.support.local_server import LocalServer

PARENT = 501
OTHER = 502


@pytest.fixture
async def fake() -> AsyncIterator[FakeMaxAPI]:
    async with FakeMaxAPI() as api:
        yield api


@pytest.fixture
def ids() -> MemoryMessageIds:
    return MemoryMessageIds()


class Source:
    """A ``FileSource`` for another messenger's refs, counting its reads."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files
        self.reads: list[str] = []

    async def read(self, ref: str) -> tuple[bytes, str]:
        self.reads.append(ref)
        return self.files[ref]


async def make_bot(fake: FakeMaxAPI, ids: MessageIds, files: Any = None, **tuning: Any) -> Bot:
    """The MAX bot as ``build_max_bot`` makes it, with back-offs short enough for a test."""
    bot = await build_max_bot(MAX_TOKEN, ids, fake.base_url, files)
    session = bot.session
    assert isinstance(session, MaxSession)
    settings = {"backoff": 0.01, "backoff_cap": 0.05, "not_ready_delay": 0.01}
    for name, value in {**settings, **tuning}.items():
        setattr(session, name, value)
    session.rng = random.Random(7)
    return bot


@pytest.fixture
async def bot(fake: FakeMaxAPI, ids: MemoryMessageIds) -> AsyncIterator[Bot]:
    bot = await make_bot(fake, ids)
    yield bot
    await bot.session.close()


def inline(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows
        ]
    )


# --- the bot itself ---


async def test_the_bot_is_built_from_me(fake: FakeMaxAPI, bot: Bot) -> None:
    assert bot.id == fake.bot_id
    assert bot.token == f"{fake.bot_id}:max"
    assert messenger_of(bot) == "max"
    assert messenger_of(Bot("42:TEST")) == "telegram"
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (fake.bot_id, fake.bot_info["username"], True)
    assert MAX_TOKEN not in repr(bot.session)


async def test_a_rejected_or_unreachable_api_is_one_clear_error(fake: FakeMaxAPI) -> None:
    with pytest.raises(MaxTokenRejected) as rejected:
        await build_max_bot("not-the-token", MemoryMessageIds(), fake.base_url)
    assert "not-the-token" not in str(rejected.value)
    url = fake.base_url
    await fake.stop()
    with pytest.raises(MaxUnreachable) as unreachable:
        await build_max_bot(MAX_TOKEN, MemoryMessageIds(), url)
    assert MAX_TOKEN not in str(unreachable.value)


# --- messages ---


async def test_a_message_with_buttons_in_html(
    fake: FakeMaxAPI, bot: Bot, ids: MemoryMessageIds
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Оценки", callback_data="m:1")],
            [InlineKeyboardButton(text="Сайт", url="https://school.example/")],
        ]
    )
    sent = await bot.send_message(PARENT, "<b>Здравствуйте</b>", reply_markup=markup)
    shown = fake.last(PARENT)
    assert shown["body"]["text"] == "<b>Здравствуйте</b>"
    call = fake.calls("POST", "/messages")[-1]
    assert call.query["user_id"] == str(PARENT) and call.json["format"] == "html"
    assert buttons_of(shown) == [
        [{"type": "callback", "text": "Оценки", "payload": "m:1"}],
        [{"type": "link", "text": "Сайт", "url": "https://school.example/"}],
    ]
    assert sent.chat.id == PARENT and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == fake.bot_id
    assert sent.text == "<b>Здравствуйте</b>"
    assert await ids.mid(sent.message_id) == shown["body"]["mid"]


async def test_a_group_chat_is_sent_by_chat_id(fake: FakeMaxAPI, bot: Bot) -> None:
    group = fake.group(-7001)
    sent = await bot.send_message(group, "Собрание в пятницу")
    query = fake.calls("POST", "/messages")[-1].query
    assert query["chat_id"] == str(group) and "user_id" not in query
    assert [m["body"]["text"] for m in fake.chat(group)] == ["Собрание в пятницу"]
    assert sent.chat.type == "group"


async def test_a_reply_keyboard_is_pressed_as_text(fake: FakeMaxAPI, bot: Bot) -> None:
    menu = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📖 Оценки"), KeyboardButton(text="📅 Расписание")]],
        resize_keyboard=True,
    )
    await bot.send_message(PARENT, "Главное меню", reply_markup=menu)
    shown = fake.last(PARENT)
    assert buttons_of(shown) == [
        [{"type": "message", "text": "📖 Оценки"}, {"type": "message", "text": "📅 Расписание"}]
    ]
    update = fake.message_callback(PARENT, shown["body"]["mid"], button="📖 Оценки")
    assert update["update_type"] == "message_created"
    assert update["message"]["body"]["text"] == "📖 Оценки"
    assert update["message"]["sender"]["user_id"] == PARENT
    for markup in (ReplyKeyboardRemove(), ForceReply()):
        await bot.send_message(PARENT, "Без кнопок", reply_markup=markup)
        assert buttons_of(fake.last(PARENT)) == []


async def test_a_reply_links_the_message(fake: FakeMaxAPI, bot: Bot) -> None:
    first = await bot.send_message(PARENT, "Вопрос")
    mid = fake.last(PARENT)["body"]["mid"]
    await bot.send_message(
        PARENT, "Ответ", reply_parameters=ReplyParameters(message_id=first.message_id)
    )
    assert fake.calls("POST", "/messages")[-1].json["link"] == {"type": "reply", "mid": mid}


async def test_too_long_a_text_is_refused_without_a_call(fake: FakeMaxAPI, bot: Bot) -> None:
    before = fake.mark()
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(PARENT, "я" * 4001)
    assert fake.calls("POST", "/messages", since=before) == []
    await bot.send_message(PARENT, "я" * 4000)
    assert fake.texts(PARENT) == ["я" * 4000]


async def test_edits_and_deletes(fake: FakeMaxAPI, bot: Bot) -> None:
    sent = await bot.send_message(
        PARENT, "Рассылка: 0 из 30", reply_markup=inline([("Стоп", "b:s")])
    )
    mid = fake.last(PARENT)["body"]["mid"]

    await bot.edit_message_reply_markup(
        chat_id=PARENT, message_id=sent.message_id, reply_markup=inline([("Ещё", "b:m")])
    )
    assert fake.texts(PARENT) == ["Рассылка: 0 из 30"]  # the text stays
    assert buttons_of(fake.messages[mid])[0][0]["payload"] == "b:m"

    edited = await bot.edit_message_text(
        "Рассылка: 30 из 30", chat_id=PARENT, message_id=sent.message_id
    )
    assert fake.texts(PARENT) == ["Рассылка: 30 из 30"]
    assert buttons_of(fake.messages[mid]) == []  # no reply_markup: the keyboard goes
    assert not isinstance(edited, bool) and edited.message_id == sent.message_id

    await bot.edit_message_text(
        "С кнопкой", chat_id=PARENT, message_id=sent.message_id, reply_markup=inline([("Да", "y")])
    )
    assert buttons_of(fake.messages[mid])[0][0]["text"] == "Да"
    await bot.edit_message_reply_markup(chat_id=PARENT, message_id=sent.message_id)
    assert buttons_of(fake.messages[mid]) == [] and fake.texts(PARENT) == ["С кнопкой"]

    assert await bot.delete_message(PARENT, sent.message_id) is True
    assert fake.texts(PARENT) == []
    with pytest.raises(TelegramNotFound):
        await bot.delete_message(PARENT, sent.message_id)  # MAX: 404, gone
    with pytest.raises(TelegramBadRequest, match="not found"):
        await bot.edit_message_text("?", chat_id=PARENT, message_id=999_999)  # never numbered


async def test_a_users_own_message_cannot_be_edited(
    fake: FakeMaxAPI, bot: Bot, ids: MemoryMessageIds
) -> None:
    update = fake.message_created("Здравствуйте", PARENT)
    number = await ids.number(update["message"]["body"]["mid"])
    with pytest.raises(TelegramBadRequest):  # 403 access.denied is not "blocked"
        await bot.edit_message_text("!", chat_id=PARENT, message_id=number)


async def test_a_press_is_answered(fake: FakeMaxAPI, bot: Bot) -> None:
    await bot.send_message(PARENT, "Выберите", reply_markup=inline([("Да", "y")]))
    press = fake.message_callback(PARENT, fake.last(PARENT)["body"]["mid"], button="Да")
    callback_id = press["callback"]["callback_id"]
    before = fake.mark()
    assert await bot.answer_callback_query(callback_id) is True  # nothing to say: no call
    assert fake.calls("POST", "/answers", since=before) == []
    assert await bot.answer_callback_query(callback_id, text="Отмечено") is True
    (call,) = fake.calls("POST", "/answers", since=before)
    assert call.query["callback_id"] == callback_id and call.json == {"notification": "Отмечено"}
    assert callback_id in fake.answered


async def test_the_command_list(fake: FakeMaxAPI, bot: Bot) -> None:
    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands, language_code="ru") is True
    assert fake.commands == [{"name": "start", "description": "Начать"}]
    english = [BotCommand(command="start", description="Start")]
    assert await bot.set_my_commands(english, language_code="en") is True
    mine = [BotCommand(command="marks", description="Оценки")]
    assert await bot.set_my_commands(mine, scope=BotCommandScopeChat(chat_id=PARENT)) is True
    assert fake.commands == [{"name": "start", "description": "Начать"}]  # one list, in Russian
    assert len(fake.calls("PATCH", "/me")) == 1


async def test_what_max_does_not_have(fake: FakeMaxAPI, bot: Bot) -> None:
    before = fake.mark()
    assert await bot(SendChatAction(chat_id=PARENT, action="typing")) is True
    assert await bot(DeleteWebhook()) is True
    for method in (GetUpdates(), SetWebhook(url="https://example.org/hook")):
        with pytest.raises(TelegramBadRequest, match=r"bot\.max"):
            await bot(method)
    assert fake.requests[before:] == []


# --- files ---


async def test_a_file_goes_up_and_waits_until_ready(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.uploads_not_ready(2)
    sent = await bot.send_document(
        PARENT, BufferedInputFile(b"%PDF-1.4 report", filename="report.pdf"), caption="Отчёт"
    )
    (upload,) = fake.uploads.values()
    assert (upload.type, upload.filename, upload.data) == ("file", "report.pdf", b"%PDF-1.4 report")
    sends = fake.calls("POST", "/messages")
    assert [s.status for s in sends] == [400, 400, 200]
    assert sends[0].response["code"] == "attachment.not.ready"
    shown = fake.last(PARENT)
    assert shown["body"]["text"] == "Отчёт"
    assert shown["body"]["attachments"] == [{"type": "file", "payload": {"token": upload.token}}]
    assert sent.document is not None and sent.caption == "Отчёт"
    ref = parse_ref(sent.document.file_id)
    assert ref is not None and (ref.kind, ref.token, ref.name) == (
        "file",
        upload.token,
        "report.pdf",
    )

    # the ref it gave is sent again by its token, with no new upload
    await bot.send_document(OTHER, sent.document.file_id)
    assert len(fake.uploads) == 1
    assert fake.last(OTHER)["body"]["attachments"][0]["payload"]["token"] == upload.token


async def test_a_file_never_ready_is_a_bad_request(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.uploads_not_ready(100)
    bot.session.not_ready_tries = 3  # type: ignore[attr-defined]
    with pytest.raises(TelegramBadRequest, match=r"attachment\.not\.ready"):
        await bot.send_photo(PARENT, BufferedInputFile(b"\x89PNG", filename="chart.png"))
    assert len(fake.calls("POST", "/messages")) == 4


async def test_a_telegram_file_is_bridged_through_the_source(
    fake: FakeMaxAPI, ids: MemoryMessageIds
) -> None:
    source = Source({"AgACAgIAAxkBAAI": (b"\x89PNG chart", "progress.png")})
    bot = await make_bot(fake, ids, files=source)
    try:
        sent = await bot.send_photo(PARENT, "AgACAgIAAxkBAAI", caption="Успеваемость")
        await bot.send_photo(OTHER, "AgACAgIAAxkBAAI")
    finally:
        await bot.session.close()
    assert source.reads == ["AgACAgIAAxkBAAI"]  # once: the MAX token is kept
    (upload,) = fake.uploads.values()
    assert (upload.type, upload.data) == ("image", b"\x89PNG chart")
    for user in (PARENT, OTHER):
        attachment = fake.last(user)["body"]["attachments"][0]
        assert attachment == {"type": "image", "payload": {"token": upload.token}}
    assert sent.photo and parse_ref(sent.photo[-1].file_id) is not None


async def test_a_telegram_file_without_a_source_is_refused(fake: FakeMaxAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="another messenger"):
        await bot.send_document(PARENT, "BQACAgIAAxkBAAI")
    assert fake.calls("POST", "/messages") == []


class FileHost(LocalServer):
    """Where MAX keeps the files users send: a URL per file."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1")
        self.files: dict[str, bytes] = {}

    def _routes(self, app: web.Application) -> None:
        async def serve(request: web.Request) -> web.Response:
            data = self.files.get(request.match_info["name"])
            return web.Response(status=404) if data is None else web.Response(body=data)

        app.router.add_get("/files/{name}", serve)


async def test_a_max_file_is_downloaded_and_bridged_to_telegram(bot: Bot) -> None:
    async with FileHost() as host:
        host.files["homework.docx"] = b"PK homework"
        ref = make_ref(
            MaxFile("file", "tok1", f"{host.base_url}/files/homework.docx", "homework.docx")
        )
        buffer = io.BytesIO()
        await bot.download(ref, destination=buffer)
        assert buffer.getvalue() == b"PK homework"

        # the Telegram bot's mirror: the ref becomes the bytes, uploaded to Telegram
        bridge = telegram_file_bridge()
        seen: list[Any] = []

        async def next_request(telegram: Bot, method: Any) -> Any:
            seen.append(method)
            return True

        telegram = Bot("42:TEST")
        await bridge(next_request, telegram, SendDocument(chat_id=7, document=ref, caption="ДЗ"))
        await bridge(next_request, telegram, SendPhoto(chat_id=7, photo="AgACAgIAAxkBAAI"))
        await telegram.session.close()
        document = seen[0].document
        assert isinstance(document, BufferedInputFile)
        assert (document.data, document.filename, seen[0].caption) == (
            b"PK homework",
            "homework.docx",
            "ДЗ",
        )
        assert seen[1].photo == "AgACAgIAAxkBAAI"  # Telegram's own ref passes as it is

        gone = make_ref(MaxFile("file", "tok2", f"{host.base_url}/files/gone", "gone"))
        with pytest.raises(TelegramBadRequest, match="404"):
            await bridge(next_request, telegram, SendDocument(chat_id=7, document=gone))
    with pytest.raises(TelegramBadRequest):
        await bot.download("BQACAgIAAxkBAAI")  # Telegram's ref: nothing to download in MAX


# --- limits and faults ---


async def test_429s_are_survived(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.throttle_share(0.5, seed=3)
    for i in range(8):
        await bot.send_message(PARENT + i, f"Сообщение {i}")
    fake.throttle_share(0, seed=0)
    assert fake.throttled > 0
    assert sum(len(fake.texts(PARENT + i)) for i in range(8)) == 8


async def test_429s_past_the_retries_ask_to_come_back_later(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.throttle_share(1.0, seed=1)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(PARENT, "Сообщение")
    assert caught.value.retry_after >= 1
    assert len(fake.calls("POST", "/messages")) == 1 + bot.session.retries  # type: ignore[attr-defined]


async def test_the_pace_keeps_within_maxs_limits(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.enforce_limits(total_per_second=30, per_chat_per_second=2)
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(PARENT, f"Оценка {i}") for i in range(5)))
    await asyncio.gather(*(bot.send_message(1000 + i, "Объявление") for i in range(40)))
    took = time.monotonic() - started
    assert len(fake.texts(PARENT)) == 5
    assert all(fake.texts(1000 + i) == ["Объявление"] for i in range(40))
    assert fake.throttled <= 2  # paced, not retried: MAX barely had to refuse anything
    assert 2.0 <= took < 6.0  # five to one chat at two a second; forty at thirty a second


async def test_a_blocked_user_is_forbidden(fake: FakeMaxAPI, bot: Bot) -> None:
    fake.deny(PARENT)
    with pytest.raises(TelegramForbiddenError, match=r"chat\.denied"):
        await bot.send_message(PARENT, "Оценка")
    await bot.send_message(PARENT, "Оценка")
    fake.bot_stopped(OTHER)
    sender = AiogramSender(bot)
    with pytest.raises(Blocked):
        await sender.send_text(str(OTHER), "Оценка")
    fake.bot_started(OTHER)
    assert await sender.send_text(str(OTHER), "Оценка")


async def test_the_sender_serves_max(fake: FakeMaxAPI, bot: Bot, ids: MemoryMessageIds) -> None:
    """The delivery worker's aiogram sender works on the MAX bot: its refs are the numbers."""
    sender = AiogramSender(bot)
    ref = await sender.send_text(str(PARENT), "<b>5</b> по алгебре")
    assert await ids.mid(int(ref)) == fake.last(PARENT)["body"]["mid"]
    await sender.edit_text(str(PARENT), ref, "<b>4</b> по алгебре")
    assert fake.texts(PARENT) == ["<b>4</b> по алгебре"]
    await sender.send_file(str(PARENT), "marks.csv", b"a;b", "Оценки")
    assert fake.last(PARENT)["body"]["attachments"][0]["type"] == "file"


async def test_the_token_is_in_no_log_and_no_error(
    fake: FakeMaxAPI, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    fake.deny(PARENT)
    fake.throttle_share(1.0, seed=2)
    for attempt in (bot.send_message(PARENT, "x"), bot.send_message(PARENT, "x")):
        try:
            await attempt
        except Exception as exc:
            errors.append(exc)
        fake.throttle_share(0, seed=0)
    assert len(errors) == 2
    assert all(MAX_TOKEN not in f"{e!r} {e}" for e in errors)
    assert MAX_TOKEN not in caplog.text


# --- the id map in the database ---


async def test_ids_survive_a_new_session(fake: FakeMaxAPI, database: Database) -> None:
    first = await make_bot(fake, DatabaseMessageIds(database))
    try:
        sent = await first.send_message(PARENT, "Рассылка: 0 из 2")
    finally:
        await first.session.close()
    second = await make_bot(fake, DatabaseMessageIds(database))  # another process, later
    try:
        await second.edit_message_text(
            "Рассылка: 2 из 2", chat_id=PARENT, message_id=sent.message_id
        )
    finally:
        await second.session.close()
    assert fake.texts(PARENT) == ["Рассылка: 2 из 2"]


async def test_numbering_a_mid_at_once_gives_one_number(database: Database) -> None:
    stores = [DatabaseMessageIds(database), DatabaseMessageIds(database)]
    mids = [f"mid.{i:016x}" for i in range(5)]
    numbers = await asyncio.gather(*(s.number(m) for m in mids for s in stores for _ in range(2)))
    by_mid: dict[str, set[int]] = {}
    for (mid, _s, _n), number in zip(
        ((m, s, n) for m in mids for s in stores for n in range(2)), numbers, strict=True
    ):
        by_mid.setdefault(mid, set()).add(number)
    assert all(len(found) == 1 for found in by_mid.values())
    assert len({next(iter(v)) for v in by_mid.values()}) == 5
    fresh = DatabaseMessageIds(database)
    for mid, found in by_mid.items():
        assert await fresh.mid(next(iter(found))) == mid
    assert await fresh.mid(123_456) is None
    assert await fresh.mid(2**40) is None
