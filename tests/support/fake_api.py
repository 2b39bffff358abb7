"""A fake Telegram Bot API over real HTTP on 127.0.0.1, for end-to-end tests of a polling bot.

It speaks the Bot API wire format (form, JSON and multipart bodies in; `{"ok": ..., "result":
...}` out), keeps the chats' messages, hands out queued updates through long polling, and can
answer with the errors and flood limits the real API uses.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiohttp import BodyPartReader, web

from tests.support.local_server import LocalServer
from tests.support.recording import BOT_TOKEN, BOT_USER, chat_for

# Fields sent as plain strings; every other form field is JSON-decoded when it parses.
STRING_FIELDS = {
    "text",
    "caption",
    "parse_mode",
    "callback_query_id",
    "inline_message_id",
    "business_connection_id",
    "message_effect_id",
    "url",
    "secret_token",
    "ip_address",
    "language_code",
    "action",
    "file_id",
    "title",
    "description",
    "short_description",
    "name",
    "emoji",
    "photo",
    "document",
    "audio",
    "video",
    "animation",
    "voice",
    "video_note",
    "sticker",
    "thumbnail",
}
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
ERROR_TEXT = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote", "tg-time",
}  # fmt: skip
SEND_METHODS_EXCLUDED = {"sendChatAction"}


class ApiError(Exception):
    def __init__(self, status: int, description: str | None = None, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description or ERROR_TEXT.get(status, "Error")
        self.parameters = {key: value for key, value in parameters.items() if value}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True, slots=True)
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class ApiRequest:
    index: int
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    http_method: str = "POST"
    status: int | None = None  # None while a long poll is still open
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text", self.params.get("caption"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    def file(self, name: str) -> UploadedFile | None:
        """The upload behind a parameter (`photo`), an `attach://` link or a part name."""
        value = self.params.get(name, name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return self.files.get(name)

    def __repr__(self) -> str:
        return f"<{self.index} {self.method} {self.status} {self.params!r}>"


@dataclass(slots=True)
class _Failure:
    status: int
    description: str | None
    retry_after: int | None
    migrate_to_chat_id: int | None


@dataclass(slots=True)
class _Faults:
    """A seeded share of calls that fail (see ``FakeBotAPI.inject_faults``)."""

    rate: float
    rng: random.Random
    hang: float
    methods: frozenset[str]
    # kind -> weight: flood control, server errors, answers too late (delivered or not), blocks
    kinds: tuple[tuple[str, int], ...] = (
        ("429", 3),
        ("500", 2),
        ("502", 2),
        ("late", 1),
        ("lost", 1),
        ("403", 1),
    )

    def pick(self) -> str | None:
        if self.rng.random() >= self.rate:
            return None
        names, weights = zip(*self.kinds, strict=True)
        return self.rng.choices(names, weights)[0]


@dataclass(slots=True)
class _Limits:
    global_per_second: int
    per_chat_per_second: int
    per_group_per_minute: int
    count_edits: bool
    sent: deque[float] = field(default_factory=deque)
    per_chat: dict[Any, deque[float]] = field(default_factory=lambda: defaultdict(deque))


class _HtmlCheck(HTMLParser):
    """Telegram's HTML parse mode: a few tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.plain: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS and self.error is None:
            self.error = f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.error is None and (not self.open or self.open[-1] != tag):
            self.error = f'Unexpected end tag "{tag}"'
        elif self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def check_text(value: Any, parse_mode: Any, limit: int, too_long: str) -> None:
    text = str(value)
    plain = text
    if parse_mode == "HTML":
        parser = _HtmlCheck()
        parser.feed(text)
        parser.close()
        if parser.error is None and parser.open:
            parser.error = f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
        if parser.error:
            raise ApiError(400, f"Bad Request: can't parse entities: {parser.error}")
        plain = "".join(parser.plain)
    if len(plain) > limit:
        raise ApiError(400, too_long)


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class FakeBotAPI(LocalServer):
    """The Bot API as one bot sees it, in memory, served on a free port of 127.0.0.1."""

    def __init__(
        self, token: str = BOT_TOKEN, *, host: str = "127.0.0.1", max_poll_wait: float = 50.0
    ) -> None:
        super().__init__(host)
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.bot_user = {**BOT_USER, "id": int(token.split(":", 1)[0])}
        self.requests: list[ApiRequest] = []
        self.updates: list[dict[str, Any]] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] | None = None
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.throttled = 0  # 429s sent by enforce_limits()
        self.conflicts = 0  # getUpdates calls ended by a newer one
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._limits: _Limits | None = None
        self._faults: _Faults | None = None
        self.faults: defaultdict[str, int] = defaultdict(int)  # injected faults by kind
        self._open_queries: set[str] = set()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._poll_generation = 0
        self._handlers: dict[str, Callable[[ApiRequest], Any]] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                "getMe logOut close deleteWebhook setWebhook getWebhookInfo sendMessage "
                "sendPhoto sendDocument sendMediaGroup editMessageText editMessageReplyMarkup "
                "editMessageCaption deleteMessage answerCallbackQuery setMyCommands "
                "deleteMyCommands getMyCommands setChatMenuButton getChatMenuButton "
                "sendChatAction getChat getChatMember getFile"
            ).split()
        }
        self._canonical = {
            name.lower(): name
            for name in ["getUpdates", *(n[3:] for n in dir(self) if n.startswith("_m_"))]
        }

    # --- lifecycle ---

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    # --- what a test feeds in ---

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._bump()
        return update

    def push_message(
        self,
        text: str | None,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str | None = "ru",
        **fields: Any,
    ) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        if chat_type == "private":
            chat = {"id": user_id, "type": "private", "first_name": first_name}
        else:
            if chat_id is None:
                raise ValueError("a group message needs chat_id")
            chat = self.chats.get(chat_id) or {
                "id": chat_id,
                "type": chat_type,
                "title": f"Chat {chat_id}",
            }
        self.chats[chat["id"]] = chat
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **fields,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.messages[(chat["id"], message["message_id"])] = message
        return self.push_update({"message": message})

    def push_document(
        self,
        data: bytes,
        file_name: str,
        user_id: int,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
        **kw: Any,
    ) -> dict[str, Any]:
        file_id = self.add_file(data, file_name, mime_type)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        if caption is not None:
            kw["caption"] = caption
        return self.push_message(None, user_id, document=document, **kw)

    def push_callback(
        self, data: str, user_id: int, message_id: int, chat_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Test"}
        message = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": "…",
        }
        query_id = str(next(self._ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self.push_update({"callback_query": query})

    def add_file(
        self, data: bytes, file_name: str = "file", mime_type: str = "application/octet-stream"
    ) -> str:
        """Store bytes as a file the bot can getFile and download; returns its file_id."""
        file_id = f"F{next(self._ids)}"
        self.files[file_id] = UploadedFile(file_id, file_name, mime_type, data)
        return file_id

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        *,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of `method` answer with this Bot API error."""
        if status == 429 and description is None:
            description = f"Too Many Requests: retry after {retry_after}"
        failure = _Failure(
            status, description, retry_after if status == 429 else None, migrate_to_chat_id
        )
        self._failures[self._name(method)].extend([failure] * times)

    def inject_faults(
        self,
        rate: float,
        seed: int,
        *,
        hang: float = 1.5,
        methods: tuple[str, ...] = ("sendMessage",),
    ) -> None:
        """From now on a share ``rate`` of these methods' calls fail, drawn from ``seed``: 429
        (retry after 1 s), 500, 502, an answer ``hang`` seconds late with the message delivered
        ("late") or not ("lost", then 504), and 403 (the chat blocks the bot from then on).
        ``faults`` counts them; ``rate`` 0 stops them."""
        self._faults = _Faults(rate, random.Random(seed), hang, frozenset(methods))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to the chat answers 403."""
        self.blocked.add(chat_id)

    def enforce_limits(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        *,
        count_edits: bool = False,
    ) -> None:
        """Answer 429 with retry_after like Telegram's flood control, counted in `throttled`."""
        self._limits = _Limits(
            global_per_second, per_chat_per_second, per_group_per_minute, count_edits
        )

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        self.members[(chat_id, user_id)] = status

    def bot(self, **kwargs: Any) -> Bot:
        """An aiogram Bot talking to this server over HTTP (parse_mode HTML by default)."""
        kwargs.setdefault("default", DefaultBotProperties(parse_mode=ParseMode.HTML))
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **kwargs)

    @asynccontextmanager
    async def polling(
        self, dispatcher: Dispatcher, bot: Bot, **kwargs: Any
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Run `dispatcher.start_polling(bot)` until the block ends, then stop it cleanly."""
        since = self.mark()
        kwargs.setdefault("handle_signals", False)  # never touch the test runner's signals
        task = asyncio.create_task(dispatcher.start_polling(bot, **kwargs))
        try:
            await self._wait(
                lambda r: r.method == "getUpdates", 10.0, since=since, task=task, finished=False
            )
            yield task
        finally:
            if not task.done():
                # stop_polling() does not wait for handlers still running; let them finish so
                # they do not reopen the HTTP session it closes.
                running = set(getattr(dispatcher, "_handle_update_tasks", ()))
                if running:
                    await asyncio.wait(running, timeout=5)
                await dispatcher.stop_polling()
            await task

    # --- what a test reads back ---

    def mark(self) -> int:
        """Position in `requests`; pass it as `since=` to wait only for later calls."""
        return len(self.requests)

    def calls(self, method: str) -> list[ApiRequest]:
        return [r for r in self.requests if r.method == self._name(method)]

    def sent_to(self, chat_id: int) -> list[ApiRequest]:
        """Successful send* / copy / forward calls to the chat, oldest first."""
        return [
            r for r in self.requests if r.ok and self._is_send(r.method) and r.chat_id == chat_id
        ]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self.updates)

    async def wait_for(
        self,
        match: str | Callable[[ApiRequest], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - the test-facing name
        *,
        since: int = 0,
        finished: bool = True,
        **params: Any,
    ) -> ApiRequest:
        """The first request from `since` on matching a method name or predicate.

        `finished=False` also matches a request still being answered (an open long poll)."""
        name = self._name(match) if isinstance(match, str) else None

        def fits(r: ApiRequest) -> bool:
            if name is not None and r.method != name:
                return False
            if callable(match) and not match(r):
                return False
            return all(r.params.get(key) == value for key, value in params.items())

        return await self._wait(
            fits, timeout, since=since, finished=finished, description=f"{match!r} {params}"
        )

    async def _wait(
        self,
        fits: Callable[[ApiRequest], bool],
        timeout: float,  # noqa: ASYNC109
        *,
        since: int = 0,
        finished: bool = True,
        task: asyncio.Task[Any] | None = None,
        description: str = "",
    ) -> ApiRequest:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for request in self.requests[since:]:
                if (request.status is not None or not finished) and fits(request):
                    return request
            if task is not None and task.done():
                await task  # polling died: raise its error
                raise AssertionError("polling ended before its first getUpdates")
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                recent = "\n".join(repr(r) for r in self.requests[-15:])
                raise AssertionError(
                    f"no request matching {description} within {timeout}s; recent:\n{recent}"
                )
            tick = self._tick
            try:
                await asyncio.wait_for(tick.wait(), min(left, 0.2) if task else left)
            except TimeoutError:
                pass

    # --- HTTP ---

    def _name(self, method: str) -> str:
        return self._canonical.get(method.lower(), method)

    @staticmethod
    def _is_send(method: str) -> bool:
        return (method.startswith("send") and method not in SEND_METHODS_EXCLUDED) or method in {
            "copyMessage",
            "copyMessages",
            "forwardMessage",
            "forwardMessages",
        }

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        fields: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json" and request.can_read_body:
            fields.update(await request.json())
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename is not None:
                    data = bytes(await part.read(decode=False))
                    files[part.name or ""] = UploadedFile(
                        part.name or "", part.filename, part.headers.get("Content-Type"), data
                    )
                else:
                    fields[part.name or ""] = await part.text()
        elif request.can_read_body:
            fields.update(await request.post())
        return {key: _decode(key, value) for key, value in fields.items()}, files

    async def _handle(self, request: web.Request) -> web.Response:
        params, files = await self._read(request)
        method = self._name(request.match_info["method"])
        call = ApiRequest(len(self.requests), method, params, files, request.method)
        self.requests.append(call)
        fault = self._fault(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401)
            if fault is not None and fault != "late":
                if fault == "429":
                    raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
                raise ApiError(504 if fault == "lost" else int(fault))
            self._check_failures(call)
            if method == "getUpdates":
                result = await self._get_updates(call)
            elif (handler := self._handlers.get(method.lower())) is not None:
                result = handler(call)
            else:
                raise ApiError(404, "Not Found: method not found")
            call.status, call.response = 200, {"ok": True, "result": result}
        except ApiError as error:
            call.status, call.response = error.status, error.body()
        self._bump()
        if fault in ("late", "lost") and self._faults is not None:
            await asyncio.sleep(self._faults.hang)  # the client has given up by now
        return web.json_response(call.response, status=call.status)

    def _fault(self, call: ApiRequest) -> str | None:
        faults = self._faults
        if faults is None or call.method not in faults.methods:
            return None
        fault = faults.pick()
        if fault is not None:
            self.faults[fault] += 1
            if fault == "403" and isinstance(call.chat_id, int):
                self.blocked.add(call.chat_id)
        return fault

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401).body(), status=401)
        stored = self.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if stored is None:
            return web.json_response(ApiError(404).body(), status=404)
        return web.Response(body=stored.data, content_type=stored.content_type)

    def _check_failures(self, call: ApiRequest) -> None:
        queue = self._failures.get(call.method)
        if queue:
            failure = queue.popleft()
            raise ApiError(
                failure.status,
                failure.description,
                retry_after=failure.retry_after,
                migrate_to_chat_id=failure.migrate_to_chat_id,
            )
        if self._is_send(call.method) and call.chat_id in self.blocked:
            raise ApiError(403)
        if self._limits is not None:
            self._check_limits(call)

    def _check_limits(self, call: ApiRequest) -> None:
        limits = self._limits
        assert limits is not None
        limited = self._is_send(call.method) or (
            limits.count_edits and call.method.startswith("editMessage")
        )
        if not limited:
            return
        now = time.monotonic()
        chat_id = call.chat_id
        group = (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
        window, cap = (
            (60.0, limits.per_group_per_minute)
            if group
            else (
                1.0,
                limits.per_chat_per_second,
            )
        )
        in_chat = limits.per_chat[chat_id]
        for stamps, span in ((limits.sent, 1.0), (in_chat, window)):
            while stamps and now - stamps[0] >= span:
                stamps.popleft()
        for stamps, span, most in (
            (limits.sent, 1.0, limits.global_per_second),
            (in_chat, window, cap),
        ):
            if len(stamps) >= most:
                self.throttled += 1
                retry_after = max(1, math.ceil(stamps[0] + span - now))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
        limits.sent.append(now)
        in_chat.append(now)

    # --- state helpers ---

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = chat_for(chat_id)
        if chat["id"] in self.chats:
            return self.chats[chat["id"]]
        if chat["id"] in self.users:
            user = self.users[chat["id"]]
            chat["first_name"] = user["first_name"]
        return chat

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value is not None},
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _file_id(self, call: ApiRequest, name: str, value: Any) -> tuple[str, str | None]:
        """A stored upload (`attach://x` or a part named like the parameter) or a file_id."""
        if isinstance(value, str) and value.startswith("attach://"):
            upload = call.file(value)
            if upload is None:
                raise ApiError(400, f"Bad Request: file {value!r} not found in the request")
        elif value in (None, ""):
            upload = call.files.get(name)
            if upload is None:
                raise ApiError(400, f"Bad Request: there is no {name} in the request")
        else:
            return str(value), None
        file_id = f"F{next(self._ids)}"
        self.files[file_id] = upload
        return file_id, upload.filename

    @staticmethod
    def _photo(file_id: str) -> list[dict[str, Any]]:
        return [
            {"file_id": f"{file_id}s", "file_unique_id": f"{file_id}s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 800},
        ]

    def _caption(self, params: dict[str, Any]) -> str | None:
        caption = params.get("caption")
        if caption:
            check_text(
                caption,
                params.get("parse_mode"),
                1024,
                "Bad Request: message caption is too long",
            )
        return caption

    def _stored(self, params: dict[str, Any], verb: str) -> tuple[tuple[int, int], dict[str, Any]]:
        chat = self._chat(params.get("chat_id"))
        key = (chat["id"], _int(params.get("message_id"), 0))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return key, message

    def _edit(self, call: ApiRequest, **changes: Any) -> Any:
        if call.params.get("inline_message_id"):
            return True
        key, message = self._stored(call.params, "edit")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        markup = call.params.get("reply_markup")
        changes["reply_markup"] = markup if isinstance(markup, dict) and markup else None
        if all(message.get(name) == value for name, value in changes.items()):
            raise ApiError(400, NOT_MODIFIED)
        edited = {**message, **changes, "edit_date": int(time.time())}
        edited = {name: value for name, value in edited.items() if value is not None}
        self.messages[key] = edited
        return edited

    # --- methods (each takes the recorded request, returns the result or raises ApiError) ---

    def _m_getMe(self, call: ApiRequest) -> Any:
        return self.bot_user

    def _m_logOut(self, call: ApiRequest) -> Any:
        return True

    def _m_close(self, call: ApiRequest) -> Any:
        return True

    def _m_deleteWebhook(self, call: ApiRequest) -> Any:
        self.webhook = None
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_setWebhook(self, call: ApiRequest) -> Any:
        url = call.params.get("url")
        self.webhook = dict(call.params) if url else None
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        self._poll_generation += 1
        self._bump()
        return True

    def _m_getWebhookInfo(self, call: ApiRequest) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _get_updates(self, call: ApiRequest) -> Any:
        params = call.params
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), self.max_poll_wait)
        allowed = params.get("allowed_updates")
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if isinstance(allowed, list):
            self.allowed_updates = frozenset(allowed) or DEFAULT_UPDATE_TYPES
        # A newer getUpdates ends the one still open, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.updates = [u for u in self.updates if _update_type(u) in self.allowed_updates]
            if self.updates or self._closing:
                return self.updates[:limit]
            left = deadline - loop.time()
            if left <= 0:
                return []
            tick = self._tick
            try:
                await asyncio.wait_for(tick.wait(), left)
            except TimeoutError:
                pass
            if generation != self._poll_generation:
                self.conflicts += 1
                raise ApiError(409)

    def _m_sendMessage(self, call: ApiRequest) -> Any:
        text = call.params.get("text")
        if text in (None, ""):
            raise ApiError(400, "Bad Request: message text is empty")
        check_text(text, call.params.get("parse_mode"), 4096, "Bad Request: message is too long")
        return self._new_message(call.params, text=text)

    def _m_sendPhoto(self, call: ApiRequest) -> Any:
        file_id, _ = self._file_id(call, "photo", call.params.get("photo"))
        return self._new_message(
            call.params, photo=self._photo(file_id), caption=self._caption(call.params)
        )

    def _m_sendDocument(self, call: ApiRequest) -> Any:
        file_id, filename = self._file_id(call, "document", call.params.get("document"))
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if filename:
            document["file_name"] = filename
        return self._new_message(call.params, document=document, caption=self._caption(call.params))

    def _m_sendMediaGroup(self, call: ApiRequest) -> Any:
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(next(self._ids))
        sent = []
        for item in media:
            file_id, filename = self._file_id(call, item.get("type", "photo"), item.get("media"))
            kind = item.get("type", "photo")
            if kind == "photo":
                content: Any = self._photo(file_id)
            else:
                content = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
                if filename:
                    content["file_name"] = filename
                if kind in {"video", "audio"}:
                    content["duration"] = 1
                if kind == "video":
                    content.update(width=640, height=480)
            sent.append(
                self._new_message(
                    {"chat_id": call.params.get("chat_id")},
                    media_group_id=group_id,
                    caption=self._caption({**item, "parse_mode": item.get("parse_mode")}),
                    **{kind: content},
                )
            )
        return sent

    def _m_editMessageText(self, call: ApiRequest) -> Any:
        text = call.params.get("text")
        if text in (None, ""):
            raise ApiError(400, "Bad Request: message text is empty")
        check_text(text, call.params.get("parse_mode"), 4096, "Bad Request: message is too long")
        return self._edit(call, text=text)

    def _m_editMessageCaption(self, call: ApiRequest) -> Any:
        return self._edit(call, caption=self._caption(call.params))

    def _m_editMessageReplyMarkup(self, call: ApiRequest) -> Any:
        return self._edit(call)

    def _m_deleteMessage(self, call: ApiRequest) -> Any:
        key, _ = self._stored(call.params, "delete")
        del self.messages[key]
        return True

    def _m_answerCallbackQuery(self, call: ApiRequest) -> Any:
        query_id = str(call.params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        text = call.params.get("text")
        if text and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _m_setMyCommands(self, call: ApiRequest) -> Any:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands are invalid")
        for command in commands:
            name = str(command.get("command", ""))
            if not (1 <= len(name) <= 32) or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call.params)] = commands
        return True

    def _m_deleteMyCommands(self, call: ApiRequest) -> Any:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    def _m_getMyCommands(self, call: ApiRequest) -> Any:
        return self.commands.get(self._commands_key(call.params), [])

    def _m_setChatMenuButton(self, call: ApiRequest) -> Any:
        chat_id = call.params.get("chat_id")
        self.menu_buttons[chat_id] = call.params.get("menu_button") or {"type": "default"}
        return True

    def _m_getChatMenuButton(self, call: ApiRequest) -> Any:
        chat_id = call.params.get("chat_id")
        return self.menu_buttons.get(chat_id, self.menu_buttons.get(None, {"type": "commands"}))

    def _m_sendChatAction(self, call: ApiRequest) -> Any:
        self._chat(call.params.get("chat_id"))
        return True

    def _m_getChat(self, call: ApiRequest) -> Any:
        return {
            **self._chat(call.params.get("chat_id")),
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

    def _m_getChatMember(self, call: ApiRequest) -> Any:
        chat = self._chat(call.params.get("chat_id"))
        user_id = _int(call.params.get("user_id"), 0)
        if user_id == self.bot_user["id"]:
            user = self.bot_user
        else:
            user = self.users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User{user_id}",
            }
        status = self.members.get((chat["id"], user_id), "member")
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_be_edited is_anonymous can_manage_chat can_delete_messages "
                        "can_manage_video_chats can_restrict_members can_promote_members "
                        "can_change_info can_invite_users can_post_stories can_edit_stories "
                        "can_delete_stories can_send_welcome_messages"
                    ).split(),
                    False,
                ),
                can_manage_chat=True,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _m_getFile(self, call: ApiRequest) -> Any:
        file_id = str(call.params.get("file_id"))
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(stored.data),
            "file_path": f"documents/{file_id}",
        }
