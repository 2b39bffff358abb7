"""A fake MAX Bot API over real HTTP on 127.0.0.1, for end-to-end tests of the MAX front-end.

It speaks MAX's wire format as the `maxapi` client (1.2.x) uses it: one base URL, the token in
the `Authorization` header, JSON bodies, the target in the query (`?user_id=`, `?message_id=`,
`?callback_id=`), errors as an HTTP status with `{code, message}`. It keeps each chat's messages
as the user sees them, hands out queued updates through `GET /updates` with a marker, accepts
uploads at a URL of its own, delivers updates to a subscribed webhook with its secret, and can
answer with MAX's limits and faults: 429 without any Retry-After, 403 `chat.denied`, 400
`attachment.not.ready`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from tests.support.local_server import LocalServer

MAX_TOKEN = "max-test-token"
BOT_INFO = {
    "user_id": 9000001,
    "first_name": "School bot",
    "name": "School bot",
    "username": "school_test_bot",
    "is_bot": True,
}
TEXT_LIMIT = 4000
PAYLOAD_LIMIT = 1024
BUTTONS_LIMIT = 210  # MAX documents it apart, though 30 rows of 7 cannot exceed it
ROWS_LIMIT = 30
ROW_LIMIT = 7
BUTTON_TYPES = {
    "callback",
    "link",
    "request_contact",
    "request_geo_location",
    "open_app",
    "message",
}
UPLOAD_TYPES = {"image", "video", "audio", "file"}
FORMATS = {"html", "markdown"}
SECRET_HEADER = "X-Max-Bot-Api-Secret"
NOT_READY = "Key: errors.process.attachment.file.not.processed"
THROTTLED = "Limit is: 10 calls per second"  # the text MAX was seen to send, with no Retry-After


class MaxError(Exception):
    """An answer MAX gives instead of a result: HTTP status and `{code, message}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def _bad(message: str) -> MaxError:
    return MaxError(400, "proto.payload", message)


def _not_found(message: str) -> MaxError:
    return MaxError(404, "not.found", message)


def _denied() -> MaxError:
    return MaxError(403, "chat.denied", "error.dialog.suspended")


@dataclass(slots=True)
class MaxRequest:
    index: int
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int | None = None  # None while a long poll is still open
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        return f"<{self.index} {self.method} {self.path} {self.query} {self.status}>"


@dataclass(slots=True)
class Upload:
    """A file posted to an upload URL; `not_ready` sends with its token still fail."""

    type: str
    token: str
    filename: str | None = None
    content_type: str | None = None
    data: bytes | None = None
    not_ready: int = 0


@dataclass(slots=True)
class _Limits:
    total_per_second: int
    per_chat_per_second: int
    sent: deque[float] = field(default_factory=deque)
    per_chat: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))


def _within(stamps: deque[float], now: float, limit: int) -> bool:
    """Count a call in a one-second window; False (not counted) when the window is full."""
    while stamps and now - stamps[0] >= 1.0:
        stamps.popleft()
    if len(stamps) >= limit:
        return False
    stamps.append(now)
    return True


def _int(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"{name}: must be a number") from None


def buttons_of(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline keyboard of a message as rows of buttons ([] without one)."""
    for attachment in message["body"].get("attachments") or []:
        if attachment.get("type") == "inline_keyboard":
            return attachment["payload"]["buttons"]
    return []


class FakeMaxAPI(LocalServer):
    """The MAX Bot API as one bot sees it, in memory, served on a free port of 127.0.0.1."""

    def __init__(
        self, token: str = MAX_TOKEN, *, host: str = "127.0.0.1", max_poll_wait: float = 90.0
    ) -> None:
        super().__init__(host)
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.bot_info: dict[str, Any] = {**BOT_INFO, "last_activity_time": _now_ms()}
        self.requests: list[MaxRequest] = []
        self.updates: list[dict[str, Any]] = []  # all ever queued; the marker indexes this
        self.marker = 0  # updates before it were handed out
        self.users: dict[int, dict[str, Any]] = {}
        self.dialogs: dict[int, int] = {}  # user_id -> chat_id of their dialog with the bot
        self.chat_types: dict[int, str] = {}  # chat_id -> "dialog" | "chat"
        self.messages: dict[str, dict[str, Any]] = {}  # mid -> message as MAX returns it
        self.chat_log: dict[int, list[str]] = defaultdict(list)  # chat_id -> mids, oldest first
        self.deleted: set[str] = set()
        self.edits: dict[str, int] = defaultdict(int)
        self.callbacks: dict[str, dict[str, Any]] = {}  # open callback_id -> its update
        self.answered: set[str] = set()
        self.uploads: dict[str, Upload] = {}  # token -> upload
        self.commands: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.stopped: set[int] = set()  # users who stopped the bot: sends answer 403
        self.not_ready_times = 0  # each new upload fails this many sends first
        self.throttled = 0  # 429s answered
        self._deny: dict[int, int] = defaultdict(int)  # user_id -> sends still to refuse
        self._limits: _Limits | None = None
        self._throttle: tuple[float, random.Random] | None = None
        self._pending_uploads: dict[str, str] = {}  # upload key -> type
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._chat_ids = itertools.count(700001)

    # --- lifecycle ---

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/upload/{key}", self._receive_upload)  # no auth, as maxapi posts
        app.router.add_get("/files/{token}", self._download)  # a file's url, as MAX hands out
        app.router.add_route("*", "/{path:.*}", self._handle)

    # --- what a test feeds in ---

    def user(
        self, user_id: int, first_name: str = "Test", last_name: str | None = None
    ) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            user = {
                "user_id": user_id,
                "first_name": first_name,
                "last_name": last_name,
                "username": None,
                "is_bot": False,
                "last_activity_time": _now_ms(),
            }
            self.users[user_id] = user
        return user

    def dialog(self, user_id: int) -> int:
        """The chat_id of the user's private dialog with the bot (made on first use)."""
        if user_id not in self.dialogs:
            chat_id = next(self._chat_ids)
            self.dialogs[user_id] = chat_id
            self.chat_types[chat_id] = "dialog"
        return self.dialogs[user_id]

    def group(self, chat_id: int) -> int:
        """Declare a group chat (`chat_type` "chat") the bot is in."""
        self.chat_types[chat_id] = "chat"
        return chat_id

    def push_update(self, update_type: str, **fields: Any) -> dict[str, Any]:
        update = {"update_type": update_type, "timestamp": _now_ms(), **fields}
        self.updates.append(update)
        self._bump()
        return update

    def message_created(
        self,
        text: str | None,
        user_id: int,
        *,
        chat_id: int | None = None,
        user_locale: str | None = "ru",
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot: in the dialog, or in group `chat_id`."""
        user = self.user(user_id)
        chat = self.dialog(user_id) if chat_id is None else self.group(chat_id)
        recipient = self._recipient(chat)
        if chat_id is None:
            recipient["user_id"] = self.bot_info["user_id"]
        message = self._store(chat, user, recipient, text, attachments or [])
        return self.push_update(
            "message_created", message=copy.deepcopy(message), user_locale=user_locale
        )

    def message_callback(
        self,
        user_id: int,
        mid: str,
        payload: str | None = None,
        *,
        button: str | None = None,
        user_locale: str | None = "ru",
    ) -> dict[str, Any]:
        """A press on a message the bot sent: by the button's text, or with any `payload` (a
        forged one too). Returns the update; its `callback.callback_id` is open until answered."""
        message = self.messages[mid]
        if button is not None:
            found = [b for row in buttons_of(message) for b in row if b["text"] == button]
            if not found:
                raise AssertionError(f"no button {button!r} on {mid}: {buttons_of(message)}")
            if found[0]["type"] == "message":  # MAX sends its text as the user's message
                chat = message["recipient"]["chat_id"]
                group = None if self.chat_types.get(chat) == "dialog" else chat
                return self.message_created(
                    found[0]["text"], user_id, chat_id=group, user_locale=user_locale
                )
            payload = found[0].get("payload")
        callback_id = f"cb{next(self._ids)}"
        callback = {
            "timestamp": _now_ms(),
            "callback_id": callback_id,
            "payload": payload,
            "user": self.user(user_id),
        }
        update = self.push_update(
            "message_callback",
            callback=callback,
            message=copy.deepcopy(message),  # as it was at the press, not after later edits
            user_locale=user_locale,
        )
        self.callbacks[callback_id] = update
        return update

    def bot_started(
        self, user_id: int, payload: str | None = None, *, user_locale: str | None = "ru"
    ) -> dict[str, Any]:
        """The user pressed Start (a deep link's `?start=` arrives as `payload`): sends work
        again if they had stopped the bot."""
        self.stopped.discard(user_id)
        return self.push_update(
            "bot_started",
            chat_id=self.dialog(user_id),
            user=self.user(user_id),
            payload=payload,
            user_locale=user_locale,
        )

    def bot_stopped(self, user_id: int) -> dict[str, Any]:
        """The user stopped the bot: sends to them answer 403 `chat.denied` until `bot_started`."""
        self.stopped.add(user_id)
        return self.push_update(
            "bot_stopped", chat_id=self.dialog(user_id), user=self.user(user_id)
        )

    def dialog_removed(self, user_id: int) -> dict[str, Any]:
        """The user deleted the dialog: treated like `bot_stopped`."""
        self.stopped.add(user_id)
        return self.push_update(
            "dialog_removed", chat_id=self.dialog(user_id), user=self.user(user_id)
        )

    def add_file(
        self, data: bytes, filename: str, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        """A file a user attaches: stored with a token the bot can send again and a URL it can
        download; returns the attachment as it arrives in `message_created`."""
        upload = Upload("file", f"tf{next(self._ids)}", filename, content_type, data)
        self.uploads[upload.token] = upload
        return {
            "type": "file",
            "payload": {"url": f"{self.base_url}/files/{upload.token}", "token": upload.token},
            "filename": filename,
            "size": len(data),
        }

    async def _download(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["token"])
        if upload is None or upload.data is None:
            return web.json_response(_not_found("File not found").body(), status=404)
        return web.Response(body=upload.data, content_type=upload.content_type)

    # --- faults and limits ---

    def enforce_limits(self, total_per_second: int = 30, per_chat_per_second: int = 2) -> None:
        """Answer 429 `too.many.requests` past these rates, with no Retry-After at all."""
        self._limits = _Limits(total_per_second, per_chat_per_second)

    def throttle_share(self, rate: float, seed: int) -> None:
        """From now on a share `rate` of requests (long polls aside) answer 429; 0 stops it."""
        self._throttle = (rate, random.Random(seed)) if rate else None

    def deny(self, user_id: int, times: int = 1) -> None:
        """The next `times` sends to the user answer 403 `chat.denied`."""
        self._deny[user_id] += times

    def uploads_not_ready(self, times: int) -> None:
        """Each later upload's token fails `times` sends with 400 `attachment.not.ready`."""
        self.not_ready_times = times

    # --- webhook ---

    async def deliver(self, update: dict[str, Any] | None = None) -> int:
        """POST the next queued update (or `update`) to the subscribed URL with the secret
        header, as MAX does; returns the HTTP status the webhook answered."""
        if not self.subscriptions:
            raise AssertionError("no webhook subscribed")
        if update is None:
            if self.marker >= len(self.updates):
                raise AssertionError("no queued update to deliver")
            update = self.updates[self.marker]
            self.marker += 1
        subscription = self.subscriptions[-1]
        headers = {}
        if subscription.get("secret"):
            headers[SECRET_HEADER] = subscription["secret"]
        async with (
            aiohttp.ClientSession() as session,
            session.post(subscription["url"], json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # --- what a test reads ---

    def mark(self) -> int:
        """Position in `requests`; pass it as `since=` to look only at later calls."""
        return len(self.requests)

    def calls(self, method: str, path: str, *, since: int = 0) -> list[MaxRequest]:
        return [r for r in self.requests[since:] if r.method == method and r.path == path]

    def chat(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as its members see it now: edits applied, deleted messages gone."""
        return [self.messages[m] for m in self.chat_log[chat_id] if m not in self.deleted]

    def seen_by(self, user_id: int) -> list[dict[str, Any]]:
        """The bot's messages in the user's dialog as they see them now."""
        return [m for m in self.chat(self.dialog(user_id)) if m["sender"]["user_id"] == self.bot_id]

    def texts(self, user_id: int) -> list[str | None]:
        return [m["body"].get("text") for m in self.seen_by(user_id)]

    def last(self, user_id: int) -> dict[str, Any]:
        seen = self.seen_by(user_id)
        if not seen:
            raise AssertionError(f"the bot has said nothing to {user_id}")
        return seen[-1]

    @property
    def bot_id(self) -> int:
        return self.bot_info["user_id"]

    async def wait_for(
        self,
        fits: Callable[[MaxRequest], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - the test-facing name
        *,
        since: int = 0,
    ) -> MaxRequest:
        """The first finished request from `since` on that `fits`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for request in self.requests[since:]:
                if request.status is not None and fits(request):
                    return request
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                recent = "\n".join(repr(r) for r in self.requests[-15:])
                raise AssertionError(f"no matching request within {timeout}s; recent:\n{recent}")
            try:
                await asyncio.wait_for(self._tick.wait(), left)
            except TimeoutError:
                pass

    # --- HTTP ---

    async def _handle(self, request: web.Request) -> web.Response:
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = await request.text()
        path = "/" + request.match_info["path"]
        call = MaxRequest(len(self.requests), request.method, path, dict(request.query), body)
        self.requests.append(call)
        try:
            self._check_auth(request)
            if path != "/updates":
                self._check_throttle()
            call.response = await self._route(call)
            call.status = 200
        except MaxError as error:
            if error.status == 429:
                self.throttled += 1
            call.status, call.response = error.status, error.body()
        self._bump()
        return web.json_response(call.response, status=call.status)

    def _check_auth(self, request: web.Request) -> None:
        if "access_token" in request.query:  # MAX stopped accepting the token in the query
            raise MaxError(401, "verify.token", "Invalid access_token: pass it in Authorization")
        if request.headers.get("Authorization") != self.token:
            raise MaxError(401, "verify.token", "Invalid access_token")

    def _check_throttle(self) -> None:
        if self._throttle is not None and self._throttle[1].random() < self._throttle[0]:
            raise MaxError(429, "too.many.requests", THROTTLED)
        if self._limits is not None and not _within(
            self._limits.sent, time.monotonic(), self._limits.total_per_second
        ):
            raise MaxError(429, "too.many.requests", THROTTLED)

    def _check_chat_limit(self, chat_id: int) -> None:
        limits = self._limits
        if limits is not None and not _within(
            limits.per_chat[chat_id], time.monotonic(), limits.per_chat_per_second
        ):
            raise MaxError(429, "too.many.requests", THROTTLED)

    async def _route(self, call: MaxRequest) -> Any:
        key = (call.method, call.path)
        if key == ("GET", "/updates"):
            return await self._get_updates(call)
        routes: dict[tuple[str, str], Callable[[MaxRequest], Any]] = {
            ("GET", "/me"): self._get_me,
            ("PATCH", "/me"): self._patch_me,
            ("POST", "/messages"): self._send,
            ("PUT", "/messages"): self._edit,
            ("DELETE", "/messages"): self._delete,
            ("POST", "/answers"): self._answer,
            ("POST", "/uploads"): self._upload_url,
            ("POST", "/subscriptions"): self._subscribe,
            ("GET", "/subscriptions"): self._get_subscriptions,
            ("DELETE", "/subscriptions"): self._unsubscribe,
        }
        handler = routes.get(key)
        if handler is None:
            raise _not_found(f"Path {call.path} is not recognized")
        return handler(call)

    # --- endpoints ---

    def _get_me(self, call: MaxRequest) -> Any:
        return {**self.bot_info, "commands": self.commands or None}

    def _patch_me(self, call: MaxRequest) -> Any:
        body = call.json if isinstance(call.json, dict) else {}
        if "commands" in body:
            commands = body["commands"]
            if not isinstance(commands, list) or not all(
                isinstance(c, dict) and c.get("name") for c in commands
            ):
                raise _bad("commands: each needs a name")
            self.commands = commands
        return self._get_me(call)

    async def _get_updates(self, call: MaxRequest) -> Any:
        limit = _int(call.query.get("limit"), "limit", 100) or 100
        timeout = min(_int(call.query.get("timeout"), "timeout", 30) or 0, self.max_poll_wait)
        marker = _int(call.query.get("marker"), "marker", self.marker)
        types = {t for t in call.query.get("types", "").split(",") if t}
        assert marker is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while marker >= len(self.updates) and not self._closing:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._tick.wait(), left)
            except TimeoutError:
                break
        batch = self.updates[marker : marker + limit]
        self.marker = max(self.marker, marker + len(batch))
        chosen = [u for u in batch if not types or u["update_type"] in types]
        return {"updates": chosen, "marker": marker + len(batch)}

    def _send(self, call: MaxRequest) -> Any:
        if "user_id" in call.query:
            user_id = _int(call.query["user_id"], "user_id")
            assert user_id is not None
            chat_id = self.dialog(user_id)
        elif "chat_id" in call.query:
            chat_id = _int(call.query["chat_id"], "chat_id")
            assert chat_id is not None
            if chat_id not in self.chat_types:
                raise _not_found(f"Chat {chat_id} not found")
            user_id = self._dialog_user(chat_id)
        else:
            raise _bad("user_id or chat_id is required")
        body = self._new_body(call.json, edit=False)
        if user_id is not None and (user_id in self.stopped or self._deny[user_id] > 0):
            self._deny[user_id] = max(0, self._deny[user_id] - 1)
            raise _denied()
        self._check_chat_limit(chat_id)
        self._check_ready(body["attachments"])
        recipient = self._recipient(chat_id)
        message = self._store(chat_id, self.bot_info, recipient, body["text"], body["attachments"])
        return {"message": message}

    def _edit(self, call: MaxRequest) -> Any:
        message = self._own_message(call.query.get("message_id"))
        body = self._new_body(call.json, edit=True)
        self._check_chat_limit(message["recipient"]["chat_id"])
        self._apply(message, body)
        return {"success": True}

    def _delete(self, call: MaxRequest) -> Any:
        message = self._own_message(call.query.get("message_id"))
        self._check_chat_limit(message["recipient"]["chat_id"])
        self.deleted.add(message["body"]["mid"])
        return {"success": True}

    def _answer(self, call: MaxRequest) -> Any:
        callback_id = call.query.get("callback_id")
        if not callback_id:
            raise _bad("callback_id is required")
        if callback_id in self.answered:
            raise _bad(f"Callback {callback_id} was already answered")
        update = self.callbacks.get(callback_id)
        if update is None:
            raise _not_found(f"Callback {callback_id} not found")
        body = call.json if isinstance(call.json, dict) else {}
        if not body.get("message") and not body.get("notification"):
            raise _bad("Either message or notification is required")
        message = self.messages[update["message"]["body"]["mid"]]
        new = self._new_body(body["message"], edit=True) if body.get("message") else None
        self._check_chat_limit(message["recipient"]["chat_id"])
        if new is not None:
            self._apply(message, new)
        self.answered.add(callback_id)
        self.callbacks.pop(callback_id)
        return {"success": True}

    def _upload_url(self, call: MaxRequest) -> Any:
        kind = call.query.get("type")
        if kind not in UPLOAD_TYPES:
            raise _bad(f"type: must be one of {sorted(UPLOAD_TYPES)}")
        key = f"u{next(self._ids)}"
        self._pending_uploads[key] = kind
        result: dict[str, Any] = {"url": f"{self.base_url}/upload/{key}"}
        if kind in ("video", "audio"):  # MAX hands these tokens out before the upload
            result["token"] = self._new_upload(kind, key).token
        return result

    async def _receive_upload(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        kind = self._pending_uploads.pop(key, None)
        if kind is None:
            return web.json_response(_not_found("Upload URL unknown or used").body(), status=404)
        if request.content_type != "multipart/form-data":
            return web.json_response(_bad("multipart field data expected").body(), status=400)
        reader = await request.multipart()
        part = None
        async for candidate in reader:
            if isinstance(candidate, BodyPartReader) and candidate.name == "data":
                part = candidate
                data = bytes(await part.read(decode=False))
                break
        if part is None:
            return web.json_response(_bad("multipart field data expected").body(), status=400)
        upload = self.uploads.get(f"t{key}") or self._new_upload(kind, key)
        upload.filename, upload.content_type, upload.data = (
            part.filename,
            part.headers.get("Content-Type"),
            data,
        )
        self._bump()
        if kind == "image":
            return web.json_response({"photos": {f"p{key}": {"token": upload.token}}})
        if kind == "file":
            return web.json_response({"token": upload.token})
        return web.json_response({})

    def _subscribe(self, call: MaxRequest) -> Any:
        body = call.json if isinstance(call.json, dict) else {}
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _bad("url: a webhook URL is required")
        secret = body.get("secret")
        if secret is not None and not (
            isinstance(secret, str) and 5 <= len(secret) <= 256 and secret.isascii()
        ):
            raise _bad("secret: 5 to 256 characters")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
        self.subscriptions.append(
            {
                "url": url,
                "time": _now_ms(),
                "update_types": body.get("update_types"),
                "version": body.get("version"),
                "secret": secret,
            }
        )
        return {"success": True}

    def _get_subscriptions(self, call: MaxRequest) -> Any:
        shown = [{k: v for k, v in s.items() if k != "secret"} for s in self.subscriptions]
        return {"subscriptions": shown}

    def _unsubscribe(self, call: MaxRequest) -> Any:
        url = call.query.get("url")
        if not url:
            raise _bad("url is required")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
        return {"success": True}

    # --- messages ---

    def _new_body(self, raw: Any, *, edit: bool) -> dict[str, Any]:
        """A NewMessageBody checked as MAX checks it; `None` fields are left as they are."""
        if not isinstance(raw, dict):
            raise _bad("A JSON body is required")
        text = raw.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > TEXT_LIMIT):
            raise _bad(f"text: size must be between 0 and {TEXT_LIMIT}")
        fmt = raw.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise _bad("format: must be html or markdown")
        attachments = raw.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                raise _bad("attachments: must be a list")
            for attachment in attachments:
                self._check_attachment(attachment)
        if not edit and not text and not attachments:
            raise _bad("text or attachments are required")
        return {
            "text": text,
            "format": fmt,
            "attachments": [] if attachments is None and not edit else attachments,
            "notify": raw.get("notify", True),
        }

    def _check_attachment(self, attachment: Any) -> None:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
            raise _bad("attachment: type and payload are required")
        kind = attachment.get("type")
        if kind == "inline_keyboard":
            self._check_keyboard(attachment["payload"].get("buttons"))
        elif kind in UPLOAD_TYPES:
            payload = attachment["payload"]
            token = payload.get("token")
            if token is None and not payload.get("url"):
                raise _bad(f"{kind}: payload.token or payload.url is required")
            if token is not None and token not in self.uploads:
                raise _bad(f"{kind}: unknown token")
        else:
            raise _bad(f"attachment: unsupported type {kind!r}")

    @staticmethod
    def _check_keyboard(rows: Any) -> None:
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            raise _bad("buttons: rows of buttons are required")
        if len(rows) > ROWS_LIMIT:
            raise _bad(f"buttons: at most {ROWS_LIMIT} rows")
        if sum(len(row) for row in rows) > BUTTONS_LIMIT:
            raise _bad(f"buttons: at most {BUTTONS_LIMIT} buttons")
        for row in rows:
            if not row or len(row) > ROW_LIMIT:
                raise _bad(f"buttons: 1 to {ROW_LIMIT} buttons in a row")
            for button in row:
                if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
                    raise _bad("button: unsupported type")
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise _bad("button: text is required")
                payload = button.get("payload")
                if button["type"] == "callback" and (
                    not isinstance(payload, str) or len(payload) > PAYLOAD_LIMIT
                ):
                    raise _bad(f"button.payload: size must be between 1 and {PAYLOAD_LIMIT}")
                if button["type"] == "link" and not button.get("url"):
                    raise _bad("button.url is required")

    def _check_ready(self, attachments: list[dict[str, Any]] | None) -> None:
        for attachment in attachments or []:
            upload = self.uploads.get(attachment["payload"].get("token") or "")
            if upload is not None and upload.not_ready > 0:
                upload.not_ready -= 1
                raise MaxError(400, "attachment.not.ready", NOT_READY)

    def _new_upload(self, kind: str, key: str) -> Upload:
        upload = Upload(kind, f"t{key}", not_ready=self.not_ready_times)
        self.uploads[upload.token] = upload
        return upload

    def _own_message(self, mid: Any) -> dict[str, Any]:
        if not mid:
            raise _bad("message_id is required")
        message = self.messages.get(str(mid))
        if message is None or mid in self.deleted:
            raise _not_found(f"Message {mid} not found")
        if message["sender"]["user_id"] != self.bot_id:
            raise MaxError(403, "access.denied", "Only the bot's own messages can be changed")
        return message

    def _apply(self, message: dict[str, Any], body: dict[str, Any]) -> None:
        self._check_ready(body["attachments"])
        shown = message["body"]
        if body["text"] is not None:
            shown["text"] = body["text"]
        if body["attachments"] is not None:
            shown["attachments"] = body["attachments"]
        self.edits[shown["mid"]] += 1

    def _recipient(self, chat_id: int) -> dict[str, Any]:
        return {"chat_id": chat_id, "chat_type": self.chat_types[chat_id], "user_id": None}

    def _dialog_user(self, chat_id: int) -> int | None:
        return next((u for u, c in self.dialogs.items() if c == chat_id), None)

    def _store(
        self,
        chat_id: int,
        sender: dict[str, Any],
        recipient: dict[str, Any],
        text: str | None,
        attachments: list[dict[str, Any]],
    ) -> dict[str, Any]:
        if recipient["user_id"] is None and recipient["chat_type"] == "dialog":
            recipient["user_id"] = self._dialog_user(chat_id)
        mid = f"mid.{chat_id:016x}{next(self._ids):08x}"
        message = {
            "sender": {k: v for k, v in sender.items() if k != "commands"},
            "recipient": recipient,
            "timestamp": _now_ms(),
            "body": {
                "mid": mid,
                "seq": next(self._seq),
                "text": text,
                "attachments": attachments,
                "markup": [],
            },
        }
        self.messages[mid] = message
        self.chat_log[chat_id].append(mid)
        return message


def _now_ms() -> int:
    return int(time.time() * 1000)
