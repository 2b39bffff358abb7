"""The test harness itself, proved on a throwaway router: in-process and over real HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetChat,
    SendMessage,
    SendPhoto,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)

from tests.support import (
    BOT_USERNAME,
    BotTester,
    FakeBotAPI,
    TgUser,
    callback,
    document_message,
    group_message,
    make_bot,
    photo_message,
    private_message,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PARENT = TgUser(id=501, first_name="Olga", language_code="ru")
TEACHER = TgUser(id=502, first_name="Ivan", language_code="en")


class PickCb(CallbackData, prefix="pk1"):
    choice: str


def menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Yes", callback_data=PickCb(choice="yes").pack()),
                InlineKeyboardButton(text="No", callback_data=PickCb(choice="no").pack()),
            ],
            [InlineKeyboardButton(text="Site", url="https://example.org")],
        ]
    )


def throwaway_router() -> Router:
    router = Router(name="throwaway")

    @router.message(Command("menu"))
    async def cmd_menu(message: Message) -> None:
        await message.answer("Pick one", reply_markup=menu())

    @router.message(Command("start"))
    async def cmd_start(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Marks")]])
        await message.answer("Hi", reply_markup=keyboard)

    @router.message(Command("stop"))
    async def cmd_stop(message: Message) -> None:
        await message.answer("Bye", reply_markup=ReplyKeyboardRemove())

    @router.message(Command("chart"))
    async def cmd_chart(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(PNG, "chart.png"), caption="<b>Chart</b>")

    @router.message(F.document)
    async def got_document(message: Message) -> None:
        await message.answer(f"got {message.document.file_name}")

    @router.message(F.photo)
    async def got_photo(message: Message) -> None:
        await message.answer(f"photo {len(message.photo)}")

    @router.message(F.text)
    async def echo(message: Message, greeting: str) -> None:
        await message.answer(f"{greeting}: {message.text}")

    @router.callback_query(PickCb.filter())
    async def on_pick(query: CallbackQuery, callback_data: PickCb) -> None:
        await query.message.edit_text(f"You picked {callback_data.choice}")
        await query.answer("Saved")

    return router


def dispatcher() -> Dispatcher:
    dp = Dispatcher()
    dp.include_router(throwaway_router())
    return dp


@pytest.fixture
def tester() -> BotTester:
    return BotTester(dispatcher(), make_bot(), greeting="echo")


# --- in process ---


async def test_send_returns_the_calls_and_injects_kwargs(tester: BotTester) -> None:
    calls = await tester.send("hello", user=PARENT)

    assert [type(call) for call in calls] == [SendMessage]
    assert calls[0].chat_id == PARENT.id
    assert calls[0].parse_mode == "HTML"  # the bot default, resolved
    assert tester.last_text(PARENT) == "echo: hello"
    assert tester.texts() == ["echo: hello"]


async def test_click_by_text_then_by_data(tester: BotTester) -> None:
    await tester.send("/menu", user=PARENT)
    assert tester.keyboard(PARENT) == [
        [("Yes", "pk1:yes"), ("No", "pk1:no")],
        [("Site", None)],
    ]
    menu_message = tester.sent(SendMessage, PARENT)[-1]

    calls = await tester.click("Yes", user=PARENT)

    assert [type(call) for call in calls] == [EditMessageText, AnswerCallbackQuery]
    assert (calls[0].chat_id, calls[0].text) == (PARENT.id, "You picked yes")
    assert calls[1].text == "Saved"
    assert tester.keyboard(PARENT) == []  # editing without reply_markup drops the keyboard
    assert menu_message.text == "Pick one"

    await tester.send("/menu", user=PARENT)
    calls = await tester.click(PickCb(choice="no"), user=PARENT)
    assert tester.last_text(PARENT) == "You picked no"


async def test_click_edits_the_message_that_carried_the_button(tester: BotTester) -> None:
    await tester.send("/menu", user=PARENT)
    sent = next(iter(reversed(tester.session.messages.values())))

    (edit, _) = await tester.click("pk1:yes", user=PARENT)

    assert edit.message_id == sent["message_id"]


async def test_click_refuses_a_button_that_is_not_there(tester: BotTester) -> None:
    with pytest.raises(AssertionError, match="no inline keyboard"):
        await tester.click("Yes", user=PARENT)
    await tester.send("/menu", user=PARENT)
    with pytest.raises(AssertionError, match="no button 'Maybe'"):
        await tester.click("Maybe", user=PARENT)
    with pytest.raises(AssertionError, match="no button 'Site'"):
        await tester.click("Site", user=PARENT)  # a URL button has no callback


async def test_forged_callback_data_reaches_the_dispatcher(tester: BotTester) -> None:
    await tester.send("/menu", user=PARENT)

    assert await tester.click("zz9:1", user=PARENT, forged=True) == []
    assert tester.last_result is UNHANDLED

    calls = await tester.click("pk1:maybe", user=TEACHER, forged=True)
    assert calls[0].text == "You picked maybe"


async def test_reply_keyboard(tester: BotTester) -> None:
    assert tester.reply_keyboard(PARENT) is None
    await tester.send("/start", user=PARENT)
    assert tester.reply_keyboard(PARENT) == [["Marks"]]
    await tester.send("again", user=PARENT)
    assert tester.reply_keyboard(PARENT) == [["Marks"]]
    await tester.send("/stop", user=PARENT)
    assert tester.reply_keyboard(PARENT) is None


async def test_documents_photos_and_groups(tester: BotTester) -> None:
    await tester.feed(document_message(PARENT, file_name="pupils.xlsx"))
    await tester.feed(photo_message(PARENT, caption="homework"))
    calls = await tester.feed(group_message("hi all", TEACHER, chat_id=-1001))

    assert tester.texts(PARENT) == ["got pupils.xlsx", "photo 2"]
    assert calls[0].chat_id == -1001
    assert tester.last_text(-1001) == "echo: hi all"

    calls = await tester.send("/chart", user=PARENT)
    assert isinstance(calls[0], SendPhoto)
    assert calls[0].photo.data == PNG
    assert tester.last_text(PARENT) == "<b>Chart</b>"


async def test_queued_errors_and_results(tester: BotTester) -> None:
    session, bot = tester.session, tester.bot
    session.fail_next(SendMessage, TelegramForbiddenError)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await tester.send("hello", user=PARENT)

    session.fail_next(SendMessage, TelegramRetryAfter, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(PARENT.id, "x")
    assert raised.value.retry_after == 7

    session.fail_next("sendMessage", TelegramBadRequest("sendMessage", "Bad Request: x"))
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(PARENT.id, "x")

    gifts = dict.fromkeys(
        ["unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription"], False
    )
    chat = {"id": -5, "type": "group", "title": "5A", "accent_color_id": 1}
    chat |= {"max_reaction_count": 3, "accepted_gift_types": gifts | {"gifts_from_channels": 0}}
    session.respond_next(GetChat, chat)
    assert (await bot.get_chat(-5)).title == "5A"

    sent = await bot.send_message(PARENT.id, "after the errors")
    assert sent.text == "after the errors"
    assert len(session.calls(SendMessage)) == 4  # failed calls are recorded too


async def test_an_edit_that_changes_nothing_is_refused(tester: BotTester) -> None:
    bot = tester.bot
    sent = await bot.send_message(PARENT.id, "a", reply_markup=menu())
    await sent.edit_text("b", reply_markup=menu())
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(
            text="b", chat_id=PARENT.id, message_id=sent.message_id, reply_markup=menu()
        )


async def test_builders_and_get_me() -> None:
    first, second = private_message("/marks 5A", PARENT), callback("pk1:yes", PARENT)
    assert second.update_id > first.update_id
    assert first.message.entities[0].type == "bot_command"
    assert first.message.entities[0].length == len("/marks")
    assert second.callback_query.message.chat.id == PARENT.id
    assert second.callback_query.message.from_user.is_bot
    assert group_message("x").message.chat.type == "supergroup"

    bot = make_bot()
    me = await bot.me()
    assert (me.id, me.username, me.is_bot) == (42, BOT_USERNAME, True)


# --- over HTTP ---


@pytest.fixture
async def server() -> FakeBotAPI:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def http_bot(server: FakeBotAPI) -> Bot:
    bot = server.bot()
    yield bot
    await bot.session.close()


async def test_polling_over_http(server: FakeBotAPI) -> None:
    bot, dp = server.bot(), dispatcher()
    async with server.polling(dp, bot, greeting="echo", polling_timeout=5):
        server.push_message("hello", user_id=PARENT.id, first_name="Olga")
        reply = await server.wait_for("sendMessage", chat_id=PARENT.id)
        assert reply.text == "echo: hello"
        assert reply.params["parse_mode"] == "HTML"

        server.push_message("/chart", user_id=PARENT.id)
        photo = await server.wait_for("sendPhoto")
        upload = photo.file("photo")
        assert upload.data.startswith(b"\x89PNG")
        assert upload.filename == "chart.png"
        assert photo.params["caption"] == "<b>Chart</b>"

        mark = server.mark()
        server.push_message("/menu", user_id=PARENT.id)
        shown = await server.wait_for("sendMessage", since=mark)
        assert shown.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Yes"
        server.push_callback("pk1:no", user_id=PARENT.id, message_id=shown.result["message_id"])
        edit = await server.wait_for("editMessageText", since=mark)
        answer = await server.wait_for("answerCallbackQuery", since=mark)
        assert edit.ok and answer.ok
        assert server.messages[(PARENT.id, shown.result["message_id"])]["text"] == ("You picked no")

    assert [r.text for r in server.sent_to(PARENT.id)] == [
        "echo: hello",
        "<b>Chart</b>",
        "Pick one",
    ]
    offsets = [r.params.get("offset") for r in server.calls("getUpdates")]
    assert offsets[0] is None and offsets[-1] > 1  # confirmed by offset
    assert server.pending_updates == []


async def test_injected_errors_reach_aiogram(server: FakeBotAPI, http_bot: Bot) -> None:
    server.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as raised:
        await http_bot.send_message(PARENT.id, "x")
    assert raised.value.retry_after == 3
    assert server.requests[-1].response["parameters"] == {"retry_after": 3}

    server.fail_next("sendMessage", status=403)
    with pytest.raises(TelegramForbiddenError):
        await http_bot.send_message(PARENT.id, "x")
    server.fail_next("sendMessage", status=500)
    with pytest.raises(TelegramServerError):
        await http_bot.send_message(PARENT.id, "x")
    with pytest.raises(TelegramBadRequest, match="parse entities"):
        await http_bot.send_message(PARENT.id, "a <br> b")
    with pytest.raises(TelegramBadRequest, match="too long"):
        await http_bot.send_message(PARENT.id, "я" * 4097)

    server.block(TEACHER.id)
    with pytest.raises(TelegramForbiddenError):
        await http_bot.send_message(TEACHER.id, "x")
    assert (await http_bot.send_message(PARENT.id, "<b>ok</b> &amp;")).message_id > 0


async def test_enforced_limits(server: FakeBotAPI, http_bot: Bot) -> None:
    server.enforce_limits(global_per_second=3, per_chat_per_second=1)

    await http_bot.send_message(PARENT.id, "1")
    with pytest.raises(TelegramRetryAfter) as raised:
        await http_bot.send_message(PARENT.id, "2")
    assert raised.value.retry_after == 1
    await http_bot.send_message(TEACHER.id, "3")
    await http_bot.send_message(503, "4")
    with pytest.raises(TelegramRetryAfter):
        await http_bot.send_message(504, "5")  # global cap
    assert server.throttled == 2


async def test_commands_menu_and_raw_http(server: FakeBotAPI, http_bot: Bot) -> None:
    commands = [BotCommand(command="marks", description="Оценки")]
    scope = BotCommandScopeChat(chat_id=PARENT.id)
    await http_bot.set_my_commands(commands, scope=scope, language_code="ru")
    got = await http_bot.get_my_commands(scope=scope, language_code="ru")
    assert [(c.command, c.description) for c in got] == [("marks", "Оценки")]
    assert await http_bot.get_my_commands() == []
    recorded = server.calls("setMyCommands")[0].params
    assert recorded["scope"] == {"type": "chat", "chat_id": PARENT.id}
    assert recorded["language_code"] == "ru"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await http_bot.set_my_commands([BotCommand(command="Marks", description="x")])

    url = f"{server.base_url}/bot{server.token}"
    async with aiohttp.ClientSession() as client:
        async with client.post(f"{url}/fooBar") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        body = {"chat_id": PARENT.id, "text": "hi", "reply_markup": {"inline_keyboard": []}}
        async with client.post(f"{url}/sendmessage", json=body) as response:
            result = (await response.json())["result"]
        async with client.get(f"{server.base_url}/botWRONG/getMe") as response:
            assert response.status == 401
    assert result["chat"] == {"id": PARENT.id, "type": "private", "first_name": f"User{PARENT.id}"}
    assert server.calls("sendMessage")[-1].params["reply_markup"] == {"inline_keyboard": []}
    assert server.calls("fooBar")[0].status == 404


async def test_long_poll_waits_and_confirms(server: FakeBotAPI, http_bot: Bot) -> None:
    started = time.monotonic()
    assert await http_bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3

    asyncio.get_running_loop().call_later(0.1, server.push_message, "late", PARENT.id)
    started = time.monotonic()
    (update,) = await http_bot.get_updates(timeout=5)
    assert time.monotonic() - started < 1
    assert update.message.text == "late"

    server.push_callback("x", PARENT.id, message_id=999)
    assert len(await http_bot.get_updates(offset=update.update_id, timeout=0)) == 2
    updates = await http_bot.get_updates(offset=update.update_id + 1, allowed_updates=["message"])
    assert updates == []  # the callback is not an allowed type any more


async def test_stop_releases_an_open_long_poll() -> None:
    server = await FakeBotAPI().start()
    poller = server.bot()
    poll = asyncio.create_task(poller.get_updates(timeout=30))
    await server.wait_for("getUpdates", finished=False)

    started = time.monotonic()
    await server.stop()

    assert time.monotonic() - started < 2
    assert await asyncio.wait_for(poll, 2) == []
    await poller.session.close()


def same(a: TelegramObject | None, b: TelegramObject) -> bool:
    return a is not None and a.model_dump(exclude_none=True) == b.model_dump(exclude_none=True)


async def every_method(bot: Bot, user_id: int) -> None:
    """Each Bot API method the harness fakes, answered in a shape aiogram accepts."""
    png = BufferedInputFile(PNG, "a.png")
    sent = await bot.send_message(user_id, "text", reply_markup=menu())
    assert same(sent.reply_markup, menu())
    photo = await bot.send_photo(user_id, png, caption="c")
    assert photo.photo[-1].file_id and photo.caption == "c"
    document = await bot.send_document(user_id, BufferedInputFile(b"x", "marks.csv"))
    assert document.document.file_name == "marks.csv"
    album = await bot.send_media_group(
        user_id, [InputMediaPhoto(media=png, caption="one"), InputMediaPhoto(media=png)]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert (await bot.edit_message_text("new", chat_id=user_id, message_id=sent.message_id)).text
    edited = await bot.edit_message_reply_markup(
        chat_id=user_id, message_id=sent.message_id, reply_markup=menu()
    )
    assert same(edited.reply_markup, menu())
    await bot.edit_message_caption(chat_id=user_id, message_id=photo.message_id, caption="d")
    assert await bot.delete_message(user_id, sent.message_id) is True
    assert await bot.send_chat_action(user_id, "typing") is True
    assert await bot.set_chat_menu_button(chat_id=user_id, menu_button=MenuButtonCommands())
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []
    assert (await bot.get_chat(user_id)).id == user_id
    assert (await bot.get_chat_member(user_id, user_id)).status == "member"
    assert await bot.set_webhook("https://example.org/hook") is True
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_me()).username == BOT_USERNAME


async def test_recording_session_answers_every_method() -> None:
    await every_method(make_bot(), PARENT.id)


async def test_fake_api_answers_every_method(server: FakeBotAPI, http_bot: Bot) -> None:
    await every_method(http_bot, PARENT.id)
    assert (await http_bot.get_webhook_info()).url == ""
    assert await http_bot.log_out() is True and await http_bot.close() is True
    album = server.calls("sendMediaGroup")[0]
    uploads = [album.file(item["media"]) for item in album.params["media"]]
    assert [upload.data for upload in uploads] == [PNG, PNG]

    file_id = server.add_file(b"a;b\n1;2\n", "pupils.csv")
    server.push_document(b"", "x.csv", user_id=PARENT.id)
    downloaded = await http_bot.download(file_id)
    assert downloaded.read() == b"a;b\n1;2\n"
