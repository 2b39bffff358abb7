"""One person using the bot through a fake messenger, the same way in Telegram and in MAX.

``App`` runs the application against the fakes over real HTTP on 127.0.0.1, in this process:
the real dispatcher (``bot.root.build_dispatcher``) over a school's database, each messenger's
bot (Telegram: an aiogram ``Bot`` on ``FakeBotAPI``; MAX: ``bot.max.bot.build_max_bot`` on
``FakeMaxAPI``, its message ids in the database), each messenger's polling, and the delivery
worker with a sender per messenger. ``App.person(messenger, id, name)`` gives a ``Person``: what
a user does (write, start with a deep link, press a button, send a file, block and unblock the
bot) and what they see (texts as edited, buttons, files with their bytes). Each action waits,
bounded, until the bot has handled it; ``App.deliver()`` waits until the pushes are settled.

A scenario written against ``Person`` runs unchanged on both messengers.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject
from sqlalchemy import select

from bot.root import build_dispatcher
from bot.telegram.sender import AiogramSender
from core import model as m
from storage.delivery_queue import DeliveryQueue
from storage.tables import deliveries
from tests.support.fake_api import FakeBotAPI
from tests.support.fake_max import FakeMaxAPI, buttons_of

MESSENGERS = ("telegram", "max")
WAIT = 15.0  # seconds: the longest any one action may take to be handled


@dataclass(frozen=True, slots=True)
class Received:
    """A file the bot sent a person: its name and bytes."""

    name: str
    data: bytes


class Handled(BaseMiddleware):
    """Counts updates the dispatcher has finished with (handled or failed); with ``bot``, only
    that bot's (the other messenger's go by)."""

    def __init__(self, bot: Bot | None = None) -> None:
        self.bot = bot
        self.count = 0
        self.changed = asyncio.Event()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            if self.bot is None or data.get("bot") is self.bot:
                self.count += 1
                self.changed.set()

    async def reach(self, count: int, timeout: float = WAIT) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while self.count < count:
                self.changed.clear()
                if self.count >= count:
                    break
                await self.changed.wait()


class Person(ABC):
    """A user of one messenger. Every action returns once the bot has handled it."""

    messenger: str

    def __init__(self, app: App, user_id: int, name: str) -> None:
        self.app = app
        self.id = user_id
        self.name = name
        self._seen = 0  # texts looked at through new()

    # --- what they do ---

    @abstractmethod
    async def send(self, text: str) -> None: ...

    @abstractmethod
    async def start(self, payload: str | None = None) -> None:
        """Open the bot by a deep link carrying ``payload`` (or press Start without one)."""

    @abstractmethod
    async def press(self, button: str) -> None:
        """Press the button with this text on the newest message that has it."""

    @abstractmethod
    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None: ...

    @abstractmethod
    async def block(self, *, told: bool = True) -> None:
        """Block (stop) the bot: sends to them fail (Telegram 403, MAX 403 ``chat.denied``);
        with ``told`` the messenger also tells the bot (Telegram ``my_chat_member`` kicked,
        MAX ``bot_stopped``)."""

    @abstractmethod
    async def unblock(self) -> None: ...

    # --- what they see ---

    @abstractmethod
    def texts(self) -> list[str]:
        """The bot's messages in their chat as they see them now (edits applied), oldest first;
        a file's caption is its text."""

    def last(self) -> str:
        texts = self.texts()
        if not texts:
            raise AssertionError(f"{self.messenger} {self.id} has been sent nothing")
        return texts[-1]

    def new(self) -> list[str]:
        """What was sent since the last look at ``new()`` (edited messages count as seen)."""
        texts = self.texts()
        seen, self._seen = self._seen, len(texts)
        return texts[seen:]

    @abstractmethod
    def buttons(self) -> list[str]:
        """The texts of the inline buttons on the newest message that has any."""

    @abstractmethod
    def files(self) -> list[Received]:
        """Files the bot sent them, oldest first."""


