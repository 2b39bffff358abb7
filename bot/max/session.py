"""aiogram's Bot API calls spoken to MAX: an aiogram session whose ``make_request`` is MAX HTTP.

The MAX bot is an ordinary ``aiogram.Bot`` (token ``"<bot user id>:max"``; the real token lives
only here) whose session is a ``MaxSession``: every method object the handlers, the pushes and
the runner send (``SERVED``) becomes one or more MAX calls, and the answer becomes the aiogram
result object (a ``Message`` whose ``message_id`` is the number ``MessageIds`` gives the MAX
``mid``). MAX's failures become aiogram's exceptions, so everything above maps errors as it
does for Telegram: 403 ``chat.denied`` -> ``TelegramForbiddenError``; 429 (MAX sends no
``retry_after``) is retried here with exponential back-off and full jitter, then
``TelegramRetryAfter`` with a jittered ``retry_after``; 400 -> ``TelegramBadRequest``; 401 ->
``TelegramUnauthorizedError``; 404 -> ``TelegramNotFound``; 5xx -> ``TelegramServerError``;
no connection or a timeout -> ``TelegramNetworkError`` (caused by the original error).

The transport is ``maxapi``'s ``Bot`` used as a connection only: its ``request`` (base URL,
the token in the ``Authorization`` header, JSON in and out, ``MaxApiError`` with MAX's
``{code, message}``). Its high-level methods are not used: they sleep a fixed
``after_input_media_delay`` after every upload, retry ``attachment.not.ready`` on their own
clock, build its pydantic types (which must not leave this package) and keep their own 5xx
retries (turned off here: the delivery worker retries). The upload itself (the multipart POST
to the URL ``POST /uploads`` hands out) is a plain aiohttp POST without the token: maxapi's
would send the token to the upload host and rename the file by sniffing its content. Files
are downloaded the same way (``stream_content``), so ``bot.download`` works on a MAX ref.

What MAX does not have, decided here:
- a reply keyboard: its rows become an inline keyboard of ``message`` buttons (a press sends
  the button's text as the user's message); ``ReplyKeyboardRemove`` / ``ForceReply``: none;
- a command menu per chat or per language: ``SetMyCommands`` with the default scope in
  ``commands_language`` (or none) sets the bot's one list (``PATCH /me``); other scopes and
  languages are accepted and change nothing;
- ``answerCallbackQuery`` without a text: MAX wants a notification or a new message, so
  nothing is sent (the press needs no answer to finish);
- ``sendChatAction``: accepted, nothing sent (a private dialog's chat id is not known here);
- updates: MAX's come through ``bot.max.polling`` or ``bot.max.webhook``; ``DeleteWebhook`` is
  accepted (nothing to delete), ``SetWebhook`` and ``GetUpdates`` raise ``TelegramBadRequest``.

Pace: at most ``total_rate`` calls in any second in all and ``chat_rate`` per chat (the target
user or chat), waiting here before a call rather than earning a 429.
"""

from __future__ import annotations

import asyncio
import logging
import math
import mimetypes
import random
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogram import methods as tm
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommandScopeDefault,
    Chat,
    Document,
    File,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    PhotoSize,
    ReplyKeyboardMarkup,
    User,
)
from maxapi import Bot as MaxConnection
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.http_method import HTTPMethod
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.exceptions.max import MaxConnection as MaxConnectionError

from bot.max.files import FileCopies, FileSource, MaxFile, make_ref, parse_ref
from bot.max.ids import MessageIds
from core import redaction
from core.limits import MESSAGE_LIMIT

if TYPE_CHECKING:
    from aiogram import Bot

logger = logging.getLogger(__name__)

# maxapi's own default, where dev.max.ru now sends bots (platform-api.max.ru is the old host).
MAX_API_URL = "https://platform-api2.max.ru"
NOT_READY = "attachment.not.ready"
DENIED = "chat.denied"
TOO_LONG = "Bad Request: message is too long"
FOREIGN_CACHE = 512  # another messenger's refs whose MAX token is kept
CHAT_WINDOWS = 4096  # chats whose recent calls are remembered for the per-chat pace
PACE_MARGIN = 0.05  # seconds added to a wait, for the server's clock reading a bit later

