"""MAX's configuration and `schoolbot run` with MAX (issue #13): MAX_BOT_TOKEN turns MAX on,
alone or beside BOT_TOKEN; a missing or rejected token is one line and a non-zero exit, with
no token in it; the real process answers /start in MAX by long polling against the fake MAX
Bot API, and by webhook with its secret; SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from core import redaction
from core.redaction import MASK, Redactor
from tests.support.console import demo_school, free_port, schoolbot, stopped
from tests.support.fake_max import SECRET_HEADER, FakeMaxAPI

pytestmark = pytest.mark.e2e
NOW = "2026-11-18T16:30:00"
MAX_TOKEN = "Mx-Sekret-Tok3n-Zq9-abcdef"
HOOK_SECRET = "Mx-Hook-Secret-Zq9"
GUARDIAN = 8800101
STRANGER = 8800102


def settings(**values: object):
    from app.config import Settings

    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# -- configuration --------------------------------------------------------------------------


def test_max_alone_both_or_neither(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_TOKEN", "MAX_BOT_TOKEN", "BOT_USERNAME", "MAX_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    alone = settings(max_bot_token=MAX_TOKEN)
    assert alone.messengers == ("max",) and alone.token_problem is None
    assert alone.max_api_url is None  # MAX's own, from the session
    both = settings(bot_token="42:TEST", max_bot_token=MAX_TOKEN)
    assert both.messengers == ("telegram", "max") and both.token_problem is None
    neither = settings()
    assert neither.messengers == ()
    assert "MAX_BOT_TOKEN" in (neither.token_problem or "")
    blank = settings(bot_token="", max_bot_token=" ")  # an empty line in .env is no token
    assert blank.messengers == () and blank.token_problem == neither.token_problem
    assert settings(bot_token="nonsense", max_bot_token=MAX_TOKEN).token_problem  # Telegram's
    assert settings(max_api_url="http://127.0.0.1:9/").max_api_url == "http://127.0.0.1:9"
    with pytest.raises(ValidationError):
        settings(max_api_url="ftp://example")


@pytest.mark.parametrize("secret", ["abc", "x" * 257, "with space", "кириллица"])
def test_a_max_webhook_secret_is_what_max_accepts(
    secret: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from bot.cli import main

    with pytest.raises(ValidationError):
        settings(max_bot_token=MAX_TOKEN, max_webhook_secret=secret)
    assert settings(max_webhook_secret="Ok_secret-1").max_webhook_secret is not None
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.setenv("MAX_BOT_TOKEN", MAX_TOKEN)
    monkeypatch.setenv("MAX_WEBHOOK_SECRET", secret)
    assert main(["run"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "MAX_WEBHOOK_SECRET" in err and "от 5 до 256" in err, err
    assert secret not in err and MAX_TOKEN not in err  # the secret is not repeated


def test_the_max_token_and_webhook_secret_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "REDACTOR", Redactor())
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    settings(max_bot_token=MAX_TOKEN, max_webhook_secret=HOOK_SECRET).guard_secrets()
    assert redaction.redact(f"GET /me {MAX_TOKEN} {HOOK_SECRET}") == f"GET /me {MASK} {MASK}"


async def test_commands_for_max_are_one_list_in_the_school_language() -> None:
    """Through the real MAX session against the fake: one PATCH /me, no per-chat menu."""
    from app.commands import set_chat_commands, set_default_commands
    from bot.max.bot import build_max_bot
    from bot.max.ids import MemoryMessageIds
    from core.access import Viewer

    async with FakeMaxAPI(token=MAX_TOKEN) as api:
        bot = await build_max_bot(MAX_TOKEN, MemoryMessageIds(), api.base_url)
        try:
            await set_default_commands(bot, "ru")
            # no reply keyboard and no menu per chat: the one list names every command
            names = [c["name"] for c in api.commands]
            assert names[0] == "start" and names[-3:] == ["settings", "help", "logout"]
            assert {"marks", "homework", "timetable", "today", "admin"} <= set(names)
            assert api.commands[0] == {"name": "start", "description": "Начать или войти по коду"}
            mark = api.mark()
            await set_chat_commands(bot, 5, Viewer(account_id=1, children=frozenset({1})), "ru")
            assert not api.calls("PATCH", "/me", since=mark)  # the bot's one list stays
        finally:
            await bot.session.close()


# -- the real process -----------------------------------------------------------------------


def max_env(db_url: str, api: FakeMaxAPI | None, **extra: str) -> dict[str, str]:
    """MAX only: no Telegram setting of the test machine leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "WEBHOOK_", "MAX_", "TELEGRAM_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=db_url,
        SCHOOLBOT_NOW=NOW,
        DEFAULT_LOCALE="ru",
        PYTHONUNBUFFERED="1",
        MAX_BOT_TOKEN=MAX_TOKEN,
        DELIVERY_RATE="0",
    )
    if api is not None:
        env["MAX_API_URL"] = api.base_url
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One demo school with invite codes for the module."""
    return demo_school(
        tmp_path_factory.mktemp("max-run"),
        lambda url: max_env(url, None, MAX_BOT_USERNAME="school_max_bot"),
    )


async def test_neither_token_is_one_line_and_a_non_zero_exit(demo: tuple[str, dict]) -> None:
    env = max_env(demo[0], None)
    del env["MAX_BOT_TOKEN"]
    proc = await schoolbot("run", env=env)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    lines = [line for line in out.decode().splitlines() if line.strip()]
    assert proc.returncode != 0
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "MAX_BOT_TOKEN" in lines[0], lines


@pytest.mark.parametrize("command", ["run", "worker"])
async def test_a_rejected_max_token_is_one_line_without_the_token(
    demo: tuple[str, dict], command: str
) -> None:
    async with FakeMaxAPI(token="another-token") as api:
        proc = await schoolbot(command, env=max_env(demo[0], api))
        out = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
    lines = [line for line in out.splitlines() if line.strip()]
    assert proc.returncode == 1, out
    assert lines[-1].startswith("schoolbot: ") and "MAX_BOT_TOKEN" in lines[-1], out
    assert "MAX не принял MAX_BOT_TOKEN" in lines[-1]
    assert MAX_TOKEN not in out and "Sekret" not in out
    assert api.calls("GET", "/me")  # it did ask


async def test_an_unreachable_max_is_one_line(demo: tuple[str, dict]) -> None:
    env = max_env(demo[0], None, MAX_API_URL=f"http://127.0.0.1:{free_port()}")
    proc = await schoolbot("run", env=env)
    out = (await asyncio.wait_for(proc.communicate(), 90))[0].decode()
    lines = [line for line in out.splitlines() if line.strip()]
    assert proc.returncode == 1, out
    assert lines[-1].startswith("schoolbot: ") and "MAX" in lines[-1], out
    assert MAX_TOKEN not in out


async def test_max_alone_by_long_polling_signs_in_from_the_deep_link(
    demo: tuple[str, dict],
) -> None:
    db_url, invites = demo
    guardian = invites["guardian"]
    assert guardian["link"] == f"https://max.ru/school_max_bot?start={guardian['code']}"
    async with FakeMaxAPI(token=MAX_TOKEN) as api:
        proc = await schoolbot("run", env=max_env(db_url, api))
        try:
            await api.wait_for(lambda r: r.method == "GET" and r.path == "/updates", timeout=60)
            # the command list, once, in the school's language
            assert [c["name"] for c in api.commands][:2] == ["start", "marks"]
            mark = api.mark()
            api.bot_started(GUARDIAN, guardian["code"])  # https://max.ru/<bot>?start=<code>
            consent = await api.wait_for(
                lambda r: r.method == "POST" and r.path == "/messages", since=mark, timeout=30
            )
            assert consent.query.get("user_id") == str(GUARDIAN)
            assert "согласны" in consent.json["text"]
        finally:
            out = await stopped(proc)
        assert proc.returncode == 0, out[-3000:]
        assert "Telegram" not in out.replace("TelegramObject", "")  # MAX alone: no Telegram
        assert MAX_TOKEN not in out


async def test_max_webhook_checks_its_secret(demo: tuple[str, dict]) -> None:
    db_url, _ = demo
    port = free_port()
    async with FakeMaxAPI(token=MAX_TOKEN) as api:
        env = max_env(
            db_url,
            api,
            MAX_WEBHOOK_URL=f"http://127.0.0.1:{port}",
            MAX_WEBHOOK_PATH="/mx",
            MAX_WEBHOOK_SECRET=HOOK_SECRET,
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        proc = await schoolbot("run", env=env)
        try:
            hook = await api.wait_for(
                lambda r: r.method == "POST" and r.path == "/subscriptions", timeout=60
            )
            assert hook.json["url"] == f"http://127.0.0.1:{port}/mx"
            assert hook.json["secret"] == HOOK_SECRET
            assert not api.calls("GET", "/updates")  # no long polling beside the webhook
            update = api.message_created("/help", STRANGER)
            url = f"http://127.0.0.1:{port}/mx"
            async with aiohttp.ClientSession() as http:
                for _ in range(200):  # the server may still be binding
                    try:
                        async with http.post(
                            url, json=update, headers={SECRET_HEADER: "wrong-secret"}
                        ) as wrong:
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                assert wrong.status in (401, 403)
            assert not api.calls("POST", "/messages")  # the forged one did nothing
            mark = api.mark()
            assert await api.deliver() == 200  # as MAX posts it, with the secret
            reply = await api.wait_for(
                lambda r: r.method == "POST" and r.path == "/messages", since=mark, timeout=30
            )
            assert reply.query.get("user_id") == str(STRANGER) and "код" in reply.json["text"]
        finally:
            out = await stopped(proc)
        assert proc.returncode == 0, out[-3000:]
        assert HOOK_SECRET not in out and MAX_TOKEN not in out
