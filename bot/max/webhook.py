"""MAX's webhook: updates POSTed to our URL with the secret in ``X-Max-Bot-Api-Secret``.

A request without the right secret is refused (403) and nothing is handled. An update is
answered 200 only once it is handled; when handling failed the answer is 500 and MAX sends it
again (up to 10 times; it drops a subscription after 8 hours of failures). ``subscribe`` and
``unsubscribe`` manage the subscription (``POST`` / ``DELETE /subscriptions``); MAX takes
updates by one way at a time, so a subscription turns its long polling off.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import DeleteWebhook, GetWebhookInfo, SetWebhook
from aiohttp import web

from bot.max.polling import feed, max_call
from bot.max.updates import UpdateConverter

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"
SECRET_LENGTH = (5, 256)  # what MAX accepts
# The kinds the handlers answer (bot.max.updates); MAX sends nothing else.
UPDATE_TYPES = (
    "message_created",
    "message_callback",
    "bot_started",
    "bot_stopped",
    "dialog_removed",
)


def max_webhook_handler(
    dispatcher: Dispatcher, bot: Bot, converter: UpdateConverter, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler of MAX's POSTs for ``app.router.add_post(path, ...)``."""
    if isinstance(dispatcher, Bot) and isinstance(bot, Dispatcher):
        dispatcher, bot = bot, dispatcher  # tolerate (bot, dispatcher, ...) as aiogram orders them
    _check_secret(secret)
    expected = secret.encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("a MAX webhook request without the right secret was refused")
            return web.Response(status=403)
        try:
            raw = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            return web.Response(status=400)
        if not isinstance(raw, dict):
            return web.Response(status=400)
        if not await feed(dispatcher, bot, converter, raw):
            return web.Response(status=500)  # MAX sends it again
        return web.json_response({"ok": True})

    return handle


async def subscribe(
    bot: Bot, url: str, secret: str, update_types: tuple[str, ...] = UPDATE_TYPES
) -> None:
    """Subscribes ``url`` (HTTPS on port 443 in production) to the bot's updates."""
    _check_secret(secret)
    body: dict[str, Any] = {"url": url, "update_types": list(update_types), "secret": secret}
    await max_call(bot, SetWebhook(url=url), "POST", "/subscriptions", body=body)
    logger.info("MAX webhook subscribed")


async def unsubscribe(bot: Bot, url: str) -> None:
    """Ends the subscription of ``url`` (long polling works again)."""
    await max_call(bot, DeleteWebhook(), "DELETE", "/subscriptions", params={"url": url})


async def unsubscribe_all(bot: Bot) -> int:
    """Ends every subscription (MAX hands no updates to long polling while one is on, as
    Telegram's ``deleteWebhook`` before polling); how many there were."""
    answer = await max_call(bot, GetWebhookInfo(), "GET", "/subscriptions")
    urls = [s["url"] for s in answer.get("subscriptions") or [] if s.get("url")]
    for url in urls:
        await unsubscribe(bot, url)
    if urls:
        logger.info("MAX webhook subscriptions ended for long polling: %d", len(urls))
    return len(urls)


def _check_secret(secret: str) -> None:
    low, high = SECRET_LENGTH
    if not (low <= len(secret) <= high) or not secret.isascii():
        raise ValueError(f"MAX_WEBHOOK_SECRET must be {low} to {high} ASCII characters")
