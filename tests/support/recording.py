"""An in-process bot for handler tests: a session that records every Bot API call and answers
it without the network, update builders, and a `BotTester` that drives the real dispatcher."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
    Update,
    User,
)

M = TypeVar("M", bound=TelegramMethod[Any])

BOT_ID = 42
BOT_USERNAME = "schoolbot_test_bot"
BOT_TOKEN = f"{BOT_ID}:TEST"
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Schoolbot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# One counter per process: ids never collide between tests, users and the bot.
_update_ids = itertools.count(10_000)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_file_ids = itertools.count(1)

MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
}
TRUE_METHODS = {
    "answerCallbackQuery",
    "setMyCommands",
    "deleteMyCommands",
    "deleteMessage",
    "deleteMessages",
    "setChatMenuButton",
    "sendChatAction",
    "deleteWebhook",
    "setWebhook",
    "logOut",
    "close",
}

_DEFAULT_ERROR_TEXT: dict[type[TelegramAPIError], str] = {
    TelegramForbiddenError: "Forbidden: bot was blocked by the user",
    TelegramBadRequest: "Bad Request: chat not found",
    TelegramNotFound: "Not Found",
    TelegramConflictError: "Conflict: terminated by other getUpdates request",
    TelegramUnauthorizedError: "Unauthorized",
    TelegramServerError: "Internal Server Error",
    TelegramNetworkError: "Request timeout error",
}


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _api_name(method: type[TelegramMethod[Any]] | TelegramMethod[Any] | str) -> str:
    return method if isinstance(method, str) else method.__api_method__


def _plain(value: Any) -> Any:
    """A TelegramObject (or list of them) as Bot API JSON."""
    if isinstance(value, TelegramObject):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def chat_for(chat_id: int | str) -> dict[str, Any]:
    if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
        return {"id": -1_001_000_000_000, "type": "channel", "title": chat_id, "username": chat_id}
    chat_id = int(chat_id)
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    if chat_id <= -1_000_000_000_000:
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}


def _file_ref(value: Any) -> tuple[str, str | None]:
    """(file_id, filename) for an uploaded InputFile or a file_id/URL string."""
    if isinstance(value, InputFile):
        return f"FILE{next(_file_ids)}", value.filename
    return str(value), None


def _photo_sizes(file_id: str) -> list[dict[str, Any]]:
    return [
        {"file_id": f"{file_id}_s", "file_unique_id": f"{file_id}s", "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": f"{file_id}m", "width": 800, "height": 800},
    ]


QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class _NotModified(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Queued:
    result: Any = None
    error: type[TelegramAPIError] | TelegramAPIError | None = None
    message: str | None = None
    retry_after: int = 1
    migrate_to_chat_id: int = 0


class RecordingSession(BaseSession):
    """Answers every Bot API call in memory, in the order made, and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.chats: dict[int, dict[str, Any]] = {}
        # Latest state of each message the bot sent, re-inserted on every edit (last = newest).
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.closed = False
        self._queued: dict[str, deque[_Queued]] = defaultdict(deque)
        self.files: dict[str, bytes] = {}
        self.answered: set[str] = set()  # callback queries answered: Telegram takes one answer

    def add_file(self, data: bytes, file_id: str | None = None) -> str:
        """Bytes `bot.download(file_id)` will get, e.g. for a document_message()."""
        file_id = file_id or f"FILE{next(_file_ids)}"
        self.files[file_id] = data
        return file_id

    def respond_next(self, method: type[TelegramMethod[Any]] | str, result: Any) -> None:
        """The next call of `method` returns `result` (a TelegramObject, list, bool or dict)."""
        self._queued[_api_name(method)].append(_Queued(result=result))

    def fail_next(
        self,
        method: type[TelegramMethod[Any]] | str,
        error: type[TelegramAPIError] | TelegramAPIError = TelegramForbiddenError,
        message: str | None = None,
        *,
        retry_after: int = 1,
        migrate_to_chat_id: int = 0,
    ) -> None:
        """The next call of `method` raises `error` (a class is built with the real method)."""
        self._queued[_api_name(method)].append(
            _Queued(
                error=error,
                message=message,
                retry_after=retry_after,
                migrate_to_chat_id=migrate_to_chat_id,
            )
        )

    def calls(self, method: type[M]) -> list[M]:
        return [request for request in self.requests if isinstance(request, method)]

    async def close(self) -> None:
        self.closed = True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.rsplit("/", 1)[-1]]

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> Any:
        self.closed = False
        method = self._resolve_defaults(bot, method)
        self.requests.append(method)
        name = method.__api_method__
        if name == "answerCallbackQuery":
            if method.callback_query_id in self.answered:
                raise TelegramBadRequest(method=method, message=QUERY_TOO_OLD)
            self.answered.add(method.callback_query_id)
        queue = self._queued.get(name)
        if queue:
            queued = queue.popleft()
            if queued.error is not None:
                raise self._build_error(method, queued)
            result = _plain(queued.result)
        else:
            try:
                result = self._fake_result(method)
            except _NotModified:
                raise TelegramBadRequest(method=method, message=NOT_MODIFIED) from None
        response = self.check_response(
            bot=bot,
            method=method,
            status_code=200,
            content=json.dumps({"ok": True, "result": result}),
        )
        return response.result

    @staticmethod
    def _resolve_defaults(bot: Bot, method: TelegramMethod[Any]) -> TelegramMethod[Any]:
        defaults = {
            name: bot.default[value.name] for name, value in method if isinstance(value, Default)
        }
        return method.model_copy(update=defaults) if defaults else method

    @staticmethod
    def _build_error(method: TelegramMethod[Any], queued: _Queued) -> TelegramAPIError:
        error = queued.error
        if isinstance(error, TelegramAPIError):
            return error
        assert error is not None
        if issubclass(error, TelegramRetryAfter):
            text = queued.message or f"Too Many Requests: retry after {queued.retry_after}"
            return error(method=method, message=text, retry_after=queued.retry_after)
        if issubclass(error, TelegramMigrateToChat):
            text = queued.message or "Bad Request: group chat was upgraded to a supergroup chat"
            return error(method=method, message=text, migrate_to_chat_id=queued.migrate_to_chat_id)
        text = queued.message or next(
            (text for cls, text in _DEFAULT_ERROR_TEXT.items() if issubclass(error, cls)),
            "Bad Request",
        )
        return error(method=method, message=text)

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        chat = chat_for(chat_id)
        return self.chats.get(chat["id"], chat)

    def _new_message(self, chat_id: int | str, **fields: Any) -> dict[str, Any]:
        chat = self._chat(chat_id)
        message = {
            "message_id": next(_message_ids),
            "date": _now(),
            "chat": chat,
            "from": BOT_USER,
            **{key: value for key, value in fields.items() if value is not None},
        }
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    @staticmethod
    def _inline(markup: Any) -> Any:
        return _plain(markup) if isinstance(markup, InlineKeyboardMarkup) else None

    def _edit(self, method: Any, **changes: Any) -> Any:
        if getattr(method, "inline_message_id", None):
            return True
        chat = self._chat(method.chat_id)
        key = (chat["id"], method.message_id)
        known = key in self.messages
        message = self.messages.get(key) or {
            "message_id": method.message_id,
            "date": _now(),
            "chat": chat,
            "from": BOT_USER,
        }
        edited = {**message, **changes}
        if known and all(edited.get(field) == message.get(field) for field in changes):
            # Telegram refuses an edit that changes nothing.
            raise _NotModified
        edited = {field: value for field, value in edited.items() if value is not None}
        edited["edit_date"] = _now()
        self.messages.pop(key, None)
        self.messages[key] = edited
        return edited

    def _fake_result(self, method: Any) -> Any:
        name = method.__api_method__
        if name == "getMe":
            return BOT_USER
        if name in TRUE_METHODS:
            if name == "deleteMessage":
                self.messages.pop((self._chat(method.chat_id)["id"], method.message_id), None)
            return True
        markup = self._inline(getattr(method, "reply_markup", None))
        if name == "sendMessage":
            return self._new_message(method.chat_id, text=method.text, reply_markup=markup)
        if name == "sendPhoto":
            file_id, _ = _file_ref(method.photo)
            return self._new_message(
                method.chat_id,
                photo=_photo_sizes(file_id),
                caption=method.caption,
                reply_markup=markup,
            )
        if name == "sendDocument":
            file_id, filename = _file_ref(method.document)
            document = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
            if filename:
                document["file_name"] = filename
            return self._new_message(
                method.chat_id, document=document, caption=method.caption, reply_markup=markup
            )
        if name == "sendMediaGroup":
            group_id = str(next(_file_ids))
            return [
                self._new_message(
                    method.chat_id,
                    media_group_id=group_id,
                    caption=item.caption,
                    **self._media_content(item),
                )
                for item in method.media
            ]
        if name == "editMessageText":
            return self._edit(method, text=method.text, reply_markup=markup)
        if name == "editMessageCaption":
            return self._edit(method, caption=method.caption, reply_markup=markup)
        if name == "editMessageReplyMarkup":
            return self._edit(method, reply_markup=markup)
        if name == "getMyCommands":
            return []
        if name == "getChat":
            return {
                **self._chat(method.chat_id),
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        if name == "getChatMember":
            user_id = method.user_id
            user = {"id": user_id, "is_bot": user_id == BOT_ID, "first_name": f"User{user_id}"}
            return {"status": "member", "user": BOT_USER if user_id == BOT_ID else user}
        if name == "getFile" and method.file_id in self.files:
            path = f"documents/{method.file_id}"
            data = self.files[method.file_id]
            return {
                "file_id": method.file_id,
                "file_unique_id": "u",
                "file_size": len(data),
                "file_path": path,
            }
        msg = (
            f"RecordingSession has no fake result for {name}; "
            f"queue one with session.respond_next({type(method).__name__}, result)"
        )
        raise NotImplementedError(msg)

    @staticmethod
    def _media_content(item: Any) -> dict[str, Any]:
        file_id, filename = _file_ref(item.media)
        if item.type == "photo":
            return {"photo": _photo_sizes(file_id)}
        content = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if item.type == "document" and filename:
            content["file_name"] = filename
        if item.type in {"video", "audio"}:
            content["duration"] = 1
        if item.type == "video":
            content.update(width=640, height=480)
        return {item.type: content}


def make_bot(session: BaseSession | None = None) -> Bot:
    return Bot(
        BOT_TOKEN,
        session=session if session is not None else RecordingSession(),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


# --- update builders -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TgUser:
    id: int
    first_name: str = "Test"
    language_code: str | None = "ru"
    last_name: str | None = None
    username: str | None = None

    def as_user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )

    def private_chat(self) -> Chat:
        return Chat(
            id=self.id,
            type="private",
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
        )


DEFAULT_USER = TgUser(id=1001, first_name="Anna")
DEFAULT_GROUP_ID = -1_001_234_567_890

Who = TgUser | User


def _user(user: Who) -> User:
    return user.as_user() if isinstance(user, TgUser) else user


def _private_chat(user: Who) -> Chat:
    if isinstance(user, TgUser):
        return user.private_chat()
    return Chat(id=user.id, type="private", first_name=user.first_name, username=user.username)


def _now_dt() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _entities(text: str | None) -> list[MessageEntity] | None:
    # Telegram marks a leading /command with a bot_command entity.
    if not text or not text.startswith("/"):
        return None
    return [MessageEntity(type="bot_command", offset=0, length=len(text.split(maxsplit=1)[0]))]


def _message_update(user: Who, chat: Chat, **fields: Any) -> Update:
    message = Message(
        message_id=next(_message_ids),
        date=_now_dt(),
        chat=chat,
        from_user=_user(user),
        **fields,
    )
    return Update(update_id=next(_update_ids), message=message)


def private_message(
    text: str, user: Who = DEFAULT_USER, chat: Chat | None = None, **kw: Any
) -> Update:
    kw.setdefault("entities", _entities(text))
    return _message_update(user, chat or _private_chat(user), text=text, **kw)


def group_message(
    text: str,
    user: Who = DEFAULT_USER,
    chat_id: int = DEFAULT_GROUP_ID,
    title: str = "5A parents",
    **kw: Any,
) -> Update:
    chat_type = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
    chat = Chat(id=chat_id, type=chat_type, title=title)
    kw.setdefault("entities", _entities(text))
    return _message_update(user, chat, text=text, **kw)


def document_message(
    user: Who = DEFAULT_USER,
    file_id: str | None = None,
    file_name: str = "marks.xlsx",
    mime_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    caption: str | None = None,
    chat: Chat | None = None,
    file_size: int = 2048,
    **kw: Any,
) -> Update:
    file_id = file_id or f"DOC{next(_file_ids)}"
    document = Document(
        file_id=file_id,
        file_unique_id=f"u{file_id}",
        file_name=file_name,
        mime_type=mime_type,
        file_size=file_size,
    )
    return _message_update(
        user, chat or _private_chat(user), document=document, caption=caption, **kw
    )


def photo_message(
    user: Who = DEFAULT_USER, caption: str | None = None, chat: Chat | None = None, **kw: Any
) -> Update:
    file_id = f"PHOTO{next(_file_ids)}"
    photo = [PhotoSize.model_validate(size) for size in _photo_sizes(file_id)]
    return _message_update(user, chat or _private_chat(user), photo=photo, caption=caption, **kw)


def bot_message(chat: Chat, text: str = "…", **kw: Any) -> Message:
    """A message the bot sent earlier, e.g. the one carrying a pressed button."""
    return Message(
        message_id=next(_message_ids),
        date=_now_dt(),
        chat=chat,
        from_user=User.model_validate(BOT_USER),
        text=text,
        **kw,
    )


def callback(data: str, user: Who = DEFAULT_USER, message: Message | None = None) -> Update:
    query = CallbackQuery(
        id=str(next(_callback_ids)),
        from_user=_user(user),
        chat_instance=f"ci{user.id}",
        message=message or bot_message(_private_chat(user)),
        data=data,
    )
    return Update(update_id=next(_update_ids), callback_query=query)


# --- the driver ------------------------------------------------------------------------------

Target = TgUser | User | int
Button = str | InlineKeyboardButton | CallbackData


def _chat_id(target: Target) -> int:
    return target if isinstance(target, int) else target.id


def _target_chat(method: Any) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except ValueError:
        return None


class BotTester:
    """Feeds built updates through the real dispatcher and reads back what the bot sent.

    Keyword arguments reach handlers exactly as `Dispatcher.feed_update(..., **kwargs)` does.
    """

    def __init__(self, dispatcher: Dispatcher, bot: Bot | None = None, **kwargs: Any) -> None:
        self.dispatcher = dispatcher
        self.bot = bot or make_bot()
        if not isinstance(self.bot.session, RecordingSession):
            raise TypeError("BotTester needs a bot built on a RecordingSession")
        self.session: RecordingSession = self.bot.session
        self.kwargs = kwargs
        self.last_result: Any = None

    @property
    def calls(self) -> list[TelegramMethod[Any]]:
        return self.session.requests

    async def feed(self, update: Update, **kwargs: Any) -> list[TelegramMethod[Any]]:
        """Any built update; returns the Bot API calls it caused, in order."""
        self._remember_chat(update)
        start = len(self.session.requests)
        result = await self.dispatcher.feed_update(self.bot, update, **{**self.kwargs, **kwargs})
        # Polling sends a TelegramMethod returned by a handler as a request; do the same.
        if isinstance(result, TelegramMethod):
            await self.bot(result)
        self.last_result = result
        return self.session.requests[start:]

    async def send(
        self, text: str, *, user: Who = DEFAULT_USER, **kwargs: Any
    ) -> list[TelegramMethod[Any]]:
        return await self.feed(private_message(text, user=user), **kwargs)

    async def click(
        self,
        button: Button,
        *,
        user: Who = DEFAULT_USER,
        chat: int | None = None,
        forged: bool = False,
        **kwargs: Any,
    ) -> list[TelegramMethod[Any]]:
        """Press a button of the newest inline keyboard in the chat, by its text or data.

        `forged=True` sends the data as-is, as a tampered or stale client could.
        """
        chat_id = user.id if chat is None else chat
        data = self._data_of(button)
        stored = self._keyboard_message(chat_id)
        if not forged:
            if stored is None:
                raise AssertionError(f"no inline keyboard in chat {chat_id}")
            data = self._find_button(stored, data)
        message = (
            Message.model_validate(stored)
            if stored is not None
            else bot_message(_private_chat(user) if chat is None else Chat(id=chat, type="group"))
        )
        return await self.feed(callback(data, user=user, message=message), **kwargs)

    @staticmethod
    def _data_of(button: Button) -> str:
        if isinstance(button, CallbackData):
            return button.pack()
        if isinstance(button, InlineKeyboardButton):
            if button.callback_data is None:
                raise AssertionError(f"button {button.text!r} has no callback_data")
            return button.callback_data
        return button

    @staticmethod
    def _find_button(stored: dict[str, Any], wanted: str) -> str:
        rows = stored["reply_markup"]["inline_keyboard"]
        buttons = [button for row in rows for button in row]
        by_data = [b for b in buttons if b.get("callback_data") == wanted]
        by_text = [b for b in buttons if b.get("text") == wanted and b.get("callback_data")]
        found = by_data or by_text
        if len(found) != 1:
            shown = [(b.get("text"), b.get("callback_data")) for b in buttons]
            problem = "no button" if not found else "several buttons"
            raise AssertionError(f"{problem} {wanted!r} in the last keyboard: {shown}")
        return found[0]["callback_data"]

    def _keyboard_message(self, chat_id: int) -> dict[str, Any] | None:
        for (chat, _), message in reversed(self.session.messages.items()):
            if chat == chat_id and message.get("reply_markup"):
                return message
        return None

    def _remember_chat(self, update: Update) -> None:
        message = update.message or (
            update.callback_query.message if update.callback_query else None
        )
        if message is not None:
            self.session.chats[message.chat.id] = _plain(message.chat)

    # --- reading back ---

    def sent(self, method_type: type[M], user: Target | None = None) -> list[M]:
        chat_id = None if user is None else _chat_id(user)
        return [
            call
            for call in self.session.calls(method_type)
            if chat_id is None or _target_chat(call) == chat_id
        ]

    def texts(self, user: Target | None = None) -> list[str]:
        """Every text and caption the bot sent or edited, oldest first."""
        chat_id = None if user is None else _chat_id(user)
        found: list[str] = []
        for call in self.session.requests:
            if chat_id is not None and _target_chat(call) != chat_id:
                continue
            for field in ("text", "caption"):
                value = getattr(call, field, None)
                if isinstance(value, str) and call.__api_method__ in MESSAGE_METHODS:
                    found.append(value)
            if call.__api_method__ == "sendMediaGroup":
                found.extend(item.caption for item in call.media if item.caption)
        return found

    def last_text(self, user: Target = DEFAULT_USER) -> str | None:
        texts = self.texts(user)
        return texts[-1] if texts else None

    def keyboard(self, user: Target = DEFAULT_USER) -> list[list[tuple[str, str | None]]]:
        stored = self._keyboard_message(_chat_id(user))
        if stored is None:
            return []
        return [
            [(button["text"], button.get("callback_data")) for button in row]
            for row in stored["reply_markup"]["inline_keyboard"]
        ]

    def reply_keyboard(self, user: Target = DEFAULT_USER) -> list[list[str]] | None:
        """The reply keyboard the user now sees (None if never sent or removed since)."""
        chat_id = _chat_id(user)
        for call in reversed(self.session.requests):
            if _target_chat(call) != chat_id:
                continue
            markup = getattr(call, "reply_markup", None)
            if isinstance(markup, ReplyKeyboardRemove):
                return None
            if isinstance(markup, ReplyKeyboardMarkup):
                return [[button.text for button in row] for row in markup.keyboard]
        return None


def button_texts(rows: Iterable[Iterable[tuple[str, str | None]]]) -> list[str]:
    return [text for row in rows for text, _ in row]