Handler = Callable[["MaxSession", "Bot", Any, "float | None"], Awaitable[Any]]


class _Window:
    """At most ``limit`` takes in any ``per`` seconds (a sliding window), first come first
    served."""

    __slots__ = ("limit", "lock", "per", "stamps")

    def __init__(self, limit: int, per: float = 1.0) -> None:
        self.limit = limit
        self.per = per
        self.stamps: deque[float] = deque()
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        async with self.lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                while self.stamps and now - self.stamps[0] >= self.per:
                    self.stamps.popleft()
                if len(self.stamps) < self.limit:
                    self.stamps.append(now)
                    return
                await asyncio.sleep(self.stamps[0] + self.per - now + PACE_MARGIN)


class _MaxFailure(Exception):
    """A MAX answer that is not a result, before it becomes aiogram's exception."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _error(method: tm.TelegramMethod[Any], failure: _MaxFailure) -> TelegramAPIError:
    text = f"{failure.code}: {failure.message}" if failure.code else failure.message
    status = failure.status
    if status == 403:
        # Only a user who stopped the bot (or a chat that removed it) is "blocked"; any other
        # 403 (a message not the bot's own) is a request that cannot work.
        if failure.code == DENIED:
            return TelegramForbiddenError(method=method, message=f"Forbidden: {text}")
        return TelegramBadRequest(method=method, message=f"Bad Request: {text}")
    kinds: dict[int, type[TelegramAPIError]] = {
        400: TelegramBadRequest,
        401: TelegramUnauthorizedError,
        404: TelegramNotFound,
        409: TelegramConflictError,
        413: TelegramEntityTooLarge,
    }
    kind = kinds.get(status)
    if kind is None:
        kind = TelegramServerError if status >= 500 else TelegramAPIError
    return kind(method=method, message=text)


def _target(method: tm.TelegramMethod[Any], chat_id: Any) -> tuple[int, dict[str, str]]:
    """MAX's query for an aiogram chat id: a user's dialog by ``user_id`` (positive, as in
    Telegram), a group chat by its own negative ``chat_id``."""
    try:
        number = int(chat_id)
    except (TypeError, ValueError):
        raise TelegramBadRequest(method=method, message="Bad Request: chat not found") from None
    if number > 0:
        return number, {"user_id": str(number)}
    return number, {"chat_id": str(number)}


def _chat(chat_id: int) -> Chat:
    return Chat(id=chat_id, type="private" if chat_id > 0 else "group")


def _inline_button(button: InlineKeyboardButton) -> dict[str, Any] | None:
    if button.callback_data is not None:
        return {"type": "callback", "text": button.text, "payload": button.callback_data}
    if button.url:
        return {"type": "link", "text": button.text, "url": button.url}
    return None  # Telegram-only kinds (inline queries, games, payments): MAX has none


def _reply_button(button: KeyboardButton | str) -> dict[str, Any]:
    if isinstance(button, str):
        return {"type": "message", "text": button}
    if button.request_contact:
        return {"type": "request_contact", "text": button.text}
    if button.request_location:
        return {"type": "request_geo_location", "text": button.text}
    return {"type": "message", "text": button.text}


def keyboard_of(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard attachment MAX shows for aiogram's ``reply_markup`` (None: none)."""
    if isinstance(markup, InlineKeyboardMarkup):
        rows = [[b for b in map(_inline_button, row) if b] for row in markup.inline_keyboard]
    elif isinstance(markup, ReplyKeyboardMarkup):
        rows = [[_reply_button(b) for b in row] for row in markup.keyboard]
    else:  # None, ReplyKeyboardRemove, ForceReply
        return None
    rows = [row for row in rows if row]
    if not rows:
        return None
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}


