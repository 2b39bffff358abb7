"""Running the bot: every configured messenger in one process, with a clean stop on SIGTERM.

Telegram (``BOT_TOKEN``) and MAX (``MAX_BOT_TOKEN``) feed one dispatcher, each by long polling or,
with its ``*_WEBHOOK_URL``, by a webhook on one aiohttp server. On SIGTERM or SIGINT the bot stops
taking updates on both, lets the updates in flight finish, confirms them to Telegram (so none is
handled twice after a restart; MAX's polling keeps its own marker), and exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import TelegramObject, Update

from app.attempts import MemoryAttempts, RedisAttempts
from app.commands import set_default_commands
from app.config import Settings
from app.messages import N_
from app.viewers import messenger_of
from bot.pushes import Pushes, build_pushes
from bot.root import build_dispatcher, build_services, settle_heap
from bot.telegram.bot import build_bot
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
    """Counts updates being handled and remembers Telegram's last one, for a clean stop (MAX's
    update ids are the adapter's own: its polling keeps MAX's marker)."""

    def __init__(self) -> None:
        self.count = 0
        self.last_update_id: int | None = None  # Telegram's
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
            if isinstance(event, Update) and messenger_of(data.get("bot")) == "telegram":
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


@dataclass(slots=True)
class Prepared:
    """Everything a runner needs, checked: the database, the dispatcher and a bot for each
    configured messenger (Telegram first)."""

    database: Any
    storage: BaseStorage
    dp: Dispatcher
    tracker: InFlight
    bots: dict[str, Bot] = field(default_factory=dict)
    max_ids: Any = None  # MAX's message ids (bot.max.ids.MessageIds) when MAX runs

    @property
    def telegram(self) -> Bot | None:
        return self.bots.get("telegram")

    @property
    def max(self) -> Bot | None:
        return self.bots.get("max")


async def _telegram_bot(settings: Settings) -> Bot:
    """The Telegram bot, its token checked with getMe."""
    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError as exc:
        await bot.session.close()
        raise StartupError(N_("BOT_TOKEN was rejected by the Bot API")) from exc
    except (TimeoutError, TelegramAPIError, OSError) as exc:
        await bot.session.close()
        raise StartupError(
            N_("the Bot API cannot be reached: {error}"), error=redaction.one_line(exc)
        ) from exc
    logger.info("starting as @%s", me.username)
    if not settings.bot_username and me.username:
        settings.bot_username = me.username  # the t.me links of invites
    return bot


async def build_max(
    settings: Settings, ids: Any, telegram: Bot | None = None, copies: Any = None
) -> Bot:
    """The MAX bot, its token checked with GET /me. With Telegram beside it, each takes the
    other's files: MAX reads Telegram's through the Telegram bot, and the Telegram bot turns a
    MAX file's ref into its bytes; ``copies`` keeps what each has carried across."""
    from bot.max.bot import MaxTokenRejected, MaxUnreachable, build_max_bot, telegram_file_bridge
    from bot.max.session import MAX_API_URL
    from bot.telegram.files import TelegramFiles

    if settings.max_bot_token is None:
        raise ValueError("MAX_BOT_TOKEN is not set")
    try:
        bot = await build_max_bot(
            settings.max_bot_token.get_secret_value(),
            ids,
            settings.max_api_url or MAX_API_URL,
            files=TelegramFiles(telegram) if telegram is not None else None,
            copies=copies,
        )
    except MaxTokenRejected as exc:
        raise StartupError(N_("MAX_BOT_TOKEN was rejected by the MAX Bot API")) from exc
    except MaxUnreachable as exc:
        raise StartupError(
            N_("the MAX Bot API cannot be reached: {error}"), error=redaction.one_line(exc)
        ) from exc
    if not settings.max_bot_username:
        with suppress(TelegramAPIError, OSError, TimeoutError):
            settings.max_bot_username = (await bot.me()).username or None  # the max.ru links
    if telegram is not None:
        telegram.session.middleware(telegram_file_bridge(copies=copies))
    logger.info("starting in MAX as %s", settings.max_bot_username or bot.id)
    return bot


async def _messenger_bots(
    settings: Settings, database: Any, *, checked: bool
) -> tuple[dict[str, Bot], Any]:
    """A bot for each configured messenger, and MAX's message ids (None without MAX). The
    Telegram token is checked with getMe when ``checked`` (the bot that takes updates); MAX's
    always is (GET /me names the bot). On a failure the bots made are closed."""
    bots: dict[str, Bot] = {}
    ids = None
    try:
        if settings.bot_token is not None:
            bots["telegram"] = await _telegram_bot(settings) if checked else build_bot(settings)
        if settings.max_bot_token is not None:
            from bot.max.ids import DatabaseMessageIds
            from storage.max_ids import FileCopyStore

            ids = DatabaseMessageIds(database)
            copies = FileCopyStore(database)
            bots["max"] = await build_max(settings, ids, bots.get("telegram"), copies)
    except BaseException:
        for bot in bots.values():
            await bot.session.close()
        raise
    return bots, ids


