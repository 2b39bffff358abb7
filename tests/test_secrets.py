"""No secret leaves the process (issue #12): the bot token, the database and Redis passwords
and the webhook secret never reach a log line, a printed error or a stored row, whatever
library words the error; a start-up failure still says in one line what is wrong.

The real ``schoolbot`` process is started against the failures seen in the field: a malformed
``TELEGRAM_API_URL``, a Bot API that redirects (at start-up, while polling and while
delivering), a database that does not answer, a Redis that does not answer. Every byte it
prints and every table it leaves behind are searched for the secrets.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import signal
import socket
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from core import model as m
from core.redaction import MASK, RedactingFilter, Redactor, one_line
from storage.db import Database
from storage.migrate import upgrade
from tests.e2e.test_diary_e2e import env_for, schoolbot
from tests.support import FakeBotAPI

pytestmark = pytest.mark.e2e

# Distinctive, and too short to look like a token by its shape: only the registry masks them.
TOKEN = "987654:Sekret-Tok3n-Zq9"
DB_PASSWORD = "Pg-Passw0rd-Zq9"
REDIS_PASSWORD = "Rd-Passw0rd-Zq9"
WEBHOOK_SECRET = "Wh-Secret-Zq9"
SECRETS = (TOKEN.split(":", 1)[1], DB_PASSWORD, REDIS_PASSWORD, WEBHOOK_SECRET)
NOW = "2026-11-18T10:00:00"
HOPS = 10  # redirects aiohttp follows before it gives up on a call


def leaks(text: str) -> list[str]:
    """Every secret, as written or percent-encoded, found in the text."""
    return [form for secret in SECRETS for form in {secret, quote(secret, safe="")} if form in text]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def secret_env(db_url: str, api: FakeBotAPI | None = None, **extra: str) -> dict[str, str]:
    return env_for(
        db_url, api, BOT_TOKEN=TOKEN, WEBHOOK_SECRET=WEBHOOK_SECRET, SCHOOLBOT_NOW=NOW, **extra
    )


async def run_to_end(*args: str, env: dict[str, str], seconds: float = 60) -> tuple[int, str]:
    proc = await schoolbot(*args, env=env)
    async with asyncio.timeout(seconds):
        out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def tables_text(path: Path) -> str:
    """Every row of every table of a SQLite database, as text."""
    with sqlite3.connect(path) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {name: con.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
    return "\n".join(f"{name}: {found!r}" for name, found in rows.items())


class RedirectingAPI(FakeBotAPI):
    """A Bot API behind a proxy gone wrong: the chosen methods answer 302 to themselves, so
    the client gives up with an error that quotes the full ``…/bot<token>/method`` URL."""

    def __init__(self, methods: set[str] | None = None) -> None:
        super().__init__(token=TOKEN)
        self.methods = methods  # None: every method
        self.redirected: dict[str, int] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if self.methods is None or method in self.methods:
            self.redirected[method] = self.redirected.get(method, 0) + 1
            return web.Response(status=302, headers={"Location": str(request.rel_url)})
        return await super()._handle(request)


# -- the redaction itself ---------------------------------------------------------------------


def test_a_token_is_masked_in_every_form_it_is_written() -> None:
    redactor = Redactor()
    redactor.register(TOKEN, None, "", "abc")  # nothing, and a value too short to mask
    redactor.register_url(f"postgresql+asyncpg://school:{quote(DB_PASSWORD)}@db:5432/school")
    secret = TOKEN.split(":", 1)[1]
    text = (
        f"url=http://api/bot{TOKEN}/getUpdates encoded={quote(TOKEN, safe='')} "
        f"half={secret} db={DB_PASSWORD} abc"
    )
    masked = redactor.redact(text)
    assert masked == (
        f"url=http://api/bot{MASK}/getUpdates encoded={MASK} half={MASK} db={MASK} abc"
    )
    # shaped like a secret though never registered: a URL's password, a long bot token
    shaped = "redis://:hunter2hunter2@cache:6379/0 and 123456789:" + "A" * 35
    assert Redactor().redact(shaped) == f"redis://:{MASK}@cache:6379/0 and {MASK}"
    # a port is not a password
    assert Redactor().redact("http://127.0.0.1:8081/x@y") == "http://127.0.0.1:8081/x@y"


def test_the_log_filter_masks_the_message_its_arguments_and_the_traceback() -> None:
    redactor = Redactor()
    redactor.register(TOKEN)
    stream = logging.StreamHandler(io.StringIO())
    stream.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    stream.addFilter(RedactingFilter(redactor))
    log = logging.getLogger("tests.secrets.filter")
    log.propagate = False
    log.addHandler(stream)
    try:
        try:
            raise ConnectionError(f"cannot reach http://api/bot{TOKEN}/getMe")
        except ConnectionError:
            log.exception("request to %s failed", f"/bot{TOKEN}/getMe")
    finally:
        log.removeHandler(stream)
    out = stream.stream.getvalue()
    assert "Traceback" in out and "ConnectionError: cannot reach http://api/bot***/getMe" in out
    assert out.startswith("ERROR request to /bot***/getMe failed")
    assert TOKEN.split(":", 1)[1] not in out


def test_a_driver_error_is_told_in_its_first_line() -> None:
    error = RuntimeError(f"(x) cannot connect to db:{DB_PASSWORD}@h\n[SQL: SELECT 1]\n(link)")
    redactor_line = one_line(error)
    assert "\n" not in redactor_line and "[SQL" not in redactor_line


def test_the_settings_register_every_secret_they_hold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.config import Settings
    from core import redaction

    monkeypatch.setattr(redaction, "REDACTOR", Redactor())
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.chdir(Path(__file__).parent)  # no stray .env
    Settings(
        bot_token=TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        backup_key="Bk-Key-Zq9-0000",
        database_url=f"postgresql+asyncpg://school:{quote(DB_PASSWORD)}@db/school",
        redis_url=f"redis://:{REDIS_PASSWORD}@cache:6379/0",
    ).guard_secrets()
    words = f"{TOKEN} {WEBHOOK_SECRET} Bk-Key-Zq9-0000 {DB_PASSWORD} {REDIS_PASSWORD}"
    assert redaction.redact(words) == " ".join([MASK] * 5)
    # a traceback that ends the process is masked too
    try:
        raise RuntimeError(f"unexpected: {DB_PASSWORD}")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "RuntimeError: unexpected: ***" in err and DB_PASSWORD not in err


# -- the real process -------------------------------------------------------------------------


async def test_start_up_failures_say_what_is_wrong_in_one_line_without_a_secret(
    tmp_path: Path,
) -> None:
    await upgrade(f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    copies = iter(range(10))

    def sqlite_url() -> str:
        """A database of its own for each process: none waits for another's lock."""
        path = tmp_path / f"school-{next(copies)}.db"
        shutil.copy(tmp_path / "school.db", path)
        return f"sqlite+aiosqlite:///{path}"

    dead_db = f"postgresql+asyncpg://school:{DB_PASSWORD}@127.0.0.1:{closed_port()}/school"
    dead_redis = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{closed_port()}/0"
    async with RedirectingAPI() as api:  # even getMe redirects
        cases = {
            "malformed api url": (
                ("run",),
                secret_env(sqlite_url(), TELEGRAM_API_URL=f"htp:/api.example/bot{TOKEN}"),
                2,
                "TELEGRAM_API_URL: нужен адрес вида http:// или https://",
            ),
            "api redirects at start": (
                ("run",),
                secret_env(sqlite_url(), api),
                1,
                "Bot API",
            ),
            "database does not answer": (("run",), secret_env(dead_db), 1, "***@127.0.0.1"),
            "database, console": (
                ("invite", "--role", "student", "--id", "U-1"),
                secret_env(dead_db),
                1,
                "",
            ),
            "redis does not answer": (
                ("run",),
                secret_env(sqlite_url(), REDIS_URL=dead_redis),
                1,
                "REDIS_URL",
            ),
        }
        results = await asyncio.gather(
            *(run_to_end(*args, env=env) for args, env, _, _ in cases.values())
        )
    assert api.redirected.get("getme", 0) >= 1, results
    for (name, (_, _, code, words)), (returncode, out) in zip(cases.items(), results, strict=True):
        lines = [line for line in out.splitlines() if line.strip()]
        assert returncode == code, (name, out)
        assert not leaks(out), (name, out)
        # the reason is told, once, on the last line; logs before it are allowed
        assert lines and lines[-1].startswith("schoolbot: "), (name, out)
        assert words in lines[-1], (name, lines[-1])
    for path in tmp_path.glob("school-*.db"):  # noqa: ASYNC240
        assert not leaks(tables_text(path))


