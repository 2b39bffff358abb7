"""MAX's long polling: ``GET /updates`` with a marker, each update fed to the dispatcher.

MAX counts every update before the marker a request passes as read, so the marker of a batch
is passed (in the next request) only once the whole batch is handled: an update is never lost
to a crash, at worst handled again. The long poll is cancelled as soon as ``stop`` is set; a
batch being handled is finished first. A failed request is logged (one line, the token masked)
and tried again after a jittered back-off; a rejected token (401) ends the polling with
``TelegramUnauthorizedError``, for the runner to report.

With ``markers`` (the database's ``storage.max_ids.MaxPollingMarker``) the marker is read at the
start and written after each handled batch: MAX hands a poll without a marker only its newest
update, so a restart without it would lose what came while the bot was down.

MAX's docs call long polling a tool for development (2 requests a second, events kept 24 h);
a school in production takes updates by webhook (``bot.max.webhook``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from contextlib import suppress
from typing import Any, Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates, TelegramMethod

from bot.max.updates import UpdateConverter
from core import redaction

logger = logging.getLogger(__name__)


class Markers(Protocol):
    async def load(self) -> int | None: ...

    async def save(self, marker: int) -> None: ...


TIMEOUT_SLACK = 15.0  # seconds a long poll's HTTP call may take past MAX's own timeout


async def max_call(
    bot: Bot,
    tag: TelegramMethod[Any],
    verb: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: Any = None,
    wait: float | None = None,
) -> dict[str, Any]:
    """One raw MAX call through the MAX bot's session (its token, pace, 429 back-off and
    aiogram's exceptions; ``tag`` names the call in them)."""
    return await bot.session.call(  # type: ignore[attr-defined]
        tag, verb, path, params=params, body=body, wait=wait
    )


class MaxPolling:
    """Feeds ``dispatcher`` the MAX bot's updates until ``run``'s ``stop`` is set."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        converter: UpdateConverter,
        timeout: int = 30,
        limit: int = 100,
        *,
        marker: int | None = None,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
        min_interval: float = 0.0,
        rng: random.Random | None = None,
        markers: Markers | None = None,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.converter = converter
        self.timeout = timeout
        self.limit = limit
        self.marker = marker  # the next update expected; None: MAX's choice (its newest)
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.min_interval = min_interval  # between two requests (MAX allows 2 a second)
        self.rng = rng or random.Random()
        self.markers = markers
        self.handled = 0

    async def run(self, stop: asyncio.Event) -> None:
        if self.marker is None and self.markers is not None:
            self.marker = await self.markers.load()
        failures = 0
        loop = asyncio.get_running_loop()
        last = -self.min_interval
        while not stop.is_set():
            pause = last + self.min_interval - loop.time()
            if pause > 0 and await _stopped_within(stop, pause):
                return
            last = loop.time()
            fetch = asyncio.ensure_future(self._fetch())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                if not fetch.done():
                    fetch.cancel()
                    with suppress(asyncio.CancelledError, Exception):
                        await fetch
            if not fetch.done() or fetch.cancelled():
                return  # stopped while waiting: nothing was taken
            try:
                answer = fetch.result()
            except TelegramUnauthorizedError:
                logger.error("MAX polling: the token was rejected (401); polling stops")
                raise
            except TelegramRetryAfter as exc:
                logger.warning("MAX polling: throttled; again in %s s", exc.retry_after)
                if await _stopped_within(stop, float(exc.retry_after)):
                    return
                continue
            except (TelegramAPIError, TelegramNetworkError, OSError, TimeoutError) as exc:
                failures += 1
                delay = self._pause(failures)
                logger.warning(
                    "MAX polling failed (%d in a row): %s; again in %.1f s",
                    failures,
                    redaction.one_line(exc),
                    delay,
                )
                if await _stopped_within(stop, delay):
                    return
                continue
            failures = 0
            await self._handle(answer.get("updates") or [])
            marker = answer.get("marker")
            if marker is not None and int(marker) != self.marker:
                self.marker = int(marker)
                if self.markers is not None:
                    try:
                        await self.markers.save(self.marker)
                    except Exception as exc:  # kept in memory; a restart may replay a batch
                        logger.warning(
                            "MAX polling: the marker was not saved: %s", redaction.one_line(exc)
                        )

    async def _fetch(self) -> dict[str, Any]:
        params = {"limit": str(self.limit), "timeout": str(self.timeout)}
        if self.marker is not None:
            params["marker"] = str(self.marker)
        tag = GetUpdates(offset=self.marker, limit=self.limit, timeout=self.timeout)
        return await max_call(
            self.bot, tag, "GET", "/updates", params=params, wait=self.timeout + TIMEOUT_SLACK
        )

    async def _handle(self, raws: list[dict[str, Any]]) -> None:
        for raw in raws:
            await feed(self.dispatcher, self.bot, self.converter, raw)
            self.handled += 1

    def _pause(self, failures: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff * 2 ** (failures - 1))
        return self.rng.uniform(ceiling / 2, ceiling)


async def feed(
    dispatcher: Dispatcher, bot: Bot, converter: UpdateConverter, raw: dict[str, Any]
) -> bool:
    """Hands one MAX update to the dispatcher; False when converting or handling it failed
    (logged, the token masked). The handlers' own errors are answered by the error router."""
    kind = raw.get("update_type") if isinstance(raw, dict) else None
    try:
        updates = await converter.convert_all(raw, bot)
    except Exception as exc:
        logger.error("a MAX update (%s) could not be read: %s", kind, redaction.one_line(exc))
        return False
    ok = True
    for update in updates:
        try:
            result = await dispatcher.feed_update(bot, update)
            if isinstance(result, TelegramMethod):  # a handler's answer "into the webhook"
                await dispatcher.silent_call_request(bot, result)
        except Exception as exc:
            ok = False
            logger.error("a MAX update (%s) failed: %s", kind, redaction.one_line(exc))
    return ok


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Waits ``seconds`` or until ``stop``; True if stopped."""
    if seconds <= 0:
        return stop.is_set()
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
