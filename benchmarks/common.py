"""Helpers for the benchmark scripts: a demo school in a temporary SQLite file, percentiles."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import Message

from core.clock import FixedClock
from storage.db import Database
from storage.demo import DemoSummary, load_demo
from storage.migrate import upgrade

TZ = ZoneInfo("Europe/Moscow")
GRADES = range(1, 12)
BIG_SCHOOL = [(g, letter) for g in GRADES for letter in "АБВГ"]  # 44 classes, ~1,100 students


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary_ms(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms, "
        f"mean {statistics.fmean(ms):.2f} ms, max {max(ms):.2f} ms (n={len(ms)})"
    )


async def demo_school(
    at: datetime, classes: list[tuple[int, str]] | None = None, folder: Path | None = None
) -> tuple[Database, FixedClock, DemoSummary, float, Path]:
    """A migrated SQLite file with the demo school loaded; returns the load time too."""
    folder = folder or Path(tempfile.mkdtemp(prefix="schoolbot-bench-"))
    path = folder / "school.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    database = Database.connect(url)
    clock = FixedClock(at, TZ)
    started = time.perf_counter()
    summary = await load_demo(database.uow, clock, with_invites=True, classes=classes)
    return database, clock, summary, time.perf_counter() - started, path


class RequestOutSession(AiohttpSession):
    """Where a benchmark's clock stops: the request leaves for Telegram.

    Each request is built exactly as aiogram's aiohttp session builds it (the URL, the form,
    the encoded body); then, instead of the network and the reply, a canned result is
    returned, so what is measured is "update in → request out" and nothing of a fake server.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[str, int] = {}
        self._message = Message.model_validate(
            {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "ok"}
        )

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> Any:
        self.api.api_url(token=bot.token, method=method.__api_method__)
        self.build_form_data(bot=bot, method=method)()  # the body, encoded
        name = method.__api_method__
        self.sent[name] = self.sent.get(name, 0) + 1
        return self._message if name.startswith(("send", "edit")) else True


def request_out_bot() -> Bot:
    return Bot(
        "42:BENCH",
        session=RequestOutSession(),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
