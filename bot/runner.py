"""Running the bot: long polling or a webhook, with a clean stop on SIGTERM.

On SIGTERM or SIGINT the bot stops taking updates, lets the updates in flight finish,
confirms them to Telegram (so none is handled twice after a restart), and exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import TelegramObject, Update

from bot.app import build_bot, build_dispatcher, build_services, settle_heap
from bot.attempts import MemoryAttempts, RedisAttempts
from bot.commands import set_default_commands
from bot.config import Settings
from bot.messages import N_
from bot.pushes import Pushes, build_pushes
from core import redaction

logger = logging.getLogger(__name__)
DRAIN_SECONDS = 25.0


class StartupError(Exception):
    """A reason not to start: a message id with its details, translated by the console."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message.format(**details))
        self.message = message
        self.details = details

    def reason(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.details)


class InFlight(BaseMiddleware):
    """Counts updates being handled and remembers the last one, for a clean stop."""

    def __init__(self) -> None:
        self.count = 0
        self.last_update_id: int | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if isinstance(event, Update):
                self.last_update_id = max(self.last_update_id or 0, event.update_id)
            if self.count == 0:
                self._idle.set()

    async def drained(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True


async def _fsm_storage(settings: Settings) -> tuple[BaseStorage, Any]:
    if not settings.redis_url:
        return MemoryStorage(), None
    from aiogram.fsm.storage.redis import RedisStorage
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.ping()
    except Exception as exc:
        raise StartupError(
            N_("REDIS_URL does not answer: {error}"), error=redaction.one_line(exc)
        ) from exc
    return RedisStorage(redis), redis


async def _checked_database(settings: Settings, **options: Any):
    """The database, connected and read once (its school, if it has one yet)."""
    from storage.db import Database

    database = Database.connect(settings.database_url, **options)
    try:
        async with database.uow(readonly=True) as uow:
            school = await uow.schools.first()
    except Exception as exc:
        await database.dispose()
        raise StartupError(
            N_("the database cannot be used ({url}): {error}"),
            url=redaction.redact(settings.database_url),
            error=redaction.one_line(exc),
        ) from exc
    return database, school


async def prepare(settings: Settings):
    """Everything a runner needs, checked: the token, the database, Redis."""
    from notifications.fanout import Fanout

    settings.guard_secrets()
    if settings.token_problem:
        raise StartupError(settings.token_problem)
    clock = settings.clock()
    # Use cases write their pushes (one row per recipient) in their own transaction.
    database, school = await _checked_database(settings, fanout=Fanout(clock))
    if school is None:
        logger.warning("the database has no school yet: load one with `schoolbot demo` or import")
    storage, redis = await _fsm_storage(settings)
    attempts = RedisAttempts(redis) if redis is not None else MemoryAttempts()
    services = build_services(settings, database.uow, clock=clock, attempts=attempts)
    dp = build_dispatcher(services, storage)
    tracker = InFlight()
    dp.update.outer_middleware(tracker)
    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError as exc:
        await bot.session.close()
        await database.dispose()
        raise StartupError(N_("BOT_TOKEN was rejected by the Bot API")) from exc
    except (TimeoutError, TelegramAPIError, OSError) as exc:
        await bot.session.close()
        await database.dispose()
        raise StartupError(
            N_("the Bot API cannot be reached: {error}"), error=redaction.one_line(exc)
        ) from exc
    logger.info("starting as @%s", me.username)
    settle_heap()
    return database, storage, dp, bot, tracker


async def _shutdown(
    dp: Dispatcher, bot: Bot, tracker: InFlight, database, storage, pushes: Pushes | None = None
) -> None:
    if not await tracker.drained(DRAIN_SECONDS):
        logger.warning("%d updates were still running after %.0f s", tracker.count, DRAIN_SECONDS)
    if pushes is not None:
        await pushes.stop()  # the sends in flight finish and are recorded
    await dp.emit_shutdown(bot=bot)
    await storage.close()
    await bot.session.close()
    await database.dispose()


def _pushes(
    settings: Settings, database, bot: Bot, dp: Dispatcher, storage, worker: bool, scheduler: bool
) -> Pushes:
    pushes = build_pushes(
        settings,
        database,
        bot,
        dp["clock"],
        worker=worker,
        scheduler=scheduler,
        redis=getattr(storage, "redis", None),
    )
    pushes.start()
    return pushes


async def run_polling(settings: Settings, *, worker: bool = True, scheduler: bool = True) -> None:
    """The bot, and by default its delivery worker and scheduler: one complete deployment."""
    database, storage, dp, bot, tracker = await prepare(settings)
    await bot.delete_webhook(drop_pending_updates=False)
    await set_default_commands(bot)
    pushes = _pushes(settings, database, bot, dp, storage, worker, scheduler)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    stop_wait = asyncio.create_task(stopping.wait())
    await asyncio.wait({polling, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    if polling.done():
        stop_wait.cancel()
        await _shutdown(dp, bot, tracker, database, storage, pushes)
        polling.result()  # re-raise what ended polling
        return
    logger.info("stopping: no new updates, finishing those in flight")
    with suppress(RuntimeError):
        await dp.stop_polling()
    with suppress(asyncio.CancelledError):
        await polling
    drained = await tracker.drained(DRAIN_SECONDS)
    if drained and tracker.last_update_id is not None:
        # Confirm what was handled, so a restart does not get it again.
        with suppress(TelegramAPIError, OSError, asyncio.TimeoutError):
            await bot.get_updates(offset=tracker.last_update_id + 1, timeout=0, limit=1)
    await _shutdown(dp, bot, tracker, database, storage, pushes)


async def run_webhook(settings: Settings, *, worker: bool = True, scheduler: bool = True) -> None:
    from aiogram.webhook.aiohttp_server import setup_application
    from aiohttp import web

    from bot.webhook import HandledFirstRequestHandler

    if not settings.webhook_secret:
        raise StartupError(N_("WEBHOOK_SECRET must be set to run with a webhook"))
    database, storage, dp, bot, tracker = await prepare(settings)
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    # Telegram hears "done" only once an update is handled; a failure is answered 500 and
    # Telegram sends it again (bot.webhook).
    HandledFirstRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(
        app, path=settings.webhook_path
    )
    setup_application(app, dp, bot=bot)
    await bot.set_webhook(
        f"{settings.webhook_url.rstrip('/')}{settings.webhook_path}",  # type: ignore[union-attr]
        secret_token=secret,
        allowed_updates=dp.resolve_used_update_types(),
    )
    await set_default_commands(bot)
    pushes = _pushes(settings, database, bot, dp, storage, worker, scheduler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    logger.info(
        "webhook listening on %s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    await stopping.wait()
    await site.stop()  # no new updates; the handlers already running go on
    await tracker.drained(DRAIN_SECONDS)
    await pushes.stop()
    await runner.cleanup()
    await storage.close()
    await database.dispose()


async def run_worker(settings: Settings, *, scheduler: bool = False) -> None:
    """The delivery worker alone (and, if asked, the scheduler), until SIGTERM."""

    settings.guard_secrets()
    if settings.token_problem:
        raise StartupError(settings.token_problem)
    clock = settings.clock()
    database, _ = await _checked_database(settings)
    redis = None
    if scheduler and settings.redis_url:
        _, redis = await _fsm_storage(settings)
    bot = build_bot(settings)
    pushes = build_pushes(settings, database, bot, clock, scheduler=scheduler, redis=redis)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    pushes.start()
    logger.info("delivery worker started%s", " with the scheduler" if scheduler else "")
    ended = asyncio.create_task(pushes.wait())
    stop_wait = asyncio.create_task(stopping.wait())
    await asyncio.wait({ended, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    await pushes.stop()
    await bot.session.close()
    if redis is not None:
        await redis.aclose()
    await database.dispose()
    if ended.done() and not ended.cancelled() and ended.exception() is not None:
        raise ended.exception()  # type: ignore[misc]