class MaxSession(BaseSession):
    messenger = "max"

    def __init__(
        self,
        token: str,
        ids: MessageIds,
        api_url: str = MAX_API_URL,
        files: FileSource | None = None,
        *,
        copies: FileCopies | None = None,
        total_rate: int = 30,
        chat_rate: int = 2,
        retries: int = 4,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        not_ready_tries: int = 8,
        not_ready_delay: float = 0.5,
        commands_language: str = "ru",
        rng: random.Random | None = None,
    ) -> None:
        redaction.register(token)  # masked in any text that might carry it, logs first
        api_url = api_url.rstrip("/")
        # ``base`` is never used (no Telegram URL is built); ``file`` makes ``bot.download``
        # stream the file's own URL (a MAX ref's ``file_path``) through ``stream_content``.
        super().__init__(api=TelegramAPIServer(base=api_url + "/{method}", file="{path}"))
        self.api_url = api_url
        self.ids = ids
        self.files = files
        self.copies = copies  # another messenger's files as MAX knows them, kept
        self.total_rate = total_rate
        self.chat_rate = chat_rate
        self.retries = retries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.not_ready_tries = not_ready_tries
        self.not_ready_delay = not_ready_delay
        self.commands_language = commands_language
        self.rng = rng or random.Random()
        self.me: dict[str, Any] = {}  # GET /me, once known
        self._connection = MaxConnection(
            token,
            default_connection=DefaultConnectionProperties(max_retries=0),
            auto_check_subscriptions=False,
        )
        self._connection.set_api_url(api_url)
        self._plain: aiohttp.ClientSession | None = None  # uploads and downloads: no token
        self._total = _Window(total_rate)
        self._chats: OrderedDict[int, _Window] = OrderedDict()
        self._foreign: OrderedDict[str, MaxFile] = OrderedDict()

    def __repr__(self) -> str:
        return f"MaxSession({self.api_url!r})"

    # --- aiogram's session interface ---

    async def make_request(
        self,
        bot: Bot,
        method: tm.TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's interface
    ) -> Any:
        name = SERVED.get(type(method))
        if name is None:
            raise TelegramBadRequest(
                method=method, message=f"Bad Request: MAX does not serve {type(method).__name__}"
            )
        handler: Callable[..., Awaitable[Any]] = getattr(self, name)
        return await handler(bot, method, timeout)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's interface
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        session = self._plain_session()
        async with session.get(
            url,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            raise_for_status=raise_for_status,
        ) as response:
            async for chunk in response.content.iter_chunked(chunk_size):
                yield chunk

    async def close(self) -> None:
        await self._connection.close_session()
        if self._plain is not None and not self._plain.closed:
            await self._plain.close()

    # --- the wire ---

    def _plain_session(self) -> aiohttp.ClientSession:
        if self._plain is None or self._plain.closed:
            self._plain = aiohttp.ClientSession()
        return self._plain

    async def _pace(self, chat: int | None) -> None:
        if chat is not None:
            window = self._chats.get(chat)
            if window is None:
                window = self._chats[chat] = _Window(self.chat_rate)
                while len(self._chats) > CHAT_WINDOWS:
                    self._chats.popitem(last=False)
            else:
                self._chats.move_to_end(chat)
            await window.take()
        await self._total.take()

    def _pause(self, attempt: int) -> float:
        """Full jitter: anywhere up to the exponential ceiling of this attempt."""
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff * 2**attempt))

    async def _once(
        self, verb: str, path: str, params: dict[str, str], body: Any, wait: float | None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": params}
        if body is not None:
            kwargs["json"] = body
        if wait is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=wait)
        try:
            return await self._connection.request(
                HTTPMethod(verb), path, is_return_raw=True, **kwargs
            )
        except MaxApiError as exc:
            raw = exc.raw if isinstance(exc.raw, dict) else {"message": str(exc.raw)[:200]}
            code = str(raw.get("code") or "")
            message = str(raw.get("message") or raw.get("error") or "")
            raise _MaxFailure(exc.code, code, message) from None
        except InvalidToken:
            raise _MaxFailure(401, "verify.token", "the MAX token was rejected") from None

    async def call(
        self,
        tag: tm.TelegramMethod[Any],
        verb: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        wait: float | None = None,
    ) -> dict[str, Any]:
        """A raw MAX call for the kit's polling and webhook subscriptions: paced, 429 retried,
        failures as aiogram's exceptions (``tag`` names the call in them)."""
        return await self._request(tag, verb, path, params=params, body=body, wait=wait)

    async def _request(
        self,
        method: tm.TelegramMethod[Any],
        verb: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        chat: int | None = None,
        wait: float | None = None,
        attachments: bool = False,
    ) -> dict[str, Any]:
        """One MAX call, paced; 429 retried with back-off and, for a message with uploaded
        files (``attachments``), 400 ``attachment.not.ready`` retried a bounded number of times."""
        throttled = not_ready = 0
        while True:
            await self._pace(chat)
            try:
                return await self._once(verb, path, params or {}, body, wait)
            except _MaxFailure as failure:
                if failure.status == 429:
                    if throttled < self.retries:
                        await asyncio.sleep(self._pause(throttled))
                        throttled += 1
                        continue
                    ceiling = min(self.backoff_cap, self.backoff * 2**self.retries)
                    later = max(1, math.ceil(ceiling * self.rng.uniform(0.5, 1.5)))
                    raise TelegramRetryAfter(
                        method=method,
                        message=f"Too Many Requests: {failure.message or failure.code}",
                        retry_after=later,
                    ) from None
                if (
                    attachments
                    and failure.status == 400
                    and failure.code == NOT_READY
                    and not_ready < self.not_ready_tries
                ):
                    not_ready += 1
                    await asyncio.sleep(self.not_ready_delay * not_ready)
                    continue
                raise _error(method, failure) from None
            except MaxConnectionError as exc:
                cause = exc.__cause__ or exc
                raise TelegramNetworkError(
                    method=method, message=f"{type(cause).__name__}: {cause}"
                ) from cause
            except TimeoutError as exc:
                raise TelegramNetworkError(method=method, message="Request timeout error") from exc

    # --- helpers of the methods ---

    def _bot_user(self, bot: Bot) -> User:
        return User(
            id=bot.id,
            is_bot=True,
            first_name=str(self.me.get("first_name") or self.me.get("name") or "bot"),
            username=self.me.get("username"),
        )

    @staticmethod
    def _default(bot: Bot, value: Any) -> Any:
        return bot.default[value.name] if isinstance(value, Default) else value

    def _format(self, bot: Bot, parse_mode: Any) -> str | None:
        mode = self._default(bot, parse_mode)
        if not mode:
            return None
        return "html" if str(getattr(mode, "value", mode)).lower() == "html" else "markdown"

    def _no_preview(self, bot: Bot, method: Any) -> bool:
        options = self._default(bot, getattr(method, "link_preview_options", None))
        disabled = getattr(options, "is_disabled", None)
        if disabled is None:
            disabled = bot.default["link_preview_is_disabled"]
        return bool(disabled)

    async def _number(self, mid: str) -> int:
        """The number of a message MAX has just taken. It is sent: a failure to record its
        number (the database away) must not make it fail, or the push would go twice; it gets
        a number in this process's memory, and only an edit from another process misses it."""
        try:
            return await self.ids.number(mid)
        except Exception as exc:
            logger.warning(
                "a sent MAX message was numbered in memory only: %s", redaction.one_line(exc)
            )
            return self.ids.passing(mid)

    async def _mid(self, method: tm.TelegramMethod[Any], number: Any, what: str) -> str:
        mid = await self.ids.mid(int(number)) if number is not None else None
        if mid is None:
            raise TelegramBadRequest(
                method=method, message=f"Bad Request: message to {what} not found"
            )
        return mid

    async def _body(
        self, bot: Bot, method: Any, text: str | None, files: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if text is not None and len(text) > MESSAGE_LIMIT:
            raise TelegramBadRequest(method=method, message=TOO_LONG)
        attachments = list(files)
        keyboard = keyboard_of(getattr(method, "reply_markup", None))
        if keyboard is not None:
            attachments.append(keyboard)
        body: dict[str, Any] = {"attachments": attachments}
        if text is not None:
            body["text"] = text
        fmt = self._format(bot, getattr(method, "parse_mode", None))
        if fmt and text:
            body["format"] = fmt
        if self._default(bot, getattr(method, "disable_notification", None)):
            body["notify"] = False
        reply = getattr(method, "reply_parameters", None)
        number = (
            reply.message_id if reply is not None else getattr(method, "reply_to_message_id", None)
        )
        if number is not None and (mid := await self.ids.mid(int(number))) is not None:
            body["link"] = {"type": "reply", "mid": mid}
        return body

    async def _sent(
        self,
        bot: Bot,
        raw: dict[str, Any],
        chat_id: int,
        text: str | None,
        file: MaxFile | None = None,
    ) -> Message:
        message = raw.get("message") if isinstance(raw.get("message"), dict) else raw
        body = message.get("body") or {}
        mid = body.get("mid")
        if not mid:
            raise TelegramAPIError(
                method=tm.SendMessage(chat_id=chat_id, text=""), message="MAX sent no mid"
            )
        stamp = message.get("timestamp")
        date = datetime.fromtimestamp(stamp / 1000, UTC) if stamp else datetime.now(UTC)
        fields: dict[str, Any] = {}
        if file is not None:
            ref = make_ref(file)
            if file.kind == "image":
                fields["photo"] = [
                    PhotoSize(file_id=ref, file_unique_id=file.token, width=0, height=0)
                ]
            else:
                fields["document"] = Document(
                    file_id=ref, file_unique_id=file.token, file_name=file.name or None
                )
            fields["caption"] = text
        else:
            fields["text"] = text
        return Message(
            message_id=await self._number(str(mid)),
            date=date,
            chat=_chat(chat_id),
            from_user=self._bot_user(bot),
            **fields,
        ).as_(bot)

    # --- files ---

    async def _upload(
        self,
        method: tm.TelegramMethod[Any],
        kind: str,
        data: bytes,
        name: str,
        wait: float | None,
    ) -> str:
        """Up through ``POST /uploads`` and its URL; the token to attach."""
        info = await self._request(method, "POST", "/uploads", params={"type": kind}, wait=wait)
        url, token = info.get("url"), info.get("token")
        if not isinstance(url, str):
            raise TelegramServerError(method=method, message="MAX gave no upload URL")
        form = aiohttp.FormData(quote_fields=False)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        form.add_field("data", data, filename=name, content_type=content_type)
        try:
            async with self._plain_session().post(
                url, data=form, timeout=aiohttp.ClientTimeout(total=wait or 300)
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TelegramNetworkError(
                method=method, message=f"upload: {type(exc).__name__}"
            ) from exc
        if not 200 <= status < 300:
            failure = _MaxFailure(status, "upload", f"HTTP {status}")
            raise _error(method, failure)
        try:
            answer = self.json_loads(text) if text.strip() else {}
        except ValueError:
            answer = {}
        if kind == "image":
            photos = answer.get("photos") if isinstance(answer, dict) else None
            if isinstance(photos, dict) and photos:
                token = next(iter(photos.values())).get("token") or token
        elif isinstance(answer, dict):
            token = answer.get("token") or token
        if not token:
            raise TelegramServerError(method=method, message="MAX gave no token for the upload")
        return str(token)

    async def _attachment(
        self, bot: Bot, method: tm.TelegramMethod[Any], kind: str, value: Any, wait: float | None
    ) -> MaxFile:
        if isinstance(value, InputFile):
            data = b"".join([chunk async for chunk in value.read(bot)])
            name = value.filename or ("photo.jpg" if kind == "image" else "file")
            return MaxFile(kind, await self._upload(method, kind, data, name, wait), "", name)
        if not isinstance(value, str):
            raise TelegramBadRequest(method=method, message="Bad Request: unsupported file")
        own = parse_ref(value)
        if own is not None:
            return own
        known = self._foreign.get(value) or await self._kept_copy(value)
        if known is None:
            if self.files is None:
                raise TelegramBadRequest(
                    method=method,
                    message="Bad Request: a file of another messenger, and no source",
                )
            data, name = await self.files.read(value)
            known = MaxFile(kind, await self._upload(method, kind, data, name, wait), "", name)
            await self._keep_copy(value, known)
        self._foreign[value] = known
        self._foreign.move_to_end(value)
        while len(self._foreign) > FOREIGN_CACHE:
            self._foreign.popitem(last=False)
        return known

    async def _kept_copy(self, ref: str) -> MaxFile | None:
        if self.copies is None:
            return None
        try:
            copy = await self.copies.get(ref, self.messenger)
        except Exception as exc:  # then it is carried across again
            logger.warning("a file's MAX copy could not be read: %s", redaction.one_line(exc))
            return None
        return parse_ref(copy) if copy else None

    async def _keep_copy(self, ref: str, file: MaxFile) -> None:
        if self.copies is None:
            return
        try:
            await self.copies.put(ref, self.messenger, make_ref(file))
        except Exception as exc:  # sent all the same; the next send carries it again
            logger.warning("a file's MAX copy was not kept: %s", redaction.one_line(exc))

    @staticmethod
    def _attached(file: MaxFile) -> dict[str, Any]:
        payload = {"token": file.token} if file.token else {"url": file.url}
        return {"type": file.kind, "payload": payload}

    async def _send_file(
        self, bot: Bot, method: Any, kind: str, value: Any, wait: float | None
    ) -> Message:
        caption = method.caption
        if caption is not None and len(caption) > MESSAGE_LIMIT:
            raise TelegramBadRequest(method=method, message=TOO_LONG)
        chat_id, target = _target(method, method.chat_id)
        file = await self._attachment(bot, method, kind, value, wait)
        body = await self._body(bot, method, caption, [self._attached(file)])
        params = {
            **target,
            **({"disable_link_preview": "true"} if self._no_preview(bot, method) else {}),
        }
        raw = await self._request(
            method,
            "POST",
            "/messages",
            params=params,
            body=body,
            chat=chat_id,
            wait=wait,
            attachments=True,
        )
        return await self._sent(bot, raw, chat_id, caption, file)

    # --- the methods served ---

    async def get_me(self, bot: Bot | None, method: Any, wait: float | None = None) -> User:
        raw = await self._request(method, "GET", "/me", wait=wait)
        self.me = raw
        return User(
            id=int(raw["user_id"]),
            is_bot=True,
            first_name=str(raw.get("first_name") or raw.get("name") or "bot"),
            username=raw.get("username"),
        )

    async def send_message(self, bot: Bot, method: tm.SendMessage, wait: float | None) -> Message:
        chat_id, target = _target(method, method.chat_id)
        body = await self._body(bot, method, method.text, [])
        params = {
            **target,
            **({"disable_link_preview": "true"} if self._no_preview(bot, method) else {}),
        }
        raw = await self._request(
            method, "POST", "/messages", params=params, body=body, chat=chat_id, wait=wait
        )
        return await self._sent(bot, raw, chat_id, method.text)

    async def send_photo(self, bot: Bot, method: tm.SendPhoto, wait: float | None) -> Message:
        return await self._send_file(bot, method, "image", method.photo, wait)

    async def send_document(self, bot: Bot, method: tm.SendDocument, wait: float | None) -> Message:
        return await self._send_file(bot, method, "file", method.document, wait)

    async def edit_message_text(
        self, bot: Bot, method: tm.EditMessageText, wait: float | None
    ) -> Message:
        """The new text; without ``reply_markup`` the keyboard goes, as in Telegram."""
        if method.inline_message_id:
            raise TelegramBadRequest(
                method=method, message="Bad Request: no inline messages in MAX"
            )
        mid = await self._mid(method, method.message_id, "edit")
        chat_id, _ = _target(method, method.chat_id)
        body = await self._body(bot, method, method.text, [])
        await self._request(
            method,
            "PUT",
            "/messages",
            params={"message_id": mid},
            body=body,
            chat=chat_id,
            wait=wait,
        )
        return Message(
            message_id=int(method.message_id or 0),
            date=datetime.now(UTC),
            chat=_chat(chat_id),
            from_user=self._bot_user(bot),
            text=method.text,
            edit_date=int(datetime.now(UTC).timestamp()),
        ).as_(bot)

    async def edit_message_reply_markup(
        self, bot: Bot, method: tm.EditMessageReplyMarkup, wait: float | None
    ) -> bool:
        """Only the keyboard: no ``text`` sent, so MAX keeps the text; the attachments become
        the new keyboard alone (none: no keyboard)."""
        if method.inline_message_id:
            raise TelegramBadRequest(
                method=method, message="Bad Request: no inline messages in MAX"
            )
        mid = await self._mid(method, method.message_id, "edit")
        chat_id, _ = _target(method, method.chat_id)
        keyboard = keyboard_of(method.reply_markup)
        await self._request(
            method,
            "PUT",
            "/messages",
            params={"message_id": mid},
            body={"attachments": [keyboard] if keyboard else []},
            chat=chat_id,
            wait=wait,
        )
        return True

    async def delete_message(self, bot: Bot, method: tm.DeleteMessage, wait: float | None) -> bool:
        mid = await self._mid(method, method.message_id, "delete")
        chat_id, _ = _target(method, method.chat_id)
        await self._request(
            method, "DELETE", "/messages", params={"message_id": mid}, chat=chat_id, wait=wait
        )
        return True

    async def answer_callback_query(
        self, bot: Bot, method: tm.AnswerCallbackQuery, wait: float | None
    ) -> bool:
        if not method.text:
            return True  # MAX wants a notification or a message; a bare answer has neither
        await self._request(
            method,
            "POST",
            "/answers",
            params={"callback_id": method.callback_query_id},
            body={"notification": method.text},
            wait=wait,
        )
        return True

    async def set_my_commands(self, bot: Bot, method: tm.SetMyCommands, wait: float | None) -> bool:
        scope = method.scope
        if scope is not None and not isinstance(scope, BotCommandScopeDefault):
            return True  # MAX has one list for everyone
        if method.language_code not in (None, self.commands_language):
            return True  # and in one language
        commands = [{"name": c.command, "description": c.description} for c in method.commands]
        await self._request(method, "PATCH", "/me", body={"commands": commands}, wait=wait)
        return True

    async def get_file(self, bot: Bot, method: tm.GetFile, wait: float | None) -> File:
        file = parse_ref(method.file_id)
        if file is None or not file.url:
            raise TelegramBadRequest(
                method=method, message="Bad Request: this file cannot be downloaded from MAX"
            )
        return File(
            file_id=method.file_id, file_unique_id=file.token or file.url, file_path=file.url
        )

    async def send_chat_action(
        self, bot: Bot, method: tm.SendChatAction, wait: float | None
    ) -> bool:
        return True

    async def delete_webhook(self, bot: Bot, method: tm.DeleteWebhook, wait: float | None) -> bool:
        return True

    async def not_in_max(self, bot: Bot, method: Any, wait: float | None) -> Any:
        raise TelegramBadRequest(
            method=method,
            message=f"Bad Request: {type(method).__name__} is Telegram's; MAX's updates come "
            "through bot.max.polling or bot.max.webhook",
        )


# Every Bot API method the app sends, and the MaxSession method that serves it
# (tests/max/test_methods_served.py keeps this in step with the handlers).
SERVED: dict[type[tm.TelegramMethod[Any]], str] = {
    tm.GetMe: "get_me",
    tm.SendMessage: "send_message",
    tm.SendPhoto: "send_photo",
    tm.SendDocument: "send_document",
    tm.EditMessageText: "edit_message_text",
    tm.EditMessageReplyMarkup: "edit_message_reply_markup",
    tm.DeleteMessage: "delete_message",
    tm.AnswerCallbackQuery: "answer_callback_query",
    tm.SetMyCommands: "set_my_commands",
    tm.GetFile: "get_file",
    tm.SendChatAction: "send_chat_action",
    tm.DeleteWebhook: "delete_webhook",
    tm.SetWebhook: "not_in_max",
    tm.GetUpdates: "not_in_max",
}
