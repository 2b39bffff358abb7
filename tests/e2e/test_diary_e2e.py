"""End to end: the real `schoolbot run` process polls a fake Bot API over HTTP on 127.0.0.1.

A guardian goes from `/start <code>` through consent to /marks, /homework, /timetable and
/progress, until the console revokes the access; SIGTERM then stops the bot cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from tests.support import FakeBotAPI
from tests.support.console import demo_school, free_port, schoolbot

pytestmark = pytest.mark.e2e
NOW = "2026-11-18T16:30:00"  # a Wednesday afternoon in the second quarter
GUARDIAN_ID = 777001


def env_for(db_url: str, api: FakeBotAPI | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
    env.update(
        DATABASE_URL=db_url,
        SCHOOLBOT_NOW=NOW,
        BOT_TOKEN="42:TEST",
        BOT_USERNAME="schoolbot_test_bot",
        DEFAULT_LOCALE="ru",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    if api is not None:
        env["TELEGRAM_API_URL"] = api.base_url
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One demo school for the module (loading it is the slow part)."""
    return demo_school(tmp_path_factory.mktemp("e2e"), env_for)


async def test_guardian_from_invite_to_progress(demo_db: tuple[str, dict]) -> None:
    db_url, invites = demo_db
    guardian = invites["guardian"]
    async with FakeBotAPI() as api:
        proc = await schoolbot("run", env=env_for(db_url, api))
        try:
            await api.wait_for("getUpdates", timeout=30, finished=False)
            mark = api.mark()
            api.push_message(f"/start {guardian['code']}", GUARDIAN_ID, first_name="Мама")
            consent = await api.wait_for("sendMessage", since=mark, chat_id=GUARDIAN_ID)
            assert "согласны" in consent.text
            mark = api.mark()
            api.push_callback("cs1:1", GUARDIAN_ID, consent.result["message_id"])
            await api.wait_for("answerCallbackQuery", since=mark)
            home = await api.wait_for(
                lambda r: r.method == "sendMessage" and "Вы вошли" in (r.text or ""), since=mark
            )
            assert "Отметки" in json.dumps(home.params["reply_markup"], ensure_ascii=False)
            child = guardian["children"][0].split()[0]  # the children share a surname

            for command, expected in (
                ("/marks", "Отметки:"),
                ("/homework", "Домашнее задание:"),
                ("/timetable", "Расписание:"),
            ):
                mark = api.mark()
                api.push_message(command, GUARDIAN_ID)
                reply = await api.wait_for("sendMessage", since=mark, chat_id=GUARDIAN_ID)
                assert expected in reply.text and child in reply.text, reply.text

            mark = api.mark()
            api.push_message("/progress", GUARDIAN_ID)
            summary = await api.wait_for("sendMessage", since=mark, chat_id=GUARDIAN_ID)
            assert "Успеваемость:" in summary.text and child in summary.text, summary.text
            chart = next(  # a subject's own chart, on its button
                button["callback_data"]
                for row in summary.params["reply_markup"]["inline_keyboard"]
                for button in row
                if button["text"].startswith("📈")
            )
            mark = api.mark()
            api.push_callback(chart, GUARDIAN_ID, summary.result["message_id"])
            photo = await api.wait_for("sendPhoto", since=mark, chat_id=GUARDIAN_ID, timeout=30)
            assert photo.file("photo").data.startswith(b"\x89PNG")
            assert child in photo.params["caption"]

            # The school revokes this guardian's access from the console, another process:
            # the running bot keeps viewers in memory, yet shows nothing a second later.
            revoke = await schoolbot(
                "revoke", "--role", "guardian", "--id", str(guardian["id"]), env=env_for(db_url)
            )
            out, _ = await revoke.communicate()
            assert revoke.returncode == 0, out.decode()
            await asyncio.sleep(1.1)  # the bot reads the access version at most once a second
            mark = api.mark()
            api.push_message("/marks", GUARDIAN_ID)
            reply = await api.wait_for("sendMessage", since=mark, chat_id=GUARDIAN_ID)
            assert "Отметки:" not in reply.text and child not in reply.text, reply.text
            assert "Сначала войдите" in reply.text
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out.decode()[-3000:]
        # nothing personal ever went anywhere but the guardian's private chat
        assert {r.chat_id for r in api.requests if r.method.startswith("send")} == {GUARDIAN_ID}


async def test_bad_token_and_unreachable_database_exit_with_one_line(
    tmp_path: Path, demo_db: tuple[str, dict]
) -> None:
    db_url, _ = demo_db
    proc = await schoolbot("run", env=env_for(db_url, BOT_TOKEN="not-a-token"))
    out, _ = await proc.communicate()
    assert proc.returncode != 0 and "не задан BOT_TOKEN" in out.decode()
    bad_db = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    proc = await schoolbot("run", env=env_for(bad_db))
    out, _ = await proc.communicate()
    text = out.decode()
    # the reason is in the console's language, the server's own error after it
    assert proc.returncode != 0 and "не удаётся работать с базой данных" in text
    assert "Traceback" not in text


async def test_webhook_mode_checks_the_secret(demo_db: tuple[str, dict]) -> None:
    import aiohttp

    db_url, _ = demo_db
    port = free_port()
    async with FakeBotAPI() as api:
        env = env_for(
            db_url,
            api,
            WEBHOOK_URL="https://school.example",
            WEBHOOK_PATH="/tg",
            WEBHOOK_SECRET="s3cret-token",
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        proc = await schoolbot("run", env=env)
        try:
            hook = await api.wait_for("setWebhook", timeout=30)
            assert hook.params["url"] == "https://school.example/tg"
            assert hook.params["secret_token"] == "s3cret-token"
            stranger = GUARDIAN_ID + 1  # never signed in
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": stranger, "type": "private"},
                    "from": {"id": stranger, "is_bot": False, "first_name": "Гость"},
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
            url = f"http://127.0.0.1:{port}/tg"
            async with aiohttp.ClientSession() as http:
                for _ in range(100):  # the server may still be binding
                    try:
                        async with http.post(url, json=update) as wrong:
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                assert wrong.status == 401
                mark = api.mark()
                headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
                async with http.post(url, json=update, headers=headers) as right:
                    assert right.status == 200
            reply = await api.wait_for("sendMessage", since=mark, chat_id=stranger)
            assert "код" in reply.text  # not signed in: asked for the invite code
            assert len(api.calls("sendMessage")) == 1  # the forged one did nothing
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out.decode()[-3000:]