class TelegramPerson(Person):
    messenger = "telegram"

    @property
    def api(self) -> FakeBotAPI:
        return self.app.telegram

    async def _push(self, push: Callable[[], Any]) -> None:
        await self.app.handle(push)

    async def send(self, text: str) -> None:
        await self._push(lambda: self.api.push_message(text, self.id, first_name=self.name))

    async def start(self, payload: str | None = None) -> None:
        await self.send(f"/start {payload}" if payload else "/start")

    async def press(self, button: str) -> None:
        for message in reversed(self._bot_messages()):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if b["text"] == button and "callback_data" in b:
                        data = b["callback_data"]
                        mid = message["message_id"]
                        await self._push(
                            lambda d=data, i=mid: self.api.push_callback(d, self.id, i)
                        )
                        return
        raise AssertionError(f"no button {button!r} for {self.id}: {self.buttons()}")

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self._push(
            lambda: self.api.push_document(data, name, self.id, caption, first_name=self.name)
        )

    def _member_update(self, old: str, new: str) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.name}
        return {
            "my_chat_member": {
                "chat": {"id": self.id, "type": "private", "first_name": self.name},
                "from": user,
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": self.api.bot_user, "until_date": 0},
                "new_chat_member": {"status": new, "user": self.api.bot_user, "until_date": 0},
            }
        }

    async def block(self, *, told: bool = True) -> None:
        self.api.block(self.id)
        if told:
            await self._push(lambda: self.api.push_update(self._member_update("member", "kicked")))

    async def unblock(self) -> None:
        self.api.blocked.discard(self.id)
        await self._push(lambda: self.api.push_update(self._member_update("kicked", "member")))

    def _bot_messages(self) -> list[dict[str, Any]]:
        mine = [
            msg
            for (chat, _), msg in self.api.messages.items()
            if chat == self.id and msg.get("from", {}).get("id") == self.api.bot_user["id"]
        ]
        return sorted(mine, key=lambda msg: msg["message_id"])

    def texts(self) -> list[str]:
        return [
            msg.get("text") or msg.get("caption") or ""
            for msg in self._bot_messages()
            if msg.get("text") or msg.get("caption")
        ]

    def buttons(self) -> list[str]:
        for message in reversed(self._bot_messages()):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard")
            if rows:
                return [b["text"] for row in rows for b in row]
        return []

    def files(self) -> list[Received]:
        found = []
        for message in self._bot_messages():
            document = message.get("document")
            if document is None:
                continue
            stored = self.api.files.get(document["file_id"])
            assert stored is not None, document
            found.append(Received(document.get("file_name") or stored.filename or "", stored.data))
        return found


class MaxPerson(Person):
    messenger = "max"

    @property
    def api(self) -> FakeMaxAPI:
        return self.app.max

    async def send(self, text: str) -> None:
        self.api.user(self.id, self.name)
        await self.app.handle(lambda: self.api.message_created(text, self.id))

    async def start(self, payload: str | None = None) -> None:
        self.api.user(self.id, self.name)
        await self.app.handle(lambda: self.api.bot_started(self.id, payload))

    async def press(self, button: str) -> None:
        for message in reversed(self.api.seen_by(self.id)):
            for row in buttons_of(message):
                for b in row:
                    if b["text"] != button:
                        continue
                    if b["type"] == "message":  # a reply keyboard's button: its text is sent
                        await self.send(b["text"])
                        return
                    mid = message["body"]["mid"]
                    await self.app.handle(
                        lambda i=mid, p=b["payload"]: self.api.message_callback(self.id, i, p)
                    )
                    return
        raise AssertionError(f"no button {button!r} for {self.id}: {self.buttons()}")

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        self.api.user(self.id, self.name)
        attachment = self.api.add_file(data, name)
        await self.app.handle(
            lambda: self.api.message_created(caption, self.id, attachments=[attachment])
        )

    async def block(self, *, told: bool = True) -> None:
        if told:
            await self.app.handle(lambda: self.api.bot_stopped(self.id))
        else:
            self.api.stopped.add(self.id)

    async def unblock(self) -> None:
        await self.start()

    def texts(self) -> list[str]:
        return [text for text in self.api.texts(self.id) if text]

    def buttons(self) -> list[str]:
        for message in reversed(self.api.seen_by(self.id)):
            rows = [b for row in buttons_of(message) for b in row if b["type"] != "message"]
            if rows:
                return [b["text"] for b in rows]
        return []

    def files(self) -> list[Received]:
        found = []
        for message in self.api.seen_by(self.id):
            for attachment in message["body"].get("attachments") or []:
                if attachment.get("type") not in ("file", "image"):
                    continue
                upload = self.api.uploads.get(attachment["payload"].get("token") or "")
                assert upload is not None and upload.data is not None, attachment
                found.append(Received(upload.filename or "", upload.data))
        return found


def sender_for(bot: Bot) -> AiogramSender:
    """The production sender over an aiogram bot (it serves both messengers)."""
    return AiogramSender(bot)


