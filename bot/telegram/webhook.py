"""The webhook's request handler: Telegram hears "done" only once an update has been handled.

aiogram's ``SimpleRequestHandler`` answers Telegram at once and handles the update in the
background by default, so an update the process dies on (a deploy, a crash) in that moment is
confirmed and lost. Here the answer waits for the dispatcher, and a method a handler returned is
sent first. When handling fails past the error router (which already tells the user to try
again), the answer is 500: Telegram keeps the update and sends it again later.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

logger = logging.getLogger(__name__)


class HandledFirstRequestHandler(SimpleRequestHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["handle_in_background"] = False
        super().__init__(*args, **kwargs)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        update = await request.json(loads=bot.session.json_loads)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        try:
            result = await self.dispatcher.feed_raw_update(bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await bot(result)
        except Exception:
            logger.exception("update %s failed: answered 500, Telegram sends it again", update_id)
            return web.json_response({"ok": False}, status=500, dumps=bot.session.json_dumps)
        return web.json_response({}, dumps=bot.session.json_dumps)


def mount(app: web.Application, dispatcher: Dispatcher, bot: Bot, path: str, secret: str) -> None:
    """Telegram's webhook on ``app`` at ``path``: Telegram hears "done" only once an update is
    handled; a failure is answered 500 and Telegram sends it again."""
    HandledFirstRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path=path
    )
    setup_application(app, dispatcher, bot=bot)