async def prepare(settings: Settings) -> Prepared:
    """Everything a runner needs, checked: the tokens, the database, Redis."""
    from notifications.fanout import Fanout

    settings.guard_secrets()
    if settings.token_problem:
        raise StartupError(settings.token_problem)
    clock = settings.clock()
    # Use cases write their pushes (one row per recipient) in their own transaction.
    fanout = Fanout(clock, running=settings.messengers or None)
    database, school = await _checked_database(settings, fanout=fanout)
    if school is None:
        logger.warning("the database has no school yet: load one with `schoolbot demo` or import")
    storage: BaseStorage | None = None
    try:
        storage, redis = await _fsm_storage(settings)
        bots, ids = await _messenger_bots(settings, database, checked=True)
    except BaseException:
        if storage is not None:
            await storage.close()
        await database.dispose()
        raise
    attempts = RedisAttempts(redis) if redis is not None else MemoryAttempts()
    services = build_services(settings, database.uow, clock=clock, attempts=attempts)
    dp = build_dispatcher(services, storage)
    tracker = InFlight()
    dp.update.outer_middleware(tracker)
    settle_heap()
    return Prepared(database, storage, dp, tracker, bots, ids)


def _pushes(settings: Settings, ready: Prepared, worker: bool, scheduler: bool) -> Pushes:
    pushes = build_pushes(
        settings,
        ready.database,
        ready.bots,  # each push goes through its recipient's messenger
        ready.dp["clock"],
        worker=worker,
        scheduler=scheduler,
        redis=getattr(ready.storage, "redis", None),
    )
    pushes.start()
    return pushes


async def _close(ready: Prepared) -> None:
    await ready.storage.close()
    for bot in ready.bots.values():
        await bot.session.close()
    await ready.database.dispose()


def _stop_on_signals() -> asyncio.Event:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    return stopping


def _telegram_webhook(app: Any, settings: Settings, dp: Dispatcher, bot: Bot) -> str:
    from bot.telegram.webhook import mount

    secret = settings.webhook_secret.get_secret_value()  # type: ignore[union-attr]
    mount(app, dp, bot, settings.webhook_path, secret)
    return secret


def _converter(ready: Prepared, bot: Bot) -> Any:
    from bot.max.updates import UpdateConverter

    return UpdateConverter(ready.max_ids, bot.id)


