"""MAX's updates, as the fake MAX API hands them out (maxapi 1.2's wire format), become the
aiogram updates the Telegram handlers already understand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Update

from bot.max.files import parse_ref
from bot.max.ids import MemoryMessageIds
from bot.max.updates import UpdateConverter
from tests.support.fake_max import FakeMaxAPI

PARENT = 501
GROUP = -7001


@pytest.fixture
async def fake() -> AsyncIterator[FakeMaxAPI]:
    async with FakeMaxAPI() as api:
        yield api


@pytest.fixture
def ids() -> MemoryMessageIds:
    return MemoryMessageIds()


@pytest.fixture
def converter(fake: FakeMaxAPI, ids: MemoryMessageIds) -> UpdateConverter:
    return UpdateConverter(ids, fake.bot_id)


async def one(converter: UpdateConverter, raw: dict[str, Any]) -> Update:
    update = await converter.convert(raw)
    assert update is not None, raw
    return update


async def bot_says(fake: FakeMaxAPI, text: str, buttons: list[list[dict[str, Any]]]) -> str:
    """The bot's message with a keyboard in the parent's dialog, sent over HTTP; its mid."""
    body = {
        "text": text,
        "attachments": [{"type": "inline_keyboard", "payload": {"buttons": buttons}}],
    }
    async with (
        aiohttp.ClientSession(headers={"Authorization": fake.token}) as http,
        http.post(f"{fake.base_url}/messages", params={"user_id": PARENT}, json=body) as r,
    ):
        assert r.status == 200
        return (await r.json())["message"]["body"]["mid"]


async def test_a_private_message_is_the_users_private_chat(
    fake: FakeMaxAPI, converter: UpdateConverter, ids: MemoryMessageIds
) -> None:
    fake.user(PARENT, "Анна", "Иванова")
    raw = fake.message_created("/marks", PARENT, user_locale="en")
    update = await one(converter, raw)
    message = update.message
    assert message is not None and update.event_type == "message"
    assert message.chat.id == PARENT and message.chat.type == "private"
    assert message.from_user is not None
    assert (message.from_user.id, message.from_user.first_name) == (PARENT, "Анна")
    assert message.from_user.last_name == "Иванова"
    assert message.from_user.language_code == "en"
    assert message.text == "/marks"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]
    # a user's message is numbered in memory only (nothing edits it): no row, a negative number
    assert message.message_id < 0
    assert await ids.mid(message.message_id) == raw["message"]["body"]["mid"]
    assert message.date.timestamp() == raw["message"]["timestamp"] // 1000


async def test_a_group_chat_keeps_maxs_chat_id(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    update = await one(converter, fake.message_created("привет", PARENT, chat_id=GROUP))
    assert update.message is not None
    assert (update.message.chat.id, update.message.chat.type) == (GROUP, "group")
    assert update.message.from_user is not None and update.message.from_user.id == PARENT


async def test_a_file_is_a_document_whose_ref_finds_it_again_in_max(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    file = {
        "type": "file",
        "payload": {"url": "https://files.example/f1", "token": "tok-1", "fileId": 11},
        "filename": "задание.pdf",
        "size": 2048,
    }
    update = await one(converter, fake.message_created("к уроку", PARENT, attachments=[file]))
    message = update.message
    assert message is not None and message.document is not None
    assert message.text is None and message.caption == "к уроку"
    assert message.document.file_name == "задание.pdf"
    assert message.document.file_size == 2048
    found = parse_ref(message.document.file_id)
    assert found is not None
    assert (found.kind, found.token, found.url, found.name) == (
        "file",
        "tok-1",
        "https://files.example/f1",
        "задание.pdf",
    )


async def test_an_image_is_a_photo(fake: FakeMaxAPI, converter: UpdateConverter) -> None:
    image = {
        "type": "image",
        "payload": {"photo_id": 5, "token": "img-1", "url": "https://i.example/5"},
    }
    update = await one(converter, fake.message_created(None, PARENT, attachments=[image]))
    message = update.message
    assert message is not None and message.photo and message.caption is None
    ref = message.photo[-1].file_id
    assert ref.startswith("max:image:")
    found = parse_ref(ref)
    assert found is not None and (found.token, found.url) == ("img-1", "https://i.example/5")


async def test_several_files_in_one_message_arrive_as_an_album(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    files = [
        {"type": "file", "payload": {"url": f"https://f/{i}", "token": f"t{i}"}, "filename": n}
        for i, n in enumerate(("a.pdf", "b.pdf"))
    ]
    raw = fake.message_created("два файла", PARENT, attachments=files)
    updates = await converter.convert_all(raw)
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages) and len(messages) == 2
    assert [m.document.file_name for m in messages if m and m.document] == ["a.pdf", "b.pdf"]
    assert [m.caption for m in messages if m] == ["два файла", None]
    groups = {m.media_group_id for m in messages if m}
    assert len(groups) == 1 and None not in groups
    assert len({u.update_id for u in updates}) == 2
    assert (await converter.convert(raw)) is not None  # the first of them


async def test_a_press_is_a_callback_query_on_the_numbered_message(
    fake: FakeMaxAPI, converter: UpdateConverter, ids: MemoryMessageIds
) -> None:
    buttons = [
        [{"type": "callback", "text": "Оценки", "payload": "d:m:1"}],
        [{"type": "link", "text": "Сайт", "url": "https://school.example"}],
    ]
    mid = await bot_says(fake, "Меню", buttons)
    number = await ids.number(mid)  # as the session numbered it when it sent the message
    fake.user(PARENT, "Анна")
    raw = fake.message_callback(PARENT, mid, button="Оценки", user_locale="ru")
    update = await one(converter, raw)
    query = update.callback_query
    assert query is not None and update.event_type == "callback_query"
    assert query.id == raw["callback"]["callback_id"]
    assert query.data == "d:m:1"
    assert query.from_user.id == PARENT and query.from_user.language_code == "ru"
    message = query.message
    assert message is not None and message.message_id == number
    assert message.chat.id == PARENT and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.id == fake.bot_id
    assert message.from_user.is_bot
    assert message.text == "Меню"
    markup = message.reply_markup
    assert markup is not None
    assert [[(b.text, b.callback_data, b.url) for b in row] for row in markup.inline_keyboard] == [
        [("Оценки", "d:m:1", None)],
        [("Сайт", None, "https://school.example")],
    ]


async def test_a_forged_payload_is_passed_on_as_it_came(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    mid = await bot_says(fake, "Меню", [[{"type": "callback", "text": "A", "payload": "x"}]])
    update = await one(converter, fake.message_callback(PARENT, mid, "d:m:999999"))
    assert update.callback_query is not None and update.callback_query.data == "d:m:999999"


async def test_start_with_a_deep_link_is_start_with_the_code(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    fake.user(PARENT, "Анна")
    update = await one(converter, fake.bot_started(PARENT, "ABCD-2345", user_locale="ru"))
    message = update.message
    assert message is not None
    assert message.chat.id == PARENT and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.id == PARENT
    assert message.text == "/start ABCD-2345"
    assert message.entities and message.entities[0].type == "bot_command"
    bot = Bot("1:unused")  # the filter reads the bot only for a /start@mention
    found = await CommandStart(deep_link=True)(message, bot)
    assert isinstance(found, dict)
    command = found["command"]
    assert isinstance(command, CommandObject) and command.args == "ABCD-2345"
    await bot.session.close()


async def test_start_without_a_payload_is_a_plain_start(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    update = await one(converter, fake.bot_started(PARENT))
    assert update.message is not None and update.message.text == "/start"
    bot = Bot("1:unused")
    assert await CommandStart(deep_link=True)(update.message, bot) is False
    assert await CommandStart()(update.message, bot)
    await bot.session.close()


@pytest.mark.parametrize("kind", ["bot_stopped", "dialog_removed"])
async def test_stopping_the_bot_is_the_bot_kicked(
    fake: FakeMaxAPI, converter: UpdateConverter, kind: str
) -> None:
    raw = getattr(fake, kind)(PARENT)
    update = await one(converter, raw)
    event = update.my_chat_member
    assert event is not None and update.event_type == "my_chat_member"
    assert event.chat.id == PARENT and event.chat.type == "private"
    assert event.from_user.id == PARENT
    assert event.new_chat_member.status == "kicked"
    assert event.new_chat_member.user.id == fake.bot_id


async def test_what_the_bot_does_not_handle_is_nothing(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    fake.user(PARENT)
    assert await converter.convert({"update_type": "message_edited", "message": {}}) is None
    assert await converter.convert({"update_type": "user_added", "chat_id": 1}) is None
    # the bot's own message coming back (a group echo) is not the user's
    own = fake.message_created("эхо", PARENT)
    own["message"]["sender"] = {**fake.bot_info}
    assert await converter.convert(own) is None


async def test_update_ids_only_grow(fake: FakeMaxAPI, converter: UpdateConverter) -> None:
    numbers = [
        (await one(converter, fake.message_created(str(i), PARENT))).update_id for i in range(5)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5


async def test_an_update_can_be_mounted_on_the_bot(
    fake: FakeMaxAPI, converter: UpdateConverter
) -> None:
    bot = Bot("1:unused")
    update = await converter.convert(fake.message_created("привет", PARENT), bot)
    assert update is not None and update.message is not None
    assert update.bot is bot and update.message.bot is bot
    await bot.session.close()