class App:
    """The application in this process against the fakes of ``messengers``, on ``school``."""

    def __init__(
        self,
        school: Any,
        messengers: Sequence[str],
        *,
        worker: bool = True,
        polling: bool = True,
    ) -> None:
        self.school = school
        self.messengers = tuple(messengers)
        self.with_worker = worker
        self.with_polling = polling
        self.telegram: FakeBotAPI = FakeBotAPI()
        self.max: FakeMaxAPI = FakeMaxAPI()
        self.bots: dict[str, Bot] = {}
        self.dp: Dispatcher = build_dispatcher(school.services)
        self.handled = Handled()
        self.dp.update.outer_middleware(self.handled)
        self.worker: Any = None
        self._expected = 0
        self._stack = AsyncExitStack()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def database(self) -> Any:
        return self.school.database

    def person(self, messenger: str, user_id: int, name: str = "Test") -> Person:
        kind = {"telegram": TelegramPerson, "max": MaxPerson}[messenger]
        return kind(self, user_id, name)

    async def handle(self, push: Callable[[], Any]) -> None:
        """Feed one update to a fake and wait until the dispatcher has finished with it."""
        self._expected += 1
        push()
        try:
            await self.handled.reach(self._expected)
        except TimeoutError:
            self._expected = self.handled.count  # do not make every later wait fail too
            raise AssertionError(f"an update was not handled within {WAIT} s") from None

    async def __aenter__(self) -> App:
        try:
            await self._start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _start(self) -> None:
        if "telegram" in self.messengers:
            await self._stack.enter_async_context(self.telegram)
            bot = self.telegram.bot()
            self.bots["telegram"] = bot
            self._stack.push_async_callback(bot.session.close)
            if self.with_polling:
                await self._stack.enter_async_context(self.telegram.polling(self.dp, bot))
        if "max" in self.messengers:
            from bot.max.bot import build_max_bot
            from bot.max.ids import DatabaseMessageIds
            from bot.max.polling import MaxPolling
            from bot.max.updates import UpdateConverter

            await self._stack.enter_async_context(self.max)
            ids = DatabaseMessageIds(self.database)
            bot = await build_max_bot(self.max.token, ids, api_url=self.max.base_url)
            self.bots["max"] = bot
            self._stack.push_async_callback(bot.session.close)
            self.max_converter = UpdateConverter(ids, bot.id)
            if self.with_polling:
                polling = MaxPolling(bot, self.dp, self.max_converter)
                task = asyncio.create_task(polling.run(self._stop), name="max-polling")
                self._tasks.append(task)
            if "telegram" not in self.messengers or not self.with_polling:
                # start_polling does it for Telegram; as the runner does for MAX alone
                await self.dp.emit_startup(bot=bot)
                self._stack.push_async_callback(self.dp.emit_shutdown, bot=bot)
        if self.with_worker:
            self.worker = build_worker(self.database, self.bots, self.school.clock)
            self._tasks.append(asyncio.create_task(self.worker.run(self._stop), name="worker"))

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                try:
                    await asyncio.wait_for(task, 10)
                except TimeoutError:
                    task.cancel()
        await self._stack.aclose()

    async def deliver(self, seconds: float = WAIT) -> None:
        """Until every push due now is sent, skipped or parked (none pending)."""
        assert self.worker is not None, "this App runs no delivery worker"
        self.worker.wake()
        d = deliveries.c
        async with asyncio.timeout(seconds):
            while True:
                async with self.database.session(readonly=True) as session:
                    stmt = select(d.id).where(d.status == m.DeliveryStatus.PENDING).limit(1)
                    pending = (await session.execute(stmt)).first()
                if pending is None and self.worker._backlog == 0:
                    return
                await asyncio.sleep(0.05)

    async def until(self, holds: Callable[[], bool], seconds: float = WAIT) -> None:
        """Until ``holds()`` (what the worker does in the background, e.g. a progress edit)."""
        async with asyncio.timeout(seconds):
            while not holds():  # noqa: ASYNC110 - another task's work, only looked at
                await asyncio.sleep(0.05)


def build_worker(database: Any, bots: dict[str, Bot], clock: Any) -> Any:
    """The production delivery worker with a sender per messenger (fast settings for tests)."""
    from bot.push_files import push_files
    from notifications.fanout import Fanout
    from notifications.worker import DeliveryWorker, WorkerSettings

    settings = WorkerSettings(
        rate=None, per_chat=0, poll=0.05, backoff=0.05, lease=30, progress_every=0.1
    )
    senders = {name: sender_for(bot) for name, bot in bots.items()}
    worker = DeliveryWorker(
        DeliveryQueue(database), senders, clock, settings, files=push_files(database.uow, clock)
    )
    if isinstance(database.fanout, Fanout):
        database.fanout.on_commit(worker.wake)
    return worker