async def run(settings: Settings, *, worker: bool = True, scheduler: bool = True) -> None:
    """The bot in every configured messenger, and by default its delivery worker and
    scheduler: one complete deployment. Each messenger takes its updates by long polling, or
    by a webhook when its ``*_WEBHOOK_URL`` is set (both webhooks on one server)."""
    telegram_hook = settings.bot_token is not None and bool(settings.webhook_url)
    max_hook = settings.max_bot_token is not None and bool(settings.max_webhook_url)
    if telegram_hook and not settings.webhook_secret:
        raise StartupError(N_("WEBHOOK_SECRET must be set to run with a webhook"))
    if max_hook and not settings.max_webhook_secret:
        raise StartupError(N_("MAX_WEBHOOK_SECRET must be set to take MAX updates by webhook"))
    ready = await prepare(settings)
    dp, tracker, telegram, max_bot = ready.dp, ready.tracker, ready.telegram, ready.max
    from aiohttp import web

    app = web.Application() if telegram_hook or max_hook else None
    polls: dict[str, Callable[[], Awaitable[Any]]] = {}
    max_stop = asyncio.Event()
    if telegram is not None:
        if telegram_hook:
            secret = _telegram_webhook(app, settings, dp, telegram)
            await telegram.set_webhook(
                f"{settings.webhook_url.rstrip('/')}{settings.webhook_path}",  # type: ignore[union-attr]
                secret_token=secret,
                allowed_updates=dp.resolve_used_update_types(),
            )
        else:
            await telegram.delete_webhook(drop_pending_updates=False)
            polls["telegram"] = lambda: dp.start_polling(
                telegram, handle_signals=False, close_bot_session=False
            )
        await set_default_commands(telegram)
    if max_bot is not None:
        converter = _converter(ready, max_bot)
        if max_hook:
            from bot.max.webhook import max_webhook_handler, subscribe

            secret = settings.max_webhook_secret.get_secret_value()  # type: ignore[union-attr]
            app.router.add_post(  # type: ignore[union-attr]
                settings.max_webhook_path, max_webhook_handler(dp, max_bot, converter, secret)
            )
            url = f"{settings.max_webhook_url.rstrip('/')}{settings.max_webhook_path}"  # type: ignore[union-attr]
            try:
                await subscribe(max_bot, url, secret)
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                await _close(ready)
                raise StartupError(
                    N_("MAX did not take the webhook: {error}"), error=redaction.one_line(exc)
                ) from exc
        else:
            from bot.max.polling import MaxPolling
            from bot.max.webhook import unsubscribe_all
            from storage.max_ids import MaxPollingMarker

            try:
                await unsubscribe_all(max_bot)
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                logger.warning("could not end MAX's webhook: %s", redaction.one_line(exc))
            polling = MaxPolling(max_bot, dp, converter, markers=MaxPollingMarker(ready.database))
            polls["max"] = lambda: polling.run(max_stop)
        try:
            await set_default_commands(max_bot, settings.default_locale)
        except TelegramAPIError:  # the menu is a convenience: the bot runs without it
            logger.warning("could not set MAX's command list", exc_info=True)
    if "telegram" not in polls and not telegram_hook:  # start_polling or the webhook app do it
        await dp.emit_startup(bot=max_bot)
    pushes = _pushes(settings, ready, worker, scheduler)
    site_runner = site = None
    if app is not None:
        site_runner = web.AppRunner(app, handle_signals=False)
        await site_runner.setup()
        site = web.TCPSite(site_runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        paths = [settings.webhook_path] if telegram_hook else []
        paths += [settings.max_webhook_path] if max_hook else []
        logger.info(
            "webhook listening on %s:%s %s",
            settings.webhook_host,
            settings.webhook_port,
            " ".join(paths),
        )
    stopping = _stop_on_signals()
    tasks = {
        asyncio.create_task(poll(), name=f"{name}-polling"): name for name, poll in polls.items()
    }
    stop_wait = asyncio.create_task(stopping.wait())
    await asyncio.wait({*tasks, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    ended = [task for task in tasks if task.done()]
    if not ended:
        logger.info("stopping: no new updates, finishing those in flight")
    # No new updates from anywhere; the handlers already running go on.
    if "telegram" in polls:
        with suppress(RuntimeError):
            await dp.stop_polling()
    max_stop.set()
    if site is not None:
        await site.stop()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    drained = await tracker.drained(DRAIN_SECONDS)
    if not drained:
        logger.warning("%d updates were still running after %.0f s", tracker.count, DRAIN_SECONDS)
    if drained and not ended and "telegram" in polls and tracker.last_update_id is not None:
        # Confirm what was handled, so a restart does not get it again.
        with suppress(TelegramAPIError, OSError, asyncio.TimeoutError):
            await telegram.get_updates(  # type: ignore[union-attr]
                offset=tracker.last_update_id + 1, timeout=0, limit=1
            )
    await pushes.stop()  # the sends in flight finish and are recorded
    if site_runner is not None:
        await site_runner.cleanup()
    await dp.emit_shutdown(bot=next(iter(ready.bots.values())))
    await _close(ready)
    for outcome in outcomes:  # re-raise what ended a polling
        if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome


# The names the console used before MAX: ``run`` chooses polling or a webhook per messenger.
run_polling = run
run_webhook = run


async def run_worker(settings: Settings, *, scheduler: bool = False) -> None:
    """The delivery worker alone (and, if asked, the scheduler), until SIGTERM: a bot for each
    configured messenger, each push sent through its recipient's."""

    settings.guard_secrets()
    if settings.token_problem:
        raise StartupError(settings.token_problem)
    clock = settings.clock()
    database, _ = await _checked_database(settings)
    redis = None
    try:
        if scheduler and settings.redis_url:
            _, redis = await _fsm_storage(settings)
        bots, _ids = await _messenger_bots(settings, database, checked=False)
    except BaseException:
        if redis is not None:
            await redis.aclose()
        await database.dispose()
        raise
    pushes = build_pushes(settings, database, bots, clock, scheduler=scheduler, redis=redis)
    stopping = _stop_on_signals()
    pushes.start()
    logger.info("delivery worker started%s", " with the scheduler" if scheduler else "")
    ended = asyncio.create_task(pushes.wait())
    stop_wait = asyncio.create_task(stopping.wait())
    await asyncio.wait({ended, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    await pushes.stop()
    for bot in bots.values():
        await bot.session.close()
    if redis is not None:
        await redis.aclose()
    await database.dispose()
    if ended.done() and not ended.cancelled() and ended.exception() is not None:
        raise ended.exception()  # type: ignore[misc]
