"""Issue 13's figures: MAX next to Telegram on the same core and the same screens.

    .venv/bin/python -m benchmarks.bench_messengers [updates|pushes|shared]

updates: per-update processing on the demo school, MAX next to Telegram in one run (p50/p99):
         the same mix of diary updates (/marks, a press on a /marks button, /homework,
         /timetable) from the same random guardians, each linked on both messengers, fed to
         the one real dispatcher (``bot.root.build_dispatcher``). Telegram: the Bot API's JSON
         through ``feed_raw_update`` (as a webhook's body), answered by an aiogram bot over HTTP
         to the fake Bot API (tests/support/fake_api.py). MAX: MAX's JSON through the adapter's
         own ``feed`` (``UpdateConverter`` with its message ids in the database, then the
         dispatcher), answered by ``MaxSession`` over HTTP to the fake MAX API
         (tests/support/fake_max.py). Both fakes listen on 127.0.0.1 in this process, so their
         time is in both figures alike. Timed: from the update's JSON handed over to the
         handler's last answer returned. A bare aiogram echo handler, on each bot, in the same
         run. MaxSession paces itself to MAX's limits (30 calls a second, 2 a chat); here the
         updates come one after another as fast as they are handled, so its pace is lifted
         (what is measured is processing, not the limit; ``pushes`` measures the pace).
pushes:  the delivery worker's pace (production settings, ``notifications.worker``) against the
         fake MAX API enforcing 30/s in all and 2/s a chat (429 without retry_after past that),
         next to the same pushes against the fake Bot API enforcing Telegram's 30/s and 1/s a
         chat: pushes a second, the run's length, 429s provoked.
shared:  the share of ``handlers/`` both messengers share: code lines (non-blank, non-comment)
         of handlers/*.py, and those in a messenger-specific branch or naming a messenger.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import io
import json
import logging
import random
import re
import shutil
import tempfile
import time
import tokenize
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import GetMe

from app.config import Settings
from benchmarks.bench_diary import ErrorCount, echo_dispatcher
from benchmarks.common import demo_school, summary_ms
from bot.max.ids import DatabaseMessageIds
from bot.max.polling import feed
from bot.max.session import MaxSession
from bot.max.updates import UpdateConverter
from bot.root import build_dispatcher, build_services, settle_heap
from core import model as m
from core.access import SYSTEM
from tests.support.fake_api import FakeBotAPI
from tests.support.fake_max import FakeMaxAPI, buttons_of

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("/marks", "press", "/homework", "/timetable")
PER_KIND = 400  # timed updates of each kind, on each messenger
ECHOES = 500  # on each messenger
GUARDIANS = 200
TELEGRAM_FIRST = 500_000  # the guardians' Telegram user ids
MAX_FIRST = 800_000  # and MAX's
UNPACED = 1_000_000  # calls a second: MaxSession's pace, lifted for the processing figures


# --- updates ------------------------------------------------------------------------------


@dataclass
class Side:
    """One messenger in the run: its bot, how an update of it is made and handed over."""

    name: str
    bot: Bot
    make: Callable[[str, int, str], dict[str, Any]]  # (kind, user id, button payload) -> JSON
    hand: Callable[[Dispatcher, dict[str, Any]], Awaitable[Any]]  # JSON -> dispatcher
    buttons: dict[int, list[str]] = field(default_factory=dict)  # user -> their /marks buttons
    samples: dict[str, list[float]] = field(default_factory=dict)


class TimedIds:
    """The MAX message-id map, its time counted: how much of a MAX update is numbering mids."""

    def __init__(self, inner: DatabaseMessageIds) -> None:
        self.inner = inner
        self.spent = 0.0

    async def number(self, mid: str) -> int:
        started = time.perf_counter()
        try:
            return await self.inner.number(mid)
        finally:
            self.spent += time.perf_counter() - started

    async def mid(self, number: int) -> str | None:
        started = time.perf_counter()
        try:
            return await self.inner.mid(number)
        finally:
            self.spent += time.perf_counter() - started

    def passing(self, mid: str) -> int:
        started = time.perf_counter()
        try:
            return self.inner.passing(mid)
        finally:
            self.spent += time.perf_counter() - started


async def link(services: Any, guardian: m.Guardian, messenger: str, user_id: int) -> None:
    issued = await services.invites.issue(SYSTEM, m.PersonRole.GUARDIAN, guardian.id)
    await services.invites.redeem(messenger, str(user_id), issued.code)
    viewer = await services.accounts.viewer_for(messenger, str(user_id), True)
    if viewer.children_pending_consent:
        await services.accounts.give_consent(viewer)


async def max_bot(api: FakeMaxAPI, ids: TimedIds) -> Bot:
    """The MAX bot as ``bot.max.bot.build_max_bot`` makes it, its pace lifted."""
    session = MaxSession(api.token, ids, api.base_url, total_rate=UNPACED, chat_rate=UNPACED)
    me = await session.get_me(None, GetMe())
    return Bot(
        f"{me.id}:max",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def telegram_side(api: FakeBotAPI) -> Side:
    bot = api.bot(
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
    )
    side = Side("telegram", bot, make=lambda *a: {}, hand=lambda *a: asyncio.sleep(0))
    marks_message: dict[int, int] = {}

    def make(kind: str, user: int, payload: str) -> dict[str, Any]:
        if kind == "press":
            return api.push_callback(payload, user, marks_message[user])
        return api.push_message(kind, user, first_name="Родитель")

    async def hand(dp: Dispatcher, raw: dict[str, Any]) -> Any:
        return await dp.feed_raw_update(bot, raw)

    def remember(user: int) -> None:
        sent = [r for r in api.sent_to(user) if r.method == "sendMessage"][-1].result
        marks_message[user] = sent["message_id"]
        rows = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
        side.buttons[user] = [b["callback_data"] for row in rows for b in row]

    side.make, side.hand = make, hand
    side.remember = remember  # type: ignore[attr-defined]
    return side


def max_side(api: FakeMaxAPI, bot: Bot, converter: UpdateConverter) -> Side:
    side = Side("max", bot, make=lambda *a: {}, hand=lambda *a: asyncio.sleep(0))
    marks_message: dict[int, str] = {}

    def make(kind: str, user: int, payload: str) -> dict[str, Any]:
        if kind == "press":
            return api.message_callback(user, marks_message[user], payload)
        return api.message_created(kind, user)

    async def hand(dp: Dispatcher, raw: dict[str, Any]) -> Any:
        return await feed(dp, bot, converter, raw)  # what MAX's polling and webhook do

    def remember(user: int) -> None:
        shown = api.last(user)
        marks_message[user] = shown["body"]["mid"]
        side.buttons[user] = [
            b["payload"] for row in buttons_of(shown) for b in row if b["type"] == "callback"
        ]

    side.make, side.hand = make, hand
    side.remember = remember  # type: ignore[attr-defined]
    return side


async def timed(
    side: Side, dp: Dispatcher, raw: dict[str, Any], ids: TimedIds, numbering: list[float]
) -> float:
    before = ids.spent
    started = time.perf_counter()
    await side.hand(dp, raw)
    took = time.perf_counter() - started
    if side.name == "max":
        numbering.append(ids.spent - before)
    return took


async def updates() -> None:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    at = datetime(2026, 11, 18, 16, 30)
    database, clock, summary, load_s, path = await demo_school(at)
    print(
        f"school: {summary.students} students, {summary.guardians} guardians, "
        f"{summary.lessons} lessons, {summary.marks} marks (loaded in {load_s:.1f} s)"
    )
    settings = Settings(_env_file=None, bot_token="42:TEST")
    services = build_services(settings, database.uow, clock=clock)
    async with database.uow(readonly=True) as uow:
        guardians = list(await uow.guardians.list_all())[:GUARDIANS]
    for n, guardian in enumerate(guardians):  # each guardian on both messengers
        await link(services, guardian, "telegram", TELEGRAM_FIRST + n)
        await link(services, guardian, "max", MAX_FIRST + n)
    people = range(len(guardians))
    dp = build_dispatcher(services)  # one dispatcher for both bots, as `schoolbot run`
    echo = echo_dispatcher()
    rng = random.Random(13)
    async with FakeBotAPI() as tg_api, FakeMaxAPI() as max_api:
        ids = TimedIds(DatabaseMessageIds(database))
        bot = await max_bot(max_api, ids)
        sides = {
            "telegram": telegram_side(tg_api),
            "max": max_side(max_api, bot, UpdateConverter(ids, bot.id)),
        }
        first = {"telegram": TELEGRAM_FIRST, "max": MAX_FIRST}

        # warm-up, untimed: each guardian's /marks once (its viewer loaded, caches filled);
        # that message keeps the buttons pressed later
        for n in people:
            for name, side in sides.items():
                user = first[name] + n
                await side.hand(dp, side.make("/marks", user, ""))
                side.remember(user)  # type: ignore[attr-defined]
                await side.hand(dp, side.make("/homework", user, ""))
                await side.hand(dp, side.make("/timetable", user, ""))
        for name, side in sides.items():
            for n in people[:20]:
                await side.hand(echo, side.make("привет", first[name] + n, ""))
        settle_heap()  # as `schoolbot run` does once started
        warm_errors = errors.count

        # the bare echo, then the diary mix; the two messengers take turns in a random order
        echo_samples: dict[str, list[float]] = {name: [] for name in sides}
        echo_numbering: list[float] = []
        numbering: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(ECHOES):
            n = rng.choice(people)
            for name in rng.sample(list(sides), len(sides)):
                side = sides[name]
                raw = side.make("привет", first[name] + n, "")
                echo_samples[name].append(await timed(side, echo, raw, ids, echo_numbering))
        for side in sides.values():
            side.samples = {kind: [] for kind in KINDS}
        pressable = [  # guardians whose /marks has buttons on both messengers
            n for n in people if all(side.buttons[first[name] + n] for name, side in sides.items())
        ]
        plan = [kind for kind in KINDS for _ in range(PER_KIND)]
        rng.shuffle(plan)
        started = time.perf_counter()
        for kind in plan:
            n = rng.choice(pressable)
            for name in rng.sample(list(sides), len(sides)):
                side = sides[name]
                user = first[name] + n
                payload = rng.choice(side.buttons[user]) if kind == "press" else ""
                raw = side.make(kind, user, payload)
                side.samples[kind].append(await timed(side, dp, raw, ids, numbering[kind]))
        elapsed = time.perf_counter() - started

        print(
            f"  {len(plan)} diary updates on each messenger, {len(pressable)} guardians on both, "
            f"turn about, in {elapsed:.1f} s; update JSON in -> the handler's last answer back"
        )
        for name in sides:
            print(f"  {name:<8} bare echo handler: {summary_ms(echo_samples[name])}")
        for kind in KINDS:
            label = "/marks button" if kind == "press" else kind
            for name, side in sides.items():
                print(f"  {name:<8} {label:<13} {summary_ms(side.samples[kind])}")
        for name, side in sides.items():
            every = [s for kind in KINDS for s in side.samples[kind]]
            print(f"  {name:<8} all diary     {summary_ms(every)}")
        print("  max: of each update, numbering MAX message ids in the database (bot.max.ids):")
        print(f"    echo          {summary_ms(echo_numbering)}")
        for kind in KINDS:
            label = "/marks button" if kind == "press" else kind
            print(f"    {label:<13} {summary_ms(numbering[kind])}")
        tg_calls: dict[str, int] = {}
        for r in tg_api.requests:
            tg_calls[r.method] = tg_calls.get(r.method, 0) + 1
        max_calls: dict[str, int] = {}
        for r in max_api.requests:
            key = f"{r.method} {r.path}"
            max_calls[key] = max_calls.get(key, 0) + 1
        print(f"  requests, telegram: {tg_calls}")
        print(f"  requests, max: {max_calls}")
        print(
            f"  errors logged: {errors.count - warm_errors} (warm-up {warm_errors}); "
            f"HTTP errors: telegram "
            f"{sum(1 for r in tg_api.requests if not r.ok and r.method != 'answerCallbackQuery')}"
            f" (editMessageText 'not modified' "
            f"{sum(1 for r in tg_api.requests if r.status == 400)}), "
            f"max {sum(1 for r in max_api.requests if not r.ok)}"
        )
        for side in sides.values():
            await side.bot.session.close()
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)


# --- pushes -------------------------------------------------------------------------------


async def _queue(folder: Path, messenger: str, count: int, chats: int, first: int) -> Any:
    """``chats`` accounts of ``messenger``, ``count`` pending pushes among them (several
    broadcasts' worth each, never merged: a staff notice needs no link to check)."""
    from storage.db import Database
    from storage.migrate import upgrade
    from tests.core.conftest import NOW

    url = f"sqlite+aiosqlite:///{folder / f'{messenger}.db'}"
    await upgrade(url)
    database = Database.connect(url)
    payload = json.dumps({"class": "7А", "items": []})
    async with database.uow() as uow:
        accounts = [
            m.Account(messenger, str(first + i), NOW, quiet_from=None, quiet_to=None)
            for i in range(chats)
        ]
        await uow.accounts.add_all(accounts)
        await uow.deliveries.add_all(
            [
                m.Delivery(accounts[i % chats].id, "reconcile", payload, NOW, NOW)  # type: ignore[arg-type]
                for i in range(count)
            ]
        )
        await uow.commit()
    return database


async def _drain(database: Any, messenger: str, bot: Bot) -> tuple[float, Any]:
    from bot.telegram.sender import AiogramSender
    from core.clock import FixedClock
    from notifications.worker import DeliveryWorker
    from storage.delivery_queue import DeliveryQueue
    from tests.core.conftest import NOW, TZ

    worker = DeliveryWorker(  # production settings: each messenger's own pace
        DeliveryQueue(database), {messenger: AiogramSender(bot)}, FixedClock(NOW, TZ)
    )
    started = time.perf_counter()
    await worker.run_until_idle()
    elapsed = time.perf_counter() - started
    left = await DeliveryQueue(database).count(m.DeliveryStatus.PENDING)
    return elapsed, (worker.stats, left)


def _rate(stamps: list[float]) -> float:
    """Over the run: n - 1 intervals between the first and the last accepted send."""
    stamps = sorted(stamps)
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


async def pushes(count: int, chats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = await _queue(folder, "max", count, chats, 300_000)
        async with FakeMaxAPI() as api:
            api.enforce_limits(30, 2)
            ids = DatabaseMessageIds(database)
            from bot.max.bot import build_max_bot

            bot = await build_max_bot(api.token, ids, api_url=api.base_url)
            elapsed, (stats, left) = await _drain(database, "max", bot)
            await bot.session.close()
            sends = [r for r in api.calls("POST", "/messages") if r.ok]
            tried = len(api.calls("POST", "/messages"))
            rate = _rate([r.at for r in sends])
            print(
                f"  max:      {len(sends)} of {count} pushes to {chats} chats in {elapsed:.1f} s; "
                f"{rate:.2f} pushes/s = {rate / 30:.1%} of the 30/s limit (2/s a chat); "
                f"429s provoked: {api.throttled} of {tried} sends; left pending: {left}; "
                f"worker: {dict(stats)}"
            )
        await database.dispose()

        database = await _queue(folder, "telegram", count, chats, 300_000)
        async with FakeBotAPI() as tg:
            tg.enforce_limits(global_per_second=30, per_chat_per_second=1)
            bot = tg.bot()
            elapsed, (stats, left) = await _drain(database, "telegram", bot)
            await bot.session.close()
            sends = [r for r in tg.calls("sendMessage") if r.ok]
            tried = len(tg.calls("sendMessage"))
            rate = _rate([r.at for r in sends])
            print(
                f"  telegram: {len(sends)} of {count} pushes to {chats} chats in {elapsed:.1f} s; "
                f"{rate:.2f} pushes/s = {rate / 30:.1%} of the 30/s limit (1/s a chat); "
                f"429s provoked: {tg.throttled} of {tried} sends; left pending: {left}; "
                f"worker: {dict(stats)}"
            )
        await database.dispose()


# --- shared -------------------------------------------------------------------------------

NAMES_MESSENGER = re.compile(r"\b(telegram|max)\b|t\.me/|max\.ru/", re.IGNORECASE)
# strings, comments (and on Python 3.12+ an f-string's text): where a messenger is named
WORDS = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


def code_lines(source: str) -> set[int]:
    """Lines holding code: any token but a comment, a line break or indentation."""
    lines: set[int] = set()
    for token in _tokens(source):
        if token.type not in SKIPPED and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines


def docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                lines.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return lines


def _names_messenger(node: ast.AST) -> bool:
    """A test that tells messengers apart: compares with "telegram"/"max" or asks
    ``messenger_of``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and sub.value in ("telegram", "max"):
            return True
        if isinstance(sub, ast.Name | ast.Attribute) and "messenger_of" in ast.unparse(sub):
            return True
    return False


def specific_lines(source: str, tree: ast.AST) -> set[int]:
    """Lines of a branch on the messenger (the whole if/else, conditional expression or
    match), and lines naming a messenger: a string (a docstring too) or a comment saying
    "Telegram"/"MAX" (or a t.me / max.ru link), and the name ``messenger_of``. Names such as
    ``max()`` or ``MAX_OFFSET`` are code, not a messenger."""
    lines: set[int] = set()
    for token in _tokens(source):
        said = token.type in WORDS
        if token.type == tokenize.NAME and token.string == "messenger_of":
            lines.add(token.start[0])
        elif said:  # of a string over several lines, only the lines that name one
            for n, text in enumerate(token.string.splitlines(), token.start[0]):
                if NAMES_MESSENGER.search(text):
                    lines.add(n)
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if isinstance(node, ast.If | ast.IfExp | ast.While) and test is not None:
            if _names_messenger(test):
                lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, ast.Match) and _names_messenger(node.subject):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def shared() -> None:
    total = specific = docs = docs_specific = passed = 0
    hits: list[str] = []
    files = sorted((ROOT / "handlers").glob("*.py"))
    for path in files:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        code = code_lines(source)
        mine = specific_lines(source, tree) & code
        doc = docstring_lines(tree) & code
        passed += len(
            {
                t.start[0]
                for t in _tokens(source)
                if t.type == tokenize.NAME and t.string == "messenger"
            }
            - mine
        )
        total += len(code)
        specific += len(mine)
        docs += len(doc)
        docs_specific += len(mine & doc)
        text = source.splitlines()
        hits += [f"    {path.name}:{n}: {text[n - 1].strip()}" for n in sorted(mine)]
    adapter = sum(
        len(code_lines(p.read_text(encoding="utf-8")))
        for p in sorted((ROOT / "bot" / "max").glob("*.py"))
    )
    shared_lines = total - specific
    print(f"  handlers/: {len(files)} files, {total} code lines (non-blank, non-comment)")
    print(
        f"  messenger-specific: {specific} lines; shared by both: {shared_lines} = "
        f"{shared_lines / total:.2%}"
    )
    without = total - docs
    print(
        f"  without docstrings: {without} lines, {specific - docs_specific} specific; "
        f"shared {(without - specific + docs_specific) / without:.2%}"
    )
    print(
        f"  of the shared: {passed} lines hand the update's messenger on as a value "
        "(accounts are keyed by it), no branch"
    )
    print(f"  (the MAX adapter, bot/max/*.py: {adapter} code lines, outside handlers/)")
    print("  the messenger-specific lines:")
    print("\n".join(hits) if hits else "    none")


async def main(which: list[str], count: int, chats: int) -> None:
    for name in which or ["updates", "pushes", "shared"]:
        print(f"{name}:")
        if name == "updates":
            await updates()
        elif name == "pushes":
            await pushes(count, chats)
        else:
            shared()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("modes", nargs="*", help="updates, pushes, shared (default: all)")
    parser.add_argument("--pushes", type=int, default=600, help="pushes (pushes mode)")
    parser.add_argument("--accounts", type=int, default=300, help="accounts (pushes mode)")
    args = parser.parse_args()
    unknown = set(args.modes) - {"updates", "pushes", "shared"}
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    asyncio.run(main(args.modes, args.pushes, args.accounts))
