"""The small school on a real database with the fan-out installed, a fake sender, a movable
wall clock, and helpers to link messenger accounts."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import Any

import pytest

from core import model as m
from core.access import Viewer
from core.accounts import AccountService
from core.clock import FixedClock
from core.journal import JournalService
from core.messaging import MessagingService
from notifications.fanout import Fanout, Windows
from notifications.sender import Buttons, SendError
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue
from tests.core.conftest import NOW, TZ, SmallSchool, build_small_school

NO_WINDOWS = Windows(0, 0, 0, 0, 0, 0)
FAST = WorkerSettings(rate=None, per_chat=0, poll=0.05, backoff=0.01, lease=30)


class FakeWall:
    """The wall clock the worker and the fan-out read; tests move it instead of waiting."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 18, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Sent:
    chat_id: str
    text: str
    buttons: Buttons
    kind: str = "text"
    ref: str = ""
    message_id: str = ""
    at: float = field(default_factory=monotonic)
    data: bytes = b""  # a file made at send time


@dataclass
class FakeSender:
    """Records what the worker sends; ``fail`` scripts errors for a chat's next sends."""

    sent: list[Sent] = field(default_factory=list)
    edits: list[Sent] = field(default_factory=list)
    failures: dict[str, deque[SendError]] = field(default_factory=lambda: defaultdict(deque))
    blocked: set[str] = field(default_factory=set)
    calls: int = 0

    def fail(self, chat_id: str | int, *errors: SendError) -> None:
        self.failures[str(chat_id)].extend(errors)

    def to(self, chat_id: str | int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == str(chat_id)]

    def _check(self, chat_id: str) -> None:
        self.calls += 1
        queue = self.failures.get(chat_id)
        if queue:
            raise queue.popleft()
        if chat_id in self.blocked:
            from notifications.sender import Blocked

            raise Blocked("Forbidden: bot was blocked by the user")

    def _record(self, item: Sent) -> str:
        item.message_id = str(len(self.sent) + 1)
        self.sent.append(item)
        return item.message_id

    async def send_text(self, chat_id: str, text: str, buttons: Buttons = ()) -> str:
        self._check(chat_id)
        return self._record(Sent(chat_id, text, buttons))

    async def send_photo(self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()) -> str:
        self._check(chat_id)
        return self._record(Sent(chat_id, caption, buttons, "photo", ref))

    async def send_document(
        self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()
    ) -> str:
        self._check(chat_id)
        return self._record(Sent(chat_id, caption, buttons, "document", ref))

    async def send_file(
        self, chat_id: str, name: str, data: bytes, caption: str, buttons: Buttons = ()
    ) -> str:
        self._check(chat_id)
        return self._record(Sent(chat_id, caption, buttons, "file", name, data=data))

    async def edit_text(
        self, chat_id: str, message_ref: str, text: str, buttons: Buttons = ()
    ) -> None:
        self.edits.append(Sent(chat_id, text, buttons, "edit", message_ref))


@dataclass
class Net:
    """The small school on a database, with everything a push needs around it."""

    s: SmallSchool
    database: Database
    clock: FixedClock
    wall: FakeWall
    fanout: Fanout
    sender: FakeSender
    queue: DeliveryQueue
    journal: JournalService
    messaging: MessagingService
    chats: dict[str, int] = field(default_factory=dict)  # name -> chat id

    def worker(self, settings: WorkerSettings = FAST, **kw: Any) -> DeliveryWorker:
        worker = DeliveryWorker(
            self.queue,
            {"telegram": self.sender},
            self.clock,
            settings,
            wall=self.wall,
            rand=lambda: 1.0,
            **kw,
        )
        self.fanout.on_commit(worker.wake)
        return worker

    async def link(
        self, chat: int, role: m.PersonRole, person_id: int, **settings: Any
    ) -> m.Account:
        """A messenger account linked to a person, as redeeming an invite leaves it."""
        async with self.database.uow() as uow:
            account = await uow.accounts.add(
                m.Account("telegram", str(chat), self.clock.now(), **settings)
            )
            link_role = m.PersonRole.STAFF if role.is_staff else role
            await uow.account_links.add(
                m.AccountLink(account.id, link_role, person_id, self.clock.now())
            )
            await uow.commit()
        return account

    async def viewer(self, chat: int) -> Viewer:
        return await AccountService(self.database.uow, self.clock).viewer_for(
            "telegram", str(chat), True
        )

    async def rows(self, **where: Any) -> list[m.Delivery]:
        async with self.database.uow(readonly=True) as uow:
            rows = await uow.deliveries.list_all()
        return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


MOTHER, IVANOV, OTHER_PARENT, PETROVA, CLASS_TEACHER, TEACHER = 501, 502, 503, 504, 505, 506


async def make_net(database: Database, windows: Windows = NO_WINDOWS) -> Net:
    clock = FixedClock(NOW, TZ)
    wall = FakeWall()
    fanout = Fanout(clock, windows, wall=wall)
    database.fanout = fanout
    s = await build_small_school(database, clock)  # type: ignore[arg-type]
    net = Net(
        s,
        database,
        clock,
        wall,
        fanout,
        FakeSender(),
        DeliveryQueue(database),
        JournalService(database.uow, clock),
        MessagingService(database.uow, clock),
    )
    await net.link(MOTHER, m.PersonRole.GUARDIAN, s.mother.id)
    await net.link(IVANOV, m.PersonRole.STUDENT, s.ivanov.id)
    await net.link(OTHER_PARENT, m.PersonRole.GUARDIAN, s.other_parent.id, locale="en")
    await net.link(CLASS_TEACHER, m.PersonRole.STAFF, s.class_teacher.id)
    await net.link(TEACHER, m.PersonRole.STAFF, s.teacher.id)
    return net


@pytest.fixture
async def net(database: Database) -> Net:
    return await make_net(database)


def at(hour: int, minute: int = 0, day: int = 18) -> datetime:
    """A school-time moment in the test week."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


QUIET_OFF: dict[str, Any] = {"quiet_from": None, "quiet_to": None}
EVENING = time(18, 0)
