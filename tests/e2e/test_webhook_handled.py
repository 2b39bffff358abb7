"""Webhook mode confirms an update to Telegram only once it is handled (its reply sent); an
update whose handling failed past the error router is answered 500, so Telegram keeps it and
sends it again, and then it is handled. Over HTTP on 127.0.0.1, the real dispatcher."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendMessage
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.config import Settings
from bot.root import build_dispatcher, build_services
from bot.telegram.webhook import HandledFirstRequestHandler
from core.clock import FixedClock
from storage.db import Database
from tests.e2e.test_faults import NOW, TZ
from tests.support.recording import RecordingSession, make_bot

SECRET = "hook-secret"
STRANGER = 990_002


def _update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": STRANGER, "type": "private"},
            "from": {"id": STRANGER, "is_bot": False, "first_name": "Гость"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_an_update_is_confirmed_after_it_is_handled_and_a_failed_one_comes_again(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, bot_token="42:TEST", bot_username="schoolbot_test_bot")
    services = build_services(settings, database.uow, clock=FixedClock(NOW, TZ), viewer_ttl=0)
    bot = make_bot()
    session = bot.session
    assert isinstance(session, RecordingSession)
    app = web.Application()
    handler = HandledFirstRequestHandler(
        dispatcher=build_dispatcher(services), bot=bot, secret_token=SECRET
    )
    handler.register(app, path="/tg")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        forged = await http.post("/tg", json=_update(1, "/help"))
        assert forged.status == 401 and session.calls(SendMessage) == []

        answered = await http.post("/tg", json=_update(2, "/help"), headers=headers)
        # the reply went out before Telegram heard "done"
        assert answered.status == 200 and len(session.calls(SendMessage)) == 1

        # Telegram is unreachable while the bot replies, and again when it says "try again"
        session.fail_next(SendMessage, TelegramServerError, "Bad Gateway")
        session.fail_next(SendMessage, TelegramServerError, "Bad Gateway")
        failed = await http.post("/tg", json=_update(3, "/help"), headers=headers)
        assert failed.status == 500  # not confirmed: Telegram keeps the update
        logged = [(r.name, r.getMessage()) for r in caplog.records if r.levelname == "ERROR"]
        assert ("handlers.common", "update 3 failed") in logged  # "try again" could not go
        assert (
            "bot.telegram.webhook",
            "update 3 failed: answered 500, Telegram sends it again",
        ) in logged
        caplog.clear()  # the failure this test makes on purpose
        again = await http.post("/tg", json=_update(3, "/help"), headers=headers)
        assert again.status == 200
        replies = [c for c in session.calls(SendMessage) if c.chat_id == STRANGER]
        assert len(replies) == 4 and replies[-1].text == replies[0].text
    await bot.session.close()