async def _one_push(url: str) -> None:
    database = Database.connect(url)
    try:
        async with database.uow() as uow:
            now = datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo("Europe/Moscow"))
            account = m.Account("telegram", "50001", now, quiet_from=None, quiet_to=None)
            await uow.accounts.add_all([account])
            payload = json.dumps({"class": "7А", "items": [["Иванов Пётр", "2026-11-16", "М"]]})
            await uow.deliveries.add_all([m.Delivery(account.id, "reconcile", payload, now, now)])  # type: ignore[arg-type]
            await uow.commit()
    finally:
        await database.dispose()


async def test_polling_and_delivery_through_a_redirecting_api_leak_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "school.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    await _one_push(url)
    async with RedirectingAPI({"getupdates", "sendmessage"}) as api:
        proc = await schoolbot("run", env=secret_env(url, api, DELIVERY_RATE="0"))
        try:

            def stored_error() -> str:
                with sqlite3.connect(path) as con:
                    row = con.execute("SELECT last_error FROM deliveries").fetchone()
                return row[0] if row else ""

            async with asyncio.timeout(60):
                # two failed polls (the second after the dispatcher's back-off) and a push
                # whose failure is recorded
                while (  # noqa: ASYNC110 - another process's database and requests
                    api.redirected.get("getupdates", 0) < 2 * HOPS or not stored_error()
                ):
                    await asyncio.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(60):
                out = (await proc.communicate())[0].decode()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert api.redirected.get("sendmessage", 0) >= 1
    assert "Failed to fetch updates" in out and f"/bot{MASK}/getUpdates" in out, out
    assert not leaks(out), out
    assert f"/bot{MASK}/sendMessage" in stored_error()
    tables = tables_text(path)
    assert not leaks(tables), [line for line in tables.splitlines() if leaks(line)]
